"""Readings survive a consumer killed with SIGKILL and a Mosquitto restarted under load.

A throwaway Mosquitto (port 18830, its own persistence) and real ``manage.py ingest_mqtt`` processes on the
test database. The test publishes numbered readings with QoS 1 (re-sending what the broker never acknowledged,
as devices do), kills and restarts things in the middle, then counts: every reading stored exactly once, and
the overheating wire raised exactly one alarm, on which each of its rules fired once.

Found here: Mosquitto 2.0 does not keep a *shared* subscription ($share/<group>/...) of a persistent session
across a broker restart, so what devices publish before the consumer re-subscribes is dropped. With Mosquitto
the consumer therefore runs with ``--no-share`` (one consumer); several consumers need EMQX (docs/deployment.md).
"""

from __future__ import annotations

import json
import shutil
import signal
import time
import uuid
from datetime import timedelta

import paho.mqtt.client as mqtt
import pytest
from django.db import connection
from django.utils import timezone

from alerts.defaults import load_defaults
from alerts.models import Alert, AlertRule, EscalationStep, RuleCondition
from conftest import require_service
from sensors.catalog import load_catalog
from sensors.models import Device, DeviceType, Metric, Reading
from tests.faults.servers import QUIET_ENV, Mosquitto, django_process, kill, wait_until

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

READINGS = 3000


@pytest.fixture
def broker(tmp_path):
    require_service("mosquitto (apt-get install mosquitto)", shutil.which("mosquitto") is not None)
    server = Mosquitto(tmp_path)
    server.start()
    yield server
    server.stop()


def acknowledged(info: mqtt.MQTTMessageInfo) -> bool:
    try:
        return info.is_published()
    except RuntimeError:  # published while the broker was away: paho never queued it
        return False


class Publisher:
    """A device-like publisher: QoS 1 on a persistent session, re-sending whatever was not acknowledged."""

    def __init__(self, url_port: int) -> None:
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"fault-pub-{uuid.uuid4().hex[:8]}", clean_session=False
        )
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(0.2, 2)
        self.client.connect("127.0.0.1", url_port)
        self.client.loop_start()
        self.sent: list[tuple[str, bytes, mqtt.MQTTMessageInfo]] = []

    def publish(self, topic: str, payload: bytes) -> None:
        self.sent.append((topic, payload, self.client.publish(topic, payload, qos=1)))

    def settle(self, timeout: float = 60.0) -> int:
        """Re-send until the broker acknowledged everything; answer how many were sent again."""
        resent = 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            missing = [(i, t, p) for i, (t, p, info) in enumerate(self.sent) if not acknowledged(info)]
            if not missing:
                return resent
            if self.client.is_connected():
                for i, topic, payload in missing:
                    self.sent[i] = (topic, payload, self.client.publish(topic, payload, qos=1))
                    resent += 1
            time.sleep(1.0)
        raise AssertionError(f"{len(missing)} messages never acknowledged by the broker")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def group_args(group: str | None) -> list[str]:
    return ["--group", group] if group else ["--no-share"]


def consumer(broker: Mosquitto, client_id: str, group: str | None):
    return django_process(
        ["manage.py", "ingest_mqtt", "--in-process", "--client-id", client_id, *group_args(group), "--flush-ms", "20"],
        database=connection.settings_dict,
        env={"MQTT_URL": broker.url, "CELERY_TASK_ALWAYS_EAGER": "true", **QUIET_ENV},
    )


def readings(device: Device, n: int):
    """n numbered readings, 100 ms apart, ending now: first cool, then an overheating wire (95 °C)."""
    start = timezone.now() - timedelta(milliseconds=100 * n)
    for i in range(n):
        ts = int((start + timedelta(milliseconds=100 * i)).timestamp() * 1000)
        value = 30.0 if i < n // 2 else 95.0
        yield f"shijiao/{device.key}/telemetry", json.dumps({"ts": ts, "values": {"wire_temp": value}}).encode()


@pytest.fixture
def wire(district) -> Device:
    # Transactional tests before this one may have emptied the tables the migrations filled: load them again.
    load_catalog(DeviceType, Metric)
    load_defaults(DeviceType, AlertRule, RuleCondition, EscalationStep)
    return Device.objects.create(
        key=f"fault-{uuid.uuid4().hex[:8]}",
        device_type=DeviceType.objects.get(code="smart_electricity"),
        apartment=district.mine,
        location="一楼电瓶车充电处",
    )


def probe(publisher: Publisher, topic: str, payload: bytes, device: Device) -> bool:
    publisher.publish(topic, payload)
    time.sleep(0.3)
    return Reading.objects.filter(device=device).exists()


def consumer_errors(process) -> str:
    if process.poll() is None:
        return "the consumer runs but stored nothing"
    return process.stderr.read().decode(errors="replace")[-3000:]


def report(name: str, published: int, stored: int, resent: int, alarms: dict) -> None:
    print(f"\n[faults] {name}: published {published}, stored {stored}, re-sent {resent}, alarms per incident {alarms}")


def alarms_per_incident(device: Device) -> dict[str, int]:
    counts: dict[str, int] = {}
    for incident in Alert.objects.filter(device=device).values_list("incident", flat=True):
        counts[incident] = counts.get(incident, 0) + 1
    return counts


def test_a_consumer_killed_mid_load_and_a_broker_restart_lose_and_duplicate_nothing(broker, wire):
    client_id, group = f"fault-ingest-{uuid.uuid4().hex[:6]}", None
    worker = consumer(broker, client_id, group)
    publisher = Publisher(broker.port)
    try:
        messages = list(readings(wire, READINGS))
        # The broker keeps messages for a session only once it has subscribed: wait for the first one stored.
        assert wait_until(lambda: probe(publisher, *messages[0], wire), timeout=30), consumer_errors(worker)
        for i, (topic, payload) in enumerate(messages):
            publisher.publish(topic, payload)
            if i == READINGS // 4:
                kill(worker, signal.SIGKILL)  # the consumer dies with a batch in hand
            elif i == READINGS // 3:
                worker = consumer(broker, client_id, group)  # and comes back under the same client id
            elif i == READINGS // 2:
                broker.restart()  # the broker goes away under load and comes back
            if i % 200 == 0:
                time.sleep(0.05)
        resent = publisher.settle()
        stored = lambda: Reading.objects.filter(device=wire).count()  # noqa: E731
        wait_until(lambda: stored() >= READINGS, timeout=90)
        time.sleep(1.0)  # anything still arriving would be a duplicate: give it a moment to show
        alarms = alarms_per_incident(wire)
        report("consumer SIGKILL + broker restart", READINGS, stored(), resent, alarms)
        assert stored() == READINGS, "readings lost" if stored() < READINGS else "readings stored twice"
        assert alarms == {"wire_overheat": 1}, f"not one alarm for the overheating wire: {alarms}"
        assert Alert.objects.filter(device=wire, incident="wire_overheat", severity="critical").exists()
    finally:
        publisher.close()
        kill(worker, signal.SIGTERM)
        errors = worker.stderr.read().decode(errors="replace") if worker.stderr else ""
        assert "Traceback" not in errors or "KeyboardInterrupt" in errors, errors[-3000:]
