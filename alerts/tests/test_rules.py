from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, transaction

from alerts.alarms import alarm_close
from alerts.models import Alert, AlertRule, RuleCondition, RuleState
from alerts.rules import evaluate_points, evaluate_status, forget_process_state
from sensors import hooks, storage
from sensors.factories import DeviceFactory
from sensors.ingest import RawMessage, ingest_messages
from sensors.models import DeviceType, Reading

pytestmark = pytest.mark.django_db


def open_alarms(code: str) -> list[Alert]:
    return list(Alert.objects.filter(rule__code=code, closed_at__isnull=True))


def test_it_raises_a_critical_alarm_above_the_level_and_clears_only_below_the_clear_level(block):
    e = block.electricity
    evaluate_points([block.point(e, "wire_temp", 95.5, 0)])
    [alarm] = open_alarms("wire_temp_critical")
    assert alarm.severity == "critical" and alarm.status == "raised" and alarm.last_value == 95.5
    assert alarm.apartment == block.district.mine and alarm.unit == "°C"

    evaluate_points([block.point(e, "wire_temp", 85.0, 10)])  # below 90 but above the 80 clear level
    alarm.refresh_from_db()
    assert alarm.cleared_at is None and alarm.last_value == 85.0

    evaluate_points([block.point(e, "wire_temp", 79.0, 20)])
    alarm.refresh_from_db()
    assert alarm.cleared_at == block.at(20)
    assert alarm.status == "raised", "a cleared alarm stays until someone acknowledges it"


def test_it_counts_repeated_triggers_on_the_same_alarm_with_last_value_and_peak(block):
    e = block.electricity
    for seconds, value in [(0, 92), (5, 96), (10, 75), (15, 99), (20, 93)]:
        evaluate_points([block.point(e, "wire_temp", value, seconds)])
    [alarm] = open_alarms("wire_temp_critical")
    assert alarm.trigger_count == 2 and alarm.first_value == 92 and alarm.peak_value == 99 and alarm.last_value == 93
    assert alarm.cleared_at is None


def test_it_waits_for_the_duration_even_across_a_worker_restart(block):
    x = block.exit
    evaluate_points([block.point(x, "obstructed", 1, 0)])
    evaluate_points([block.point(x, "obstructed", 1, 40)])
    assert not open_alarms("fire_exit_blocked")
    state = RuleState.objects.get(device=x, rule__code="fire_exit_blocked")
    assert state.pending_since == block.at(0) and not state.triggered

    forget_process_state()  # a new worker process: nothing in memory, only the database
    evaluate_points([block.point(x, "obstructed", 1, 61)])
    [alarm] = open_alarms("fire_exit_blocked")
    assert alarm.raised_at == block.at(61)


def test_an_overheating_whose_first_readings_arrive_last_still_waits_only_its_duration(block):
    e = block.electricity

    def batch(readings):
        return [
            RawMessage(f"shijiao/{e.key}/telemetry",
                       json.dumps({"ts": int(block.at(t).timestamp() * 1000), "values": {"wire_temp": v}}))
            for t, v in readings
        ]  # fmt: skip

    def warning_fired() -> bool:
        return RuleState.objects.get(device=e, rule__code="wire_temp_warning").triggered

    # 95 °C from second 5 on. The batches are retried after a database restart and come back in another order.
    ingest_messages(batch([(t, 95.0) for t in range(35, 65, 5)]), now=block.at(120))
    assert not warning_fired(), "25 s of 95 °C so far: not yet"
    ingest_messages(batch([(0, 30.0)] + [(t, 95.0) for t in range(5, 35, 5)]), now=block.at(120))

    # Above 70 °C for 30 s counted from second 5, as stored: the warning rule fires at second 35, on the one alarm
    # of the overheating wire (already critical from 95 °C: the warning counts on it, it does not lower it).
    assert warning_fired()
    [alarm] = Alert.objects.filter(device=e, closed_at__isnull=True)
    assert alarm.severity == "critical" and alarm.events.filter(kind="retriggered", at=block.at(35)).exists()


