"""The risk score and the block state on known figures."""

from __future__ import annotations

from cockpit.models import BlockState
from cockpit.risk import RiskInputs, score, state


def test_it_scores_a_quiet_block_zero_with_no_reasons():
    risk = score(RiskInputs(residents=40, registered=40, devices=20, devices_online=20, alarms_open=0))
    assert risk.score == 0
    assert risk.reasons == []


def test_it_explains_the_score_with_the_heaviest_reason_first():
    inputs = RiskInputs(
        residents=100,
        registered=88,
        devices=20,
        devices_online=18,
        alarms_open=1,
        alarm_kinds_week={"wire_temp": 3},
        hazards_open=3,
        hazards_overdue=1,
        patrol_coverage=0.5,
        feedback_open=2,
    )
    risk = score(inputs)
    # open alarm 12 + wire temp 3×8=24 + overdue 8 + 2 open 6 + 12 % unregistered 6 + 10 % offline 2
    # + coverage 5 + feedback 2
    assert risk.score == 65
    assert risk.reasons == [
        "本周3次线缆温度报警",
        "1起报警尚未处置",
        "1项隐患逾期未整改",
        "2项隐患整改中",
        "12名住户未登记",
        "本周巡查覆盖率50%",
        "2台设备离线",
        "2条诉求待回复",
    ]


def test_it_caps_each_factor_so_one_source_cannot_hide_the_others():
    risk = score(RiskInputs(alarm_kinds_week={"smoke": 50}, hazards_overdue=40, hazards_open=40))
    assert risk.score == 24 + 24
    assert risk.score <= 100


def test_it_counts_nothing_for_sources_that_have_not_landed():
    risk = score(RiskInputs(residents=50, registered=None, devices=0, alarms_open=None, hazards_open=None))
    assert risk.score == 0


def test_it_colours_a_block_by_its_worst_state():
    assert state(RiskInputs(devices=10, devices_online=10), critical_open=1) == BlockState.ALARM
    assert state(RiskInputs(devices=10, devices_online=10, alarms_open=1), critical_open=0) == BlockState.WARNING
    assert state(RiskInputs(devices=10, devices_online=10, hazards_overdue=1), critical_open=None) == BlockState.WARNING
    assert state(RiskInputs(devices=10, devices_online=5), critical_open=0) == BlockState.OFFLINE
    assert state(RiskInputs(devices=10, devices_online=10), critical_open=0) == BlockState.NORMAL
