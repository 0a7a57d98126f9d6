"""Readings on PostgreSQL: one partition per day, so retention drops whole days instead of deleting rows.

``sensors_reading`` is partitioned by range of ``ts`` (migration 0004): a partition ``sensors_reading_pYYYYMMDD``
per day in ``TIME_ZONE`` plus ``sensors_reading_default`` for anything outside them, so an insert never fails
for want of a partition. ``partitions_ensure`` (run by the hourly ``sensors.purge`` job and by the migration)
creates the days ingest accepts readings for (``INGEST_MAX_PAST_DAYS`` back, two ahead) and moves any rows of
those days out of the default partition first (PostgreSQL refuses a partition whose rows sit in the default).
``readings_purge`` (sensors/rollups.py) drops the days past retention. On SQLite nothing here applies.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

TABLE = "sensors_reading"
PREFIX = "sensors_reading_p"
DEFAULT = "sensors_reading_default"
DAYS_AHEAD = 2


def is_partitioned() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.relname = %s AND c.relnamespace = 'public'::regnamespace",
            [TABLE],
        )
        return cursor.fetchone() is not None


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The first instant of ``day`` in TIME_ZONE and of the day after."""
    zone = timezone.get_default_timezone()
    return datetime.combine(day, time(), zone), datetime.combine(day + timedelta(days=1), time(), zone)


def partitions() -> dict[date, str]:
    """The day partitions that exist, by day."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [TABLE],
        )
        names = [row[0] for row in cursor.fetchall()]
    out = {}
    for name in names:
        if name.startswith(PREFIX):
            out[datetime.strptime(name[len(PREFIX) :], "%Y%m%d").date()] = name
    return out


def partitions_ensure(*, now: datetime | None = None) -> list[str]:
    """Create the day partitions ingest may write to next; answer the names created."""
    if not is_partitioned():
        return []
    today = timezone.localdate(now, timezone.get_default_timezone())
    first = today - timedelta(days=settings.INGEST_MAX_PAST_DAYS + 1)
    existing = partitions()
    created = []
    for offset in range((today + timedelta(days=DAYS_AHEAD) - first).days + 1):
        day = first + timedelta(days=offset)
        if day not in existing:
            created.append(_create(day))
    return created


def _create(day: date) -> str:
    name = f"{PREFIX}{day:%Y%m%d}"
    start, end = (bound.isoformat() for bound in day_bounds(day))
    with transaction.atomic(), connection.cursor() as cursor:
        # Rows of that day already in the default partition (stored while the day had no partition) move over.
        cursor.execute(
            f"CREATE TEMP TABLE reading_move AS WITH moved AS (DELETE FROM {DEFAULT} "
            "WHERE ts >= %s AND ts < %s RETURNING device_id, metric, ts, value) SELECT * FROM moved",
            [start, end],
        )
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {TABLE} FOR VALUES FROM ('{start}') TO ('{end}')"
        )
        cursor.execute(
            f"INSERT INTO {TABLE} (device_id, metric, ts, value) SELECT device_id, metric, ts, value FROM reading_move"
        )
        cursor.execute("DROP TABLE reading_move")
    return name


def partitions_drop_before(cutoff: datetime) -> tuple[int, list[str]]:
    """Drop the day partitions wholly older than ``cutoff``; answer (rows they held, names dropped)."""
    if not is_partitioned():
        return 0, []
    rows, dropped = 0, []
    for day, name in sorted(partitions().items()):
        if day_bounds(day)[1] > cutoff:
            continue
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {name}")
            rows += cursor.fetchone()[0]
            cursor.execute(f"DROP TABLE {name}")
        dropped.append(name)
    return rows, dropped