def test_it_restarts_the_duration_when_the_condition_breaks(block):
    x = block.exit
    for seconds, value in [(0, 1), (30, 0), (40, 1), (90, 1)]:
        evaluate_points([block.point(x, "obstructed", value, seconds)])
    assert not open_alarms("fire_exit_blocked")
    evaluate_points([block.point(x, "obstructed", 1, 100)])
    assert open_alarms("fire_exit_blocked")


def test_it_raises_on_a_fast_rise_and_clears_when_it_slows(block):
    e = block.electricity
    evaluate_points([block.point(e, "wire_temp", 40, 0), block.point(e, "wire_temp", 52, 60)])
    [alarm] = open_alarms("wire_temp_rising")
    assert alarm.severity == "major"
    evaluate_points([block.point(e, "wire_temp", 53, 120)])
    alarm.refresh_from_db()
    assert alarm.cleared_at == block.at(120)


def test_a_rise_across_a_worker_restart_is_measured_against_a_stored_reading_a_window_older(block):
    e = block.electricity
    # The old worker stored these and died; the jump happened while it was going.
    for seconds, value in [(0, 30.0), (10, 30.0), (55, 94.0)]:
        Reading.objects.create(device=e, metric="wire_temp", ts=block.at(seconds), value=value)
    forget_process_state()  # the new worker: nothing in memory

    evaluate_points([block.point(e, "wire_temp", 95.0, 60)])

    # 30 → 95 °C over 50 s; against the 94 of 5 s ago it is no rise. One alarm for the wire, critical (95 °C).
    assert RuleState.objects.get(device=e, rule__code="wire_temp_rising").triggered
    [alarm] = Alert.objects.filter(device=e, closed_at__isnull=True)
    assert alarm.raised_at == block.at(60) and alarm.incident == "wire_overheat" and alarm.severity == "critical"


def test_a_batch_stored_by_a_worker_that_died_before_its_rules_ran_raises_its_alarm_when_redelivered(block):
    e = block.electricity
    now = block.at(120)
    messages = [
        RawMessage(f"shijiao/{e.key}/telemetry", json.dumps({"ts": int(block.at(t).timestamp() * 1000),
                                                             "values": {"wire_temp": v}}))
        for t, v in [(0, 96.0), (5, 97.0)]
    ]  # fmt: skip
    with transaction.atomic():  # what the dead worker got done: the readings, nothing after
        storage.readings_insert([block.point(e, "wire_temp", 96.0, 0), block.point(e, "wire_temp", 97.0, 5)])
    assert not open_alarms("wire_temp_critical")

    result = ingest_messages(messages, now=now)  # the broker delivers the task again
    assert result.stored == 0
    [alarm] = open_alarms("wire_temp_critical")
    assert alarm.raised_at == block.at(0) and alarm.peak_value == 97.0

    ingest_messages(messages, now=now)  # and once more: nothing changes
    [again] = open_alarms("wire_temp_critical")
    assert (again.pk, again.trigger_count, again.peak_value) == (alarm.pk, alarm.trigger_count, 97.0)


@pytest.mark.django_db(transaction=True)
def test_a_batch_whose_rules_the_database_broke_off_raises_its_alarm_when_retried(block):
    e = block.electricity
    messages = [
        RawMessage(f"shijiao/{e.key}/telemetry", json.dumps({"ts": int(block.at(t).timestamp() * 1000),
                                                             "values": {"wire_temp": v}}))
        for t, v in [(5, 96.0), (10, 97.0)]
    ]  # fmt: skip
    state = RuleState.objects.create(device=e, rule=AlertRule.objects.get(code="wire_temp_critical"))
    # The readings commit, then the database fails the rules (here a lock another session holds past our
    # lock_timeout: a real OperationalError, as when PostgreSQL restarts between the two).
    other = connection.copy()
    try:
        with other.cursor() as cursor:
            other.set_autocommit(False)
            cursor.execute(f"SELECT id FROM {RuleState._meta.db_table} WHERE id = %s FOR UPDATE", [state.pk])
            with connection.cursor() as ours:
                ours.execute("SET lock_timeout = '100ms'")
            with pytest.raises(OperationalError):  # the task retries the batch: its rules must run
                ingest_messages(messages, now=block.at(60))
            assert Reading.objects.filter(device=e).count() == 2
            assert not open_alarms("wire_temp_critical")
        other.rollback()
    finally:
        other.close()
        with connection.cursor() as ours:
            ours.execute("RESET lock_timeout")

    result = ingest_messages(messages, now=block.at(60))  # the retry, in the same worker process

    assert result.stored == 0
    [alarm] = open_alarms("wire_temp_critical")
    assert (alarm.raised_at, alarm.peak_value) == (block.at(5), 97.0)


