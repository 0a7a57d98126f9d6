"""A hazard's life: found → rectified → returned → rectified again → re-inspected and closed; deadlines, escalation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.models import Department, Role
from apartments.factories import EnterpriseFactory
from apartments.hazards import (
    deadline_for,
    escalate_overdue_hazards,
    escalated_hazards,
    hazard_counts,
    hazard_create,
    hazard_create_from_alarm,
    hazard_reassign,
    hazard_rectify,
    hazard_review,
    hazards_for,
    open_hazards,
    overdue_hazards,
)
from apartments.models import Hazard, InspectionKind, Rectification, Severity
from apartments.signals import hazard_changed
from shijiao.errors import DomainError
from shijiao.images import ImageRejected

pytestmark = pytest.mark.django_db


@pytest.fixture
def hazard(district):
    return hazard_create(
        apartment=district.mine,
        kind=InspectionKind.PATROL,
        title="楼道电动车飞线充电",
        description="3楼楼道",
        severity=Severity.HIGH,
        created_by=district.users[Role.GRID_WORKER],
        source=Hazard.Source.INSPECTION,
    )


def test_the_full_cycle_until_the_hazard_is_closed(district, hazard, media, jpeg, django_capture_on_commit_callbacks):
    manager, worker = district.users[Role.PROPERTY_MANAGER], district.users[Role.GRID_WORKER]
    seen = []

    def listener(sender, **kwargs):
        seen.append((kwargs["action"], kwargs["status"]))

    hazard_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            hazard_rectify(hazard=hazard, by=manager, description="已拆除飞线, 电瓶车移至集中充电棚")
        hazard.refresh_from_db()
        assert hazard.status == Hazard.Status.SUBMITTED

        with django_capture_on_commit_callbacks(execute=True):
            hazard_review(hazard=hazard, by=worker, accept=False, note="充电棚未接电, 请整改到位")
        hazard.refresh_from_db()
        assert hazard.status == Hazard.Status.OPEN and hazard.times_returned == 1
        first = hazard.rectifications.get()
        assert first.verdict == Rectification.Verdict.RETURNED and first.review_note == "充电棚未接电, 请整改到位"

        with django_capture_on_commit_callbacks(execute=True):
            hazard_rectify(hazard=hazard, by=manager, description="充电棚已通电", photos=[(jpeg(), "after.jpg")])
            hazard_review(hazard=hazard, by=worker, accept=True, note="复查合格")
        hazard.refresh_from_db()
    finally:
        hazard_changed.disconnect(listener)
    assert hazard.status == Hazard.Status.CLOSED and hazard.closed_by == worker and hazard.closed_at
    second = hazard.rectifications.order_by("submitted_at").last()
    assert second.verdict == Rectification.Verdict.ACCEPTED and second.photos.count() == 1
    assert list(hazard.events.values_list("action", flat=True)) == [
        "created",
        "rectified",
        "returned",
        "rectified",
        "closed",
    ]
    assert seen == [("rectified", "submitted"), ("returned", "open"), ("rectified", "submitted"), ("closed", "closed")]
    assert not open_hazards().exists()


def test_only_the_responsible_party_rectifies_and_only_inspectors_review(district, hazard, make_user):
    with pytest.raises(PermissionDenied):
        hazard_rectify(hazard=hazard, by=district.users[Role.GRID_WORKER], description="自己整改")
    other_manager = make_user(Role.PROPERTY_MANAGER)
    with pytest.raises(PermissionDenied):
        hazard_rectify(hazard=hazard, by=other_manager, description="不是我的公寓")
    hazard_rectify(hazard=hazard, by=district.users[Role.PROPERTY_MANAGER], description="已整改")
    with pytest.raises(PermissionDenied):
        hazard_review(hazard=hazard, by=district.users[Role.PROPERTY_MANAGER], accept=True)
    police = make_user(Role.INSPECTOR, department=Department.POLICE)
    with pytest.raises(PermissionDenied):
        hazard_review(hazard=hazard, by=police, accept=True)
    hazard_review(hazard=hazard, by=district.users[Role.STREET_ADMIN], accept=True)


def test_it_refuses_steps_out_of_order_with_a_clear_message(district, hazard):
    manager, worker = district.users[Role.PROPERTY_MANAGER], district.users[Role.GRID_WORKER]
    with pytest.raises(DomainError, match="还没有提交整改"):
        hazard_review(hazard=hazard, by=worker, accept=True)
    with pytest.raises(DomainError, match="请填写整改情况"):
        hazard_rectify(hazard=hazard, by=manager, description="  ")
    hazard_rectify(hazard=hazard, by=manager, description="已整改")
    with pytest.raises(DomainError, match="待复查"):
        hazard_rectify(hazard=hazard, by=manager, description="再交一次")
    with pytest.raises(DomainError, match="退回时请写明原因"):
        hazard_review(hazard=hazard, by=worker, accept=False)


def test_a_bad_photo_refuses_the_rectification_and_writes_nothing(district, hazard, media):
    manager = district.users[Role.PROPERTY_MANAGER]
    with pytest.raises(ImageRejected, match="不是有效的图片"):
        hazard_rectify(hazard=hazard, by=manager, description="已整改", photos=[(b"%PDF-1.4 not a photo", "a.jpg")])
    hazard.refresh_from_db()
    assert hazard.status == Hazard.Status.OPEN
    assert not hazard.rectifications.exists()


def test_deadlines_follow_severity_and_settings(settings):
    today = timezone.localdate()
    assert deadline_for(Severity.HIGH, today) == today + timedelta(days=1)
    assert deadline_for(Severity.MEDIUM, today) == today + timedelta(days=3)
    settings.HAZARD_DEADLINE_DAYS = {**settings.HAZARD_DEADLINE_DAYS, "low": 10}
    assert deadline_for(Severity.LOW, today) == today + timedelta(days=10)


def test_overdue_hazards_are_escalated_to_the_street_once(district, hazard):
    today = timezone.localdate()
    assert not overdue_hazards(today).exists()
    later = hazard.deadline + timedelta(days=2)
    assert list(overdue_hazards(later)) == [hazard]
    assert escalate_overdue_hazards(today=later) == [hazard.pk]
    assert escalate_overdue_hazards(today=later) == []  # already escalated
    hazard.refresh_from_db()
    assert hazard.escalated_at is not None
    assert list(escalated_hazards()) == [hazard]
    event = hazard.events.get(action="escalated")
    assert event.note == "已逾期 2 天"
    counts = hazard_counts(today=later)
    assert counts["open"] == 1 and counts["overdue"] == 1 and counts["escalated"] == 1 and counts["open_high"] == 1


def test_a_rectification_waiting_for_review_is_not_overdue(district, hazard):
    hazard_rectify(hazard=hazard, by=district.users[Role.PROPERTY_MANAGER], description="已整改")
    assert not overdue_hazards(hazard.deadline + timedelta(days=5)).exists()


def test_a_returned_hazard_can_get_a_new_deadline(district, hazard):
    hazard_rectify(hazard=hazard, by=district.users[Role.PROPERTY_MANAGER], description="已整改")
    with pytest.raises(DomainError, match="不能早于今天"):
        hazard_review(
            hazard=hazard,
            by=district.users[Role.GRID_WORKER],
            accept=False,
            note="未整改到位",
            new_deadline=timezone.localdate() - timedelta(days=1),
        )
    new = timezone.localdate() + timedelta(days=5)
    hazard_review(hazard=hazard, by=district.users[Role.GRID_WORKER], accept=False, note="未整改到位", new_deadline=new)
    hazard.refresh_from_db()
    assert hazard.deadline == new


def test_an_alarm_becomes_one_hazard_however_often_alerts_calls(district):
    station = district.users[Role.STATION_OPERATOR]
    first = hazard_create_from_alarm(
        apartment=district.mine,
        title="线缆温度过高 (78℃)",
        description="3楼配电箱, 私拉电线给电瓶车充电",
        severity="critical",
        source_ref="alarm:42",
        created_by=station,
    )
    again = hazard_create_from_alarm(
        apartment=district.mine,
        title="线缆温度过高 (78℃)",
        description="重复回调",
        severity="critical",
        source_ref="alarm:42",
        created_by=station,
    )
    assert again.pk == first.pk
    assert first.severity == Severity.HIGH and first.kind == InspectionKind.FIRE
    assert first.source == Hazard.Source.ALARM and first.responsible_company == district.mine.property_company
    # The fire department and the block's grid worker re-inspect it; the fire inspector sees it.
    assert first in hazards_for(district.users[Role.INSPECTOR])
    hazard_rectify(hazard=first, by=district.users[Role.FIRE_SAFETY_PERSON], description="已拆除私拉电线")
    hazard_review(hazard=first, by=district.users[Role.GRID_WORKER], accept=True)
    with pytest.raises(DomainError, match="隐患等级不正确"):
        hazard_create_from_alarm(
            apartment=district.mine, title="x", description="", severity="???", source_ref="alarm:43", created_by=None
        )


def test_an_enterprise_made_responsible_sees_and_rectifies_its_hazard(district, hazard):
    enterprise_user = district.users[Role.ENTERPRISE]
    enterprise = EnterpriseFactory(grid=district.mine.grid)
    enterprise.staff.add(enterprise_user)
    assert not hazards_for(enterprise_user).exists()
    hazard_reassign(hazard=hazard, by=district.users[Role.GRID_WORKER], enterprise=enterprise)
    assert list(hazards_for(enterprise_user)) == [hazard]
    hazard.refresh_from_db()
    assert hazard.responsible_party == enterprise.name
    hazard_rectify(hazard=hazard, by=enterprise_user, description="企业已清理仓库堆放物")


def test_the_periodic_task_and_the_command_escalate_overdue_hazards(district, hazard, capsys):
    from django.core.management import call_command

    from apartments.tasks import escalate_overdue_hazards as task

    assert task() == 0
    Hazard.objects.filter(pk=hazard.pk).update(deadline=timezone.localdate() - timedelta(days=1))
    call_command("escalate_overdue_hazards")
    assert "escalated 1 overdue hazard(s)" in capsys.readouterr().out
    assert task() == 0


@pytest.mark.parametrize("role", list(Role))
def test_the_work_lists_agree_with_who_may_rectify_and_review(district, role, make_user):
    from apartments.hazards import hazards_to_rectify, hazards_to_review, may_rectify, may_review

    user = district.users[role]
    found = [
        hazard_create(apartment=apartment, kind=kind, title=f"{kind}", created_by=creator, source=source)
        for apartment in (district.mine, district.other)
        for kind, source in (("patrol", "inspection"), ("fire", "alarm"), ("police", "inspection"))
        for creator in (None, district.users[Role.GRID_WORKER])
    ]
    assert set(hazards_to_rectify(user)) == {h for h in found if may_rectify(user, h)}
    Hazard.objects.update(status=Hazard.Status.SUBMITTED)
    for h in found:
        h.refresh_from_db()
    assert set(hazards_to_review(user)) == {h for h in found if may_review(user, h)}


def test_the_to_rectify_tab_counts_what_it_lists(district, hazard, client):
    hazard_rectify(hazard=hazard, by=district.users[Role.PROPERTY_MANAGER], description="已整改")  # now 待复查
    street = district.users[Role.STREET_ADMIN]
    client.force_login(street)
    page = client.get("/inspections/hazards/?tab=open").content.decode()
    counts = hazard_counts()
    assert counts["open"] == 1 and counts["to_rectify"] == 0
    assert "待整改 0" in page and "待复查 1" in page
