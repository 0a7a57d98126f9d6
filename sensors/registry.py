"""The device directory ingest works from: devices by key and by token, and what each may report.

Ingest runs thousands of times a second, so it never asks the database per message: the
directory is loaded whole (a district has a few thousand devices) and reloaded when it is
older than DEVICE_CACHE_SECONDS, when a device or metric is saved in this process, or when
an unknown device shows up (at most once every few seconds, so a flood of unknown keys
cannot hammer the database).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from django.conf import settings

# A flood of messages from unknown devices reloads the directory at most this often.
MISS_RELOAD_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class MetricSpec:
    key: str
    is_boolean: bool
    low: float | None
    high: float | None


@dataclass(frozen=True, slots=True)
class DeviceEntry:
    id: int
    key: str
    type_code: str
    apartment_id: int
    is_enabled: bool
    product_key: str
    token_hash: str
    metrics: dict[str, MetricSpec]  # lower-cased metric key and aliases -> spec
    reporting_interval: int = 30  # seconds (a device far above its rate is flagged as flooding)


@dataclass
class Directory:
    by_key: dict[str, DeviceEntry] = field(default_factory=dict)
    by_token_hash: dict[str, DeviceEntry] = field(default_factory=dict)
    loaded_at: float = 0.0


_lock = threading.Lock()
_directory: Directory | None = None
_last_miss_reload = 0.0


def _load() -> Directory:
    from sensors.models import Device, Metric

    specs: dict[int, dict[str, MetricSpec]] = {}
    for metric in Metric.objects.all().only("device_type_id", "key", "kind", "min_value", "max_value", "aliases"):
        spec = MetricSpec(
            key=metric.key,
            is_boolean=metric.kind == Metric.Kind.BOOLEAN,
            low=metric.min_value,
            high=metric.max_value,
        )
        names = specs.setdefault(metric.device_type_id, {})
        for alias in [metric.key, *metric.aliases.split(",")]:
            alias = alias.strip().lower()
            if alias:
                names.setdefault(alias, spec)
    out = Directory(loaded_at=time.monotonic())
    rows = Device.objects.values_list(
        "id",
        "key",
        "device_type_id",
        "device_type__code",
        "apartment_id",
        "is_enabled",
        "alink_product_key",
        "token_hash",
        "reporting_interval",
    )
    for pk, key, type_id, type_code, apartment_id, enabled, product_key, token_hash, interval in rows.iterator(
        chunk_size=5000
    ):
        entry = DeviceEntry(
            pk, key, type_code, apartment_id, enabled, product_key, token_hash, specs.get(type_id, {}), interval
        )
        out.by_key[key] = entry
        if token_hash:
            out.by_token_hash[token_hash] = entry
    return out


def directory() -> Directory:
    """The current directory, reloaded when it is too old."""
    global _directory
    current = _directory
    if current is None or time.monotonic() - current.loaded_at > settings.DEVICE_CACHE_SECONDS:
        with _lock:
            if _directory is current:
                _directory = _load()
            current = _directory
    return current


def reload_after_miss() -> Directory:
    """Reload because a message named a device we do not know (rate-limited)."""
    global _directory, _last_miss_reload
    now = time.monotonic()
    with _lock:
        if now - _last_miss_reload >= MISS_RELOAD_SECONDS:
            _last_miss_reload = now
            _directory = _load()
        return _directory or _load()


def invalidate(**_kwargs) -> None:
    """Forget the directory (connected to Device and Metric saves and deletes)."""
    global _directory, _last_miss_reload
    _directory = None
    _last_miss_reload = 0.0
