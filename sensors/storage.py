"""Writing data points: raw readings (stored once however often they arrive) and latest values.

PostgreSQL gets one multi-row statement per batch built from arrays (``unnest``), which psycopg
sends in binary (``%b``, server-side binding: four times faster than Django's client-side quoting of
the same arrays): no per-row round trip, no ORM objects. SQLite (the demo) takes the ORM path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import psycopg
from django.db import connection

from sensors.models import LatestValue, Reading
from sensors.types import Point

_INSERT_READINGS_PG = """
INSERT INTO sensors_reading (device_id, metric, ts, value)
SELECT * FROM unnest(%b::bigint[], %b::varchar[], %b::timestamptz[], %b::float8[])
ON CONFLICT DO NOTHING
RETURNING device_id, metric, ts, value
"""

_UPSERT_LATEST_PG = """
INSERT INTO sensors_latestvalue (device_id, metric, ts, value)
SELECT * FROM unnest(%b::bigint[], %b::varchar[], %b::timestamptz[], %b::float8[])
ON CONFLICT (device_id, metric) DO UPDATE SET ts = EXCLUDED.ts, value = EXCLUDED.value
WHERE sensors_latestvalue.ts <= EXCLUDED.ts
RETURNING device_id, metric
"""


# One round trip per batch for what ingest stores: the readings (a redelivered one is not stored twice), then each
# device metric's newest value from the readings that were new (an older one never overwrites a newer), in (device,
# metric) order so two workers lock the latest rows alike and never deadlock. Answers only the exceptions, which
# are rare: 'repeated' (a reading already stored) and 'late' (a newer value was held before this batch). Returning
# every stored row instead cost the worker ~10 % of its time decoding rows it already had (profiled).
_STORE_PG = """
WITH batch AS (
    SELECT * FROM unnest(%b::bigint[], %b::varchar[], %b::timestamptz[], %b::float8[])
        AS b(device_id, metric, ts, value)
), stored AS (
    INSERT INTO sensors_reading (device_id, metric, ts, value) SELECT * FROM batch
    ON CONFLICT DO NOTHING
    RETURNING device_id, metric, ts, value
), newest AS (
    SELECT DISTINCT ON (device_id, metric) device_id, metric, ts, value FROM stored ORDER BY device_id, metric, ts DESC
), kept AS (
    INSERT INTO sensors_latestvalue (device_id, metric, ts, value) SELECT * FROM newest
    ON CONFLICT (device_id, metric) DO UPDATE SET ts = EXCLUDED.ts, value = EXCLUDED.value
    WHERE sensors_latestvalue.ts <= EXCLUDED.ts
    RETURNING device_id, metric
)
SELECT true, b.device_id, b.metric, b.ts FROM batch b
WHERE NOT EXISTS (SELECT FROM stored s WHERE s.device_id = b.device_id AND s.metric = b.metric AND s.ts = b.ts)
UNION ALL
SELECT false, n.device_id, n.metric, n.ts FROM newest n
WHERE NOT EXISTS (SELECT FROM kept k WHERE k.device_id = n.device_id AND k.metric = n.metric)
"""


def _columns(points: Sequence[Point]) -> list[list]:
    return [
        [p.device_id for p in points],
        [p.metric for p in points],
        [p.ts for p in points],
        [p.value for p in points],
    ]


def _pg_execute(sql: str, rows: Sequence[Point], *, fetch: bool = False) -> list[tuple]:
    """Run ``sql`` with the four columns of ``rows`` as binary arrays, in Django's current transaction."""
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, _columns(rows), binary=True)  # binary results too: no text parsing of timestamps
        return cursor.fetchall() if fetch else []


def readings_store(points: Sequence[Point]) -> tuple[list[Point], set[tuple[int, str]]]:
    """Store ``points`` and keep each device metric's newest value: :func:`readings_insert` then
    :func:`latest_upsert` of the new ones, in one statement on PostgreSQL. Answers (the new points, the late keys)."""
    if not points:
        return [], set()
    if connection.vendor != "postgresql":
        new = readings_insert(points)
        return new, latest_upsert(new)
    unique = _distinct(points)
    repeated: set[tuple] = set()
    late: set[tuple[int, str]] = set()
    for is_repeated, device_id, metric, ts in _pg_execute(_STORE_PG, unique, fetch=True):
        if is_repeated:
            repeated.add((device_id, metric, ts))
        else:
            late.add((device_id, metric))
    if repeated:
        unique = [p for p in unique if (p.device_id, p.metric, p.ts) not in repeated]
    return unique, late


def _distinct(points: Sequence[Point]) -> list[Point]:
    """The points without a second reading of the same device, metric and moment in the batch (the first one
    counts, as when the database meets it twice)."""
    first: dict[tuple, Point] = {}
    for point in points:
        first.setdefault((point.device_id, point.metric, point.ts), point)
    return list(first.values()) if len(first) < len(points) else list(points)


def readings_insert(points: Sequence[Point]) -> list[Point]:
    """Store ``points``; answer the ones that were new (a redelivered reading is not stored or answered twice)."""
    if not points:
        return []
    if connection.vendor == "postgresql":
        rows = _pg_execute(_INSERT_READINGS_PG, points, fetch=True)
        return [Point(device_id, metric, ts, value) for device_id, metric, ts, value in rows]
    return _readings_insert_portable(points)


