"""The MQTT consumer against the real Mosquitto: formats, persistent session, shared subscription."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable

import paho.mqtt.client as mqtt
import pytest
from django.db import connections

from alerts.defaults import load_defaults
from alerts.models import AlertRule, EscalationStep, RuleCondition
from conftest import require_service
from sensors.catalog import load_catalog
from sensors.consumer import Consumer, forget_session
from sensors.models import DeviceType, Metric, Reading, Rejection
from sensors.mqtt import broker
from sensors.tasks import ingest_batch
from sensors.urgency import message_is_urgent, table

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def mqtt_url(settings):
    url = settings.TEST_MQTT_URL
    where = broker(url)
    try:
        socket.create_connection((where.host, where.port), timeout=1).close()
        ok = True
    except OSError:
        ok = False
    require_service("Mosquitto", ok)
    settings.MQTT_URL = url
    return url


class Running:
    """A consumer in a thread, storing in this test's database."""

    def __init__(self, url: str, client_id: str, group: str | None, handle: Callable | None = None) -> None:
        self.seen: list[list] = []

        def store(batch: list[list]) -> None:
            self.seen.extend(batch)
            ingest_batch.run(batch)

        self.consumer = Consumer(handle=handle or store, client_id=client_id, group=group, url=url, flush_ms=20)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert self.consumer.subscribed.wait(5), "the consumer did not subscribe"

    def _run(self) -> None:
        try:
            self.consumer.run()
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.consumer.stop()
        self.thread.join(10)


def publisher(url: str) -> mqtt.Client:
    where = broker(url)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-pub-{uuid.uuid4().hex[:8]}")
    client.connect(where.host, where.port)
    client.loop_start()
    return client


def publish(client: mqtt.Client, topic: str, body) -> None:
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    client.publish(topic, payload, qos=1).wait_for_publish(timeout=5)


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def ids() -> tuple[str, str]:
    tag = uuid.uuid4().hex[:8]
    return f"test-ingest-{tag}", f"test{tag}"


def test_it_stores_all_three_formats_published_through_mosquitto_and_survives_garbage(mqtt_url, make_device):
    native = make_device(key=f"n-{uuid.uuid4().hex[:6]}")
    tb_token = f"tb-{uuid.uuid4().hex}"
    tb = make_device(token=tb_token)
    alink = make_device(key=f"a-{uuid.uuid4().hex[:6]}", alink_product_key="pk1")
    client_id, group = ids()
    running = Running(mqtt_url, client_id, group)
    pub = publisher(mqtt_url)
    try:
        publish(pub, f"shijiao/{native.key}/telemetry", b"\xff\xfe not json")
        publish(pub, f"shijiao/{native.key}/telemetry", {"values": {"wire_temp": 36.5}})
        publish(
            pub, f"tb/{tb_token}/v1/devices/me/telemetry", [{"ts": int(time.time() * 1000), "values": {"current": 9}}]
        )
        publish(
            pub,
            f"/sys/pk1/{alink.key}/thing/event/property/post",
            {"id": "7", "version": "1.0", "method": "thing.event.property.post", "params": {"Voltage": 221}},
        )
        assert wait_for(lambda: Reading.objects.filter(device__in=[native, tb, alink]).count() == 3)
    finally:
        pub.disconnect()
        running.stop()
        forget_session(client_id, mqtt_url)
    assert Reading.objects.get(device=tb).metric == "current"
    assert Reading.objects.get(device=alink).value == 221.0
    assert Rejection.objects.get(source=native.key).reason == "malformed"
    assert running.thread.is_alive() is False  # stopped because we asked, not because of the garbage


def test_a_stock_thingsboard_device_on_plain_mosquitto_is_a_rejection_the_operators_see(
    mqtt_url, make_device, client, make_user
):
    """`mosquitto_pub -u <token> -t v1/devices/me/telemetry` on a broker that mounts nothing: the consumer cannot
    tell who sent it, so it stores nothing, and says so where operators look, with the fix."""
    tb_token = f"tb-{uuid.uuid4().hex}"
    tb = make_device(token=tb_token, protocol="thingsboard")
    keyed = make_device(key=f"tbk-{uuid.uuid4().hex[:6]}", token=f"t-{uuid.uuid4().hex}", protocol="thingsboard")
    client_id, group = ids()
    running = Running(mqtt_url, client_id, group)
    where = broker(mqtt_url)
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-tb-{uuid.uuid4().hex[:8]}")
    pub.username_pw_set(tb_token)
    pub.connect(where.host, where.port)
    pub.loop_start()
    try:
        publish(pub, "v1/devices/me/telemetry", {"current": 7})
        publish(pub, f"tb/{keyed.key}/v1/devices/me/telemetry", {"current": 8})  # mounted under its key: stored
        assert wait_for(lambda: Rejection.objects.filter(source="v1/devices/me (未挂载)").exists())
        assert wait_for(lambda: Reading.objects.filter(device=keyed).exists())
    finally:
        pub.disconnect()
        running.stop()
        forget_session(client_id, mqtt_url)
    assert not Reading.objects.filter(device=tb).exists()
    client.force_login(make_user("street_admin"))
    rows = client.get("/api/v1/device-rejections/").json()["results"]
    row = next(r for r in rows if r["source"] == "v1/devices/me (未挂载)")
    assert row["count"] == 1 and "mountpoint" in row["last_detail"] and "device-protocol.md" in row["last_detail"]