def test_a_first_reading_ever_is_not_a_rise(block):
    forget_process_state()
    evaluate_points([block.point(block.electricity, "wire_temp", 75.0, 60)])
    assert not open_alarms("wire_temp_rising")


def test_sensor_noise_between_close_readings_is_not_a_rise(block):
    e = block.electricity
    # ±0.6 °C of noise a second apart would read as 36 °C per minute reading to reading.
    evaluate_points([block.point(e, "wire_temp", 32.0 + (0.6 if s % 2 else -0.6), s) for s in range(90)])
    assert not open_alarms("wire_temp_rising")


def test_smoke_is_critical_at_once(block):
    evaluate_points([block.point(block.smoke, "smoke", 1, 0)])
    [alarm] = open_alarms("smoke")
    assert alarm.severity == "critical"
    evaluate_points([block.point(block.smoke, "smoke", 0, 5)])
    alarm.refresh_from_db()
    assert alarm.cleared_at is not None


def test_low_hydrant_pressure_tracks_the_lowest_value_as_peak(block):
    h = block.hydrant
    for seconds, value in [(0, 0.22), (30, 0.18), (60, 0.2), (70, 0.15), (80, 0.21)]:
        evaluate_points([block.point(h, "pressure", value, seconds)])
    [alarm] = open_alarms("hydrant_pressure_low")
    assert alarm.raised_at == block.at(60), "only after 60 s below the level"
    assert alarm.peak_value == 0.15 and alarm.last_value == 0.21
    evaluate_points([block.point(h, "pressure", 0.26, 90)])  # above 0.25 but not past the 0.27 clear level
    alarm.refresh_from_db()
    assert alarm.cleared_at is None


def test_an_and_rule_needs_both_metrics(block):
    e = block.electricity
    evaluate_points([block.point(e, "current", 35, 0)])
    evaluate_points([block.point(e, "current", 35, 15)])
    assert not open_alarms("overload_hot")
    evaluate_points([block.point(e, "wire_temp", 62, 20), block.point(e, "wire_temp", 63, 31)])
    assert open_alarms("overload_hot")
    evaluate_points([block.point(e, "current", 20, 40)])  # one condition cleared clears an AND
    assert open_alarms("overload_hot")[0].cleared_at == block.at(40)


def test_an_or_rule_fires_on_either_metric(block):
    rule = AlertRule.objects.create(
        code="any_hot", name="任一超限", device_type=block.electricity.device_type, combine="any", severity="minor"
    )
    RuleCondition.objects.create(rule=rule, metric="current", kind="above", threshold=50)
    RuleCondition.objects.create(rule=rule, metric="voltage", kind="outside", threshold=198, threshold_high=242)
    evaluate_points([block.point(block.electricity, "voltage", 250, 0)])
    assert open_alarms("any_hot")


def test_it_raises_when_a_device_goes_offline_and_clears_when_it_returns(block):
    e = block.electricity
    hooks.device_status_hand_on(device_ids=[e.id], online=False, at=block.at(0))
    [alarm] = open_alarms("electricity_offline")
    assert alarm.severity == "minor"
    evaluate_status(device_ids=[e.id], online=True, at=block.at(60))
    alarm.refresh_from_db()
    assert alarm.cleared_at == block.at(60)


