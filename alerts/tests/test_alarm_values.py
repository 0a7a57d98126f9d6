"""The figures an alarm card shows are true: "now" after the condition cleared, the peak with late readings."""

from __future__ import annotations

import pytest

from alerts.models import Alert
from alerts.push import alarm_payload
from alerts.rules import evaluate_points

pytestmark = pytest.mark.django_db


def the_alarm(block) -> Alert:
    [alarm] = Alert.objects.filter(device=block.electricity, metric="wire_temp", closed_at__isnull=True)
    return alarm


def test_after_clearing_the_alarm_shows_the_reading_that_cleared_it_not_the_last_alarming_one(block):
    e = block.electricity
    evaluate_points([block.point(e, "wire_temp", 95.5, 0)])
    evaluate_points([block.point(e, "wire_temp", 62.0, 20)])  # back to normal
    alarm = the_alarm(block)
    assert alarm.cleared_at == block.at(20)
    assert alarm.last_value == 62.0 and alarm.peak_value == 95.5
    payload = alarm_payload(alarm)
    assert (payload["last_value"], payload["cleared_at"] is not None) == (62.0, True)


def test_a_higher_reading_that_arrives_out_of_order_becomes_the_peak(block):
    e = block.electricity
    evaluate_points([block.point(e, "wire_temp", 95.0, 0)])
    evaluate_points([block.point(e, "wire_temp", 97.0, 20)])
    evaluate_points([block.point(e, "wire_temp", 120.0, 10)])  # taken at 10 s, delivered after the 20 s one
    alarm = the_alarm(block)
    assert alarm.peak_value == 120.0
    assert alarm.last_value == 97.0, "the latest value stays the newest reading's"


def test_a_late_reading_from_before_the_alarm_is_not_its_peak(block):
    e = block.electricity
    evaluate_points([block.point(e, "wire_temp", 95.0, 30)])
    evaluate_points([block.point(e, "wire_temp", 150.0, 0)])  # older than the alarm: another episode
    assert the_alarm(block).peak_value == 95.0
