"""Hazards (隐患) and their rectification (整改): found → rectified → re-inspected → closed or returned.

Write side: ``hazard_create``, ``hazard_create_from_alarm`` (called by alerts with plain values),
``hazard_rectify``, ``hazard_review``, ``hazard_reassign``, ``escalate_overdue_hazards``.
Read side (used by pages, the API and the cockpit): ``hazards_for``, ``open_hazards``,
``overdue_hazards``, ``escalated_hazards``, ``hazard_counts``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from apartments.inspectors import is_street, kinds_for
from apartments.models import (
    Apartment,
    Enterprise,
    Hazard,
    HazardEvent,
    InspectionKind,
    InspectionResult,
    Rectification,
    Severity,
)
from apartments.photos import photo_add
from apartments.scoping import scope_queryset
from apartments.signals import hazard_changed
from shijiao.errors import DomainError
from shijiao.images import clean_image

# Alarm levels the alerts app may pass, mapped onto hazard severities.
SEVERITY_ALIASES = {
    "critical": Severity.HIGH,
    "fire": Severity.HIGH,
    "major": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "serious": Severity.MEDIUM,
    "minor": Severity.LOW,
    "info": Severity.LOW,
    "general": Severity.LOW,
}

Photo = tuple[bytes, str]  # (content, file name) of an uploaded photo


def deadline_for(severity: str, start: date | None = None) -> date:
    """The rectification deadline of a hazard of ``severity`` found on ``start`` (settings.HAZARD_DEADLINE_DAYS)."""
    start = start or timezone.localdate()
    return start + timedelta(days=settings.HAZARD_DEADLINE_DAYS[severity])


# --- read side --------------------------------------------------------------------------------------


def hazards_for(user: User) -> QuerySet[Hazard]:
    """Hazards ``user`` may see: the street all, a department its kinds, an enterprise its own, others their blocks."""
    qs = Hazard.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if is_street(user):
        return qs
    if user.role == Role.RESIDENT:
        return qs.none()
    if user.role == Role.ENTERPRISE:
        return qs.filter(responsible_enterprise__staff=user).distinct()
    if user.role == Role.INSPECTOR:
        return qs.filter(Q(kind__in=kinds_for(user)) | Q(created_by=user))
    return scope_queryset(qs, user, apartment_path="apartment")


def open_hazards(qs: QuerySet[Hazard] | None = None) -> QuerySet[Hazard]:
    """Hazards not closed yet (waiting for rectification or for re-inspection)."""
    qs = Hazard.objects.all() if qs is None else qs
    return qs.exclude(status=Hazard.Status.CLOSED)


def overdue_hazards(today: date | None = None, qs: QuerySet[Hazard] | None = None) -> QuerySet[Hazard]:
    """Hazards still waiting for rectification after their deadline (see Hazard.is_overdue)."""
    qs = Hazard.objects.all() if qs is None else qs
    return qs.filter(status=Hazard.Status.OPEN, deadline__lt=today or timezone.localdate())


def escalated_hazards(qs: QuerySet[Hazard] | None = None) -> QuerySet[Hazard]:
    """Open hazards that were escalated to the street for being overdue."""
    return open_hazards(qs).filter(escalated_at__isnull=False)


def hazard_counts(qs: QuerySet[Hazard] | None = None, today: date | None = None) -> dict[str, int]:
    """Counts for dashboards: open, waiting for re-inspection, overdue, escalated, closed, and open by severity."""
    qs = Hazard.objects.all() if qs is None else qs
    today = today or timezone.localdate()
    row = qs.aggregate(
        open=Count("pk", filter=~Q(status=Hazard.Status.CLOSED)),
        to_rectify=Count("pk", filter=Q(status=Hazard.Status.OPEN)),  # the 待整改 tab (open counts re-checks too)
        submitted=Count("pk", filter=Q(status=Hazard.Status.SUBMITTED)),
        overdue=Count("pk", filter=Q(status=Hazard.Status.OPEN, deadline__lt=today)),
        escalated=Count("pk", filter=~Q(status=Hazard.Status.CLOSED) & Q(escalated_at__isnull=False)),
        closed=Count("pk", filter=Q(status=Hazard.Status.CLOSED)),
        **{
            f"open_{sev}": Count("pk", filter=~Q(status=Hazard.Status.CLOSED) & Q(severity=sev))
            for sev in Severity.values
        },
    )
    return {key: value or 0 for key, value in row.items()}


def hazards_to_rectify(user: User) -> QuerySet[Hazard]:
    """Open hazards ``user`` answers for (as may_rectify decides, in one query)."""
    qs = Hazard.objects.filter(status=Hazard.Status.OPEN)
    if is_street(user):
        return qs
    if user.role == Role.PROPERTY_MANAGER:
        return qs.filter(responsible_company__managers=user).distinct()
    if user.role == Role.ENTERPRISE:
        return qs.filter(responsible_enterprise__staff=user).distinct()
    if user.role == Role.FIRE_SAFETY_PERSON:
        return qs.filter(apartment__fire_safety_person=user)
    return qs.none()


def hazards_to_review(user: User) -> QuerySet[Hazard]:
    """Rectified hazards waiting for ``user``'s re-inspection (as may_review decides, in one query)."""
    qs = Hazard.objects.filter(status=Hazard.Status.SUBMITTED)
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if is_street(user):
        return qs
    mine = Q(created_by=user)
    if user.role == Role.INSPECTOR:
        return qs.filter(mine | Q(kind__in=kinds_for(user)))
    if user.role == Role.GRID_WORKER:
        theirs = Q(apartment__grid__workers=user) & (
            Q(kind=InspectionKind.PATROL) | ~Q(source=Hazard.Source.INSPECTION)
        )
        return qs.filter(mine | theirs).distinct()
    return qs.filter(mine)


