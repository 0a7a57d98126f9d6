"""Where the simulator's messages go: an MQTT broker, or straight into ingest in this process."""

from __future__ import annotations

import threading
import uuid

from sensors.ingest import RawMessage, ingest_messages
from sensors.mqtt import add_local_listener, new_client, remove_local_listener
from sensors.simulator import Simulator


class InProcessTransport:
    """Messages go to ``ingest_messages``; commands arrive through ``sensors.mqtt`` local listeners."""

    def __init__(self) -> None:
        self.simulator: Simulator | None = None

    batch = 200  # like the consumer's batches; keeps each transaction short on SQLite

    def send(self, messages: list[tuple[str, bytes]]) -> None:
        for start in range(0, len(messages), self.batch):
            ingest_messages([RawMessage(topic, payload) for topic, payload in messages[start : start + self.batch]])

    def attach(self, simulator: Simulator) -> None:
        self.simulator = simulator
        add_local_listener(simulator.on_command)

    def close(self) -> None:
        if self.simulator is not None:
            remove_local_listener(self.simulator.on_command)


class MqttTransport:
    """Publishes with QoS 1 to MQTT_URL and answers commands published to ``shijiao/+/command``."""

    def __init__(self, url: str | None = None, qos: int = 1) -> None:
        self.qos = qos
        self.client, connect = new_client(f"shijiao-sim-{uuid.uuid4().hex[:8]}", url=url)
        self.ready = threading.Event()
        self.client.on_connect = lambda client, *_: (client.subscribe("shijiao/+/command", qos=1), self.ready.set())
        self.client.connect(**connect)
        self.client.loop_start()
        if not self.ready.wait(10):
            raise ConnectionError("the MQTT broker did not accept the simulator's connection within 10 s")

    def send(self, messages: list[tuple[str, bytes]]) -> None:
        for topic, payload in messages:
            self.client.publish(topic, payload, qos=self.qos)

    def attach(self, simulator: Simulator) -> None:
        self.client.on_message = lambda _c, _u, message: simulator.on_command(message.topic, message.payload)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
