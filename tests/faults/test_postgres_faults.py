"""Readings, alarms and escalations survive PostgreSQL restarted under load (issue #9).

The machine's PostgreSQL is shared, so the test starts a cluster of its own (``initdb`` into a temporary directory,
port 55432 or, when that is taken, any free one), migrates a database there, and a real ``celery worker`` works on
it with a throwaway Redis as broker.
The test hands numbered readings over as the MQTT consumer does, restarts PostgreSQL (``pg_ctl stop -m fast``,
then start) when the worker reaches the 30 → 95 °C jump, plays systemd (a dead worker is started again) and Celery
beat (the hand-over sweep, the escalation job ``alerts.sweep``), then counts in that database: every reading
stored exactly once, one alarm for the overheating wire with each of its rules fired exactly once, each step of
its escalation chains done exactly once, the hand-over ledger empty.

Found here: (1) the alarm rules of a batch whose readings had just been committed failed on the vanished
connection, the failure was only logged, and the batch was struck off as done: its readings were never judged
(sensors.ingest._announce now re-raises a database error, so the task retries the batch and the rules run on the
repetition; alerts.rules rewinds the process's memory of a failed run, or the retry found it "already past").
(2) The retries come back in any order; a duration rule measured "above 70 °C for 30 s" from the first hot batch
it happened to get, and the warning was missed when that was one of the last (alerts.rules._replay_late).

The test does not use the test database: while it runs, this process's default connection points at the throwaway
cluster, so the factories and the counting helpers of tests/faults/ingest_load.py work there unchanged.
"""

from __future__ import annotations

import contextlib
import copy
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import pytest
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections
from django.db.utils import load_backend

from accounts.factories import UserFactory
from accounts.models import Role
from alerts.models import Alert, AlertEvent, EscalationStep, PlannedEscalation
from apartments.factories import ApartmentFactory
from conftest import require_service
from sensors.models import Device, DeviceType
from shijiao.env import database_from_url
from tests.faults.ingest_load import (
    READINGS,
    Sender,
    Worker,
    batches,
    overheat_fired_once_each,
    settle_and_check,
    stored,
    supervised,
)
from tests.faults.servers import ROOT, Postgres, answers, django_process, postgres_bin, wait_until

pytestmark = [pytest.mark.faults, pytest.mark.integration]

PACE = 0.05  # seconds between two batches handed over: a steady stream the worker keeps up with
T = TypeVar("T")


@dataclass
class Throwaway:
    server: Postgres
    database: dict  # Django's settings_dict for it


@contextlib.contextmanager
def default_database(database: dict) -> Iterator[None]:
    """Point this process's default connection at ``database`` for a while (then back at the test database), so
    that everything using it implicitly (``transaction.on_commit`` in model signals, ``transaction.atomic()``)
    goes there too."""
    before = connections[DEFAULT_DB_ALIAS]
    connections[DEFAULT_DB_ALIAS] = load_backend(database["ENGINE"]).DatabaseWrapper(database, DEFAULT_DB_ALIAS)
    try:
        yield
    finally:
        with contextlib.suppress(DatabaseError):
            connections[DEFAULT_DB_ALIAS].close()
        connections[DEFAULT_DB_ALIAS] = before


@pytest.fixture
def throwaway(django_db_blocker) -> Iterator[Throwaway]:
    require_service("PostgreSQL's initdb and pg_ctl (apt-get install postgresql)", postgres_bin() is not None)
    server = Postgres()
    try:
        server.start()
        server.create_database("shijiao_fault")
        database = {
            **copy.deepcopy(connections[DEFAULT_DB_ALIAS].settings_dict),
            **database_from_url(server.url("shijiao_fault"), ROOT),
            "TEST": {},
        }
        migrate = django_process(["manage.py", "migrate", "-v0"], database=database, env={})
        _, errors = migrate.communicate(timeout=300)
        assert migrate.returncode == 0, f"migrate failed on the throwaway PostgreSQL: {errors.decode()[-3000:]}"
        with django_db_blocker.unblock(), default_database(database):
            yield Throwaway(server, database)
    finally:
        server.remove()


def asked(question: Callable[[], T], otherwise: T) -> T:
    """The answer of the throwaway PostgreSQL, or ``otherwise`` while it is away (its broken connection is
    dropped, so the next question connects again)."""
    try:
        return question()
    except (OperationalError, InterfaceError):
        connections[DEFAULT_DB_ALIAS].close()
        return otherwise


