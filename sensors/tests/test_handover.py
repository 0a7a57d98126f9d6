"""The ingest hand-over ledger against the real Redis: a batch lost between broker and worker is queued again.

No worker runs here: the test plays the worker's part on the broker's own data structures (kombu's queue list
and ``unacked`` hash), including the one step that loses a task, a BRPOP never followed by the unacked record.
tests/faults/test_worker_faults.py runs the same with a real worker killed by SIGKILL.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
import redis
from celery import Celery

from conftest import require_redis
from sensors import handover
from sensors.handover import (
    DEAD,
    LEDGER,
    MAX_REQUEUES,
    REQUEUES,
    SINCE,
    batch_done,
    batch_hand_over,
    batches_sweep,
    dead_replay,
    ledger_counts,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def broker(settings):
    require_redis(settings.TEST_REDIS_URL)
    client = redis.Redis.from_url(settings.TEST_REDIS_URL, socket_connect_timeout=2)
    settings.INGEST_QUEUE = f"test-ingest-{uuid.uuid4().hex[:8]}"
    client.delete(LEDGER, SINCE, REQUEUES, DEAD)
    app = Celery("test-handover", broker=settings.TEST_REDIS_URL, set_as_current=False)
    app.conf.broker_transport_options = {"unacked_key": f"{settings.INGEST_QUEUE}-unacked"}
    yield app, client
    client.delete(LEDGER, SINCE, REQUEUES, DEAD, settings.INGEST_QUEUE, f"{settings.INGEST_QUEUE}-unacked")
    app.close()


def a_batch(n: int) -> list[list]:
    return [[f"shijiao/dev-{n}/telemetry", "", json.dumps({"values": {"wire_temp": 30 + n}}), time.time()]]


def queued_ids(client, settings) -> list[str]:
    return [json.loads(raw)["headers"]["id"] for raw in client.lrange(settings.INGEST_QUEUE, 0, -1)]


def take(client, settings) -> bytes:
    """What a worker's BRPOP does: the oldest task leaves the queue."""
    return client.rpop(settings.INGEST_QUEUE)


def test_a_batch_taken_off_the_queue_and_never_recorded_is_queued_again_once(broker, settings):
    app, client = broker
    lost = batch_hand_over(a_batch(1), app=app)
    waiting = batch_hand_over(a_batch(2), app=app)
    taken = json.loads(take(client, settings))
    assert taken["headers"]["id"] == lost  # the worker died here, before kombu wrote it to "unacked"

    sweep = batches_sweep(older_than=0, app=app)

    assert (sweep.pending, sweep.requeued, sweep.dead) == (2, 1, 0)
    assert sorted(queued_ids(client, settings)) == sorted([lost, waiting])  # once each, nothing twice
    assert batches_sweep(older_than=0, app=app).requeued == 0  # both are in the queue now


def test_the_queued_again_batch_is_the_same_batch_with_the_same_task_id(broker, settings):
    app, client = broker
    task_id = batch_hand_over(a_batch(7), app=app)
    original = json.loads(take(client, settings))

    batches_sweep(older_than=0, app=app)

    again = json.loads(take(client, settings))
    assert again["headers"]["id"] == task_id
    assert again["headers"]["task"] == "sensors.ingest_batch"
    assert again["body"] == original["body"]  # base64 of [[batch], {"ledger": true}, ...]


def test_a_batch_held_unacknowledged_by_a_worker_is_left_to_kombu(broker, settings):
    app, client = broker
    task_id = batch_hand_over(a_batch(3), app=app)
    raw = take(client, settings)
    unacked_key = app.conf.broker_transport_options["unacked_key"]
    client.hset(unacked_key, "delivery-tag-1", json.dumps([json.loads(raw), "", settings.INGEST_QUEUE]))

    sweep = batches_sweep(older_than=0, app=app)

    assert (sweep.pending, sweep.requeued) == (1, 0)
    assert queued_ids(client, settings) == []
    assert client.zscore(SINCE, task_id) is not None  # still in the ledger until it is stored