def may_rectify(user: User, hazard: Hazard) -> bool:
    """The responsible party (property managers, enterprise staff), the block's fire-safety person, the street."""
    if is_street(user):
        return True
    if user.role == Role.PROPERTY_MANAGER and hazard.responsible_company_id:
        return hazard.responsible_company.managers.filter(pk=user.pk).exists()
    if user.role == Role.ENTERPRISE and hazard.responsible_enterprise_id:
        return hazard.responsible_enterprise.staff.filter(pk=user.pk).exists()
    if user.role == Role.FIRE_SAFETY_PERSON:
        return hazard.apartment.fire_safety_person_id == user.pk
    return False


def may_review(user: User, hazard: Hazard) -> bool:
    """Who re-inspects: whoever found it, the street, the department of its kind, or the block's grid worker."""
    if not user.is_authenticated or not user.is_active:
        return False
    if is_street(user) or hazard.created_by_id == user.pk:
        return True
    if user.role == Role.INSPECTOR:
        return hazard.kind in kinds_for(user)
    if user.role == Role.GRID_WORKER and (
        hazard.kind == InspectionKind.PATROL or hazard.source != Hazard.Source.INSPECTION
    ):
        return hazard.apartment.grid.workers.filter(pk=user.pk).exists()
    return False


# --- write side -------------------------------------------------------------------------------------


def _event(hazard: Hazard, action: str, actor: User | None, note: str = "") -> HazardEvent:
    event = HazardEvent.objects.create(hazard=hazard, action=action, actor=actor, note=note[:500])
    hazard_id, status = hazard.pk, hazard.status
    transaction.on_commit(
        lambda: hazard_changed.send(sender=Hazard, hazard_id=hazard_id, action=action, status=status), robust=True
    )
    return event


@transaction.atomic
def hazard_create(
    *,
    apartment: Apartment,
    kind: str,
    title: str,
    description: str = "",
    severity: str = Severity.LOW,
    created_by: User | None,
    source: str = Hazard.Source.REPORT,
    source_ref: str = "",
    inspection=None,
    result: InspectionResult | None = None,
    deadline: date | None = None,
    responsible_enterprise: Enterprise | None = None,
) -> Hazard:
    """Record a hazard; the block's property company answers for it unless an enterprise is named."""
    title = (title or "").strip()
    if not title:
        raise DomainError(_("请填写隐患内容"), code="no_title")
    if severity not in Severity.values:
        raise DomainError(_("隐患等级不正确"), code="bad_severity")
    if kind not in InspectionKind.values:
        raise DomainError(_("未知的检查类型"), code="bad_kind")
    hazard = Hazard.objects.create(
        apartment=apartment,
        kind=kind,
        title=title[:255],
        description=description or "",
        severity=severity,
        source=source,
        source_ref=source_ref[:64],
        inspection=inspection,
        result=result,
        responsible_company=apartment.property_company,
        responsible_enterprise=responsible_enterprise,
        deadline=deadline or deadline_for(severity),
        created_by=created_by,
    )
    _event(hazard, HazardEvent.Action.CREATED, created_by, description)
    return hazard


def hazard_create_from_alarm(
    *,
    apartment: Apartment,
    title: str,
    description: str,
    severity: str,
    source_ref: str,
    created_by: User | None,
    kind: str = InspectionKind.FIRE,
) -> Hazard:
    """A closed alarm that was a real hazard becomes one (called by alerts with plain values).

    ``severity`` is "low" / "medium" / "high" or an alarm level ("info", "warning", "critical");
    calling twice with the same ``source_ref`` (e.g. "alarm:42") returns the first hazard.
    """
    severity = SEVERITY_ALIASES.get(severity, severity)
    with transaction.atomic():
        existing = Hazard.objects.filter(source=Hazard.Source.ALARM, source_ref=source_ref).first()
        if existing is not None:
            return existing
        return hazard_create(
            apartment=apartment,
            kind=kind,
            title=title,
            description=description,
            severity=severity,
            created_by=created_by,
            source=Hazard.Source.ALARM,
            source_ref=source_ref,
        )


