"""DRF authentication for door, elevator and radar devices, on top of sensors.auth.

``Authorization: Bearer <token>`` (or ``X-Device-Token``; ``?token=`` for terminals such as Hikvision that
cannot set headers on their event push). Only the token's SHA-256 is stored (sensors registry).
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from sensors.auth import device_for_token, token_from_request
from sensors.models import Device


class DeviceTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        token = token_from_request(request)
        if not token:
            return None
        device = device_for_token(token)
        if device is None:
            raise exceptions.AuthenticationFailed(_("设备令牌无效或设备已停用"))
        return AnonymousUser(), device

    def authenticate_header(self, request) -> str:
        return "Bearer"


def device_of_type(*codes: str) -> type[BasePermission]:
    """A permission that lets in authenticated devices of the given types."""

    class IsDevice(BasePermission):
        message = _("只有已登记的门禁/梯控设备可以调用此接口")

        def has_permission(self, request, view) -> bool:
            device = request.auth
            return isinstance(device, Device) and device.device_type.code in codes

    return IsDevice


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    """Names the device token in the OpenAPI schema."""

    target_class = "residents.device_auth.DeviceTokenAuthentication"
    name = "deviceToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "设备接入令牌 (sensors 设备登记时签发)"}
