"""Handing ingest batches to the Celery workers without ever losing one.

:func:`batch_hand_over` is the one way a batch reaches :func:`sensors.tasks.ingest_batch` (the MQTT consumer and
the fault tests call it): through the ledger below onto a Celery queue when the broker is Redis, queued plainly on
another broker, or run in this process (embedded defaults, ``ingest_mqtt --in-process``). A batch of alarm-bearing
messages (``urgent``, see sensors/urgency.py) goes to ``INGEST_ALARM_QUEUE``, which a worker of its own consumes:
it never waits behind the telemetry backlog in ``INGEST_QUEUE``.

Kombu's Redis transport takes a task off its queue (BRPOP) and only afterwards records it as unacknowledged;
a worker killed between the two loses that task for good (found by tests/faults: one batch of 50 readings
gone after a SIGKILL). So each batch is written to a ledger in the broker's Redis *before* it is queued and
struck off only *after* its readings are committed. The sweep (Celery beat, every ``INGEST_SWEEP_SECONDS``)
re-queues a batch that is in none of the places a live batch can be: not struck off, not in the queue, not
held unacknowledged by a worker (kombu gives those back itself after the visibility timeout). Storage is
idempotent, so the rare extra delivery a race can cause costs time, never a duplicate reading.

A batch re-queued ``MAX_REQUEUES`` times without being stored (a batch that makes the task fail every time)
goes to the dead-letter hash and is logged; ``manage.py ingest_ledger --replay-dead`` queues those again.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass

import orjson
import redis
from celery import Celery
from django.conf import settings
from django.db import close_old_connections

from sensors.ingest import RawMessage, ingest_messages

log = logging.getLogger(__name__)

TASK = "sensors.ingest_batch"
LEDGER = "shijiao:ingest:ledger"  # hash: task id → the batch (JSON)
SINCE = "shijiao:ingest:since"  # sorted set: task id → when it was last queued
REQUEUES = "shijiao:ingest:requeues"  # hash: task id → times the sweep queued it again
DEAD = "shijiao:ingest:dead"  # hash: task id → the batch, given up on; kept for an operator
MAX_REQUEUES = 3
SCAN_LIMIT = 2000  # a longer queue is a backlog: the sweep waits until it has drained


def _app(app: Celery | None) -> Celery:
    if app is not None:
        return app
    from shijiao.celery import app as project_app

    return project_app


def uses_ledger(app: Celery | None = None) -> bool:
    """True when batches travel through a Redis broker (not in-process, not another transport)."""
    app = _app(app)
    return not app.conf.task_always_eager and str(app.conf.broker_url or "").startswith(("redis://", "rediss://"))


_clients: dict[str, redis.Redis] = {}


def _client(app: Celery) -> redis.Redis:
    """One client (and connection pool) per broker URL and process: a connection per batch costs a TCP set-up."""
    url = app.conf.broker_url
    if url not in _clients:
        _clients[url] = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5, health_check_interval=30)
    return _clients[url]


def queues() -> list[str]:
    """The Celery queues ingest batches travel on: the alarm queue first."""
    return list(dict.fromkeys([settings.INGEST_ALARM_QUEUE, settings.INGEST_QUEUE]))


def _queue(urgent: bool) -> str:
    return settings.INGEST_ALARM_QUEUE if urgent else settings.INGEST_QUEUE


def _send(app: Celery, task_id: str, batch: list[list], queue: str) -> None:
    kwargs = {"ledger": True, "urgent": queue == settings.INGEST_ALARM_QUEUE != settings.INGEST_QUEUE}
    app.send_task(TASK, args=[batch], kwargs=kwargs, task_id=task_id, queue=queue)


def _entry(batch: list[list], queue: str) -> bytes:
    return orjson.dumps({"queue": queue, "batch": batch})  # the consumer writes one per batch: orjson, not json


def _read_entry(raw: bytes | str) -> tuple[list[list], str]:
    entry = json.loads(raw)
    if isinstance(entry, list):  # written before batches carried their queue
        return entry, settings.INGEST_QUEUE
    return entry["batch"], entry.get("queue") or settings.INGEST_QUEUE


def batch_hand_over(
    batch: list[list], *, urgent: bool = False, in_process: bool | None = None, app: Celery | None = None
) -> str | None:
    """Hand a batch (``[[topic, username, payload, received_at], ...]``) to ``sensors.ingest_batch``; answer its
    task id when it was queued. ``urgent``: alarm-bearing messages, queued on ``INGEST_ALARM_QUEUE``.
    ``in_process`` (default: when Celery runs eagerly): store it here and now.

    With a Redis broker the batch is written to the ledger first, then queued. Raises if the broker does not
    answer or (in process) the database fails: the MQTT consumer then keeps the messages unacknowledged and tries
    again."""
    app = _app(app)
    if in_process if in_process is not None else app.conf.task_always_eager:
        close_old_connections()
        batch_store(batch, urgent=urgent)
        return None
    queue = _queue(urgent)
    if not uses_ledger(app):
        return app.send_task(TASK, args=[batch], kwargs={"urgent": urgent}, queue=queue).id
    task_id = str(uuid.uuid4())
    _client(app).pipeline().hset(LEDGER, task_id, _entry(batch, queue)).zadd(SINCE, {task_id: time.time()}).execute()
    _send(app, task_id, batch, queue)
    return task_id


def batch_store(batch: list[list], *, urgent: bool = False):
    """Store one handed-over batch: the body of ``sensors.ingest_batch`` (answers the ``IngestResult``).
    ``urgent``: alarm-bearing messages, judged ahead of the device's telemetry still in the backlog."""
    return ingest_messages(
        (RawMessage(topic, payload, username, received_at) for topic, username, payload, received_at in batch),
        ahead=urgent,
    )