def wire_on_throwaway() -> Device:
    """The overheating wire's device in a block with a fire safety person; escalation delays cut to a tenth
    (the readings are back-dated, so every step is due by the time its alarm is raised)."""
    person = UserFactory(role=Role.FIRE_SAFETY_PERSON, username="firesafety", display_name="安全员")
    apartment = ApartmentFactory(fire_safety_person=person, name="新华工业园6号公寓")
    for step in EscalationStep.objects.exclude(delay_seconds=0):
        step.delay_seconds //= 10
        step.save(update_fields=["delay_seconds"])
    return Device.objects.create(
        key=f"fault-pg-{uuid.uuid4().hex[:8]}",
        device_type=DeviceType.objects.get(code="smart_electricity"),
        apartment=apartment,
        location="一楼电瓶车充电处",
    )


def escalation_steps(device: Device) -> dict[str, tuple[int, int, int, int]]:
    """Per alarm (incident): (steps in the chain of its severity, of them done, steps done of every chain it went
    through, step runs written in the alarm's history).

    Each run of the escalation job writes one history line per alarm listing the steps it executed ("; " apart):
    a step executed twice would show there, while its planned row can only be done once. An alarm whose severity
    climbed also ran the immediate steps of the lower chain before the climb, once.
    """
    steps: dict[str, tuple[int, int, int, int]] = {}
    for alert in Alert.objects.filter(device=device):
        chain = EscalationStep.objects.filter(severity=alert.severity, is_enabled=True).count()
        done = alert.escalations.filter(status=PlannedEscalation.Status.DONE)
        notes = alert.events.filter(kind=AlertEvent.Kind.ESCALATED).values_list("note", flat=True)
        steps[alert.incident] = (
            chain,
            done.filter(step__severity=alert.severity).count(),
            done.count(),
            sum(len(note.split("; ")) for note in notes),
        )
    return steps


def settled(device: Device) -> bool:
    """Every reading stored, the overheating's one alarm with each rule fired once, its chain done."""
    return (
        stored(device) >= READINGS
        and overheat_fired_once_each(device)
        and all(chain == done for chain, done, _, _ in escalation_steps(device).values())
    )


def test_a_postgres_restart_under_load_loses_and_repeats_nothing(redis_server, throwaway, tmp_path):
    wire = wire_on_throwaway()
    worker = Worker(redis_server, tmp_path / "worker.log", database=throwaway.database)
    sender = Sender(redis_server, beat_tasks=("alerts.sweep",))
    restart = threading.Thread(target=throwaway.server.restart)  # devices keep sending while PostgreSQL is away
    at_restart = 0

    def restart_at_the_jump() -> None:
        nonlocal at_restart
        if not restart.is_alive() and not at_restart:
            at_restart = asked(lambda: stored(wire), 0)
            if at_restart >= READINGS // 2:  # the worker is at the 30 → 95 °C jump: the alarms are being raised
                restart.start()
            else:
                at_restart = 0

    try:
        worker.start()
        all_batches = batches(wire)
        sender.send(all_batches[0])
        assert wait_until(lambda: asked(lambda: stored(wire), 0) > 0, timeout=40, step=0.05), worker.errors()
        for batch in all_batches[1:]:
            sender.send(batch)
            supervised(worker, sender, lambda: False)
            restart_at_the_jump()
            time.sleep(PACE)
        assert wait_until(lambda: restart_at_the_jump() or at_restart, timeout=60, step=0.05), worker.errors()
        restart.join(60)
        assert answers(throwaway.server.port), "PostgreSQL did not come back" + throwaway.server.log_tail()
        settle_and_check(
            f"PostgreSQL restart at {at_restart} stored",
            wire,
            sender,
            worker,
            settled=lambda: asked(lambda: settled(wire), False),
            timeout=120,
            more=lambda: (
                f", errors the worker logged {worker.logged_errors()}, "
                f"escalation steps (chain, done, executed) {escalation_steps(wire)}"
            ),
        )
        steps = escalation_steps(wire)
        assert all(chain == done and done_all == executed for chain, done, done_all, executed in steps.values()), (
            f"escalation steps not done exactly once each: {steps}" + worker.errors()
        )
        assert worker.process is not None and worker.process.poll() is None, "no worker running" + worker.errors()
    finally:
        sender.close()
        worker.kill(signal.SIGTERM)
        if restart.is_alive():
            restart.join(60)
