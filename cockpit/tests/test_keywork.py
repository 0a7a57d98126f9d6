"""The key-work panels count real records: the departments' checks and their checklist results, suspicious
radar/lift events and refused doors; what the platform does not record says so instead of a 0."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import Role
from apartments.checklists import install_default_checklists
from apartments.models import ChecklistTemplate, Inspection, InspectionResult, Outcome
from cockpit.aggregates import refresh_figures
from cockpit.overview import key_work
from residents.models import AccessEvent, SuspiciousMovement


def _check(apartment, kind, inspector, outcomes):
    template = ChecklistTemplate.objects.get(kind=kind, is_active=True)
    inspection = Inspection.objects.create(apartment=apartment, template=template, kind=kind, inspector=inspector,
                                           status=Inspection.Status.SIGNED, signed_at=timezone.now())  # fmt: skip
    for item, outcome in zip(template.items.order_by("order"), outcomes, strict=False):
        InspectionResult.objects.create(inspection=inspection, item=item, order=item.order, text=item.text,
                                        outcome=outcome, severity=item.severity)  # fmt: skip


def test_the_panels_count_checks_results_and_suspicious_events(district):
    install_default_checklists()
    inspector = district.users[Role.INSPECTOR]
    _check(district.mine, "police", inspector, [Outcome.PASS, Outcome.PASS, Outcome.PASS, Outcome.FAIL])
    _check(district.other, "health", inspector, [Outcome.PASS, Outcome.NOT_APPLICABLE])
    _check(district.mine, "garbage", inspector, [Outcome.PASS, Outcome.FAIL])
    now = timezone.now()
    SuspiciousMovement.objects.create(apartment=district.mine, kind="tailgating", detail={}, at=now)
    SuspiciousMovement.objects.create(apartment=district.mine, kind="loitering", detail={}, at=now)
    AccessEvent.objects.create(apartment=district.mine, at=now, method="face", decision="deny_unknown")
    refresh_figures(days=7)

    panels = {p["key"]: p for p in key_work(district.users[Role.STREET_ADMIN])}
    figures = {k: {f["label"]: f["value"] for f in p["figures"]} for k, p in panels.items()}
    assert figures["case_prevention"]["30天检查"] == 1
    assert figures["case_prevention"]["合格率"] == "75.0%"
    assert figures["case_prevention"]["7天可疑行为"] == 2 and figures["case_prevention"]["7天拒绝开门"] == 1
    assert panels["case_prevention"]["to_act"][0]["name"] == "新华工业园6号公寓"
    assert "2次可疑行为" in panels["case_prevention"]["to_act"][0]["detail"]
    assert figures["epidemic"]["30天检查"] == 1 and figures["epidemic"]["合格率"] == "100.0%"
    assert figures["garbage"]["合格率"] == "50.0%"
    assert figures["fire_safety"]["30天检查"] == 0 and figures["fire_safety"]["合格率"] is None
    # Nobody records how often the garbage guide is searched: the panel says so.
    guide = next(f for f in panels["garbage"]["figures"] if f["label"] == "指南查询")
    assert guide["value"] is None and guide["missing"] == "未记录"


def test_a_fire_station_operator_counts_only_its_area(district):
    install_default_checklists()
    _check(district.other, "police", district.users[Role.INSPECTOR], [Outcome.FAIL])
    SuspiciousMovement.objects.create(apartment=district.other, kind="tailgating", detail={}, at=timezone.now())
    refresh_figures(days=7)
    panels = {p["key"]: p for p in key_work(district.users[Role.STATION_OPERATOR])}
    figures = {f["label"]: f["value"] for f in panels["case_prevention"]["figures"]}
    assert figures["30天检查"] == 0 and figures["7天可疑行为"] == 0