def batch_done(task_id: str, *, app: Celery | None = None) -> None:
    """Strike a stored batch off the ledger. A failure here only means the sweep may deliver it once more."""
    try:
        _client(_app(app)).pipeline().hdel(LEDGER, task_id).zrem(SINCE, task_id).hdel(REQUEUES, task_id).execute()
    except redis.RedisError as exc:
        log.warning(
            "ingest batch %s stored but not struck off the ledger (%s); it may be delivered again", task_id, exc
        )


def _task_ids(raw_messages) -> set[str]:
    """Task ids in kombu's Redis messages (queue entries, or [message, exchange, routing key] in unacked)."""
    ids = set()
    for raw in raw_messages:
        try:
            message = json.loads(raw)
            if isinstance(message, list):
                message = message[0]
            ids.add(message["headers"]["id"])
        except (ValueError, KeyError, TypeError, IndexError):
            continue
    return ids


@dataclass
class Sweep:
    pending: int = 0  # batches handed over and not yet stored
    requeued: int = 0  # of them, queued again now: they were nowhere
    dead: int = 0  # given up on now
    skipped: str = ""  # why the sweep did not look (a backlog)


def batches_sweep(*, older_than: float | None = None, app: Celery | None = None) -> Sweep:
    """Queue again every batch older than ``older_than`` seconds that is neither queued nor held by a worker."""
    app = _app(app)
    older_than = settings.INGEST_REQUEUE_AFTER_SECONDS if older_than is None else older_than
    client = _client(app)
    sweep = Sweep(pending=client.zcard(SINCE))
    stale = [tag.decode() for tag in client.zrangebyscore(SINCE, "-inf", time.time() - older_than)]
    if not stale:
        return sweep
    queued = sum(client.llen(queue) for queue in queues())
    if queued > SCAN_LIMIT:
        sweep.skipped = f"{queued} tasks queued: a backlog, not a loss"
        return sweep
    unacked_key = (app.conf.broker_transport_options or {}).get("unacked_key", "unacked")
    alive = _task_ids(client.hvals(unacked_key))
    for queue in queues():
        alive |= _task_ids(client.lrange(queue, 0, -1))
    for task_id in stale:
        if task_id in alive:
            continue
        batch = client.hget(LEDGER, task_id)
        if batch is None:  # struck off between the two reads
            client.zrem(SINCE, task_id)
            continue
        if client.hincrby(REQUEUES, task_id, 1) > MAX_REQUEUES:
            client.pipeline().hset(DEAD, task_id, batch).hdel(LEDGER, task_id).zrem(SINCE, task_id).hdel(
                REQUEUES, task_id
            ).execute()
            sweep.dead += 1
            log.error("ingest batch %s failed %s times; kept in Redis hash %s", task_id, MAX_REQUEUES, DEAD)
            continue
        client.zadd(SINCE, {task_id: time.time()})
        _send(app, task_id, *_read_entry(batch))
        sweep.requeued += 1
    if sweep.requeued:
        log.warning("ingest: %s batch(es) were lost between broker and worker; queued again", sweep.requeued)
    return sweep


def dead_replay(*, app: Celery | None = None) -> int:
    """Queue every dead-lettered batch again (after the cause was fixed). Returns how many."""
    app = _app(app)
    client = _client(app)
    replayed = 0
    for task_id, batch in client.hgetall(DEAD).items():
        task_id = task_id.decode()
        client.pipeline().hset(LEDGER, task_id, batch).zadd(SINCE, {task_id: time.time()}).hdel(DEAD, task_id).execute()
        _send(app, task_id, *_read_entry(batch))
        replayed += 1
    return replayed


def ledger_counts(*, app: Celery | None = None) -> dict[str, int]:
    client = _client(_app(app))
    return {"pending": client.zcard(SINCE), "dead": client.hlen(DEAD)}
