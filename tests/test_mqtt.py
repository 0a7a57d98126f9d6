"""Integration with the real Mosquitto: publish and subscribe through paho-mqtt."""

from __future__ import annotations

import queue
import socket
import uuid
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
import pytest
from django.conf import settings

from conftest import require_service

pytestmark = pytest.mark.integration


def broker() -> tuple[str, int]:
    parts = urlsplit(settings.TEST_MQTT_URL)
    return parts.hostname or "127.0.0.1", parts.port or 1883


def test_publish_subscribe_round_trip_through_mosquitto():
    host, port = broker()
    try:
        socket.create_connection((host, port), timeout=1).close()
        ok = True
    except OSError:
        ok = False
    require_service("Mosquitto", ok)

    topic = f"shijiao/test-{uuid.uuid4().hex[:8]}/telemetry"
    got: queue.Queue = queue.Queue()
    subscribed: queue.Queue = queue.Queue()
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"sub-{uuid.uuid4().hex[:8]}")
    sub.on_message = lambda _c, _u, msg: got.put((msg.topic, msg.payload, msg.qos))
    sub.on_subscribe = lambda *_args: subscribed.put(True)
    sub.connect(host, port)
    sub.loop_start()
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:8]}")
    try:
        sub.subscribe(topic, qos=1)
        subscribed.get(timeout=60)  # generous: only a broken broker waits this long
        pub.connect(host, port)
        pub.loop_start()
        pub.publish(topic, b'{"wire_temp": 71.5}', qos=1).wait_for_publish(timeout=60)
        assert got.get(timeout=60) == (topic, b'{"wire_temp": 71.5}', 1)
    finally:
        pub.loop_stop()
        pub.disconnect()
        sub.loop_stop()
        sub.disconnect()
