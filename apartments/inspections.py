"""Inspections: who may inspect what, starting one, answering the checklist, photos, signing off.

Grid workers do the daily patrol of their grid's blocks; a department's inspectors do their
own kinds of check anywhere in the district; the street may do any. Signing off turns every
failed item into a hazard (apartments.hazards) with the deadline its severity sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from apartments.hazards import hazard_create
from apartments.inspectors import is_street, kinds_for
from apartments.models import (
    Apartment,
    ChecklistTemplate,
    Hazard,
    Inspection,
    InspectionKind,
    InspectionPhoto,
    InspectionResult,
    Outcome,
    Severity,
)
from apartments.photos import photo_add
from apartments.scoping import apartments_for, scope_queryset
from shijiao.errors import DomainError


def may_inspect(user: User, apartment: Apartment, kind: str) -> bool:
    return kind in kinds_for(user) and apartments_for(user).filter(pk=apartment.pk).exists()


def inspections_for(user: User) -> QuerySet[Inspection]:
    """Inspections ``user`` may see: the street all, a department its kinds, others their blocks."""
    qs = Inspection.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if is_street(user):
        return qs
    if user.role in (Role.RESIDENT, Role.ENTERPRISE):
        return qs.none()
    if user.role == Role.INSPECTOR:
        return qs.filter(kind__in=kinds_for(user)) | qs.filter(inspector=user)
    return scope_queryset(qs, user, apartment_path="apartment")


def current_template(kind: str) -> ChecklistTemplate:
    template = (
        ChecklistTemplate.objects.filter(kind=kind, is_active=True, items__is_active=True).order_by("-id").first()
    )
    if template is None:
        raise DomainError(_("该检查类型还没有启用的检查表, 请街道管理员在后台添加"), code="no_checklist")
    return template


@dataclass(frozen=True)
class Position:
    """Where the phone said it was when the inspector started or signed."""

    latitude: Decimal
    longitude: Decimal
    accuracy_m: int | None = None

    @classmethod
    def parse(cls, latitude: Any, longitude: Any, accuracy: Any = None) -> Position | None:
        """A position from form or JSON values; None when absent, DomainError when nonsense."""
        if latitude in (None, "") or longitude in (None, ""):
            return None
        try:
            lat = Decimal(str(latitude)).quantize(Decimal("0.000001"))
            lon = Decimal(str(longitude)).quantize(Decimal("0.000001"))
            acc = int(float(accuracy)) if accuracy not in (None, "") else None
        except (InvalidOperation, ValueError, TypeError):
            raise DomainError(_("定位数据格式不正确"), code="bad_position")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (acc is not None and acc < 0):
            raise DomainError(_("定位数据超出范围"), code="bad_position")
        return cls(lat, lon, acc)


def _set_position(inspection: Inspection, position: Position | None) -> None:
    if position is not None:
        inspection.latitude = position.latitude
        inspection.longitude = position.longitude
        inspection.position_accuracy_m = position.accuracy_m


@transaction.atomic
def inspection_start(
    *, apartment: Apartment, kind: str, inspector: User, position: Position | None = None
) -> Inspection:
    """Start (or resume the unfinished) inspection of ``kind`` of ``apartment`` by ``inspector``."""
    if kind not in InspectionKind.values:
        raise DomainError(_("未知的检查类型"), code="bad_kind")
    if not may_inspect(inspector, apartment, kind):
        raise PermissionDenied(_("您无权对该公寓开展此类检查"))
    unfinished = Inspection.objects.filter(
        apartment=apartment, kind=kind, inspector=inspector, status=Inspection.Status.IN_PROGRESS
    ).first()
    if unfinished is not None:
        return unfinished
    template = current_template(kind)
    inspection = Inspection(apartment=apartment, template=template, kind=kind, inspector=inspector)
    _set_position(inspection, position)
    inspection.save()
    InspectionResult.objects.bulk_create(
        InspectionResult(inspection=inspection, item=item, order=item.order, text=item.text, severity=item.severity)
        for item in template.items.filter(is_active=True).order_by("order", "id")
    )
    return inspection


def _check_editable(inspection: Inspection, by: User) -> None:
    if inspection.inspector_id != by.pk:
        raise PermissionDenied(_("只有检查人本人可以填写这份检查"))
    if inspection.is_signed:
        raise DomainError(_("这份检查已签字提交, 不能再修改"), code="already_signed")


@dataclass(frozen=True)
class Answer:
    outcome: str  # "pass" / "fail" / "na" / "" (not answered yet)
    note: str = ""
    severity: str | None = None


@transaction.atomic
def inspection_answer(*, inspection: Inspection, by: User, answers: Mapping[int, Answer]) -> list[InspectionResult]:
    """Save answers keyed by InspectionResult id; unknown ids and bad values are refused as a whole."""
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    _check_editable(inspection, by)
    results = {r.pk: r for r in inspection.results.all()}
    changed = []
    for result_id, answer in answers.items():
        result = results.get(int(result_id))
        if result is None:
            raise DomainError(_("检查项不属于这份检查"), code="bad_item")
        if answer.outcome not in ("", *Outcome.values):
            raise DomainError(_("检查结果只能是合格、不合格或不适用"), code="bad_outcome")
        if answer.severity is not None and answer.severity not in Severity.values:
            raise DomainError(_("隐患等级不正确"), code="bad_severity")
        note = (answer.note or "").strip()
        if len(note) > 500:
            raise DomainError(_("情况说明最多 500 字"), code="note_too_long")
        result.outcome = answer.outcome
        result.note = note
        if answer.severity:
            result.severity = answer.severity
        changed.append(result)
    InspectionResult.objects.bulk_update(changed, ["outcome", "note", "severity"])
    return changed


def inspection_add_photo(
    *, inspection: Inspection, by: User, data: bytes, name: str, result: InspectionResult | None = None
) -> InspectionPhoto:
    _check_editable(inspection, by)
    if result is not None and result.inspection_id != inspection.pk:
        raise DomainError(_("检查项不属于这份检查"), code="bad_item")
    return photo_add(data=data, name=name, by=by, inspection=inspection, result=result)


def sign_off_problems(inspection: Inspection) -> list[str]:
    """What still stops ``inspection`` from being signed, in words the inspector understands."""
    problems = []
    results = list(inspection.results.all().prefetch_related("photos"))
    missing = [r for r in results if not r.outcome]
    if missing:
        problems.append(
            _("还有 %(n)d 项未填写: %(items)s") % {"n": len(missing), "items": "、".join(r.text for r in missing[:3])}
        )
    for r in results:
        if r.outcome == Outcome.FAIL and not r.note and not r.photos.all():
            problems.append(_("不合格项「%(item)s」请填写情况说明或拍照") % {"item": r.text})
    return problems


@transaction.atomic
def inspection_sign(
    *, inspection: Inspection, by: User, summary: str = "", position: Position | None = None
) -> list[Hazard]:
    """Sign the inspection off; every failed item becomes a hazard. Returns the new hazards."""
    inspection = Inspection.objects.select_for_update().select_related("apartment").get(pk=inspection.pk)
    _check_editable(inspection, by)
    problems = sign_off_problems(inspection)
    if problems:
        raise DomainError(problems[0], code="incomplete")
    inspection.status = Inspection.Status.SIGNED
    inspection.signed_at = timezone.now()
    inspection.signed_name = by.display_name or by.username
    inspection.summary = summary.strip()[:2000]
    _set_position(inspection, position)
    inspection.save()
    hazards = []
    for result in inspection.results.filter(outcome=Outcome.FAIL).order_by("order", "id"):
        hazard = hazard_create(
            apartment=inspection.apartment,
            kind=inspection.kind,
            title=_("不合格: %(item)s") % {"item": result.text},
            description=result.note,
            severity=result.severity,
            created_by=by,
            source=Hazard.Source.INSPECTION,
            source_ref=f"inspection:{inspection.pk}",
            inspection=inspection,
            result=result,
        )
        result.photos.update(hazard=hazard)
        hazards.append(hazard)
    return hazards


@transaction.atomic
def inspection_discard(*, inspection: Inspection, by: User) -> None:
    """Throw away an unsigned inspection (started by mistake)."""
    _check_editable(inspection, by)
    for photo in InspectionPhoto.objects.filter(inspection=inspection):
        photo.image.delete(save=False)
        photo.thumbnail.delete(save=False)
    inspection.delete()
