"""Scale-out as docs/deployment.md describes it, the part that runs on one machine: two MQTT consumers in one
shared-subscription group on the real Mosquitto, and two Celery worker processes on the same Redis broker, split
the load, and every reading is stored exactly once: nothing lost, nothing doubled.
"""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
import uuid
from functools import partial

import paho.mqtt.client as mqtt
import pytest
import redis
from celery import Celery
from django.db import connection

from conftest import require_redis, require_service
from sensors.catalog import load_catalog
from sensors.consumer import Consumer, forget_session
from sensors.handover import batch_hand_over, ledger_counts
from sensors.models import Device, DeviceType, Metric, Reading
from sensors.mqtt import broker
from sensors.urgency import message_is_urgent
from tests.faults.servers import QUIET_ENV, django_process, kill_group, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DEVICES = 50
MESSAGES = 1200  # of 5 data points each


def _mosquitto(url: str) -> bool:
    where = broker(url)
    try:
        socket.create_connection((where.host, where.port), timeout=1).close()
        return True
    except OSError:
        return False


def test_two_consumers_and_two_workers_split_the_load_and_store_every_reading_once(settings, district, tmp_path):
    require_service("PostgreSQL", connection.vendor == "postgresql")
    require_redis(settings.TEST_REDIS_URL)
    require_service("Mosquitto", _mosquitto(settings.TEST_MQTT_URL))
    load_catalog(DeviceType, Metric)
    tag = uuid.uuid4().hex[:8]
    settings.INGEST_QUEUE, settings.INGEST_ALARM_QUEUE = f"t-so-ingest-{tag}", f"t-so-alarms-{tag}"
    url = settings.TEST_REDIS_URL
    app = Celery("scale-out", broker=url, set_as_current=False)
    kind = DeviceType.objects.get(code="smart_electricity")
    devices = Device.objects.bulk_create(
        Device(key=f"so-{tag}-{i}", device_type=kind, apartment=district.mine) for i in range(DEVICES)
    )
    env = {
        "REDIS_URL": url,
        "CELERY_BROKER_URL": url,
        "INGEST_QUEUE": settings.INGEST_QUEUE,
        "INGEST_ALARM_QUEUE": settings.INGEST_ALARM_QUEUE,
        "CHANNEL_LAYER_PREFIX": f"so{tag}",
        **QUIET_ENV,
    }
    queues = f"{settings.INGEST_ALARM_QUEUE},{settings.INGEST_QUEUE}"
    workers, logs, consumers, handed = [], [], [], []
    group = f"so{tag}"
    try:
        for n in range(2):
            logs.append(tmp_path / f"worker{n}.log")
            with open(logs[-1], "ab") as log:
                workers.append(django_process(
                    ["-m", "celery", "-A", "shijiao", "worker", "-Q", queues, "-c", "1", "--prefetch-multiplier", "1",
                     "--loglevel", "INFO", "--without-gossip", "--without-mingle", "-n", f"so{n}-{tag}@%h"],
                    database=connection.settings_dict, env=env, new_session=True, log=log,
                ))  # fmt: skip
        for n in range(2):
            count = [0]
            handed.append(count)

            def counted(batch, *, urgent=False, count=count):
                batch_hand_over(batch, urgent=urgent, in_process=False, app=app)
                count[0] += len(batch)

            consumer = Consumer(
                handle=counted,
                handle_urgent=partial(counted, urgent=True),
                urgent=message_is_urgent,
                client_id=f"test-so-{tag}-{n}",
                group=group,
                url=settings.TEST_MQTT_URL,
                topics=[f"shijiao/{device.key}/telemetry" for device in devices],  # the shared broker is busy
                batch_messages=25,
                flush_ms=20,
            )
            consumers.append(consumer)
            threading.Thread(target=consumer.run, daemon=True).start()
            assert consumer.subscribed.wait(10), "a consumer did not subscribe"

        where = broker(settings.TEST_MQTT_URL)
        pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-so-pub-{tag}")
        pub.connect(where.host, where.port)
        pub.loop_start()
        start_ms = int(time.time() * 1000) - MESSAGES * 10
        for i in range(MESSAGES):
            device = devices[i % DEVICES]
            values = {"wire_temp": 35, "current": 6, "residual_current": 120, "voltage": 220, "power": 1200}
            body = json.dumps({"ts": start_ms + i * 10, "values": values})
            info = pub.publish(f"shijiao/{device.key}/telemetry", body, qos=1)
        info.wait_for_publish(timeout=30)

        expected = MESSAGES * 5
        ours = Reading.objects.filter(device__key__startswith=f"so-{tag}-")
        assert wait_until(
            lambda: ours.count() >= expected and ledger_counts(app=app)["pending"] == 0, timeout=240, step=0.5
        ), f"stored {ours.count()} of {expected}"
        time.sleep(1.0)  # a doubled batch would show now
        assert ours.count() == expected  # once each (the unique key would refuse a second copy, never a loss)
        per_consumer = [count[0] for count in handed]
        assert sum(per_consumer) >= MESSAGES and all(per_consumer), per_consumer  # the broker split the messages
        per_worker = [log.read_text(errors="replace").count("sensors.ingest_batch[") for log in logs]
        print(f"\n[scale-out] messages per consumer {per_consumer}, task log lines per worker {per_worker}")
        assert all(per_worker), f"a worker got no batch: {per_worker}"
        pub.disconnect()
        pub.loop_stop()
    finally:
        for consumer in consumers:
            consumer.stop()
        for process in workers:
            kill_group(process, signal.SIGTERM)
        for n in range(2):
            forget_session(f"test-so-{tag}-{n}", settings.TEST_MQTT_URL)
        redis.Redis.from_url(url).delete(settings.INGEST_QUEUE, settings.INGEST_ALARM_QUEUE)
        app.close()
