"""MQTT plumbing for downlink commands, the simulator and dropping a consumer's session (paho-mqtt 2.x, MQTT 5); the
consumer receives through its own client (sensors/mqtt_wire.py).

With no MQTT_URL (embedded defaults) ``publish`` hands messages to in-process listeners
instead, which is how the in-process simulator receives commands in ``make demo``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from django.conf import settings
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

log = logging.getLogger(__name__)

LocalListener = Callable[[str, bytes], None]
_local_listeners: list[LocalListener] = []
_publisher_lock = threading.Lock()
_publisher: mqtt.Client | None = None


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool


def broker(url: str | None = None) -> Broker:
    parts = urlsplit(url or settings.MQTT_URL)
    tls = parts.scheme == "mqtts"
    return Broker(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or (8883 if tls else 1883),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=tls,
    )


def new_client(
    client_id: str, *, url: str | None = None, manual_ack: bool = False, persistent: bool = False
) -> tuple[mqtt.Client, dict]:
    """A paho MQTT 5 client and the keyword arguments its ``connect`` needs.

    ``persistent``: the broker keeps the session (subscriptions and unacknowledged QoS 1
    messages) for a week after a disconnect, so nothing published meanwhile is lost.
    """
    where = broker(url)
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=manual_ack
    )
    if where.username:
        client.username_pw_set(where.username, where.password)
    if where.tls:
        client.tls_set(ca_certs=settings.MQTT_CA_FILE or None)
    props = Properties(PacketTypes.CONNECT)
    props.ReceiveMaximum = 65535  # let the broker stream; acknowledgements come per batch
    if persistent:
        props.SessionExpiryInterval = 7 * 24 * 3600
    connect = {"host": where.host, "port": where.port, "keepalive": 30, "clean_start": not persistent}
    connect["properties"] = props
    return client, connect


def add_local_listener(listener: LocalListener) -> None:
    _local_listeners.append(listener)


def remove_local_listener(listener: LocalListener) -> None:
    if listener in _local_listeners:
        _local_listeners.remove(listener)


def publish(topic: str, payload: bytes, *, timeout: float = 5.0) -> bool:
    """Publish with QoS 1 and wait for the broker's acknowledgement; answer whether it was delivered."""
    if not settings.MQTT_URL:
        for listener in list(_local_listeners):
            try:
                listener(topic, payload)
            except Exception:
                log.exception("in-process MQTT listener failed on %s", topic)
        return bool(_local_listeners)
    global _publisher
    try:
        with _publisher_lock:
            if _publisher is None or not _publisher.is_connected():
                import uuid

                client, connect = new_client(f"shijiao-pub-{uuid.uuid4().hex[:12]}")
                client.connect(**connect)
                client.loop_start()
                _publisher = client
            info = _publisher.publish(topic, payload, qos=1)
        info.wait_for_publish(timeout=timeout)
        return info.is_published()
    except (OSError, RuntimeError, ValueError) as exc:
        log.warning("MQTT publish to %s failed: %s", topic, exc)
        return False
