"""Electronic residence permit (电子居住证): eligibility, application, review, issue, QR verification, revocation.

Eligibility follows State Council Decree 663: registered residence for more than six months
(PERMIT_MIN_REGISTERED_DAYS) plus a stable job or a stable home (PERMIT_REQUIRES_JOB makes a job mandatory).
The permit's QR code carries a signed token; anyone may verify it and learns only the masked name,
the validity and the status.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, timedelta

import segno
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from residents.models import ResidencePermit, Resident, Tenancy
from residents.registration import registered_since
from residents.reviews import locked_in_status, required_reason
from shijiao.errors import DomainError
from shijiao.pii import mask_name

TOKEN_SALT = "residents.permit.v1"
Status = ResidencePermit.Status


@dataclass
class Eligibility:
    eligible: bool
    registered_since: date | None
    bases: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def permit_eligibility(resident: Resident, *, today: date | None = None) -> Eligibility:
    """Whether ``resident`` may apply now, on which bases, and if not, why (in words they understand)."""
    today = today or timezone.localdate()
    since = registered_since(resident.pk)
    reasons: list[str] = []
    if since is None:
        reasons.append(_("尚无已确认的居住登记"))
    elif (today - since).days < settings.PERMIT_MIN_REGISTERED_DAYS:
        eligible_on = since + timedelta(days=settings.PERMIT_MIN_REGISTERED_DAYS)
        reasons.append(
            _("居住登记满 %(days)d 天后可申领 (预计 %(day)s)")
            % {"days": settings.PERMIT_MIN_REGISTERED_DAYS, "day": f"{eligible_on:%Y-%m-%d}"}
        )
    bases = []
    if resident.employer_id:
        bases.append(ResidencePermit.Basis.JOB.value)
    if not settings.PERMIT_REQUIRES_JOB and Tenancy.objects.active().filter(resident=resident).exists():
        bases.append(ResidencePermit.Basis.HOME.value)
    if not bases:
        reasons.append(_("需有合法稳定就业") if settings.PERMIT_REQUIRES_JOB else _("需有合法稳定就业或住所"))
    if ResidencePermit.objects.filter(resident=resident, status__in=[Status.APPLIED, Status.ISSUED]).exists():
        reasons.append(_("已有待审核或有效的居住证"))
    return Eligibility(eligible=not reasons, registered_since=since, bases=bases, reasons=reasons)


@transaction.atomic
def permit_apply(*, resident: Resident, basis: str = "", today: date | None = None) -> ResidencePermit:
    """Apply for the e-residence permit; refused with the reasons when not eligible."""
    Resident.objects.select_for_update().filter(pk=resident.pk).exists()
    check = permit_eligibility(resident, today=today)
    if not check.eligible:
        raise DomainError(
            _("暂不符合申领条件: %(reasons)s") % {"reasons": "; ".join(check.reasons)}, code="not_eligible"
        )
    basis = basis or check.bases[0]
    if basis not in check.bases:
        raise DomainError(
            _("所选申领条件不成立, 可选: %(bases)s") % {"bases": ", ".join(check.bases)}, code="invalid_basis"
        )
    try:
        with transaction.atomic():
            return ResidencePermit.objects.create(
                resident=resident, basis=basis, applied_at=timezone.now(), registered_since=check.registered_since
            )
    except IntegrityError:
        raise DomainError(_("已有待审核或有效的居住证"), code="already_applied")


@transaction.atomic
def permit_issue(*, permit: ResidencePermit, by: User, today: date | None = None) -> ResidencePermit:
    """Approve an application and issue the permit with its number and validity."""
    today = today or timezone.localdate()
    permit = locked_in_status(permit, Status.APPLIED, _("居住证%(status)s, 只能签发待审核的申请"), code="not_applied")
    permit.status = Status.ISSUED
    permit.reviewed_at = timezone.now()
    permit.reviewed_by = by
    permit.valid_from = today
    permit.valid_until = today + timedelta(days=settings.PERMIT_VALID_DAYS - 1)
    permit.number = f"330105{today:%Y}{permit.pk:08d}"
    permit.save()
    return permit


@transaction.atomic
def permit_reject(*, permit: ResidencePermit, by: User, reason: str) -> ResidencePermit:
    reason = required_reason(reason, _("不予通过时请填写原因"))
    permit = locked_in_status(permit, Status.APPLIED, _("居住证%(status)s, 只能审核待审核的申请"), code="not_applied")
    permit.status = Status.REJECTED
    permit.reject_reason = reason
    permit.reviewed_at = timezone.now()
    permit.reviewed_by = by
    permit.save()
    return permit


@transaction.atomic
def permit_revoke(*, permit: ResidencePermit, by: User, reason: str) -> ResidencePermit:
    reason = required_reason(reason, _("吊销时请填写原因"))
    permit = locked_in_status(permit, Status.ISSUED, _("居住证%(status)s, 只能吊销已签发的居住证"), code="not_issued")
    permit.status = Status.REVOKED
    permit.revoked_at = timezone.now()
    permit.revoke_reason = reason
    permit.save()
    return permit


# --- the QR code ------------------------------------------------------------------------------------


def permit_token(permit: ResidencePermit) -> str:
    """The signed token in the permit's QR code (names the permit, nothing personal)."""
    if not permit.number:
        raise DomainError(_("居住证尚未签发"), code="not_issued")
    return signing.dumps({"n": permit.number}, salt=TOKEN_SALT)


def permit_verify_url(permit: ResidencePermit) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/permits/verify/{permit_token(permit)}"


def permit_qr_svg(permit: ResidencePermit) -> str:
    out = io.BytesIO()
    segno.make(permit_verify_url(permit), error="m").save(out, kind="svg", scale=4, border=2)
    return out.getvalue().decode()


@dataclass
class Verification:
    valid: bool
    status: str
    status_display: str
    name_masked: str
    valid_from: date | None
    valid_until: date | None


def permit_verify(token: str, *, today: date | None = None) -> Verification:
    """What anyone scanning the QR code may learn: masked name, validity and status (revocation shows at once)."""
    today = today or timezone.localdate()
    try:
        payload = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        raise DomainError(_("二维码无效或已被篡改"), code="invalid_token")
    permit = ResidencePermit.objects.select_related("resident").filter(number=payload.get("n")).first()
    if permit is None:
        raise DomainError(_("查无此居住证"), code="not_found", status_code=404)
    valid = permit.is_valid_on(today)
    if permit.status == Status.ISSUED and not valid:
        status, display = "expired", _("已过期")
    else:
        status, display = permit.status, permit.get_status_display()
    return Verification(
        valid=valid,
        status=status,
        status_display=str(display),
        name_masked=mask_name(permit.resident.name),
        valid_from=permit.valid_from,
        valid_until=permit.valid_until,
    )