def test_devices_coming_back_by_the_hundred_cost_a_few_queries_and_clear_only_the_alarm_that_was_on(
    block, django_assert_max_num_queries
):
    """A block's power returns: every device reports again in one batch. Only the one whose offline alarm is on
    has work; the others write nothing (before, each cost four or five queries: 6-8 s for a cold worker)."""
    e = block.electricity
    others = DeviceFactory.create_batch(120, device_type=e.device_type, apartment=e.apartment)
    evaluate_status(device_ids=[e.id], online=False, at=block.at(0))
    [alarm] = open_alarms("electricity_offline")
    states_before = RuleState.objects.count()

    with django_assert_max_num_queries(12):
        changed = evaluate_status(device_ids=[e.id, *(d.id for d in others)], online=True, at=block.at(60))

    alarm.refresh_from_db()
    assert changed == [alarm.id] and alarm.cleared_at == block.at(60)
    assert RuleState.objects.count() == states_before  # no state rows for devices that had nothing to clear


def test_devices_going_offline_together_each_raise_their_own_alarm(block):
    e = block.electricity
    others = DeviceFactory.create_batch(3, device_type=e.device_type, apartment=e.apartment)
    hooks.device_status_hand_on(device_ids=[e.id, *(d.id for d in others)], online=False, at=block.at(0))
    assert sorted(a.device_id for a in open_alarms("electricity_offline")) == sorted([e.id, *(d.id for d in others)])


def test_rules_run_on_the_ingest_signal(block):
    hooks.readings_hand_on(stored=[block.point(block.electricity, "residual_current", 420, 0)])
    [alarm] = open_alarms("residual_current_high")
    assert alarm.last_value == 420 and alarm.unit == "mA"


def test_a_flapping_sensor_does_not_reopen_an_alarm_within_the_interval(block, district):
    e = block.electricity
    evaluate_points([block.point(e, "residual_current", 350, 0)])
    [alarm] = open_alarms("residual_current_high")
    alarm_close(alert_id=alarm.id, by=district.users["station_operator"], end="station", disposition="device_fault",
                now=block.at(10))  # fmt: skip
    for seconds, value in [(20, 200), (30, 360), (40, 200), (50, 370)]:
        evaluate_points([block.point(e, "residual_current", value, seconds)])
    assert not open_alarms("residual_current_high")
    evaluate_points([block.point(e, "residual_current", 380, 10 + 300)])  # still above after 300 s
    [reopened] = open_alarms("residual_current_high")
    assert reopened.id != alarm.id


def test_a_block_override_and_a_disabled_device_override_win_over_the_default(block):
    h = block.hydrant
    default = AlertRule.objects.get(code="hydrant_pressure_low", apartment=None, device=None)
    override = AlertRule.objects.create(
        code=default.code, name="消火栓水压不足 (高层)", device_type=default.device_type, apartment=h.apartment,
        severity="major", duration_seconds=0,
    )  # fmt: skip
    RuleCondition.objects.create(rule=override, metric="pressure", kind="below", threshold=0.35, clear_level=0.37)
    evaluate_points([block.point(h, "pressure", 0.30, 0)])
    [alarm] = open_alarms("hydrant_pressure_low")
    assert alarm.rule == override

    off = AlertRule.objects.create(code="smoke", name="烟感 (维修中)", device_type=block.smoke.device_type,
                                   device=block.smoke, is_enabled=False)  # fmt: skip
    assert off.scope_rank == 2
    evaluate_points([block.point(block.smoke, "smoke", 1, 0)])
    assert not open_alarms("smoke")


def condition(kind: str, metric: str = "wire_temp", type_code: str = "smart_electricity", **values) -> RuleCondition:
    rule = AlertRule(code="x", name="x", device_type=DeviceType.objects.get(code=type_code))
    return RuleCondition(rule=rule, metric=metric, kind=kind, **values)


