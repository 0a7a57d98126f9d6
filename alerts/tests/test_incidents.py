"""One incident, one alarm: the rules of one hazard on one device share an alarm whose severity climbs (recorded
as it climbs); escalation follows the highest severity reached; one acknowledgement covers it; the cockpit counts
incidents. Late readings: escalation counts from when the platform learned of the alarm."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from alerts.alarms import alarm_acknowledge
from alerts.escalation import run_due
from alerts.models import Alert, AlertRule, Notification, PlannedEscalation
from alerts.push import alarm_payload
from alerts.rules import evaluate_points, forget_process_state, rule_cache
from sensors.tests.test_consumer import mqtt_url as mqtt_url  # the fixture
from sensors.types import Point

pytestmark = pytest.mark.django_db


def heat(block, readings):
    """Feed the overheating wire's readings one by one, each learned the moment it was taken."""
    for seconds, value in readings:
        evaluate_points([block.point(block.electricity, "wire_temp", value, seconds)], now=block.at(seconds))


def test_an_overheating_wire_is_one_alarm_whose_severity_climbs_and_is_recorded(block):
    # A slow rise (no "fast rise"): above 70 °C for 30 s → warning; then above 90 °C → critical.
    heat(block, [(0, 66), (30, 70.5), (45, 71), (60, 72)])
    [alarm] = Alert.objects.filter(device=block.electricity)
    assert (alarm.severity, alarm.title, alarm.incident) == ("warning", "线缆温度偏高", "wire_overheat")
    heat(block, [(75, 93), (80, 96)])

    [alarm] = Alert.objects.filter(device=block.electricity)  # still one
    assert (alarm.severity, alarm.title, alarm.rule.code) == ("critical", "线缆温度过高", "wire_temp_critical")
    assert alarm.raised_at == block.at(60) and alarm.peak_value == 96 and alarm.first_value == 72
    history = list(alarm.events.values_list("kind", "at", "note"))
    assert [k for k, _, _ in history] == ["raised", "severity"]
    assert history[1][1] == block.at(75) and history[1][2] == "预警 → 紧急: 线缆温度过高 (93 °C)"
    assert alarm_payload(alarm)["severity"] == "critical"


def test_a_fast_rise_then_a_critical_level_stays_one_alarm_and_clears_when_every_rule_has_cleared(block):
    heat(block, [(0, 40), (30, 58)])  # +36 °C per minute
    [alarm] = Alert.objects.filter(device=block.electricity)
    assert alarm.severity == "major" and alarm.rule.code == "wire_temp_rising"
    heat(block, [(60, 92), (70, 95), (105, 95)])
    assert Alert.objects.filter(device=block.electricity).count() == 1
    alarm.refresh_from_db()
    assert alarm.severity == "critical"

    heat(block, [(140, 78)])  # below the critical rule's 80 °C, still above the warning's 65 °C
    alarm.refresh_from_db()
    assert alarm.cleared_at is None, "the wire is still hot: the warning rule of the same incident still fires"
    heat(block, [(180, 60)])
    alarm.refresh_from_db()
    assert alarm.cleared_at == block.at(180) and alarm.severity == "critical", "the highest severity reached stays"


def test_escalation_follows_the_highest_severity_and_one_acknowledgement_covers_the_incident(block, settings):
    settings.DINGTALK_APP_KEY, settings.DINGTALK_APP_SECRET = "key", "secret"
    heat(block, [(0, 66), (30, 70.5), (60, 72)])
    [alarm] = Alert.objects.filter(device=block.electricity)
    run_due(now=block.at(60))
    assert set(PlannedEscalation.objects.filter(alert=alarm).values_list("step__severity", "status")) == {
        ("warning", "done")
    }
    heat(block, [(75, 93)])
    rows = PlannedEscalation.objects.filter(alert=alarm, step__severity="critical")
    assert rows.count() == 6 and min(r.due_at for r in rows) == block.at(75), "the critical chain counts from the climb"
    run_due(now=block.at(75))
    assert rows.filter(status="done").count() == 3  # the immediate critical steps
    assert {(n.recipient_name, n.channel) for n in Notification.objects.filter(alert=alarm, channel="voice")} == {
        ("王责任", "voice")
    }

    alarm_acknowledge(alert_id=alarm.pk, by=block.district.users[Role.FIRE_SAFETY_PERSON], end="phone",
                      now=block.at(90))  # fmt: skip
    sent = Notification.objects.count()
    heat(block, [(100, 97), (120, 99)])
    assert run_due(now=block.at(600)) == [] and Notification.objects.count() == sent
    assert Alert.objects.filter(device=block.electricity).count() == 1
    assert not rows.filter(status="pending").exists()