def test_a_message_on_a_topic_nobody_knows_is_recorded_and_our_own_commands_are_passed_over(mqtt_url, make_device):
    device = make_device(key=f"u-{uuid.uuid4().hex[:6]}")
    stray = f"factory/line-{uuid.uuid4().hex[:6]}/temp"
    client_id, group = ids()
    running = Running(mqtt_url, client_id, group)
    pub = publisher(mqtt_url)
    try:
        publish(pub, stray, {"temp": 41})  # a device set up with the wrong topic
        publish(pub, f"shijiao/{device.key}/command", {"id": "c1", "method": "trip", "params": {}})  # our downlink
        publish(pub, f"shijiao/{device.key}/telemetri", {"values": {"current": 3}})  # a typo in the topic
        assert wait_for(lambda: Rejection.objects.filter(source=f"shijiao/{device.key}/telemetri").exists())
        assert wait_for(lambda: Rejection.objects.filter(source=stray).exists())
    finally:
        pub.disconnect()
        running.stop()
        forget_session(client_id, mqtt_url)
    rejection = Rejection.objects.get(source=stray)
    assert rejection.reason == "unknown_topic" and '"temp": 41' in rejection.last_sample
    assert not Rejection.objects.filter(source=device.key).exists()  # the command was not taken for an upload


def test_readings_published_while_the_consumer_is_down_arrive_after_it_restarts(mqtt_url, make_device):
    device = make_device(key=f"p-{uuid.uuid4().hex[:6]}")
    client_id, group = ids()
    Running(mqtt_url, client_id, group).stop()  # the broker now holds a session for this consumer
    pub = publisher(mqtt_url)
    start = int(time.time() * 1000)
    try:
        for i in range(5):
            publish(pub, f"shijiao/{device.key}/telemetry", {"ts": start + i, "values": {"current": i}})
        assert Reading.objects.filter(device=device).count() == 0
        running = Running(mqtt_url, client_id, group)
        try:
            assert wait_for(lambda: Reading.objects.filter(device=device).count() == 5)
        finally:
            running.stop()
    finally:
        pub.disconnect()
        forget_session(client_id, mqtt_url)
    assert sorted(Reading.objects.filter(device=device).values_list("value", flat=True)) == [0, 1, 2, 3, 4]


def test_two_consumers_on_a_shared_subscription_handle_each_message_once(mqtt_url, make_device):
    device = make_device(key=f"s-{uuid.uuid4().hex[:6]}")
    first_id, group = ids()
    second_id = f"{first_id}-b"
    first = Running(mqtt_url, first_id, group)
    second = Running(mqtt_url, second_id, group)
    pub = publisher(mqtt_url)
    start = int(time.time() * 1000)
    try:
        for i in range(40):
            publish(pub, f"shijiao/{device.key}/telemetry", {"ts": start + i, "values": {"current": i}})
        assert wait_for(lambda: Reading.objects.filter(device=device).count() == 40)
        time.sleep(0.3)  # anything handled twice would show up now
    finally:
        pub.disconnect()
        first.stop()
        second.stop()
        forget_session(first_id, mqtt_url)
        forget_session(second_id, mqtt_url)
    mine = [m for m in first.seen + second.seen if m[0] == f"shijiao/{device.key}/telemetry"]
    assert len(mine) == 40
    assert len({m[2] for m in mine}) == 40
    assert first.seen and second.seen  # both consumers did work


def test_a_batch_that_cannot_be_handed_over_is_kept_and_retried(mqtt_url, make_device):
    device = make_device(key=f"r-{uuid.uuid4().hex[:6]}")
    attempts: list[int] = []

    def flaky(batch: list[list]) -> None:
        attempts.append(len(batch))
        if len(attempts) == 1:
            raise ConnectionError("Celery broker down")
        ingest_batch.run(batch)

    client_id, group = ids()
    running = Running(mqtt_url, client_id, group, handle=flaky)
    pub = publisher(mqtt_url)
    try:
        publish(pub, f"shijiao/{device.key}/telemetry", {"values": {"current": 4}})
        assert wait_for(lambda: Reading.objects.filter(device=device).count() == 1)
    finally:
        pub.disconnect()
        running.stop()
        forget_session(client_id, mqtt_url)
    assert len(attempts) >= 2


def test_an_alarm_bearing_reading_ends_the_batch_window_at_once(mqtt_url, make_device):
    load_catalog(DeviceType, Metric)
    load_defaults(DeviceType, AlertRule, RuleCondition, EscalationStep)
    table.invalidate()
    device = make_device(key=f"u-{uuid.uuid4().hex[:6]}")
    client_id, group = ids()
    batches: list[list] = []
    consumer = Consumer(
        handle=batches.append,
        client_id=client_id,
        group=group,
        url=mqtt_url,
        flush_ms=600_000,
        urgent=message_is_urgent,
        topics=[f"shijiao/{device.key}/telemetry"],
    )  # the shared broker is busy
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    pub = publisher(mqtt_url)
    try:
        assert consumer.subscribed.wait(5)
        publish(pub, f"shijiao/{device.key}/telemetry", {"values": {"wire_temp": 36.0}})
        assert not wait_for(lambda: batches, timeout=1.0), "a normal reading waits for its ten-minute window"
        publish(pub, f"shijiao/{device.key}/telemetry", {"values": {"wire_temp": 96.0}})
        assert wait_for(lambda: batches), "the overheating wire did not end the window"
        [batch] = batches
        assert [json.loads(payload)["values"]["wire_temp"] for _topic, _user, payload, _at in batch] == [36.0, 96.0]
    finally:
        consumer.stop()
        thread.join(10)
        pub.disconnect()
        forget_session(client_id, mqtt_url)
