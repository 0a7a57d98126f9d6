"""The audit log: every full read of personal data, and other acts that must be provable."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.http import HttpRequest

from accounts.models import AuditEntry, User


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: models.Model,
    fields: Iterable[str] = (),
    reason: str = "",
    request: HttpRequest | None = None,
) -> AuditEntry:
    ip = None
    if request is not None:
        ip = request.META.get("REMOTE_ADDR") or None
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label,
        target_id=str(target.pk),
        fields=",".join(fields),
        reason=reason,
        ip=ip,
    )


def audit_pii_read(
    *, actor: User | None, target: models.Model, fields: Iterable[str], reason: str = "", request=None
) -> AuditEntry:
    """Write down that ``actor`` saw the clear value of ``fields`` of ``target``."""
    return audit_record(actor=actor, action="pii.read", target=target, fields=fields, reason=reason, request=request)