def test_the_cockpit_and_the_risk_score_count_the_incident_once(block):
    from cockpit.aggregates import refresh_figures
    from cockpit.models import BlockFigures

    now = timezone.now()
    for seconds, value in [(-200, 40), (-170, 58), (-140, 75), (-110, 76), (-100, 93)]:
        evaluate_points([Point(block.electricity.id, "wire_temp", now + timedelta(seconds=seconds), float(value))])
    assert Alert.objects.filter(device=block.electricity).count() == 1
    refresh_figures(apartment_ids=[block.district.mine.pk])
    figures = BlockFigures.objects.get(apartment=block.district.mine)
    assert (figures.alarms_open, figures.alarms_critical_open, figures.alarms_week) == (1, 1, 1)
    assert "1起报警尚未处置" in figures.risk_reasons[0]


def test_an_override_without_an_incident_keeps_its_default_rules_incident(block):
    default = AlertRule.objects.get(code="wire_temp_critical", apartment=None, device=None)
    override = AlertRule.objects.create(code="wire_temp_critical", name="线缆温度过高 (本楼 85 °C)",
                                        device_type=default.device_type, apartment=block.district.mine,
                                        severity="critical")  # fmt: skip
    override.conditions.create(metric="wire_temp", kind="above", threshold=85.0, clear_level=80.0)
    rule_cache.invalidate()
    heat(block, [(0, 66), (30, 70.5), (60, 72), (75, 86)])
    [alarm] = Alert.objects.filter(device=block.electricity)
    assert (alarm.severity, alarm.rule_id) == ("critical", override.pk)


# --- late readings ------------------------------------------------------------------------------------


def test_a_two_day_old_reading_starts_its_escalation_now_with_only_the_first_steps(block, settings):
    settings.DINGTALK_APP_KEY, settings.DINGTALK_APP_SECRET = "key", "secret"
    now = timezone.now().replace(microsecond=0)
    taken = now - timedelta(days=2)
    from sensors.ingest import RawMessage, ingest_messages

    body = json.dumps({"ts": int(taken.timestamp() * 1000), "values": {"wire_temp": 98.0}})
    ingest_messages([RawMessage(f"shijiao/{block.electricity.key}/telemetry", body)], now=now)
    [alarm] = Alert.objects.filter(device=block.electricity)
    assert alarm.raised_at == taken and alarm.learned_at >= now and alarm.learned_late
    payload = alarm_payload(alarm)
    assert payload["raised_at"] != payload["learned_at"] and payload["learned_late"]

    run_due(now=alarm.learned_at + timedelta(seconds=1))  # what the task queued at the alarm does
    steps = PlannedEscalation.objects.filter(alert=alarm)
    assert steps.count() == 6 and min(s.due_at for s in steps) == alarm.learned_at
    done = list(steps.filter(status="done").values_list("step__delay_seconds", flat=True))
    assert done == [0, 0, 0], "only the immediate step of the chain, as for an alarm raised this second"
    assert not Notification.objects.filter(alert=alarm, recipient_name__contains="街道").exists()
    run_due(now=alarm.learned_at + timedelta(seconds=60))
    assert steps.filter(status="done").count() == 4  # the next step one minute after the platform learned


