"""Alarms first under overload, on the real services: Mosquitto, the Redis broker, PostgreSQL and two real Celery
workers (one on the telemetry queue, one on the alarm queue, as docker-compose.yml deploys them).

A telemetry backlog waits in the ingest queue; the consumer gets an overheating wire through Mosquitto. The alarm
must be raised while the backlog is still there (it went by the alarm queue, not behind the backlog), the backlog must
then drain with every reading stored exactly once, and the rules must still see the device's readings in order: its
cool readings that waited in the backlog arrive after the hot one and still count for the rate rule (one
``wire_temp_rising`` alarm, replayed in time order).
"""

from __future__ import annotations

import json
import signal
import threading
import time
import uuid
from functools import partial

import pytest
import redis
from celery import Celery
from django.db import connection
from django.utils import timezone

from alerts.defaults import load_defaults
from alerts.models import Alert, AlertRule, EscalationStep, RuleCondition
from conftest import require_redis, require_service
from sensors.catalog import load_catalog
from sensors.consumer import Consumer, forget_session
from sensors.handover import batch_hand_over, ledger_counts
from sensors.models import Device, DeviceType, Metric, Reading
from sensors.urgency import message_is_urgent, table
from tests.faults.servers import QUIET_ENV, django_process, kill_group, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BACKLOG_BATCHES = 300
MESSAGES_PER_BATCH = 40  # of 5 data points each: 60,000 points waiting
BACKGROUND_DEVICES = 40
HOT_POINTS = 60 * 5 + 2  # a minute of cool readings in the backlog, then the hot one (two data points)


def _mqtt_ok(url: str) -> bool:
    import socket

    from sensors.mqtt import broker

    where = broker(url)
    try:
        socket.create_connection((where.host, where.port), timeout=1).close()
        return True
    except OSError:
        return False


