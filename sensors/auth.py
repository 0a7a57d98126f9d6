"""Device authentication: a device proves who it is with its access token (never stored in clear)."""

from __future__ import annotations

from sensors.models import Device, hash_token


def device_for_token(token: str | None) -> Device | None:
    """The enabled device whose access token is ``token``, or None (unknown, revoked or disabled)."""
    if not token or len(token) > 256:
        return None
    return (
        Device.objects.select_related("device_type", "apartment")
        .filter(token_hash=hash_token(token), is_enabled=True)
        .first()
    )


def token_from_request(request) -> str:
    """The device token of an HTTP request: ``Authorization: Bearer <token>``, ``X-Device-Token`` or ``?token=``."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.META.get("HTTP_X_DEVICE_TOKEN", "") or request.GET.get("token", "")
