"""Residence registration (居住登记): submit, confirm or return, deregister at check-out, deadlines.

Deadlines are settings: REGISTRATION_DEADLINE_DAYS after arrival (calendar days) and
DEREGISTRATION_DEADLINE_WORKING_DAYS after check-out (working days: weekends and RESIDENTS_HOLIDAYS
excluded, RESIDENTS_EXTRA_WORKING_DAYS included).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from residents.models import ResidenceRegistration, Tenancy
from residents.reviews import locked_in_status, required_reason
from shijiao.errors import DomainError

Status = ResidenceRegistration.Status


def is_working_day(day: date) -> bool:
    iso = day.isoformat()
    if iso in settings.RESIDENTS_EXTRA_WORKING_DAYS:
        return True
    return day.weekday() < 5 and iso not in settings.RESIDENTS_HOLIDAYS


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start``."""
    day = start
    left = days
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


@transaction.atomic
def registration_submit(*, tenancy: Tenancy, by: User, purpose: str = "work") -> ResidenceRegistration:
    """Submit (or resubmit after a return) the residence registration of an active tenancy."""
    tenancy = Tenancy.objects.select_for_update().get(pk=tenancy.pk)
    if tenancy.check_out is not None:
        raise DomainError(_("该入住记录已退房, 无需登记"), code="tenancy_ended")
    if purpose not in ResidenceRegistration.Purpose.values:
        raise DomainError(_("居住事由无效"), code="invalid_purpose")
    now = timezone.now()
    registration = ResidenceRegistration.objects.filter(tenancy=tenancy).first()
    if registration is None:
        return ResidenceRegistration.objects.create(
            resident=tenancy.resident,
            tenancy=tenancy,
            purpose=purpose,
            status=Status.SUBMITTED,
            resides_since=tenancy.check_in,
            submitted_at=now,
            submitted_by=by,
        )
    if registration.status != Status.RETURNED:
        raise DomainError(
            _("居住登记%(status)s, 不能重复提交") % {"status": registration.get_status_display()},
            code="already_submitted",
        )
    registration.status = Status.SUBMITTED
    registration.purpose = purpose
    registration.submitted_at = now
    registration.submitted_by = by
    registration.return_reason = ""
    registration.save()
    return registration


@transaction.atomic
def registration_confirm(*, registration: ResidenceRegistration, by: User) -> ResidenceRegistration:
    """The block's manager or the police station confirms a submitted registration."""
    registration = locked_in_status(
        registration, Status.SUBMITTED, _("居住登记%(status)s, 只能确认待确认的登记"), code="not_submitted"
    )
    registration.status = Status.CONFIRMED
    registration.confirmed_at = registration.reviewed_at = timezone.now()
    registration.reviewed_by = by
    registration.save()
    return registration


@transaction.atomic
def registration_return(*, registration: ResidenceRegistration, by: User, reason: str) -> ResidenceRegistration:
    """Send a submitted registration back to the resident with a reason they can act on."""
    reason = required_reason(reason, _("退回时请填写原因"))
    registration = locked_in_status(
        registration, Status.SUBMITTED, _("居住登记%(status)s, 只能退回待确认的登记"), code="not_submitted"
    )
    registration.status = Status.RETURNED
    registration.return_reason = reason
    registration.reviewed_at = timezone.now()
    registration.reviewed_by = by
    registration.save()
    return registration


def registration_end_for_check_out(*, tenancy: Tenancy, by: User | None) -> ResidenceRegistration | None:
    """Check-out ends the registration: a confirmed one waits for its deregistration report, others just end."""
    registration = ResidenceRegistration.objects.select_for_update().filter(tenancy=tenancy).first()
    if registration is None or registration.status in (Status.DEREGISTERING, Status.ENDED):
        return registration
    if registration.status == Status.CONFIRMED:
        registration.status = Status.DEREGISTERING
        registration.deregistration_due = add_working_days(
            tenancy.check_out, settings.DEREGISTRATION_DEADLINE_WORKING_DAYS
        )
    else:
        registration.status = Status.ENDED
        registration.deregistered_at = timezone.now()
        registration.deregistered_by = by
    registration.save()
    return registration


@transaction.atomic
def deregistration_confirm(*, registration: ResidenceRegistration, by: User) -> ResidenceRegistration:
    """The manager or the police confirm that the departure was reported: the registration is ended."""
    registration = locked_in_status(
        registration, Status.DEREGISTERING, _("居住登记%(status)s, 无需注销"), code="not_deregistering"
    )
    registration.status = Status.ENDED
    registration.deregistered_at = timezone.now()
    registration.deregistered_by = by
    registration.save()
    return registration


# --- read side --------------------------------------------------------------------------------------


def _registered() -> Exists:
    return Exists(
        ResidenceRegistration.objects.filter(tenancy=OuterRef("pk"), status__in=[Status.SUBMITTED, Status.CONFIRMED])
    )


def unregistered_tenancies(tenancies: QuerySet[Tenancy]) -> QuerySet[Tenancy]:
    """Active tenancies with no submitted or confirmed registration (none yet, or returned)."""
    return tenancies.active().annotate(registered=_registered()).filter(registered=False)


def overdue_registrations(tenancies: QuerySet[Tenancy], *, today: date | None = None) -> QuerySet[Tenancy]:
    """Active tenancies past their registration deadline without a registration, oldest arrival first."""
    today = today or timezone.localdate()
    last_on_time_arrival = today - timedelta(days=settings.REGISTRATION_DEADLINE_DAYS)
    return (
        unregistered_tenancies(tenancies)
        .filter(check_in__lt=last_on_time_arrival)
        .select_related("resident", "room__apartment", "registration")
        .order_by("check_in")
    )


def overdue_deregistrations(
    registrations: QuerySet[ResidenceRegistration], *, today: date | None = None
) -> QuerySet[ResidenceRegistration]:
    """Check-outs whose deregistration was not confirmed by its deadline."""
    today = today or timezone.localdate()
    return (
        registrations.filter(status=Status.DEREGISTERING, deregistration_due__lt=today)
        .select_related("resident", "tenancy__room__apartment")
        .order_by("deregistration_due")
    )


def registration_state(tenancy: Tenancy, *, today: date | None = None) -> str:
    """``registered`` / ``missing`` (still within the deadline) / ``overdue`` for an active tenancy."""
    today = today or timezone.localdate()
    registration = getattr(tenancy, "registration", None) if _has_registration(tenancy) else None
    if registration is not None and registration.is_registered:
        return "registered"
    return "overdue" if today > tenancy.registration_due else "missing"


def _has_registration(tenancy: Tenancy) -> bool:
    try:
        tenancy.registration  # noqa: B018 - reverse one-to-one raises when absent
    except ResidenceRegistration.DoesNotExist:
        return False
    return True


def registered_since(resident_id: int) -> date | None:
    """First day of the resident's unbroken registered residence (confirmed registrations ≤ 30 days apart)."""
    spans = list(
        ResidenceRegistration.objects.filter(resident_id=resident_id, confirmed_at__isnull=False)
        .values_list("resides_since", "tenancy__check_out", "status")
        .order_by("-resides_since")
    )
    if not spans or spans[0][2] != Status.CONFIRMED:
        return None
    since = spans[0][0]
    for start, end, _status in spans[1:]:
        if end is None or (since - end).days > 30:
            break
        since = min(since, start)
    return since