def test_a_stored_batch_is_struck_off_and_never_sent_again(broker, settings):
    app, client = broker
    task_id = batch_hand_over(a_batch(4), app=app)
    take(client, settings)
    batch_done(task_id, app=app)

    sweep = batches_sweep(older_than=0, app=app)

    assert (sweep.pending, sweep.requeued) == (0, 0)
    assert client.hget(LEDGER, task_id) is None
    assert queued_ids(client, settings) == []


def test_a_young_batch_is_not_touched(broker, settings):
    app, client = broker
    batch_hand_over(a_batch(5), app=app)
    take(client, settings)
    assert batches_sweep(older_than=60, app=app).requeued == 0
    assert queued_ids(client, settings) == []


def test_a_batch_that_never_gets_stored_is_given_up_on_kept_and_can_be_replayed(broker, settings):
    app, client = broker
    batch = a_batch(6)
    task_id = batch_hand_over(batch, app=app)
    for _ in range(MAX_REQUEUES):
        take(client, settings)  # the task fails every time: taken, never struck off
        assert batches_sweep(older_than=0, app=app).requeued == 1
    take(client, settings)

    sweep = batches_sweep(older_than=0, app=app)

    assert (sweep.requeued, sweep.dead) == (0, 1)
    assert ledger_counts(app=app) == {"pending": 0, "dead": 1}
    assert json.loads(client.hget(DEAD, task_id))["batch"] == batch  # kept whole for an operator
    assert dead_replay(app=app) == 1
    assert queued_ids(client, settings) == [task_id]
    assert ledger_counts(app=app) == {"pending": 1, "dead": 0}


def test_a_backlog_is_not_mistaken_for_a_loss(broker, settings, monkeypatch):
    app, client = broker
    monkeypatch.setattr(handover, "SCAN_LIMIT", 2)
    for n in range(3):
        batch_hand_over(a_batch(n), app=app)

    sweep = batches_sweep(older_than=0, app=app)

    assert sweep.requeued == 0
    assert "3 tasks queued" in sweep.skipped
    assert len(queued_ids(client, settings)) == 3


def test_each_task_reaches_its_own_queue_only_with_the_projects_queue_settings(settings):
    """Workers bind the three queues as the settings declare them; a batch handed over (ordinary or alarm-bearing)
    and a task of the default queue must each land in one queue only (a queue bound to the default exchange and
    key would get a copy of every task: found in the alarm bench, the alarm worker drowning in telemetry)."""
    from kombu import Connection

    require_redis(settings.TEST_REDIS_URL)
    tag = uuid.uuid4().hex[:8]
    names = {"ingest": f"test-ingest-{tag}", "alarms": f"test-alarms-{tag}", "celery": "celery"}
    settings.INGEST_QUEUE, settings.INGEST_ALARM_QUEUE = names["ingest"], names["alarms"]
    from kombu import Exchange, Queue

    queues = [Queue(name, Exchange(name), routing_key=name) for name in names.values()]
    app = Celery("test-queues", broker=settings.TEST_REDIS_URL, set_as_current=False)
    app.conf.task_queues = queues
    app.conf.task_routes = {"sensors.check_offline": {"queue": names["alarms"]}}
    client = redis.Redis.from_url(settings.TEST_REDIS_URL)
    before = client.llen("celery")
    try:
        with Connection(settings.TEST_REDIS_URL) as connection:  # what a worker consuming all three does
            for queue in queues:
                queue(connection.default_channel).declare()
        batch_hand_over(a_batch(1), app=app)
        batch_hand_over(a_batch(2), urgent=True, app=app)
        app.send_task("sensors.check_offline")
        assert (client.llen(names["ingest"]), client.llen(names["alarms"]), client.llen("celery") - before) == (1, 2, 0)
    finally:
        client.delete(names["ingest"], names["alarms"], LEDGER, SINCE, REQUEUES)
        app.close()


def test_the_projects_queues_each_have_their_own_exchange_and_routing_key():
    from shijiao.celery import app

    for name, queue in app.amqp.queues.items():
        assert (queue.exchange.name, queue.routing_key) == (name, name)
