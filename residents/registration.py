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

from accounts.models import Department, Role, User
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
    _notify_resident(
        registration,
        "confirmed",
        _("居住登记已确认"),
        _("%(room)s 的居住登记已确认") % {"room": registration.tenancy.room},
        _("登记满 6 个月可申领电子居住证"),
    )
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
    _notify_resident(
        registration,
        "returned",
        _("居住登记被退回"),
        registration.return_reason,
        _("请修改后在小程序重新提交 (期限 %(day)s)") % {"day": f"{registration.tenancy.registration_due:%Y-%m-%d}"},
    )
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
        registration.save()
        _notify_resident(
            registration,
            "deregistering",
            _("已退房, 注销已自动申报"),
            _("%(room)s 已退房, 居住登记注销已提交派出所") % {"room": tenancy.room},
            _("无需再办理; 派出所确认后注销完成"),
        )
        return registration
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


# --- notices and reminders (人来不登记、人走不注销) ---------------------------------------------------


def _resident_users(registration: ResidenceRegistration) -> list[User]:
    user = registration.resident.user
    return [user] if user is not None and user.is_active else []


def notify_police_of_submission(registration: ResidenceRegistration) -> None:
    """A registration waits for the police station: its officers find it in their inbox."""
    from residents import notices

    police = list(User.objects.filter(role=Role.INSPECTOR, department=Department.POLICE, is_active=True))
    apartment = registration.tenancy.room.apartment
    notices.notice_send(
        recipients=police,
        key=f"registration:{registration.pk}:submitted:{registration.submitted_at:%Y%m%d%H%M%S}",
        kind="registration_submitted",
        title=_("居住登记待确认"),
        text=_("%(name)s · %(room)s") % {"name": registration.resident.name_masked, "room": registration.tenancy.room},
        next_step=_("请核对后确认或退回"),
        link=f"/admin/residents/residenceregistration/{registration.pk}/change/",
        apartment=apartment,
    )


def _notify_resident(registration: ResidenceRegistration, event: str, title: str, text: str, next_step: str) -> None:
    from residents import notices

    stamp = f"{timezone.now():%Y%m%d%H%M%S%f}"
    notices.notice_send(
        recipients=_resident_users(registration),
        key=f"registration:{registration.pk}:{event}:{stamp}",
        kind=f"registration_{event}",
        title=title,
        text=text,
        next_step=next_step,
        apartment=registration.tenancy.room.apartment,
    )


def registration_remind(*, today: date | None = None) -> dict[str, int]:
    """Reminders for confirmed tenancies still without a registration: the resident before the deadline, the
    block's property staff when it passed, the grid worker REGISTRATION_GRID_AFTER_DAYS later. Each once."""
    from residents import notices

    today = today or timezone.localdate()
    sent = {"resident": 0, "property": 0, "grid": 0}
    for tenancy in unregistered_tenancies(Tenancy.objects.all()).select_related("resident__user", "room__apartment"):
        due = tenancy.registration_due
        resident = tenancy.resident
        block = tenancy.room.apartment
        days_left = (due - today).days
        if 0 <= days_left <= settings.REGISTRATION_REMIND_DAYS_BEFORE and resident.user_id:
            sent["resident"] += len(
                notices.notice_send(
                    recipients=[resident.user],
                    key=f"reg-remind:{tenancy.pk}:resident",
                    kind="registration_due",
                    title=_("居住登记即将到期"),
                    text=_("请于 %(day)s 前办理居住登记") % {"day": f"{due:%Y-%m-%d}"},
                    next_step=_("在小程序提交居住登记"),
                    apartment=block,
                )
            )
        if days_left < 0:
            sent["property"] += len(
                notices.notice_send(
                    recipients=notices.property_staff(block),
                    key=f"reg-remind:{tenancy.pk}:property",
                    kind="registration_overdue",
                    title=_("住户逾期未登记"),
                    text=_("%(name)s · %(room)s 应于 %(day)s 前办理居住登记")
                    % {"name": resident.name_masked, "room": tenancy.room, "day": f"{due:%Y-%m-%d}"},
                    next_step=_("请督促住户或代为提交"),
                    link="/admin/residents/tenancy/?registration=overdue",
                    apartment=block,
                )
            )
        if days_left < -settings.REGISTRATION_GRID_AFTER_DAYS:
            sent["grid"] += len(
                notices.notice_send(
                    recipients=notices.grid_workers(block),
                    key=f"reg-remind:{tenancy.pk}:grid",
                    kind="registration_overdue",
                    title=_("住户逾期未登记 (物业未处理)"),
                    text=_("%(name)s · %(room)s 应于 %(day)s 前办理居住登记")
                    % {"name": resident.name_masked, "room": tenancy.room, "day": f"{due:%Y-%m-%d}"},
                    next_step=_("请上门核查"),
                    apartment=block,
                )
            )
    return sent
