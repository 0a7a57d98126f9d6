"""The ingest load of the Celery fault tests: numbered readings handed over as the MQTT consumer does, a real
``celery worker`` eating them, and the test playing the supervisor (systemd) and Celery beat.

A throwaway Redis (tests/faults/servers.py) is the broker; the worker works on the database it is given (the test
database, or a throwaway PostgreSQL). The counting helpers query through the ORM: route them with a database
router when the readings live elsewhere than in the test database.
"""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import redis
from celery import Celery
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from alerts.models import Alert, AlertEvent
from sensors.handover import batch_hand_over, batches_sweep, ledger_counts, queues
from sensors.models import Device, Reading
from sensors.urgency import message_is_urgent
from tests.faults.servers import QUIET_ENV, Redis, django_process, kill_group, wait_until

READINGS = 3000
BATCH = 50
VISIBILITY = 8  # seconds before a dead worker's unacknowledged task is handed out again


class Worker:
    """``celery -A tests.faults.celery_app worker`` (prefork, 2 processes) on the throwaway Redis and the given
    database (Django's ``settings_dict``; the test database when none is given)."""

    def __init__(self, redis: Redis, log_path: Path, *, database: dict | None = None) -> None:
        self.redis, self.log_path, self.database = redis, log_path, database
        self.process = None
        self.restarts = 0  # by the supervisor, after the worker died by itself

    def start(self) -> None:
        log = open(self.log_path, "ab")  # the process writes to it for its whole life
        self.process = django_process(
            ["-m", "celery", "-A", "tests.faults.celery_app", "worker", "--pool", "prefork", "--concurrency", "2",
             "--loglevel", "WARNING", "--without-gossip", "--without-mingle",
             "--hostname", f"fault-{uuid.uuid4().hex[:6]}@%h"],
            database=self.database or connection.settings_dict,
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

    def logged_errors(self) -> int:
        """How many errors the worker logged (a task or a listener that failed, retried or not)."""
        lines = self.log_path.read_text(errors="replace").splitlines() if self.log_path.exists() else []
        return sum(1 for line in lines if line.startswith("[") and ": ERROR/" in line)

    def errors(self) -> str:
        """The worker's warnings and errors (not the tracebacks' bodies), and what waits in the broker."""
        lines = self.log_path.read_text(errors="replace").splitlines() if self.log_path.exists() else []
        shown = "\n".join(line for line in lines if line.startswith("["))[-4000:]
        try:
            client = redis.Redis.from_url(self.redis.url, socket_timeout=3)
            queued = ", ".join(f"{queue} {client.llen(queue)}" for queue in queues())
            waiting = f"queues {queued}, unacked {client.hlen('unacked')}"
        except redis.RedisError as exc:
            waiting = f"broker does not answer: {exc}"
        alive = self.process is not None and self.process.poll() is None
        return f"\nworker {'running' if alive else 'gone'}; {waiting}\n{shown}"


class Sender:
    """Hands batches over as the consumer does (ledger, then queue), re-sending while the broker is away;
    and plays Celery beat: the ledger sweep, and queuing ``beat_tasks`` (names of periodic tasks) for the worker."""

    def __init__(self, redis: Redis, *, beat_tasks: tuple[str, ...] = ()) -> None:
        self.app = Celery("fault-sender", broker=redis.url, set_as_current=False)
        self.app.conf.broker_transport_options = {"visibility_timeout": VISIBILITY}
        self.app.conf.broker_connection_retry = True
        self.beat_tasks = beat_tasks
        self.resent = 0
        self.requeued = 0  # batches the sweep found lost and queued again
        self._swept = 0.0

    def send(self, batch: list[list]) -> None:
        """Hand over as the consumer does: alarm-bearing messages (the overheating wire) on the alarm queue."""
        urgent = any(message_is_urgent(topic, payload) for topic, _user, payload, _at in batch)
        deadline = time.monotonic() + 30
        while True:
            try:
                batch_hand_over(batch, urgent=urgent, app=self.app)
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
            for name in self.beat_tasks:
                self.app.send_task(name)
        except (KombuOperationalError, redis.RedisError):
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


def alarms_per_incident(device: Device) -> dict[str, int]:
    counts: dict[str, int] = {}
    for incident in Alert.objects.filter(device=device).values_list("incident", flat=True):
        counts[incident] = counts.get(incident, 0) + 1
    return counts


def overheat_fired_once_each(device: Device) -> bool:
    """The 30 → 95 °C jump is one incident: one alarm, critical, on which the fast-rise, the critical and the warning
    rules each fired exactly once (its trigger count; a rule fired twice by a redelivered batch would show there)."""
    alarm = Alert.objects.filter(device=device, incident="wire_overheat").first()
    return alarm is not None and alarm.severity == "critical" and alarm.trigger_count == 3


def supervised(worker: Worker, sender: Sender, done: Callable[[], bool]) -> bool:
    """One look by the supervisor (systemd ``Restart=always`` in production): a worker that died is started again;
    and by Celery beat. True once ``done()`` and the hand-over ledger is empty."""
    if worker.process is not None and worker.process.poll() is not None:
        worker.restarts += 1
        worker.start()
    sender.sweep()
    try:
        return done() and ledger_counts(app=sender.app)["pending"] == 0
    except redis.RedisError:
        return False


def settle_and_check(
    name: str,
    device: Device,
    sender: Sender,
    worker: Worker,
    *,
    settled: Callable[[], bool] | None = None,
    timeout: float = 60,
    more: Callable[[], str] = str,
) -> None:
    """Play supervisor and beat until every reading is stored (or ``settled()``) and the ledger is empty; print the
    counts (and ``more()``) and check them: every reading stored once, one alarm for the overheating with each of its
    rules fired once, nothing left in the hand-over ledger."""
    wait_until(lambda: supervised(worker, sender, settled or (lambda: stored(device) >= READINGS)), timeout, step=0.5)
    time.sleep(1.0)  # anything still arriving would be a duplicate: give it a moment to show
    alarms = alarms_per_incident(device)
    count = stored(device)
    print(
        f"\n[faults] {name}: published {READINGS}, stored {count}, re-sent {sender.resent}, "
        f"lost in hand-over and queued again {sender.requeued}, worker restarts by the supervisor {worker.restarts}, "
        f"alarms per incident {alarms}{more()}"
    )
    assert count == READINGS, ("readings lost" if count < READINGS else "readings stored twice") + worker.errors()
    assert alarms == {"wire_overheat": 1} and overheat_fired_once_each(device), (
        f"not one alarm with each rule fired once: {alarms} "
        f"{list(Alert.objects.filter(device=device).values_list('severity', 'trigger_count'))}, its history "
        f"{list(AlertEvent.objects.filter(alert__device=device).values_list('kind', 'at', 'note'))}" + worker.errors()
    )
    assert ledger_counts(app=sender.app) == {"pending": 0, "dead": 0}, "batches left in the hand-over ledger"
