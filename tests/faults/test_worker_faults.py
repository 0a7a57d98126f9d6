"""Readings survive an ingest Celery worker killed with SIGKILL mid-batch and a Celery broker (Redis) restart.

A throwaway Redis (port 16379, append-only file) is the Celery broker and channel layer; a real
``celery -A shijiao worker`` (prefork, its own process group) works on the test database. The test hands
numbered readings over as ``sensors.ingest_batch`` tasks, exactly as the MQTT consumer does, kills or restarts
things in the middle, then counts: every reading stored exactly once, one alarm for the overheating wire with each
of its rules fired exactly once.

What makes it hold: acks_late + reject_on_worker_lost (a killed worker's tasks go back to the queue after the
visibility timeout), the hand-over ledger (sensors/handover.py: a task a worker took off the queue but died
before recording as unacknowledged is queued again by the sweep; found here, one batch of 50 lost in CI),
idempotent storage (a redelivered batch stores nothing new) and the alarm engine keeping one open alarm per rule
and device.

Found here: kombu 5.7's Redis transport can crash the worker when the broker goes away (systemd's
``Restart=always`` brings it back: the test plays that supervisor and counts the restarts); and the
``wire_temp_rising`` alarm was missed when the 30 → 95 °C jump fell across that restart (the new process had no
earlier reading to measure the rise against: alerts.rules._warm_rates now takes the last stored one).
"""

from __future__ import annotations

import signal
import time
import uuid

import pytest

from alerts.defaults import load_defaults
from alerts.models import AlertRule, EscalationStep, RuleCondition
from sensors.catalog import load_catalog
from sensors.models import Device, DeviceType, Metric
from tests.faults.ingest_load import READINGS, Sender, Worker, batches, settle_and_check, stored
from tests.faults.servers import wait_until

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def wire(district) -> Device:
    # Transactional tests before this one may have emptied the tables the migrations filled: load them again.
    load_catalog(DeviceType, Metric)
    load_defaults(DeviceType, AlertRule, RuleCondition, EscalationStep)
    return Device.objects.create(
        key=f"fault-w-{uuid.uuid4().hex[:8]}",
        device_type=DeviceType.objects.get(code="smart_electricity"),
        apartment=district.mine,
        location="一楼电瓶车充电处",
    )


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(redis_server, wire, tmp_path):
    worker, sender = Worker(redis_server, tmp_path / "worker.log"), Sender(redis_server)
    try:
        for batch in batches(wire):  # the whole load waits in the queue; the worker eats it batch by batch
            sender.send(batch)
        worker.start()
        # Kill it (and its pool) while it is in the middle of the stream: some stored, most not.
        assert wait_until(lambda: stored(wire) > 0, timeout=40, step=0.05), worker.errors()
        worker.kill(signal.SIGKILL)
        at_kill = stored(wire)
        assert at_kill < READINGS, "the worker finished before it could be killed"
        worker.start()
        settle_and_check(f"worker SIGKILL at {at_kill} stored", wire, sender, worker)
    finally:
        sender.close()
        worker.kill(signal.SIGTERM)


def test_a_broker_restart_under_load_loses_and_duplicates_nothing(redis_server, wire, tmp_path):
    worker, sender = Worker(redis_server, tmp_path / "worker.log"), Sender(redis_server)
    try:
        worker.start()
        all_batches = batches(wire)
        sender.send(all_batches[0])  # the worker is up and working before the broker goes away
        assert wait_until(lambda: stored(wire) > 0, timeout=40, step=0.05), worker.errors()
        for i, batch in enumerate(all_batches[1:], start=1):
            sender.send(batch)
            if i == len(all_batches) // 2:
                redis_server.restart()  # the broker goes away under load and comes back
            time.sleep(0.01)
        # Found here: kombu 5.7's Redis transport may crash the worker when the broker goes away ("Unrecoverable
        # error: AttributeError: 'NoneType' object has no attribute 'hostname'"); systemd starts it again.
        settle_and_check("Redis restart", wire, sender, worker)
    finally:
        sender.close()
        worker.kill(signal.SIGTERM)