def _worker(queue: str, env: dict, log_path, name: str):
    log = open(log_path, "ab")
    process = django_process(
        ["-m", "celery", "-A", "shijiao", "worker", "-Q", queue, "-c", "1", "--prefetch-multiplier", "1",
         "-O", "fair", "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "-n", f"{name}@%h"],
        database=connection.settings_dict, env=env, new_session=True, log=log,
    )  # fmt: skip
    log.close()
    return process


def _telemetry(key: str, start_ms: int, count: int, wire_temp) -> list[list]:
    return [
        [f"shijiao/{key}/telemetry", "", json.dumps({"ts": start_ms + i * 1000, "values": {
            "wire_temp": wire_temp(i), "current": 6, "residual_current": 120, "voltage": 220, "power": 1200}}),
         time.time()]
        for i in range(count)
    ]  # fmt: skip


def test_an_alarm_reading_is_judged_ahead_of_the_telemetry_backlog_and_nothing_is_lost_or_doubled(
    settings, district, tmp_path
):
    require_service("PostgreSQL", connection.vendor == "postgresql")
    require_redis(settings.TEST_REDIS_URL)
    require_service("Mosquitto", _mqtt_ok(settings.TEST_MQTT_URL))
    load_catalog(DeviceType, Metric)
    load_defaults(DeviceType, AlertRule, RuleCondition, EscalationStep)
    table.invalidate()
    tag = uuid.uuid4().hex[:8]
    settings.INGEST_QUEUE, settings.INGEST_ALARM_QUEUE = f"t-ingest-{tag}", f"t-alarms-{tag}"
    settings.MQTT_URL = settings.TEST_MQTT_URL
    broker_url = settings.TEST_REDIS_URL
    app = Celery("alarms-first", broker=broker_url, set_as_current=False)
    client = redis.Redis.from_url(broker_url)
    kind = DeviceType.objects.get(code="smart_electricity")
    hot = Device.objects.create(key=f"af-hot-{tag}", device_type=kind, apartment=district.mine, location="充电处")
    background = Device.objects.bulk_create(
        Device(key=f"af-bg-{tag}-{i}", device_type=kind, apartment=district.other) for i in range(BACKGROUND_DEVICES)
    )
    env = {
        "REDIS_URL": broker_url,
        "CELERY_BROKER_URL": broker_url,
        "INGEST_QUEUE": settings.INGEST_QUEUE,
        "INGEST_ALARM_QUEUE": settings.INGEST_ALARM_QUEUE,
        "CHANNEL_LAYER_PREFIX": f"af{tag}",
        **QUIET_ENV,
    }
    workers = []
    client_id, group = f"test-af-{tag}", f"af{tag}"
    consumer = None
    try:
        workers.append(_worker(settings.INGEST_ALARM_QUEUE, env, tmp_path / "alarms.log", f"af-alarms-{tag}"))
        batch_hand_over([], urgent=True, in_process=False, app=app)  # the alarm worker is up once it took this
        assert wait_until(lambda: ledger_counts(app=app)["pending"] == 0, timeout=60), "the alarm worker did not start"

        # The backlog: minutes of telemetry of the background devices, and at its end the hot device's own cool
        # readings of the minute before its alarm (they will arrive after the alarm: late).
        now_ms = int(timezone.now().timestamp() * 1000)
        start_ms = now_ms - 10 * 60 * 1000
        messages = []
        per_device = BACKLOG_BATCHES * MESSAGES_PER_BATCH // BACKGROUND_DEVICES
        for device in background:
            messages.extend(_telemetry(device.key, start_ms, per_device, lambda i: 35 + i % 5))
        messages.sort(key=lambda m: json.loads(m[2])["ts"])
        batches = [messages[i : i + MESSAGES_PER_BATCH] for i in range(0, len(messages), MESSAGES_PER_BATCH)]
        batches.append(_telemetry(hot.key, now_ms - 60_000, 60, lambda i: 30.0))
        for batch in batches:
            batch_hand_over(batch, in_process=False, app=app)
        background_points = len(messages) * 5
        workers.append(_worker(settings.INGEST_QUEUE, env, tmp_path / "ingest.log", f"af-ingest-{tag}"))
        assert wait_until(lambda: Reading.objects.exclude(device=hot).exists(), timeout=60), "ingest did not start"

        consumer = Consumer(
            handle=partial(batch_hand_over, in_process=False, app=app),
            handle_urgent=partial(batch_hand_over, urgent=True, in_process=False, app=app),
            urgent=message_is_urgent,
            client_id=client_id,
            group=group,
            url=settings.TEST_MQTT_URL,
            topics=[f"shijiao/{hot.key}/telemetry"],
            flush_ms=20,
        )
        threading.Thread(target=consumer.run, daemon=True).start()
        assert consumer.subscribed.wait(10)
        pub = _publisher(settings.TEST_MQTT_URL)
        body = {"ts": now_ms, "values": {"wire_temp": 95.0, "current": 6}}
        pub.publish(f"shijiao/{hot.key}/telemetry", json.dumps(body), qos=1).wait_for_publish(timeout=5)

        assert wait_until(lambda: Alert.objects.filter(device=hot, rule__code="wire_temp_critical").exists(), 60)
        waiting = client.llen(settings.INGEST_QUEUE)
        stored_then = Reading.objects.exclude(device=hot).count()
        print(f"\n[alarms first] critical alarm raised with {waiting} telemetry batches still queued, "
              f"{stored_then} of {background_points} background points stored")  # fmt: skip
        assert waiting > 0 and stored_then < background_points, "the alarm waited for the telemetry backlog"
        assert consumer.handled_urgent == 1

        def drained() -> bool:
            return ledger_counts(app=app)["pending"] == 0 and Reading.objects.count() >= background_points + HOT_POINTS

        assert wait_until(drained, timeout=600, step=0.5), "the backlog did not drain"
        time.sleep(1.0)  # anything still arriving would be a duplicate
        assert Reading.objects.exclude(device=hot).count() == background_points  # once each, none lost
        assert Reading.objects.filter(device=hot).count() == HOT_POINTS
        # One alarm for the overheating wire, critical; the rise from 30 to 95 °C is seen although the cool readings
        # came after the hot one: the fast-rise rule fired on the same alarm (its second trigger).
        [alarm] = Alert.objects.filter(device=hot)
        assert (alarm.incident, alarm.severity, alarm.trigger_count) == ("wire_overheat", "critical", 2)
        assert not Alert.objects.exclude(device=hot).exists()
        pub.disconnect()
        pub.loop_stop()
    finally:
        if consumer is not None:
            consumer.stop()
        for process in workers:
            kill_group(process, signal.SIGTERM)
        forget_session(client_id, settings.TEST_MQTT_URL)
        client.delete(settings.INGEST_QUEUE, settings.INGEST_ALARM_QUEUE)
        app.close()


def _publisher(url: str):
    import paho.mqtt.client as mqtt

    from sensors.mqtt import broker

    where = broker(url)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-af-pub-{uuid.uuid4().hex[:8]}")
    client.connect(where.host, where.port)
    client.loop_start()
    return client
