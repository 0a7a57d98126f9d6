"""Escalation until acknowledged, with the clock in the test's hands."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.models import Role
from alerts.alarms import alarm_acknowledge
from alerts.escalation import run_due
from alerts.factories import ContactFactory
from alerts.models import Alert, AlertEvent, Contact, Notification, PlannedEscalation
from alerts.rules import evaluate_points

pytestmark = pytest.mark.django_db


@pytest.fixture
def configured(settings, block):
    settings.ALIYUN_ACCESS_KEY_ID, settings.ALIYUN_ACCESS_KEY_SECRET = "id", "secret"
    settings.DINGTALK_APP_KEY, settings.DINGTALK_APP_SECRET = "key", "secret"
    users = block.district.users
    Contact.objects.create(
        name="王责任", group="people", user=users[Role.FIRE_SAFETY_PERSON], dingtalk_userid="ding-wang"
    )
    Contact.objects.create(name="李值班", group="people", user=users[Role.STATION_OPERATOR], dingtalk_userid="ding-li")
    ContactFactory(name="街道值班领导 陈", group="street_duty", phone="13900000009")
    return settings


def sent_to(channel: str | None = None) -> set[tuple[str, str]]:
    qs = Notification.objects.all()
    if channel:
        qs = qs.filter(channel=channel)
    return {(n.recipient_name, n.channel) for n in qs}


def test_a_critical_alarm_climbs_the_chain_at_the_right_times(block, configured):
    [alarm_id] = evaluate_points([block.point(block.electricity, "wire_temp", 98, 0)], now=block.at(0))
    alarm = Alert.objects.get(pk=alarm_id)

    run_due(now=block.at(0))
    assert PlannedEscalation.objects.filter(alert=alarm).count() == 6
    assert sent_to() == {("王责任", "sms"), ("王责任", "voice"), ("王责任", "dingtalk"), ("李值班", "sms"),
                         ("李值班", "ding")}  # fmt: skip

    assert run_due(now=block.at(59)) == []
    run_due(now=block.at(60))
    assert (block.district.mine.micro_fire_station.name, "voice") in sent_to()

    run_due(now=block.at(180))
    assert {("街道值班领导 陈", "voice"), ("街道值班领导 陈", "sms"), ("赵网格", "sms")} <= sent_to()
    assert not PlannedEscalation.objects.filter(alert=alarm, status="pending").exists()
    notes = list(AlertEvent.objects.filter(alert=alarm, kind="escalated").values_list("note", flat=True))
    assert len(notes) == 3, "one history line per run: at once, after 60 s, after 180 s"
    assert "无人可通知" in notes[0] and "消防责任人" in notes[0]  # the WeCom robot is not configured


def test_acknowledging_stops_the_chain(block, configured):
    [alarm_id] = evaluate_points([block.point(block.smoke, "smoke", 1, 0)], now=block.at(0))
    run_due(now=block.at(0))
    before = Notification.objects.count()
    alarm_acknowledge(alert_id=alarm_id, by=block.district.users[Role.FIRE_SAFETY_PERSON], end="phone",
                      now=block.at(20))  # fmt: skip
    assert run_due(now=block.at(600)) == []
    assert Notification.objects.count() == before
    statuses = set(PlannedEscalation.objects.filter(alert_id=alarm_id).values_list("status", flat=True))
    assert statuses == {"done", "cancelled"}


def test_a_step_runs_once_even_when_run_again_and_repeated_triggers_notify_nobody_twice(block, configured):
    e = block.electricity
    [alarm_id] = evaluate_points([block.point(e, "wire_temp", 98, 0)], now=block.at(0))
    run_due(now=block.at(0))
    run_due(now=block.at(0))
    first = Notification.objects.filter(alert_id=alarm_id).count()
    # The wire cools and heats again, several times: same alarm, no new notifications about it.
    for seconds, value in [(5, 70), (10, 99), (15, 70), (20, 99)]:
        evaluate_points([block.point(e, "wire_temp", value, seconds)], now=block.at(seconds))
    run_due(now=block.at(30))
    assert Notification.objects.filter(alert_id=alarm_id).count() == first
    assert Alert.objects.get(pk=alarm_id).trigger_count == 3


def test_a_block_without_a_person_in_charge_still_escalates_to_the_station(block, configured):
    apartment = block.district.mine
    apartment.fire_safety_person = None
    apartment.save()
    evaluate_points([block.point(block.electricity, "wire_temp", 98, 0)], now=block.at(0))
    run_due(now=block.at(0) + timedelta(seconds=1))
    assert ("李值班", "sms") in sent_to() and not any(name == "王责任" for name, _ in sent_to())
