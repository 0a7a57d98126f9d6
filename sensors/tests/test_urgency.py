"""The fast lane's test: a raw message carries a value some alarm rule may fire on (any format, aliases too)."""

from __future__ import annotations

import json

import pytest

from alerts.defaults import load_defaults
from alerts.models import AlertRule, EscalationStep, RuleCondition
from sensors.catalog import load_catalog
from sensors.models import DeviceType, Metric
from sensors.urgency import is_urgent, table

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def seeded_rules():
    load_catalog(DeviceType, Metric)
    load_defaults(DeviceType, AlertRule, RuleCondition, EscalationStep)
    table.invalidate()
    yield
    table.invalidate()


@pytest.mark.parametrize(
    ("body", "urgent"),
    [
        ({"ts": 1, "values": {"wire_temp": 95.0, "current": 6}}, True),  # native, over the warning level
        ({"ts": 1, "values": {"wire_temp": 35.0, "current": 6, "voltage": 220}}, False),  # normal
        ({"wire_temp": 61}, True),  # ThingsBoard flat
        ([{"ts": 1, "values": {"residual_current": 20}}, {"ts": 2, "values": {"residual_current": 450}}], True),
        ({"method": "thing.event.property.post", "params": {"WireTemp": {"value": 99, "time": 1}}}, True),  # alias
        ({"method": "thing.event.property.post", "params": {"WireTemp": {"value": 30, "time": 1}}}, False),
        ({"values": {"smoke": True}}, True),  # a flag
        ({"values": {"smoke": False}}, False),
        ({"values": {"pressure": 0.05}}, True),  # below the low-pressure level
        ({"values": {"pressure": 0.4}}, False),
        ({"values": {"wire_temp": "95"}}, False),  # not a number: the batch path rejects it
    ],
)
def test_it_finds_alarm_bearing_values_in_every_format(body, urgent):
    assert is_urgent(json.dumps(body)) is urgent


def test_garbage_is_never_urgent_and_never_raises():
    for payload in [b"\xff\xfe", "not json", "null", "[[[[[[[[[[1]]]]]]]]]]", '{"values": [1, 2, 3]}', ""]:
        assert is_urgent(payload) is False


def test_a_lower_level_set_in_the_admin_is_urgent_at_once_and_a_disabled_rule_does_not_count():
    assert not is_urgent(json.dumps({"values": {"wire_temp": 56}}))
    condition = RuleCondition.objects.get(rule__code="wire_temp_warning", metric="wire_temp", rule__apartment=None)
    condition.threshold = 55
    condition.save()  # as the admin saves it: the rule caches are dropped
    assert is_urgent(json.dumps({"values": {"wire_temp": 56}}))

    rule = condition.rule
    rule.is_enabled = False
    rule.save()
    assert not is_urgent(json.dumps({"values": {"wire_temp": 56}}))
    assert is_urgent(json.dumps({"values": {"wire_temp": 91}}))  # the critical rule still counts