def _clean_photos(photos: Sequence[Photo]) -> None:
    # Refuse the whole submission before anything is written if one photo is bad.
    for data, name in photos:
        clean_image(data, name=name)


@transaction.atomic
def hazard_rectify(*, hazard: Hazard, by: User, description: str, photos: Sequence[Photo] = ()) -> Rectification:
    """The responsible party reports what was done; the hazard waits for re-inspection."""
    hazard = Hazard.objects.select_for_update().get(pk=hazard.pk)
    if not may_rectify(by, hazard):
        raise PermissionDenied(_("只有责任方可以提交整改"))
    if hazard.status != Hazard.Status.OPEN:
        raise DomainError(
            _("该隐患当前状态为「%(status)s」, 不能提交整改") % {"status": hazard.get_status_display()},
            code="bad_status",
        )
    description = (description or "").strip()
    if not description:
        raise DomainError(_("请填写整改情况"), code="no_description")
    _clean_photos(photos)
    rectification = Rectification.objects.create(hazard=hazard, description=description, submitted_by=by)
    for data, name in photos:
        photo_add(data=data, name=name, by=by, hazard=hazard, rectification=rectification)
    hazard.status = Hazard.Status.SUBMITTED
    hazard.save(update_fields=["status"])
    _event(hazard, HazardEvent.Action.RECTIFIED, by, description)
    return rectification


@transaction.atomic
def hazard_review(
    *, hazard: Hazard, by: User, accept: bool, note: str = "", new_deadline: date | None = None
) -> Hazard:
    """Re-inspection: close the hazard, or return it to the responsible party (a reason is required)."""
    hazard = Hazard.objects.select_for_update().get(pk=hazard.pk)
    if not may_review(by, hazard):
        raise PermissionDenied(_("您无权复查该隐患"))
    if hazard.status != Hazard.Status.SUBMITTED:
        raise DomainError(_("该隐患还没有提交整改, 不能复查"), code="bad_status")
    note = (note or "").strip()
    if not accept and not note:
        raise DomainError(_("退回时请写明原因"), code="no_reason")
    today = timezone.localdate()
    if new_deadline is not None and new_deadline < today:
        raise DomainError(_("新的整改期限不能早于今天"), code="bad_deadline")
    now = timezone.now()
    rectification = hazard.rectifications.filter(verdict="").order_by("-submitted_at").first()
    if rectification is not None:
        rectification.verdict = Rectification.Verdict.ACCEPTED if accept else Rectification.Verdict.RETURNED
        rectification.review_note = note[:500]
        rectification.reviewed_by = by
        rectification.reviewed_at = now
        rectification.save()
    if accept:
        hazard.status = Hazard.Status.CLOSED
        hazard.closed_at = now
        hazard.closed_by = by
        action = HazardEvent.Action.CLOSED
    else:
        hazard.status = Hazard.Status.OPEN
        hazard.times_returned += 1
        if new_deadline is not None:
            hazard.deadline = new_deadline
        action = HazardEvent.Action.RETURNED
    hazard.save()
    _event(hazard, action, by, note)
    return hazard


@transaction.atomic
def hazard_reassign(*, hazard: Hazard, by: User, enterprise: Enterprise | None) -> Hazard:
    """Make an enterprise (or, with None, the block's property company again) answer for the hazard."""
    hazard = Hazard.objects.select_for_update().get(pk=hazard.pk)
    if not may_review(by, hazard):
        raise PermissionDenied(_("您无权变更责任方"))
    if hazard.status == Hazard.Status.CLOSED:
        raise DomainError(_("隐患已销号"), code="bad_status")
    hazard.responsible_enterprise = enterprise
    hazard.save(update_fields=["responsible_enterprise"])
    _event(hazard, HazardEvent.Action.REASSIGNED, by, str(enterprise or hazard.responsible_company or ""))
    return hazard


def escalate_overdue_hazards(*, today: date | None = None) -> list[int]:
    """Escalate to the street every overdue hazard not escalated yet; returns their ids. Safe to rerun."""
    today = today or timezone.localdate()
    escalated = []
    with transaction.atomic():
        due = overdue_hazards(today).filter(escalated_at__isnull=True).select_for_update(skip_locked=True)
        now = timezone.now()
        for hazard in due:
            hazard.escalated_at = now
            hazard.save(update_fields=["escalated_at"])
            days = (today - hazard.deadline).days
            _event(hazard, HazardEvent.Action.ESCALATED, None, _("已逾期 %(days)d 天") % {"days": days})
            escalated.append(hazard.pk)
    return escalated