@pytest.mark.parametrize(
    ("kind", "metric", "values", "field", "message"),
    [
        ("above", "wire_temp", {"threshold": 90, "clear_level": 95}, "clear_level", "恢复值必须不高于触发值"),
        ("below", "wire_temp", {"threshold": 20, "clear_level": 10}, "clear_level", "恢复值必须不低于触发值"),
        ("between", "wire_temp", {"threshold": 90, "threshold_high": 60}, "threshold_high", "上限必须大于下限"),
        ("above", "wire_temp", {"threshold": 500}, "threshold", "超出“线缆温度”的物理范围"),
        ("above", "humidity", {"threshold": 50}, "metric", "没有指标 humidity"),
        ("is_true", "wire_temp", {}, "kind", "不是开关量"),
        ("above", "wire_temp", {}, "threshold", "请填写触发值"),
        ("rise_rate", "wire_temp", {"threshold": -3}, "threshold", "速率必须大于 0"),
        ("offline", "wire_temp", {}, "metric", "请留空"),
    ],
)
def test_it_refuses_impossible_conditions_with_a_clear_message(kind, metric, values, field, message):
    with pytest.raises(ValidationError) as caught:
        condition(kind, metric, **values).clean()
    assert any(message in m for m in caught.value.message_dict[field])


def test_it_accepts_the_seeded_defaults():
    conditions = RuleCondition.objects.select_related("rule")
    assert conditions.count() >= 14
    for c in conditions:
        c.clean()


def test_normal_readings_write_nothing_and_a_two_worker_split_keeps_the_duration(block):
    e, x = block.electricity, block.exit
    evaluate_points([block.point(e, "wire_temp", 41, 0), block.point(e, "current", 6, 0)])
    assert not RuleState.objects.exists(), "the quick path: nothing met, nothing stored"
    # The obstruction's readings land on two different worker processes (here: memory dropped in between).
    evaluate_points([block.point(x, "obstructed", 1, 0)])
    forget_process_state()
    evaluate_points([block.point(x, "obstructed", 0, 20)])  # the other process must still break the duration
    forget_process_state()
    evaluate_points([block.point(x, "obstructed", 1, 61)])
    assert not open_alarms("fire_exit_blocked")


def test_suspicious_movement_from_the_residents_app_raises_an_alarm(block):
    from residents.signals import suspicious_movement

    radar = block.electricity.__class__.objects.create(
        key="radar-6-1", device_type=DeviceType.objects.get(code="radar"), apartment=block.district.mine, floor=2
    )
    for _ in range(2):
        suspicious_movement.send(sender=None, apartment_id=block.district.mine.id, device_id=radar.id,
                                 kind="loitering", detail={"minutes": 14}, at=block.at(0))  # fmt: skip
    [alarm] = open_alarms("movement_loitering")
    assert alarm.title == "夜间可疑徘徊" and alarm.trigger_count == 2 and alarm.detail == {"minutes": 14}


def test_rule_states_are_created_once_and_locked_whoever_created_them(block):
    """A worker finds some states missing; another creates one of them meanwhile: the first still gets every state,
    that one as the other wrote it (its values kept), and no key twice."""
    from alerts.rules import _lock_states, _states_created

    rules = list(AlertRule.objects.filter(device_type=block.electricity.device_type).order_by("id")[:3])
    keys = [(block.electricity.id, rule.id) for rule in rules]
    RuleState.objects.create(device_id=keys[0][0], rule_id=keys[0][1], values={"wire_temp": [70.0, "t"]})
    with transaction.atomic():
        states = _lock_states(keys)
        assert sorted(states) == sorted(keys)
        assert states[keys[0]].values == {"wire_temp": [70.0, "t"]}
        assert all(states[key].values == {} and states[key].id for key in keys[1:])
        again = _lock_states(keys)  # the same transaction: nothing new
        assert {key: s.id for key, s in again.items()} == {key: s.id for key, s in states.items()}
        # As when another worker created them between this worker's look and its insert: answered, not doubled.
        raced = {(s.device_id, s.rule_id): s for s in _states_created(sorted(keys))}
        assert {key: s.id for key, s in raced.items()} == {key: s.id for key, s in states.items()}
        assert raced[keys[0]].values == {"wire_temp": [70.0, "t"]}
    assert RuleState.objects.filter(device=block.electricity).count() == 3
