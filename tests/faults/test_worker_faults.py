"""Readings survive an ingest Celery worker killed with SIGKILL mid-batch and a Celery broker (Redis) restart.

A throwaway Redis (port 16379, append-only file) is the Celery broker and channel layer; a real
``celery -A shijiao worker`` (prefork, its own process group) works on the test database. The test hands
numbered readings over as ``sensors.ingest_batch`` tasks, exactly as the MQTT consumer does, kills or restarts
things in the middle, then counts: every reading stored exactly once, each alarm rule raised exactly once.

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

import json
import shutil
import signal
import time
import uuid
from datetime import timedelta

import pytest
import redis
from celery import Celery
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from alerts.defaults import load_defaults
from alerts.models import Alert, AlertRule, EscalationStep, RuleCondition
from conftest import require_service
from sensors.catalog import load_catalog
from sensors.handover import batch_hand_over, batches_sweep, ledger_counts
from sensors.models import Device, DeviceType, Metric, Reading
from tests.faults.servers import QUIET_ENV, Redis, django_process, kill_group, wait_until

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

READINGS = 3000
BATCH = 50
VISIBILITY = 8  # seconds before a dead worker's unacknowledged task is handed out again


@pytest.fixture
def redis_server(tmp_path):
    require_service("redis-server (apt-get install redis-server)", shutil.which("redis-server") is not None)
    server = Redis(tmp_path)
    server.start()
    yield server
    server.stop()


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


class Worker:
    """``celery -A shijiao worker`` (prefork, 2 processes) on the test database and the throwaway Redis."""

    def __init__(self, redis: Redis, log_path) -> None:
        self.redis, self.log_path = redis, log_path
        self.process = None
        self.restarts = 0  # by the supervisor, after the worker died by itself

    def start(self) -> None:
        log = open(self.log_path, "ab")  # the process writes to it for its whole life
        self.process = django_process(
            ["-m", "celery", "-A", "tests.faults.celery_app", "worker", "--pool", "prefork", "--concurrency", "2",
             "--loglevel", "WARNING", "--without-gossip", "--without-mingle",
             "--hostname", f"fault-{uuid.uuid4().hex[:6]}@%h"],
            database=connection.settings_dict,
            env={"REDIS_URL": self.redis.url, "CELERY_BROKER_URL": self.redis.url,
                 "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY), "CELERY_WORKER_PREFETCH_MULTIPLIER": "1", **QUIET_ENV},
            new_session=True,
            log=log,
        )  # fmt: skip
        log.close()

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None:
            kill_group(self.process, sig)
        self.process = None

    def errors(self) -> str:
        """The worker's warnings and errors (not the tracebacks' bodies), and what waits in the broker."""
        lines = self.log_path.read_text(errors="replace").splitlines() if self.log_path.exists() else []
        shown = "\n".join(line for line in lines if line.startswith("["))[-4000:]
        try:
            client = redis.Redis.from_url(self.redis.url, socket_timeout=3)
            waiting = f"queue {client.llen('celery')}, unacked {client.hlen('unacked')}"
        except redis.RedisError as exc:
            waiting = f"broker does not answer: {exc}"
        alive = self.process is not None and self.process.poll() is None
        return f"\nworker {'running' if alive else 'gone'}; {waiting}\n{shown}"


class Sender:
    """Hands batches over as the consumer does (ledger, then queue), re-sending while the broker is away;
    and sweeps the ledger as Celery beat does."""

    def __init__(self, redis: Redis) -> None:
        self.app = Celery("fault-sender", broker=redis.url, set_as_current=False)
        self.app.conf.broker_transport_options = {"visibility_timeout": VISIBILITY}
        self.app.conf.broker_connection_retry = True
        self.resent = 0
        self.requeued = 0  # batches the sweep found lost and queued again
        self._swept = 0.0

    def send(self, batch: list[list]) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                batch_hand_over(batch, app=self.app)
                return
            except (KombuOperationalError, redis.RedisError, OSError, ConnectionError):
                if time.monotonic() > deadline:
                    raise
                self.resent += 1
                time.sleep(0.5)

    def sweep(self) -> None:
        if time.monotonic() - self._swept < 2:
            return
        self._swept = time.monotonic()
        try:
            self.requeued += batches_sweep(older_than=VISIBILITY, app=self.app).requeued
        except redis.RedisError:
            pass  # the broker is still coming back: next time

    def close(self) -> None:
        self.app.close()


def batches(device: Device, n: int = READINGS) -> list[list[list]]:
    """n numbered readings, 100 ms apart, ending now, in batches: first cool, then an overheating wire (95 °C)."""
    start = timezone.now() - timedelta(milliseconds=100 * n)
    messages = []
    for i in range(n):
        ts = int((start + timedelta(milliseconds=100 * i)).timestamp() * 1000)
        payload = json.dumps({"ts": ts, "values": {"wire_temp": 30.0 if i < n // 2 else 95.0}})
        messages.append([f"shijiao/{device.key}/telemetry", "", payload, time.time()])
    return [messages[i : i + BATCH] for i in range(0, n, BATCH)]


def stored(device: Device) -> int:
    return Reading.objects.filter(device=device).count()


def alarms_per_rule(device: Device) -> dict[str, int]:
    counts: dict[str, int] = {}
    for code in Alert.objects.filter(device=device).values_list("rule__code", flat=True):
        counts[code] = counts.get(code, 0) + 1
    return counts


def supervised(worker: Worker, sender: Sender, device: Device) -> bool:
    """One look by the supervisor (systemd ``Restart=always`` in production): a worker that died is started again;
    and by Celery beat: the hand-over sweep."""
    if worker.process is not None and worker.process.poll() is not None:
        worker.restarts += 1
        worker.start()
    sender.sweep()
    try:
        return stored(device) >= READINGS and ledger_counts(app=sender.app)["pending"] == 0
    except redis.RedisError:
        return False


def settle_and_check(name: str, device: Device, sender: Sender, worker: Worker) -> None:
    wait_until(lambda: supervised(worker, sender, device), timeout=60, step=0.5)
    time.sleep(1.0)  # anything still arriving would be a duplicate: give it a moment to show
    alarms = alarms_per_rule(device)
    count = stored(device)
    print(
        f"\n[faults] {name}: published {READINGS}, stored {count}, re-sent {sender.resent}, "
        f"lost in hand-over and queued again {sender.requeued}, worker restarts by the supervisor {worker.restarts}, "
        f"alarms per rule {alarms}"
    )
    assert count == READINGS, ("readings lost" if count < READINGS else "readings stored twice") + worker.errors()
    assert alarms == {"wire_temp_warning": 1, "wire_temp_rising": 1, "wire_temp_critical": 1}, (
        f"alarms not raised exactly once each: {alarms}" + worker.errors()
    )
    assert ledger_counts(app=sender.app) == {"pending": 0, "dead": 0}, "batches left in the hand-over ledger"


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
