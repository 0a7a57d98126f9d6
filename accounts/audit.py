"""The audit log: every full read of personal data, and other acts that must be provable."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.models import AuditEntry, ReadPurpose, User
from shijiao.errors import DomainError


@dataclass(frozen=True)
class Purpose:
    """A stated purpose of a clear read: one of ``ReadPurpose``, with a text (required for "other")."""

    code: str
    text: str = ""


def purpose_from(code: str | None, text: str | None = "") -> Purpose:
    """Check a purpose given with a request: no purpose, no read; "other" must say what for."""
    code = (code or "").strip()
    text = (text or "").strip()
    if not code:
        raise DomainError(
            _("查看完整个人信息须说明目的 (purpose): %(choices)s")
            % {"choices": ", ".join(f"{value} ({label})" for value, label in ReadPurpose.choices)},
            code="purpose_required",
        )
    if code not in ReadPurpose.values:
        raise DomainError(
            _("未知的目的 %(code)s, 可选: %(choices)s") % {"code": code[:32], "choices": ", ".join(ReadPurpose.values)},
            code="invalid_purpose",
        )
    if code == ReadPurpose.OTHER and len(text) < 4:
        raise DomainError(_("目的为 “其他” 时须写明具体事由 (reason, 至少 4 个字)"), code="reason_required")
    if len(text) > 255:
        raise DomainError(_("事由最长 255 个字"), code="reason_too_long")
    return Purpose(code=code, text=text)


def client_ip(request: HttpRequest | None) -> str | None:
    """The client address as the server saw it (REMOTE_ADDR behind a trusted proxy), never a client header."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: models.Model,
    fields: Iterable[str] = (),
    reason: str = "",
    purpose: str = "",
    request: HttpRequest | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label,
        target_id=str(target.pk),
        fields=",".join(fields),
        purpose=purpose,
        reason=reason[:255],
        ip=client_ip(request),
    )


def audit_pii_read(
    *, actor: User | None, target: models.Model, fields: Iterable[str], purpose: Purpose, request=None
) -> AuditEntry:
    """Write down that ``actor`` saw the clear value of ``fields`` of ``target``, why, and from where."""
    return audit_record(
        actor=actor,
        action="pii.read",
        target=target,
        fields=fields,
        purpose=purpose.code,
        reason=purpose.text,
        request=request,
    )
