"""Roll-ups (per-minute and per-hour min/max/mean for long trends) and retention of raw readings.

Both run as Celery beat jobs (``sensors.rollup`` every minute, ``sensors.purge`` hourly).
Roll-ups are recomputed, never incremented, so running a window twice is harmless: each run
redoes the minutes since the last run plus ROLLUP_LATE_SECONDS, and hours that received
readings later than that (``StaleRollupHour``, marked by ingest).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Min, Sum
from django.db.models.functions import TruncHour, TruncMinute
from django.utils import timezone

from sensors.models import Reading, ReadingRollup, RollupState, StaleRollupHour

MINUTE = ReadingRollup.Period.MINUTE
HOUR = ReadingRollup.Period.HOUR
MAX_SPAN = timedelta(days=1)  # one run catches up at most a day; the next run goes on

_MINUTES_PG = """
INSERT INTO sensors_readingrollup (period, device_id, metric, bucket, count, min_value, max_value, sum_value)
SELECT 'minute', device_id, metric, date_trunc('minute', ts), count(*), min(value), max(value), sum(value)
FROM sensors_reading WHERE ts >= %s AND ts < %s
GROUP BY device_id, metric, date_trunc('minute', ts)
ON CONFLICT (period, device_id, metric, bucket) DO UPDATE SET count = EXCLUDED.count,
  min_value = EXCLUDED.min_value, max_value = EXCLUDED.max_value, sum_value = EXCLUDED.sum_value
"""

_HOURS_PG = """
INSERT INTO sensors_readingrollup (period, device_id, metric, bucket, count, min_value, max_value, sum_value)
SELECT 'hour', device_id, metric, date_trunc('hour', bucket), sum(count), min(min_value), max(max_value), sum(sum_value)
FROM sensors_readingrollup WHERE period = 'minute' AND bucket >= %s AND bucket < %s
GROUP BY device_id, metric, date_trunc('hour', bucket)
ON CONFLICT (period, device_id, metric, bucket) DO UPDATE SET count = EXCLUDED.count,
  min_value = EXCLUDED.min_value, max_value = EXCLUDED.max_value, sum_value = EXCLUDED.sum_value
"""


def floor_minute(ts: datetime) -> datetime:
    return ts.replace(second=0, microsecond=0)


def floor_hour(ts: datetime) -> datetime:
    return ts.replace(minute=0, second=0, microsecond=0)


def rollups_run(*, now: datetime | None = None) -> dict:
    """Roll up the minutes finished since the last run (and stale hours); answer what was done."""
    now = now or timezone.now()
    end = floor_minute(now)  # the running minute is not finished
    done = {"minutes_from": None, "minutes_to": None, "stale_hours": 0}
    with transaction.atomic():
        state, _ = RollupState.objects.select_for_update().get_or_create(name=MINUTE)
        if state.done_until is None:
            first = Reading.objects.filter(ts__lt=end).aggregate(first=Min("ts"))["first"]
            start = floor_minute(first) if first else end
        else:
            start = floor_minute(state.done_until - timedelta(seconds=settings.ROLLUP_LATE_SECONDS))
        stop = min(end, start + MAX_SPAN)
        if start < stop:
            rollup_window(start, stop)
            done.update(minutes_from=start.isoformat(), minutes_to=stop.isoformat())
        state.done_until = max(stop, state.done_until or stop)
        state.save(update_fields=["done_until"])
    for stale in list(StaleRollupHour.objects.order_by("hour")[:50]):
        with transaction.atomic():
            rollup_window(stale.hour, stale.hour + timedelta(hours=1))
            stale.delete()
        done["stale_hours"] += 1
    return done


def rollup_window(start: datetime, stop: datetime) -> None:
    """Recompute the minute roll-ups of [start, stop) and the hour roll-ups of the hours it touches."""
    hour_start = floor_hour(start)
    hour_stop = floor_hour(stop) + (timedelta(hours=1) if stop != floor_hour(stop) else timedelta(0))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_MINUTES_PG, [start, stop])
            cursor.execute(_HOURS_PG, [hour_start, hour_stop])
        return
    minutes = (
        Reading.objects.filter(ts__gte=start, ts__lt=stop)
        .annotate(bucket=TruncMinute("ts"))
        .values("device_id", "metric", "bucket")
        .annotate(n=Count("value"), lo=Min("value"), hi=Max("value"), total=Sum("value"))
        .order_by()
    )
    _upsert(MINUTE, minutes)
    hours = (
        ReadingRollup.objects.filter(period=MINUTE, bucket__gte=hour_start, bucket__lt=hour_stop)
        .annotate(hour=TruncHour("bucket"))
        .values("device_id", "metric", "hour")
        .annotate(n=Sum("count"), lo=Min("min_value"), hi=Max("max_value"), total=Sum("sum_value"))
        .order_by()
    )
    _upsert(HOUR, [{**row, "bucket": row["hour"]} for row in hours])


def _upsert(period: str, rows) -> None:
    ReadingRollup.objects.bulk_create(
        [
            ReadingRollup(
                period=period,
                device_id=row["device_id"],
                metric=row["metric"],
                bucket=row["bucket"],
                count=row["n"],
                min_value=row["lo"],
                max_value=row["hi"],
                sum_value=row["total"],
            )
            for row in rows
        ],
        update_conflicts=True,
        unique_fields=["period", "device", "metric", "bucket"],
        update_fields=["count", "min_value", "max_value", "sum_value"],
        batch_size=500,
    )


def readings_purge(*, now: datetime | None = None) -> dict:
    """Delete raw readings older than READING_RETENTION_DAYS and roll-ups past their own retention.

    On PostgreSQL whole days go by dropping their partitions (sensors/partitions.py); what is left older than the
    cutoff (part of the boundary day, rows in the default partition) is deleted. The coming days' partitions are
    created here too (this job runs hourly).
    """
    from sensors.partitions import partitions_drop_before, partitions_ensure

    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.READING_RETENTION_DAYS)
    partitions_ensure(now=now)
    dropped, _names = partitions_drop_before(cutoff)
    raw, _ = Reading.objects.filter(ts__lt=cutoff).delete()
    raw += dropped
    minute_cutoff = now - timedelta(days=settings.ROLLUP_MINUTE_RETENTION_DAYS)
    minutes, _ = ReadingRollup.objects.filter(period=MINUTE, bucket__lt=minute_cutoff).delete()
    hours = 0
    if settings.ROLLUP_HOUR_RETENTION_DAYS:
        hour_cutoff = now - timedelta(days=settings.ROLLUP_HOUR_RETENTION_DAYS)
        hours, _ = ReadingRollup.objects.filter(period=HOUR, bucket__lt=hour_cutoff).delete()
    return {"readings": raw, "minute_rollups": minutes, "hour_rollups": hours}
