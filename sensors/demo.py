"""Demo devices: what a typical migrant apartment block has installed, and a month of what they measured.

The history is one reading per 15 minutes: hour roll-ups of the whole month for what fire safety watches (wire
temperature of every distribution box, the e-bike charging area's load, hydrant pressure, tank levels, door
traffic), of the last day for the rest (floor loads, smoke detector batteries, corridor radar); raw readings and
minute roll-ups of the last hours; the latest value of every metric.
Evening load, night-time e-bike charging and each block's own level make the curves; alarms (alerts.demo) peak
on top of them.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from django.db.models import Sum
from django.utils import timezone

from apartments.models import Apartment, Room
from sensors.catalog import load_catalog
from sensors.models import (
    Device,
    DeviceType,
    LatestValue,
    Metric,
    Reading,
    ReadingRollup,
    RollupState,
    hash_token,
)
from sensors.partitions import partitions_ensure
from shijiao.bulk import bulk_insert

# Demo devices share one well-known token per block so the simulator can publish; real devices get their own.
DEMO_TOKEN_PREFIX = "demo-token-"


# The device whose commands `make demo` prints (a distribution box of block 6, 3rd floor).
DEMO_DEVICE_KEY = "sq006-elec-3"


def demo_token(device_key: str) -> str:
    return f"{DEMO_TOKEN_PREFIX}{device_key}"


def seed(rng: random.Random, today: date, progress=lambda _m: None, history_days: int = 2) -> None:
    load_catalog(DeviceType, Metric)  # a --reset flush empties the reference tables too
    types = {t.code: t for t in DeviceType.objects.all()}
    rows = []
    for apartment in Apartment.objects.order_by("code"):
        prefix = apartment.code.replace("-", "").lower()

        def add(
            kind: str,
            suffix: str,
            *,
            floor: int | None,
            location: str,
            interval: int,
            apartment: Apartment = apartment,
            prefix: str = prefix,
        ) -> None:
            key = f"{prefix}-{suffix}"
            rows.append(
                Device(
                    key=key,
                    device_type=types[kind],
                    apartment=apartment,
                    floor=floor,
                    location=location,
                    reporting_interval=interval,
                    token_hash=hash_token(demo_token(key)),
                )
            )

        for floor in range(1, apartment.floors + 1):
            add("smart_electricity", f"elec-{floor}", floor=floor, location=f"{floor}层配电箱", interval=30)
            add("smoke_detector", f"smoke-{floor}", floor=floor, location=f"{floor}层走廊", interval=60)
            add("radar", f"radar-{floor}", floor=floor, location=f"{floor}层走廊", interval=30)
        add("smart_electricity", "elec-ebike", floor=1, location="一楼电瓶车集中充电区", interval=15)
        add("hydrant_pressure", "hydrant-1", floor=1, location="一楼消火栓", interval=60)
        add("hydrant_pressure", "hydrant-top", floor=apartment.floors, location="顶层最不利点消火栓", interval=60)
        add("water_level", "roof-tank", floor=apartment.floors, location="屋顶消防水箱", interval=60)
        add("water_level", "fire-pool", floor=None, location="地下消防水池", interval=60)
        add("fire_exit", "exit-1", floor=1, location="一楼安全出口", interval=30)
        add("fire_exit", "exit-2", floor=1, location="北侧疏散通道", interval=30)
        add("door_controller", "door-main", floor=1, location="主入口人脸门禁", interval=60)
        add("elevator", "lift-1", floor=None, location="1号电梯", interval=60)
    Device.objects.bulk_create(rows, batch_size=2000)
    progress(f"{len(rows)} devices")
    seed_history(rng, today, days=history_days, progress=progress)


STEP = timedelta(minutes=15)
PER_HOUR = 4
# The metrics with a history, per device type, and how far back: the whole history (None) for what fire safety
# watches, the last day for the rest; the other metrics get a latest value only.
HISTORY: dict[str, list[tuple[str, int | None]]] = {
    "smart_electricity": [("wire_temp", None), ("current", 1)],
    "hydrant_pressure": [("pressure", None)],
    "water_level": [("level_pct", None)],
    "smoke_detector": [("battery", 1)],
    "radar": [("people_count", 1)],
    "door_controller": [("entries", None)],
}
RAW_HOURS = 6  # raw readings (and their minute roll-ups) of the last hours; older ones live on as hour roll-ups


def _bell(hours: np.ndarray, centre: float, width: float) -> np.ndarray:
    distance = np.minimum(np.abs(hours - centre), 24 - np.abs(hours - centre))  # around the clock
    return np.exp(-((distance / width) ** 2))


def _series(kind: str, metric: str, device: Device, hours: np.ndarray, level: float, people: int, noise) -> np.ndarray:
    n = len(hours)
    home = 0.15 + 0.55 * _bell(hours, 21, 2.5) + 0.25 * _bell(hours, 7, 1.5)  # evenings, mornings
    charging = 0.15 + 0.85 * _bell(hours, 23, 3.5)  # e-bikes charge at night
    if kind == "smart_electricity":
        load = charging if "ebike" in device.key else home
        if metric == "wire_temp":
            return np.round(19 + (26 if "ebike" in device.key else 15) * load * level + noise(0.7, n), 1)
        return np.round(np.maximum(0.2, 2 + (42 if "ebike" in device.key else 28) * load * level + noise(1.2, n)), 1)
    if kind == "hydrant_pressure":
        base = 0.26 + 0.14 * (level - 0.85) / 0.4 - (0.07 if "top" in device.key else 0)
        return np.round(base + noise(0.006, n), 3)
    if kind == "water_level":
        return np.round(np.clip(95 - 8 * ((np.arange(n) / (PER_HOUR * 36)) % 1) + noise(0.4, n), 0, 100), 1)
    if kind == "smoke_detector":
        start = 60 + 40 * level / 1.25
        return np.round(np.clip(start - np.arange(n) * 0.0025, 5, 100), 1)
    if kind == "radar":
        return np.maximum(0, np.round(home * 5 * level + noise(0.8, n)))
    if kind == "door_controller":  # entries per quarter hour
        return np.maximum(0, np.round(people * 0.7 / 24 / PER_HOUR * home / home.mean() + noise(1.0, n)))
    return np.zeros(n)


def seed_history(rng: random.Random, today: date, *, days: int, progress=lambda _m: None) -> None:
    """Hour roll-ups of ``days`` days (see HISTORY), raw readings and minute roll-ups of the last hours, latest
    values."""
    now = timezone.now() if today == timezone.localdate() else timezone.make_aware(datetime.combine(today, time(9)))
    end = now.replace(minute=(now.minute // 15) * 15, second=0, microsecond=0).astimezone(UTC)
    points = days * 24 * PER_HOUR
    start = end - STEP * points  # a whole number of hours back, on the quarter
    start_hour = start.replace(minute=0)
    start = start_hour + STEP * ((start - start_hour) // STEP)
    stamps = [start + STEP * i for i in range(1, points + 1)]  # the last one is ``end``
    local_hours = np.array([(t.hour + 8 + t.minute / 60) % 24 for t in stamps])  # Asia/Shanghai: UTC+8
    # Door traffic follows the block's size (its beds; nine in ten are taken in the full district).
    living = {
        apartment_id: round(0.9 * beds)
        for apartment_id, beds in Room.objects.values_list("apartment_id").annotate(n=Sum("capacity")).order_by()
    }
    noise_rng = np.random.default_rng(rng.randint(0, 2**31))

    def noise(scale: float, n: int) -> np.ndarray:
        return noise_rng.normal(0.0, scale, n)

    levels = {a: rng.uniform(0.85, 1.25) for a in Apartment.objects.values_list("pk", flat=True)}
    devices = list(Device.objects.select_related("device_type").order_by("pk"))
    metrics = {}
    for m in Metric.objects.select_related("device_type"):
        metrics.setdefault(m.device_type.code, []).append(m.key)
    series: list[tuple[int, str, np.ndarray, int]] = []  # (device, metric, values, how many hour buckets)
    for device in devices:
        kind = device.device_type.code
        for metric, span in HISTORY.get(kind, []):
            if kind == "smart_electricity" and metric == "current" and "ebike" in device.key:
                span = None  # the e-bike charging area's load is watched as closely as its temperature
            values = _series(kind, metric, device, local_hours, levels[device.apartment_id],
                             living.get(device.apartment_id, 0), noise)  # fmt: skip
            series.append((device.pk, metric, values, (span or days) * 24))

    # Hour roll-ups: a bucket holds the four readings of its hour (the first hour may hold fewer).
    first_full = next(i for i, t in enumerate(stamps) if t.minute == 0)
    buckets = stamps[first_full : len(stamps) - PER_HOUR + 1 : PER_HOUR]  # whole hours only

    def hours():
        for device_id, metric, values, span in series:
            block = values[first_full : first_full + len(buckets) * PER_HOUR].reshape(-1, PER_HOUR)[-span:]
            lows, highs, sums = block.min(1).tolist(), block.max(1).tolist(), block.sum(1).tolist()
            for bucket, low, high, total in zip(buckets[-span:], lows, highs, sums, strict=True):
                yield ("hour", device_id, metric, bucket, PER_HOUR, low, high, total)

    total = sum(min(span, len(buckets)) for *_rest, span in series)
    bulk_insert(
        ReadingRollup,
        ["period", "device", "metric", "bucket", "count", "min_value", "max_value", "sum_value"],
        hours(),
        progress=lambda done: progress(f"hourly readings {done}/{total} ({days} days)"),
    )
    partitions_ensure(now=now)
    first_raw = max(0, len(stamps) - RAW_HOURS * PER_HOUR)
    recent = [(device_id, metric, stamps[i], float(values[i])) for device_id, metric, values, _span in series
              for i in range(first_raw, len(stamps))]  # fmt: skip
    bulk_insert(Reading, ["device", "metric", "ts", "value"], recent,
                progress=lambda done: progress(f"raw readings, last {RAW_HOURS} h {done}/{len(recent)}"))  # fmt: skip
    bulk_insert(
        ReadingRollup,
        ["period", "device", "metric", "bucket", "count", "min_value", "max_value", "sum_value"],
        (("minute", d, m, t, 1, v, v, v) for d, m, t, v in recent),
    )
    # The roll-up job goes on from here instead of recomputing the seeded day.
    RollupState.objects.update_or_create(name=ReadingRollup.Period.MINUTE, defaults={"done_until": end})

    last = {(device_id, metric): float(values[-1]) for device_id, metric, values, _span in series}
    latest = []
    for device in devices:
        for metric in metrics.get(device.device_type.code, []):
            value = last.get((device.pk, metric), LATEST_DEFAULTS.get(metric, 0.0))
            latest.append((device.pk, metric, end, value))
    bulk_insert(LatestValue, ["device", "metric", "ts", "value"], latest)
    Device.objects.update(last_seen_at=end, is_online=True)


# The last value of metrics without a history: no smoke, exits clear, doors shut, mains voltage.
LATEST_DEFAULTS = {"voltage": 221.0, "residual_current": 12.0, "power": 2400.0, "floor": 1.0, "level": 2.6}
