"""Plans and coverage: which blocks miss their daily patrol or monthly fire check."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from apartments.coverage import coverage_summary, missing_patrols, tasks_for
from apartments.models import Inspection, InspectionKind, InspectionPlan

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 5, 20).date()


def signed(apartment, kind, inspector, day, hour=10):
    inspection = Inspection.objects.create(
        apartment=apartment,
        template_id=_template(kind),
        kind=kind,
        inspector=inspector,
        status=Inspection.Status.SIGNED,
        signed_at=timezone.make_aware(datetime(day.year, day.month, day.day, hour)),
    )
    return inspection


def _template(kind):
    from apartments.models import ChecklistTemplate

    return ChecklistTemplate.objects.filter(kind=kind).values_list("pk", flat=True).first()


def gaps(day, **kwargs):
    return {(g.apartment.name, g.kind) for g in missing_patrols(day, **kwargs)}


def test_every_block_needs_a_daily_patrol_and_a_monthly_fire_check(district, checklists):
    assert gaps(DAY) == {
        ("新华工业园6号公寓", "patrol"),
        ("新华工业园6号公寓", "fire"),
        ("华丰工业园9号公寓", "patrol"),
        ("华丰工业园9号公寓", "fire"),
    }


def test_a_patrol_counts_for_its_day_only_and_a_fire_check_for_thirty_days(district, checklists):
    worker, fire = district.users[Role.GRID_WORKER], district.users[Role.INSPECTOR]
    signed(district.mine, InspectionKind.PATROL, worker, DAY, hour=23)  # late evening, Shanghai time
    signed(district.mine, InspectionKind.FIRE, fire, DAY - timedelta(days=29))
    assert ("新华工业园6号公寓", "patrol") not in gaps(DAY)
    assert ("新华工业园6号公寓", "fire") not in gaps(DAY)
    tomorrow = DAY + timedelta(days=1)
    assert ("新华工业园6号公寓", "patrol") in gaps(tomorrow)
    assert ("新华工业园6号公寓", "fire") in gaps(tomorrow)  # 30 days since the last fire check
    assert ("新华工业园6号公寓", "patrol") in gaps(DAY - timedelta(days=1))


def test_unsigned_inspections_do_not_count(district, checklists):
    Inspection.objects.create(
        apartment=district.mine,
        template_id=_template("patrol"),
        kind="patrol",
        inspector=district.users[Role.GRID_WORKER],
    )
    assert ("新华工业园6号公寓", "patrol") in gaps(timezone.localdate())


def test_plans_override_the_defaults_per_district_and_per_block(district, checklists):
    InspectionPlan.objects.create(kind=InspectionKind.GARBAGE, frequency_days=7)
    InspectionPlan.objects.create(
        kind=InspectionKind.PATROL, apartment=district.other, frequency_days=1, is_active=False
    )
    InspectionPlan.objects.create(kind=InspectionKind.FIRE, apartment=district.mine, frequency_days=7)
    missing = {(g.apartment.name, g.kind): g.frequency_days for g in missing_patrols(DAY)}
    assert missing == {
        ("新华工业园6号公寓", "patrol"): 1,
        ("新华工业园6号公寓", "fire"): 7,
        ("新华工业园6号公寓", "garbage"): 7,
        ("华丰工业园9号公寓", "fire"): 30,
        ("华丰工业园9号公寓", "garbage"): 7,
    }


def test_inactive_blocks_need_no_inspection(district, checklists):
    district.other.is_active = False
    district.other.save()
    assert {name for name, _ in gaps(DAY)} == {"新华工业园6号公寓"}


def test_my_tasks_are_my_kinds_in_my_blocks(district, checklists):
    worker, fire = district.users[Role.GRID_WORKER], district.users[Role.INSPECTOR]
    assert [(t.apartment.name, t.kind) for t in tasks_for(worker, DAY)] == [("新华工业园6号公寓", "patrol")]
    assert {(t.apartment.name, t.kind) for t in tasks_for(fire, DAY)} == {
        ("新华工业园6号公寓", "fire"),
        ("华丰工业园9号公寓", "fire"),
    }
    assert tasks_for(district.users[Role.PROPERTY_MANAGER], DAY) == []
    signed(district.mine, InspectionKind.PATROL, worker, DAY)
    assert tasks_for(worker, DAY) == []


def test_the_summary_counts_required_and_missing_blocks_per_kind(district, checklists):
    signed(district.mine, InspectionKind.PATROL, district.users[Role.GRID_WORKER], DAY)
    summary = coverage_summary(DAY)
    assert summary["patrol"] == {"label": "网格员日常巡查", "required": 2, "missing": 1}
    assert summary["fire"]["missing"] == 2
