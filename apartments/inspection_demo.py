"""Demo inspections: three weeks of patrols, fire, police, health and garbage checks across Shiqiao, with hazards at
every stage."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Department, Role, User
from apartments.checklists import install_default_checklists
from apartments.hazards import deadline_for
from apartments.models import (
    Apartment,
    ChecklistTemplate,
    Hazard,
    HazardEvent,
    Inspection,
    InspectionKind,
    InspectionResult,
    Outcome,
    Rectification,
)

DAYS = 21
NOTES = {
    "high": ["楼道内停放电动车并拉线充电", "安全出口被杂物堵塞", "窗外飞线给电瓶充电", "防火门被木楔卡住常开"],
    "medium": ["灭火器压力不足", "应急灯不亮", "消火栓箱被遮挡", "监控摄像头离线"],
    "low": ["住户名单未更新", "垃圾桶满溢", "宣传栏内容过期", "楼道有少量纸箱"],
}


def _at(day: date, rng: random.Random) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59))))


@transaction.atomic
def seed(rng: random.Random, today: date, progress=lambda _m: None, history_days: int = 2) -> None:
    install_default_checklists()
    templates = {
        t.kind: (t, list(t.items.filter(is_active=True))) for t in ChecklistTemplate.objects.filter(is_active=True)
    }
    fire_inspector = User.objects.filter(role=Role.INSPECTOR, department=Department.FIRE).first()
    street = User.objects.filter(role=Role.STREET_ADMIN, is_superuser=False).first()

    def inspector_of(department: str) -> User | None:
        return User.objects.filter(role=Role.INSPECTOR, department=department).first()

    department_checks = [
        (InspectionKind.POLICE, inspector_of(Department.POLICE), 0.6),
        (InspectionKind.HEALTH, inspector_of(Department.HEALTH), 0.5),
        (InspectionKind.GARBAGE, inspector_of(Department.URBAN), 0.7),
    ]
    blocks = list(Apartment.objects.select_related("grid", "property_company").order_by("code"))
    workers = {b.pk: b.grid.workers.first() for b in blocks}

    plans: list[tuple[Apartment, str, User, datetime]] = []
    for block in blocks:
        for back in range(max(DAYS, history_days), 0, -1):  # yesterday and before; today is left for the demo user
            if workers[block.pk] and rng.random() < 0.88:
                plans.append((block, InspectionKind.PATROL, workers[block.pk], _at(today - timedelta(days=back), rng)))
        if fire_inspector and rng.random() < 0.8:
            day = today - timedelta(days=rng.randint(1, max(28, history_days)))
            plans.append((block, InspectionKind.FIRE, fire_inspector, _at(day, rng)))
        # The departments' own checks (治安, 卫生防疫, 垃圾分类) that the cockpit's key-work panels count.
        for kind, inspector, share in department_checks:
            if inspector and rng.random() < share:
                day = today - timedelta(days=rng.randint(1, 28))
                plans.append((block, kind, inspector, _at(day, rng)))

    inspections = Inspection.objects.bulk_create(
        Inspection(
            apartment=block,
            template=templates[kind][0],
            kind=kind,
            inspector=who,
            status=Inspection.Status.SIGNED,
            signed_at=when,
            signed_name=who.display_name,
            latitude=block.latitude,
            longitude=block.longitude,
            position_accuracy_m=rng.randint(5, 30),
        )
        for block, kind, who, when in plans
    )
    results, failures = [], []
    for inspection, (_block, kind, _who, when) in zip(inspections, plans, strict=True):
        for item in templates[kind][1]:
            roll = rng.random()
            outcome = Outcome.FAIL if roll < 0.025 else Outcome.NOT_APPLICABLE if roll < 0.06 else Outcome.PASS
            note = rng.choice(NOTES[item.severity]) if outcome == Outcome.FAIL else ""
            result = InspectionResult(
                inspection=inspection,
                item=item,
                order=item.order,
                text=item.text,
                outcome=outcome,
                note=note,
                severity=item.severity,
            )
            results.append(result)
            if outcome == Outcome.FAIL:
                failures.append((inspection, result, when))
    InspectionResult.objects.bulk_create(results, batch_size=2000)
    # auto_now_add stamped "now"; the demo's inspections started some minutes before they were signed.
    Inspection.objects.filter(pk__in=[i.pk for i in inspections]).update(
        started_at=F("signed_at") - timedelta(minutes=18)
    )

    hazards, stages = [], []
    for inspection, result, when in failures:
        found = timezone.localdate(when)
        deadline = deadline_for(result.severity, found)
        # Older hazards are mostly closed; recent ones open, waiting, or (past deadline) escalated.
        if deadline < today - timedelta(days=2):
            stage = "closed" if rng.random() < 0.85 else "overdue"
        else:
            stage = rng.choice(["open", "open", "submitted", "closed"])
        hazard = Hazard(
            apartment=inspection.apartment,
            kind=inspection.kind,
            title=f"不合格: {result.text}",
            description=result.note,
            severity=result.severity,
            status={"closed": Hazard.Status.CLOSED, "submitted": Hazard.Status.SUBMITTED}.get(
                stage, Hazard.Status.OPEN
            ),
            source=Hazard.Source.INSPECTION,
            source_ref=f"inspection:{inspection.pk}",
            inspection=inspection,
            result=result,
            responsible_company=inspection.apartment.property_company,
            deadline=deadline,
            created_by=inspection.inspector,
        )
        if stage == "closed":
            hazard.closed_at = min(when + timedelta(days=rng.randint(0, 3), hours=3), timezone.now())
            hazard.closed_by = inspection.inspector
        if stage == "overdue":
            hazard.escalated_at = timezone.make_aware(datetime.combine(deadline + timedelta(days=1), time(0, 15)))
        hazards.append(hazard)
        stages.append((stage, when))
    Hazard.objects.bulk_create(hazards)
    for hazard, (_stage, when) in zip(hazards, stages, strict=True):
        hazard.created_at = when
    Hazard.objects.bulk_update(hazards, ["created_at"], batch_size=500)
    events: list[tuple[HazardEvent, datetime]] = []
    rectifications = []
    for hazard, (stage, when) in zip(hazards, stages, strict=True):
        events.append((HazardEvent(hazard=hazard, action="created", actor=hazard.created_by), when))
        if stage in ("submitted", "closed"):
            manager = hazard.responsible_company.managers.first() if hazard.responsible_company else None
            rectifications.append(
                Rectification(
                    hazard=hazard,
                    description="已按要求整改完毕",
                    submitted_by=manager or street,
                    verdict=Rectification.Verdict.ACCEPTED if stage == "closed" else "",
                    reviewed_by=hazard.closed_by,
                    reviewed_at=hazard.closed_at,
                    review_note="复查合格" if stage == "closed" else "",
                )
            )
            done = min(when + timedelta(hours=20), hazard.closed_at or timezone.now())
            events.append(
                (HazardEvent(hazard=hazard, action="rectified", actor=manager, note="已按要求整改完毕"), done)
            )
        if stage == "closed":
            events.append((HazardEvent(hazard=hazard, action="closed", actor=hazard.closed_by), hazard.closed_at))
        if stage == "overdue":
            events.append((HazardEvent(hazard=hazard, action="escalated", note="逾期上报街道"), hazard.escalated_at))
    Rectification.objects.bulk_create([r for r in rectifications if r.submitted_by is not None])
    created = HazardEvent.objects.bulk_create([event for event, _at in events])
    for event, (_event, at) in zip(created, events, strict=True):
        event.at = at  # auto_now_add stamped "now"
    HazardEvent.objects.bulk_update(created, ["at"], batch_size=1000)
