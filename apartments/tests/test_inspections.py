"""Who may inspect what, and an inspection from start to sign-off."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.models import Department, Role
from apartments.hazards import hazards_for
from apartments.inspections import (
    Answer,
    Position,
    inspection_answer,
    inspection_sign,
    inspection_start,
    inspections_for,
    kinds_for,
    sign_off_problems,
)
from apartments.models import Hazard, Inspection, InspectionKind, Outcome, Severity
from shijiao.errors import DomainError

pytestmark = pytest.mark.django_db


def answer_all(inspection, by, outcome=Outcome.PASS, overrides=None):
    answers = {r.pk: Answer(outcome) for r in inspection.results.all()}
    answers.update(overrides or {})
    inspection_answer(inspection=inspection, by=by, answers=answers)


def test_it_lets_grid_workers_patrol_only_their_grid(district, checklists):
    worker = district.users[Role.GRID_WORKER]
    assert kinds_for(worker) == [InspectionKind.PATROL]
    inspection = inspection_start(apartment=district.mine, kind=InspectionKind.PATROL, inspector=worker)
    assert inspection.results.count() == 8
    with pytest.raises(PermissionDenied):
        inspection_start(apartment=district.other, kind=InspectionKind.PATROL, inspector=worker)
    with pytest.raises(PermissionDenied):
        inspection_start(apartment=district.mine, kind=InspectionKind.FIRE, inspector=worker)


def test_it_lets_department_inspectors_do_their_own_kind_anywhere(district, checklists, make_user):
    fire = district.users[Role.INSPECTOR]
    assert kinds_for(fire) == [InspectionKind.FIRE]
    assert inspection_start(apartment=district.other, kind=InspectionKind.FIRE, inspector=fire).pk
    with pytest.raises(PermissionDenied):
        inspection_start(apartment=district.other, kind=InspectionKind.PATROL, inspector=fire)
    police = make_user(Role.INSPECTOR, department=Department.POLICE)
    assert set(kinds_for(police)) == {InspectionKind.POLICE, InspectionKind.RENTAL}
    with pytest.raises(PermissionDenied):
        inspection_start(apartment=district.mine, kind=InspectionKind.FIRE, inspector=police)


@pytest.mark.parametrize(
    "role", [Role.PROPERTY_MANAGER, Role.ENTERPRISE, Role.RESIDENT, Role.FIRE_SAFETY_PERSON, Role.STATION_OPERATOR]
)
def test_it_refuses_inspections_to_roles_that_do_not_inspect(district, checklists, role):
    with pytest.raises(PermissionDenied):
        inspection_start(apartment=district.mine, kind=InspectionKind.PATROL, inspector=district.users[role])


def test_it_resumes_the_unfinished_inspection_instead_of_starting_another(district, checklists):
    worker = district.users[Role.GRID_WORKER]
    first = inspection_start(apartment=district.mine, kind=InspectionKind.PATROL, inspector=worker)
    again = inspection_start(apartment=district.mine, kind=InspectionKind.PATROL, inspector=worker)
    assert again.pk == first.pk


def test_each_role_sees_only_its_own_inspections_and_hazards(district, checklists, make_user):
    worker, fire = district.users[Role.GRID_WORKER], district.users[Role.INSPECTOR]
    patrol = inspection_start(apartment=district.mine, kind=InspectionKind.PATROL, inspector=worker)
    answer_all(patrol, worker, Outcome.FAIL)
    patrol.results.update(note="楼道堆放杂物")
    inspection_sign(inspection=patrol, by=worker)
    check = inspection_start(apartment=district.other, kind=InspectionKind.FIRE, inspector=fire)
    answer_all(check, fire, Outcome.FAIL)
    check.results.update(note="灭火器过期")
    inspection_sign(inspection=check, by=fire)
    police = make_user(Role.INSPECTOR, department=Department.POLICE)

    assert set(inspections_for(district.users[Role.STREET_ADMIN])) == {patrol, check}
    assert list(inspections_for(worker)) == [patrol]
    assert list(inspections_for(fire)) == [check]
    assert not inspections_for(police).exists()
    assert list(inspections_for(district.users[Role.PROPERTY_MANAGER])) == [patrol]
    assert not inspections_for(district.users[Role.RESIDENT]).exists()
    assert not inspections_for(district.users[Role.ENTERPRISE]).exists()

    assert {h.apartment for h in hazards_for(worker)} == {district.mine}
    assert {h.kind for h in hazards_for(fire)} == {InspectionKind.FIRE}
    assert {h.apartment for h in hazards_for(district.users[Role.PROPERTY_MANAGER])} == {district.mine}
    assert hazards_for(district.users[Role.STREET_ADMIN]).count() == 16
    assert not hazards_for(district.users[Role.RESIDENT]).exists()
    assert not hazards_for(police).exists()


def test_it_refuses_to_sign_an_incomplete_checklist_and_keeps_the_answers(district, checklists):
    worker = district.users[Role.GRID_WORKER]
    inspection = inspection_start(apartment=district.mine, kind=InspectionKind.PATROL, inspector=worker)
    first, second, *rest = list(inspection.results.all())
    inspection_answer(inspection=inspection, by=worker, answers={first.pk: Answer(Outcome.PASS)})
    with pytest.raises(DomainError, match="还有 7 项未填写"):
        inspection_sign(inspection=inspection, by=worker)
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.IN_PROGRESS
    assert inspection.results.get(pk=first.pk).outcome == Outcome.PASS

    answer_all(inspection, worker, Outcome.PASS, {second.pk: Answer(Outcome.FAIL)})
    assert sign_off_problems(inspection) == [f"不合格项「{second.text}」请填写情况说明或拍照"]


def test_signing_turns_each_failed_item_into_a_hazard_with_its_deadline(district, checklists):
    worker = district.users[Role.GRID_WORKER]
    inspection = inspection_start(
        apartment=district.mine,
        kind=InspectionKind.PATROL,
        inspector=worker,
        position=Position.parse("30.330612", "120.189655", "12"),
    )
    results = list(inspection.results.all())
    wires = next(r for r in results if "私拉乱接" in r.text)
    garbage = next(r for r in results if "垃圾分类" in r.text)
    answer_all(
        inspection,
        worker,
        Outcome.PASS,
        {
            wires.pk: Answer(Outcome.FAIL, "3楼窗外飞线给电瓶车充电"),
            garbage.pk: Answer(Outcome.FAIL, "垃圾混投", Severity.LOW),
        },
    )
    hazards = inspection_sign(inspection=inspection, by=worker, summary="整体良好")
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.SIGNED and inspection.signed_at
    assert inspection.signed_name == worker.display_name
    assert str(inspection.latitude) == "30.330612" and inspection.position_accuracy_m == 12
    assert [(h.title, h.severity) for h in hazards] == [
        (f"不合格: {wires.text}", "high"),
        (f"不合格: {garbage.text}", "low"),
    ]
    wire_hazard = hazards[0]
    assert wire_hazard.description == "3楼窗外飞线给电瓶车充电"
    assert wire_hazard.responsible_company == district.mine.property_company
    assert (wire_hazard.deadline - timezone.localdate(wire_hazard.created_at)).days == 1  # high: one day
    assert (hazards[1].deadline - timezone.localdate(hazards[1].created_at)).days == 7  # low: a week
    assert wire_hazard.status == Hazard.Status.OPEN
    assert list(wire_hazard.events.values_list("action", flat=True)) == ["created"]
    with pytest.raises(DomainError, match="已签字提交"):
        answer_all(inspection, worker)


def test_only_the_inspector_may_fill_in_the_checklist(district, checklists, make_user):
    worker = district.users[Role.GRID_WORKER]
    inspection = inspection_start(apartment=district.mine, kind=InspectionKind.PATROL, inspector=worker)
    with pytest.raises(PermissionDenied):
        answer_all(inspection, district.users[Role.STREET_ADMIN])


def test_it_refuses_bad_answers_and_positions_with_a_clear_message(district, checklists):
    worker = district.users[Role.GRID_WORKER]
    inspection = inspection_start(apartment=district.mine, kind=InspectionKind.PATROL, inspector=worker)
    result = inspection.results.first()
    with pytest.raises(DomainError, match="合格、不合格或不适用"):
        inspection_answer(inspection=inspection, by=worker, answers={result.pk: Answer("maybe")})
    with pytest.raises(DomainError, match="不属于这份检查"):
        inspection_answer(inspection=inspection, by=worker, answers={999999: Answer(Outcome.PASS)})
    with pytest.raises(DomainError, match="定位数据超出范围"):
        Position.parse("95", "120")
    with pytest.raises(DomainError, match="定位数据格式不正确"):
        Position.parse("north", "120")
    assert Position.parse("", "") is None
