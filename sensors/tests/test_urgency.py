"""The fast lane's test: a raw message carries a value some alarm rule may fire on (any format, aliases too)."""

from __future__ import annotations

import json

import pytest

from alerts.defaults import load_defaults
from alerts.models import AlertRule, EscalationStep, RuleCondition
from sensors.catalog import load_catalog
from sensors.models import DeviceType, Metric
from sensors.urgency import is_urgent, message_is_urgent, table

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


def test_every_message_of_a_device_whose_alarm_is_on_or_that_went_silent_is_urgent(make_device):
    from django.utils import timezone

    from alerts.models import RuleState

    firing = make_device(key="urg-firing", alink_product_key="a1B2c3")
    waiting = make_device(key="urg-waiting")
    make_device(key="urg-silent", is_online=False, last_seen_at=timezone.now())
    never_seen = make_device(key="urg-new", is_online=False)
    quiet = make_device(key="urg-quiet", is_online=True, last_seen_at=timezone.now())
    rule = AlertRule.objects.filter(device_type=firing.device_type, apartment=None).first()
    RuleState.objects.create(device=firing, rule=rule, triggered=True)
    RuleState.objects.create(device=waiting, rule=rule, pending_since=timezone.now())
    table.invalidate()
    cool = json.dumps({"values": {"wire_temp": 35.0}})  # back under the clear level: it may clear the alarm

    assert message_is_urgent("shijiao/urg-firing/telemetry", cool)
    assert message_is_urgent("/sys/a1B2c3/urg-firing/thing/event/property/post", cool)
    assert message_is_urgent("shijiao/urg-waiting/telemetry", cool)  # a duration running
    assert message_is_urgent("shijiao/urg-silent/heartbeat", "")  # coming back
    assert not message_is_urgent(f"shijiao/{never_seen.key}/telemetry", cool)
    assert not message_is_urgent(f"shijiao/{quiet.key}/telemetry", cool)
    assert message_is_urgent(f"shijiao/{quiet.key}/telemetry", json.dumps({"values": {"wire_temp": 95.0}}))


def test_the_consumers_fast_test_agrees_with_the_triggers_on_every_value():
    """The per-message test reads the triggers in a shape of its own: it must say what ``Triggers.met`` says."""
    from sensors import urgency

    def extra() -> urgency.Triggers:
        found = urgency.Triggers()
        found.within["voltage"] = [(10.0, 20.0)]  # a range rule besides the defaults' levels
        found.flags.add("current")  # a flag on a metric that also has a level
        return found

    urgency.register_triggers(extra)
    table.invalidate()
    try:
        current = table.current()
        assert current.keys, "no triggers loaded"
        values = [-1e9, -1.0, 0.0, 0.05, 0.2, 0.49, 0.5, 1.0, 9.9, 10.0, 15.0, 20.0, 20.1, 55.0, 60.9, 61.0, 70.0,
                  95.0, 449.9, 450.0, 1e9]  # fmt: skip
        for name, metric in current.keys.items():
            for value in values:
                expected = current.triggers.met(metric, value)
                assert is_urgent(json.dumps({"values": {name: value}})) is expected, (name, value)
                assert is_urgent(json.dumps({"values": {name.upper(): value}})) is expected, (name, value)
        assert is_urgent('{"values": {"wire_temp": 1e999}}') is False
        assert is_urgent('{"values": {"smoke": TRUE}}') is True
    finally:
        urgency._providers.remove(extra)
        table.invalidate()