def test_a_fresh_alarm_shows_no_separate_learned_time(block):
    heat(block, [(0, 98)])
    [alarm] = Alert.objects.filter(device=block.electricity)
    assert alarm.learned_at == alarm.raised_at and not alarm_payload(alarm)["learned_late"]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_buffer_emptied_over_mosquitto_after_an_outage_fires_only_the_first_steps(block, mqtt_url, settings):
    """The production path: the device publishes its two-day-old buffer through the broker, the consumer hands it
    to the ingest task, the alarm's escalation task runs after commit (in-process Celery)."""
    from sensors.tests.test_consumer import Running, ids, publish, publisher, wait_for

    settings.DINGTALK_APP_KEY, settings.DINGTALK_APP_SECRET = "key", "secret"
    taken = timezone.now() - timedelta(days=2)
    client_id, group = ids()
    consumer = Running(mqtt_url, client_id, group)
    pub = publisher(mqtt_url)
    try:
        buffer = [
            {"ts": int((taken + timedelta(seconds=10 * i)).timestamp() * 1000), "values": {"wire_temp": t}}
            for i, t in enumerate([66, 75, 88, 95, 98, 99])
        ]
        for entry in buffer:
            publish(pub, f"shijiao/{block.electricity.key}/telemetry", entry)
        assert wait_for(lambda: PlannedEscalation.objects.filter(status="done").exists(), 15)
    finally:
        pub.disconnect()
        consumer.stop()
    [alarm] = Alert.objects.filter(device=block.electricity)
    assert alarm.severity == "critical" and alarm.raised_at < taken + timedelta(minutes=1)
    assert alarm.learned_at > timezone.now() - timedelta(minutes=1)
    done = list(
        PlannedEscalation.objects.filter(alert=alarm, status="done").values_list("step__delay_seconds", flat=True)
    )
    assert set(done) == {0}, "nothing beyond the immediate steps fired at once"
    assert PlannedEscalation.objects.filter(alert=alarm, status="pending").count() == 3


# --- a batch judged after later ones (a database restart between its commit and its rules) ----------------------


def send(block, readings, *, rules_fail: bool = False):
    """Hand one batch of the wire's readings to ingest as the worker does; ``rules_fail``: the database goes away
    after the batch committed, before its rules ran (the task then retries it later)."""
    from django.db import OperationalError

    from sensors import hooks
    from sensors.ingest import RawMessage, ingest_messages

    body = json.dumps([{"ts": block.at(s).isoformat(), "values": {"wire_temp": v}} for s, v in readings])
    message = RawMessage(f"shijiao/{block.electricity.key}/telemetry", body)
    if not rules_fail:
        return ingest_messages([message], now=block.at(readings[-1][0]))

    def gone(points, **_kwargs):
        raise OperationalError("the database went away")

    with hooks.only(readings={"alarm rules": gone}, repeats=True), pytest.raises(OperationalError):
        ingest_messages([message], now=block.at(readings[-1][0]))


def test_a_fast_rise_whose_rules_ran_after_later_readings_is_still_recorded_once(block):
    send(block, [(s, 30.0) for s in range(0, 70, 10)])
    jump = [(70, 60.0), (80, 95.0)]
    send(block, jump, rules_fail=True)  # stored; its rules never ran
    forget_process_state()  # another worker process takes the next batch: it measures from the stored jump
    send(block, [(s, 95.0) for s in range(120, 300, 10)])  # judged first: by their time the rise is over
    [alarm] = Alert.objects.filter(device=block.electricity)
    assert (alarm.severity, alarm.trigger_count) == ("critical", 2), "the critical and (30 s on) the warning"

    send(block, jump)  # the retry: the readings are stored already, their rules run now
    alarm.refresh_from_db()
    assert alarm.trigger_count == 3, "the fast rise happened (70 → 80 s): it is recorded, once"
    assert alarm.severity == "critical" and alarm.cleared_at is None, "the wire is still hot"
    history = list(alarm.events.values_list("kind", flat=True))
    assert history.count("retriggered") == 2, history

    send(block, jump)  # delivered again: nothing more
    send(block, [(75, 80.0)])  # a late reading inside the rise that is now recorded: not raised twice
    alarm.refresh_from_db()
    assert alarm.trigger_count == 3
    assert list(alarm.events.values_list("kind", flat=True)) == history
