"""One open alarm per device and rule, even when two workers trigger it at the same moment."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from alerts.factories import raise_alarm
from alerts.models import Alert, AlertRule
from conftest import require_service

pytestmark = pytest.mark.django_db(transaction=True)


def trigger(rule: AlertRule, device, value: float, at, reopen_after: float = 300) -> Alert | None:
    return raise_alarm(
        rule_id=rule.id, device_id=device.id, apartment_id=device.apartment_id, severity=rule.severity,
        title=rule.name, metric="wire_temp", unit="°C", value=value, at=at, reopen_after=reopen_after,
    )  # fmt: skip


def test_two_workers_triggering_at_once_make_one_alarm_counted_twice(block):
    require_service("PostgreSQL (concurrent writers)", connection.vendor == "postgresql")
    rule = AlertRule.objects.get(code="wire_temp_critical", apartment=None, device=None)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(value: float) -> None:
        try:
            barrier.wait(timeout=5)
            trigger(rule, block.electricity, value, block.at(0))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(v,)) for v in (95.0, 97.0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert not errors
    [alarm] = Alert.objects.filter(device=block.electricity, rule=rule)
    assert alarm.trigger_count == 2 and alarm.peak_value == 97.0 and alarm.closed_at is None


def test_the_database_itself_refuses_a_second_open_alarm(block):
    rule = AlertRule.objects.get(code="smoke", apartment=None, device=None)
    first = trigger(rule, block.smoke, 1, block.at(0))
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(
            rule=rule, device=block.smoke, apartment=block.smoke.apartment, severity="critical", title="dup",
            raised_at=block.at(1), last_triggered_at=block.at(1),
        )  # fmt: skip
    # Once closed, a new one may open (smoke re-opens at once: no flapping interval).
    Alert.objects.filter(pk=first.pk).update(closed_at=block.at(2), status="closed")
    second = trigger(rule, block.smoke, 1, block.at(3), reopen_after=0)
    assert second is not None and second.pk != first.pk
