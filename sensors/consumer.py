"""The MQTT consumer: subscribes with QoS 1 on a persistent session through a shared subscription,
collects messages for a few milliseconds and hands each batch on (to a Celery task in production).

A message is acknowledged to the broker only after its batch was handed over, so a consumer
that dies loses nothing: the broker redelivers, and storage ignores what it already has.
Several consumers in one shared-subscription group split the messages; each is handled once.

The fast lane (``urgent``, see sensors/urgency.py): a message that can change an alarm (an alarm rule may fire on
it, its device has an alarm on or a duration running, or it was offline) does not wait for the batch window, nor
behind the telemetry backlog: it is handed over at once through ``handle_urgent`` (in production
``batch_hand_over(urgent=True)``: the alarm queue, which a worker of its own consumes), together with the messages of
the same topic still buffered here, so a device's readings reach the rules in order. The other messages keep their
batch window and go to the bulk queue; they catch up later (the rules skip what a device's state has gone past and
replay it for duration rules, alerts/rules.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings

from sensors.mqtt import new_client
from sensors.mqtt_wire import Message, WireClient

log = logging.getLogger(__name__)

# Every topic (not $SYS): what devices send upward is parsed (docs/device-protocol.md), our own downlink commands
# are passed over, and a message on any other topic is recorded as a rejection (unknown_topic) an operator sees,
# never lost without a trace. Among them ThingsBoard's own v1/devices/me/... when the broker did not mount the
# device under tb/<key>/ (stock Mosquitto cannot): no identity, so a rejection that names the fix.
TOPICS = ["#"]

Batch = list[list]  # [[topic, username, payload, received_at], ...]


class Consumer:
    def __init__(
        self,
        *,
        handle: Callable[[Batch], object],
        client_id: str,
        group: str | None,
        url: str | None = None,
        batch_messages: int | None = None,
        flush_ms: int | None = None,
        topics: list[str] | None = None,
        urgent: Callable[[str, str], bool] | None = None,
        handle_urgent: Callable[[Batch], object] | None = None,
    ) -> None:
        self.handle = handle
        self.handle_urgent = handle_urgent or handle
        self.urgent = urgent
        self.client_id = client_id
        self.group = group
        self.url = url
        self.batch_messages = batch_messages or settings.INGEST_BATCH_MESSAGES
        self.flush_seconds = (flush_ms if flush_ms is not None else settings.INGEST_FLUSH_MS) / 1000
        self.topics = topics or TOPICS
        self.subscribed = threading.Event()
        self.stopping = threading.Event()
        self.handled = 0  # messages handed over so far
        self.handled_urgent = 0  # of which through the fast lane
        self._buffer: list[tuple[str, str, float, int, int, int]] = []
        self._urgent: list[tuple[str, str, float, int, int, int]] = []
        self._window_started = time.monotonic()
        self._in_flight = 0  # the first messages of _buffer, being handed over now (not to be moved)
        self._lock = threading.Lock()
        self._full = threading.Event()
        self.wire = WireClient(
            client_id,
            topics=self.subscriptions(),
            on_messages=self._on_messages,
            url=url,
            persistent=True,
            on_subscribed=self.subscribed.set,
            on_disconnect=self._on_disconnect,
        )

    def subscriptions(self) -> list[str]:
        prefix = f"$share/{self.group}/" if self.group else ""
        return [prefix + topic for topic in self.topics]

    def _on_disconnect(self, why: str) -> None:
        self.subscribed.clear()
        if not self.stopping.is_set():
            log.warning("MQTT disconnected (%s); reconnecting", why)

    def _on_messages(self, messages: list[Message], generation: int) -> None:
        """The messages of one read off the connection (the network thread): judged, then buffered in one go."""
        received = time.time()
        judge = self._is_urgent if self.urgent is not None else None
        entries = []
        for topic, raw, mid, qos in messages:
            payload = raw.decode("utf-8", errors="replace")
            entries.append(
                ((topic, payload, received, mid, qos, generation), judge is not None and judge(topic, payload))
            )
        with self._lock:
            for entry, urgent in entries:
                if urgent:
                    topic = entry[0]
                    waiting = self._buffer[self._in_flight :]  # those not being handed over right now
                    if any(held[0] == topic for held in waiting):  # the device's earlier readings go with it, first
                        self._urgent.extend(held for held in waiting if held[0] == topic)
                        self._buffer[self._in_flight :] = [held for held in waiting if held[0] != topic]
                    self._urgent.append(entry)
                    self._full.set()
                else:
                    self._buffer.append(entry)
            if len(self._buffer) >= self.batch_messages:
                self._full.set()

    def _is_urgent(self, topic: str, payload: str) -> bool:
        try:
            return self.urgent(topic, payload)
        except Exception:  # the fast lane is an optimisation: never lose a message over it
            log.exception("urgency test failed; the message waits for its batch")
            return False

    def start(self) -> None:
        """Connect and start the network thread (returns at once; ``run`` or ``flush`` hand batches on)."""
        self.wire.start()

    def run(self) -> None:
        """Hand batches on until ``stop`` is called; never stops on bad input or a failed hand-over."""
        self.start()
        failures = 0
        while not self.stopping.is_set():
            self._full.wait(max(0.0, self.flush_seconds - (time.monotonic() - self._window_started)))
            self._full.clear()
            try:
                self.flush_urgent()
                if len(self._buffer) >= self.batch_messages or self._window_over():
                    self.flush()
                failures = 0
            except Exception:
                failures += 1
                log.exception("handing a batch over failed; retrying (attempt %s)", failures)
                self.stopping.wait(min(30.0, 0.5 * 2**failures))
        try:
            self.flush_urgent()
            self.flush()
        except Exception:
            log.exception("last batch not handed over; the broker will redeliver it")
        self.wire.stop()

    def _window_over(self) -> bool:
        return time.monotonic() - self._window_started >= self.flush_seconds

    def flush(self) -> int:
        """Hand the buffered ordinary messages on as one batch, then acknowledge them; answer how many."""
        self._window_started = time.monotonic()
        return self._hand_over(self._buffer, self.handle)

    def flush_urgent(self) -> int:
        """Hand the alarm-bearing messages on at once (the alarm queue), then acknowledge them; answer how many."""
        taken = self._hand_over(self._urgent, self.handle_urgent)
        self.handled_urgent += taken
        return taken

    def _hand_over(self, buffer: list, handle: Callable[[Batch], object]) -> int:
        with self._lock:
            taken = buffer[: self.batch_messages]
            if not taken:
                return 0
            generation = self.wire.generation
            if buffer is self._buffer:
                self._in_flight = len(taken)
        batch = [[topic, "", payload, received] for topic, payload, received, _mid, _qos, _gen in taken]
        try:
            handle(batch)  # raises: nothing acknowledged, the messages stay buffered for the next try
        except BaseException:
            with self._lock:
                self._in_flight = 0
            raise
        with self._lock:
            del buffer[: len(taken)]
            self._in_flight = 0
            if len(buffer) >= self.batch_messages:
                self._full.set()
        # Only what this connection delivered: the broker sends the rest again (storage ignores what it has).
        self.wire.ack([mid for _t, _p, _r, mid, qos, gen in taken if qos and gen == generation], generation)
        self.handled += len(taken)
        return len(taken)

    def stop(self) -> None:
        self.stopping.set()
        self._full.set()


def forget_session(client_id: str, url: str | None = None) -> None:
    """Drop the broker's stored session of ``client_id`` (when a consumer is retired for good)."""
    client, connect = new_client(client_id, url=url, persistent=False)
    client.connect(**connect)
    client.disconnect()