def _readings_insert_portable(points: Sequence[Point]) -> list[Point]:
    unique: dict[tuple, Point] = {}
    for point in points:
        unique.setdefault((point.device_id, point.metric, point.ts), point)
    existing = set(
        Reading.objects.filter(
            device_id__in={p.device_id for p in unique.values()}, ts__in={p.ts for p in unique.values()}
        ).values_list("device_id", "metric", "ts")
    )
    new = [p for key, p in unique.items() if key not in existing]
    Reading.objects.bulk_create(
        [Reading(device_id=p.device_id, metric=p.metric, ts=p.ts, value=p.value) for p in new],
        batch_size=500,
        ignore_conflicts=True,
    )
    return new


def latest_upsert(points: Sequence[Point]) -> set[tuple[int, str]]:
    """Keep the newest value of each device metric (an older reading arriving late never overwrites it).

    Answers the late keys: the (device, metric) of which a newer reading was stored before these points (by the
    alarm queue's worker, which takes a device's alarm-bearing readings ahead of the telemetry backlog, or by
    another worker). The alarm rules replay those (alerts/rules.py)."""
    newest: dict[tuple[int, str], Point] = {}
    for point in points:
        key = (point.device_id, point.metric)
        held = newest.get(key)
        if held is None or held.ts <= point.ts:
            newest[key] = point
    if not newest:
        return set()
    # Sorted, so two workers lock the same rows in the same order and never deadlock.
    rows = [newest[key] for key in sorted(newest)]
    if connection.vendor == "postgresql":
        updated = {(device_id, metric) for device_id, metric in _pg_execute(_UPSERT_LATEST_PG, rows, fetch=True)}
        return set(newest) - updated
    held = {
        (lv.device_id, lv.metric): lv for lv in LatestValue.objects.filter(device_id__in={p.device_id for p in rows})
    }
    changed = [p for p in rows if (p.device_id, p.metric) not in held or held[(p.device_id, p.metric)].ts <= p.ts]
    LatestValue.objects.bulk_create(
        [LatestValue(device_id=p.device_id, metric=p.metric, ts=p.ts, value=p.value) for p in changed],
        update_conflicts=True,
        unique_fields=["device", "metric"],
        update_fields=["ts", "value"],
        batch_size=500,
    )
    return set(newest) - {(p.device_id, p.metric) for p in changed}


def newer_stored(points: Sequence[Point]) -> set[tuple[int, str]]:
    """The (device, metric) of these points (stored before: a batch retried after its rules failed) of which a newer
    reading is held by now: for the alarm rules they are late like :func:`latest_upsert`'s, since the later
    readings may have been judged first (by another worker) while these waited for their retry."""
    newest: dict[tuple[int, str], datetime] = {}
    for point in points:
        key = (point.device_id, point.metric)
        newest[key] = max(newest.get(key, point.ts), point.ts)
    if not newest:
        return set()
    held = LatestValue.objects.filter(device_id__in={device_id for device_id, _ in newest}).values_list(
        "device_id", "metric", "ts"
    )
    return {
        (device_id, metric)
        for device_id, metric, ts in held
        if (device_id, metric) in newest and ts > newest[(device_id, metric)]
    }


_PREVIOUS_PG = """
SELECT k.device_id, k.metric, r.ts, r.value
FROM unnest(%b::bigint[], %b::varchar[], %b::timestamptz[]) AS k(device_id, metric, before)
CROSS JOIN LATERAL (
    SELECT ts, value FROM sensors_reading
    WHERE device_id = k.device_id AND metric = k.metric AND ts < k.before
    ORDER BY ts DESC LIMIT 1
) AS r
"""


def readings_before(keys: dict[tuple[int, str], datetime]) -> dict[tuple[int, str], tuple[datetime, float]]:
    """The last stored reading of each (device, metric) before the given moment: one index probe per key."""
    if not keys:
        return {}
    if connection.vendor == "postgresql":
        columns = [[d for d, _ in keys], [m for _, m in keys], list(keys.values())]
        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(_PREVIOUS_PG, columns, binary=True)
            return {(d, m): (ts, value) for d, m, ts, value in cursor.fetchall()}
    found = {}
    for (device_id, metric), before in keys.items():
        row = (
            Reading.objects.filter(device_id=device_id, metric=metric, ts__lt=before)
            .order_by("-ts")
            .values_list("ts", "value")
            .first()
        )
        if row is not None:
            found[(device_id, metric)] = row
    return found


def readings_since(device_id: int, metrics: Iterable[str], since: datetime, until: datetime) -> list[Point]:
    """The stored readings of one device's ``metrics`` from the last one before ``since`` (each metric's value at
    that moment) up to ``until``, in time order: enough to replay a rule over that stretch."""
    metrics = sorted(set(metrics))
    first = readings_before({(device_id, metric): since for metric in metrics})
    rows = (
        Reading.objects.filter(device_id=device_id, metric__in=metrics, ts__gte=since, ts__lte=until)
        .order_by("ts")
        .values_list("metric", "ts", "value")
    )
    points = [Point(device_id, metric, ts, value) for (_, metric), (ts, value) in first.items()]
    points.extend(Point(device_id, metric, ts, value) for metric, ts, value in rows)
    return sorted(points, key=lambda p: p.ts)
