"""The fast lane: which device messages cannot wait for the consumer's batch window.

A reading an alarm rule may fire on (a wire at 95 °C, smoke, a hydrant at no pressure) ends the consumer's
batch window at once: its batch is handed over now instead of after up to ``INGEST_FLUSH_MS``. The test is
loose: each metric's loosest trigger over all rules (a block's own rule at 55 °C makes every wire reading at or
above 55 °C urgent), read off the raw JSON of any of the three formats without knowing the device. A false
"urgent" costs one smaller batch; a missed one only the batch window: the rules themselves run on every reading.

The consumer asks this of every message in its one network thread, so the test is one regular expression over
``"key": number`` pairs (and Alink's ``"Key": {"value": number}``): about 1.5 µs for a 5-metric message, no
JSON tree to walk.

Besides the values, a message is urgent by its device (:func:`message_is_urgent`): a device with an alarm on or a
duration rule running (its next reading may clear, hold or fire it: the hysteresis band) and a device that went
silent (its next message brings it back). Their keys are read off the topic (``shijiao/<key>/...``,
``/sys/<product>/<key>/...``; ThingsBoard names devices by token: those are judged by value only).

Urgent messages go to the alarm queue with a worker of its own (sensors/consumer.py, sensors/handover.py).

The rules live in the alerts app, above this one: it registers a provider of :class:`Triggers`
(``register_triggers``) naming the metrics' triggers and the devices whose rules are busy; sensors adds the metric
aliases devices use and the devices that went silent.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import DatabaseError, connection
from django.db.models import Q

from sensors.models import Device, Metric

log = logging.getLogger(__name__)


@dataclass
class Triggers:
    """Per metric key: urgent at or above ``above``, at or below ``below``, inside a ``within`` range, or true."""

    above: dict[str, float] = field(default_factory=dict)
    below: dict[str, float] = field(default_factory=dict)
    within: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    devices: set[int] = field(default_factory=set)  # ids of devices every message of which is urgent

    def add_above(self, metric: str, value: float) -> None:
        self.above[metric] = min(value, self.above.get(metric, math.inf))

    def add_below(self, metric: str, value: float) -> None:
        self.below[metric] = max(value, self.below.get(metric, -math.inf))

    def metrics(self) -> set[str]:
        return set(self.above) | set(self.below) | set(self.within) | self.flags

    def met(self, metric: str, value: float) -> bool:
        if metric in self.flags and value >= 0.5:
            return True
        if value >= self.above.get(metric, math.inf) or value <= self.below.get(metric, -math.inf):
            return True
        return any(low <= value <= high for low, high in self.within.get(metric, ()))


_providers: list[Callable[[], Triggers]] = []


def register_triggers(provider: Callable[[], Triggers]) -> None:
    """Called by a higher app at start-up (alerts: its rules' conditions)."""
    if provider not in _providers:
        _providers.append(provider)


class _Table:
    """The merged triggers and the alias → key map, reloaded every ``ttl`` seconds (rules change rarely)."""

    ttl = 5.0  # a device's alarm may clear within seconds of being raised: its readings must stay urgent

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded_at = -math.inf
        self.triggers = Triggers()
        self.keys: dict[str, str] = {}  # lower-cased key or alias → metric key, for the metrics with a trigger
        self.pattern: re.Pattern | None = None
        self.device_keys: frozenset[str] = frozenset()  # keys of the devices every message of which is urgent
        # lower-cased key or alias → (urgent at or above, at or below, inside one of these ranges): the triggers of
        # its metric in the shape the consumer's per-message test reads fastest (a flag is "at or above 0.5")
        self.checks: dict[str, tuple[float, float, tuple[tuple[float, float], ...]]] = {}

    retry = 1.0  # the database away: the previous table stays, a reload is tried again after this

    def current(self) -> _Table:
        if time.monotonic() - self._loaded_at > self.ttl:
            with self._lock:
                if time.monotonic() - self._loaded_at > self.ttl:
                    try:
                        self._load()
                    except DatabaseError:
                        # The fast lane is an optimisation: a database restart must not stop the consumer nor
                        # make it ask the database once per message. The last table holds until a reload works.
                        log.warning("urgency table: the database is away, keeping the previous table", exc_info=True)
                        connection.close_if_unusable_or_obsolete()
                        self._loaded_at = time.monotonic() - self.ttl + self.retry
        return self

    def invalidate(self) -> None:
        self._loaded_at = -math.inf

    def _load(self) -> None:
        merged = Triggers()
        for provider in _providers:
            found = provider()
            for metric, value in found.above.items():
                merged.add_above(metric, value)
            for metric, value in found.below.items():
                merged.add_below(metric, value)
            for metric, ranges in found.within.items():
                merged.within.setdefault(metric, []).extend(ranges)
            merged.flags |= found.flags
            merged.devices |= found.devices
        wanted = merged.metrics()
        keys = {metric: metric for metric in wanted}
        for key, aliases in Metric.objects.filter(key__in=wanted).values_list("key", "aliases"):
            for alias in filter(None, (a.strip().lower() for a in aliases.split(","))):
                keys.setdefault(alias, key)
        names = "|".join(re.escape(name) for name in sorted(keys, key=len, reverse=True))
        self.pattern = (
            re.compile(rf'"({names})"\s*:\s*(?:\{{[^{{}}]*?"value"\s*:\s*)?(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true)',
                       re.IGNORECASE)
            if keys else None
        )  # fmt: skip
        silent = Q(is_online=False, last_seen_at__isnull=False)
        watched = Q(pk__in=merged.devices) | silent if merged.devices else silent
        self.device_keys = frozenset(Device.objects.filter(watched).values_list("key", flat=True))
        checks = {}
        for name, metric in keys.items():
            above = merged.above.get(metric, math.inf)
            if metric in merged.flags:
                above = min(above, 0.5)
            checks[name] = (above, merged.below.get(metric, -math.inf), tuple(merged.within.get(metric, ())))
        self.triggers, self.keys, self.checks = merged, keys, checks
        self._loaded_at = time.monotonic()


table = _Table()


def topic_device_key(topic: str) -> str | None:
    """The device key a topic names (native and Alink topics; ThingsBoard's name a token, not a key)."""
    parts = topic.split("/")
    if parts[0] == "shijiao" and len(parts) >= 3:
        return parts[1]
    if len(parts) >= 4 and parts[0] == "" and parts[1] == "sys":
        return parts[3]
    return None


def message_is_urgent(topic: str, payload: str | bytes) -> bool:
    """Whether a device message can change an alarm: its device is watched (an alarm on, a duration running, gone
    silent) or it carries a value some alarm rule may fire on."""
    current = table.current()
    keys = current.device_keys
    if keys and topic_device_key(topic) in keys:
        return True
    return _values_urgent(current, payload)


def is_urgent(payload: str | bytes) -> bool:
    """Whether a raw device message carries a value some alarm rule may fire on (native, ThingsBoard, Alink)."""
    return _values_urgent(table.current(), payload)


def _values_urgent(current: _Table, payload: str | bytes) -> bool:
    # The consumer runs this on every message (profiled: 40 % of its time when it went through Triggers.met per
    # value): one findall, one dict lookup and two comparisons per value.
    pattern = current.pattern
    if pattern is None:
        return False
    if isinstance(payload, bytes):
        payload = payload.decode("utf-8", errors="replace")
    checks = current.checks
    for name, raw in pattern.findall(payload):
        check = checks.get(name) or checks.get(name.lower())
        if check is None:
            continue
        value = 1.0 if raw[0] in "tT" else float(raw)
        if not -math.inf < value < math.inf:  # 1e999: not a reading
            continue
        above, below, ranges = check
        if value >= above or value <= below:
            return True
        if ranges and any(low <= value <= high for low, high in ranges):
            return True
    return False
