"""Per-minute and per-hour roll-ups, late readings, and retention of raw readings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from conftest import require_service
from sensors.ingest import RawMessage, ingest_messages
from sensors.models import Reading, ReadingRollup, StaleRollupHour
from sensors.rollups import readings_purge, rollups_run
from sensors.storage import readings_insert
from sensors.types import Point

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def rollup(device, period: str, bucket: datetime) -> tuple:
    row = ReadingRollup.objects.get(device=device, period=period, metric="wire_temp", bucket=bucket)
    return row.count, row.min_value, row.max_value, round(row.avg_value, 3)


def test_it_rolls_up_minutes_and_hours_with_min_max_mean(make_device):
    device = make_device()
    points = [Point(device.pk, "wire_temp", T0 + timedelta(seconds=20 * i), 30.0 + i) for i in range(9)]  # 3 minutes
    readings_insert(points)
    result = rollups_run(now=T0 + timedelta(minutes=5))
    assert result["minutes_to"] == (T0 + timedelta(minutes=5)).isoformat()
    assert rollup(device, "minute", T0) == (3, 30.0, 32.0, 31.0)
    assert rollup(device, "minute", T0 + timedelta(minutes=2)) == (3, 36.0, 38.0, 37.0)
    assert rollup(device, "hour", T0) == (9, 30.0, 38.0, 34.0)
    # Running again changes nothing (roll-ups are recomputed, not added to).
    rollups_run(now=T0 + timedelta(minutes=6))
    assert rollup(device, "hour", T0) == (9, 30.0, 38.0, 34.0)


def test_the_running_minute_waits_for_the_next_run(make_device):
    device = make_device()
    readings_insert([Point(device.pk, "wire_temp", T0 + timedelta(seconds=10), 40.0)])
    rollups_run(now=T0 + timedelta(seconds=30))
    assert not ReadingRollup.objects.filter(device=device).exists()
    rollups_run(now=T0 + timedelta(seconds=70))
    assert rollup(device, "minute", T0) == (1, 40.0, 40.0, 40.0)


def test_a_reading_arriving_hours_late_makes_its_hour_be_rolled_up_again(make_device):
    device = make_device(key="late-r")
    readings_insert([Point(device.pk, "wire_temp", T0 + timedelta(minutes=1), 40.0)])
    now = T0 + timedelta(hours=3)
    rollups_run(now=now)
    assert rollup(device, "hour", T0) == (1, 40.0, 40.0, 40.0)
    late = int((T0 + timedelta(minutes=1, seconds=30)).timestamp() * 1000)
    body = f'{{"ts": {late}, "values": {{"wire_temp": 60}}}}'
    ingest_messages([RawMessage("shijiao/late-r/telemetry", body)], now=now)
    assert StaleRollupHour.objects.filter(hour=T0).exists()
    rollups_run(now=now + timedelta(minutes=1))
    assert rollup(device, "hour", T0) == (2, 40.0, 60.0, 50.0)
    assert rollup(device, "minute", T0 + timedelta(minutes=1)) == (2, 40.0, 60.0, 50.0)
    assert not StaleRollupHour.objects.exists()


def test_retention_deletes_old_raw_readings_and_keeps_their_hour_rollups(make_device, settings):
    settings.READING_RETENTION_DAYS = 90
    settings.ROLLUP_MINUTE_RETENTION_DAYS = 90
    settings.ROLLUP_HOUR_RETENTION_DAYS = 0
    device = make_device()
    old, recent = T0 - timedelta(days=91), T0 - timedelta(days=89)
    readings_insert([Point(device.pk, "wire_temp", old, 35.0), Point(device.pk, "wire_temp", recent, 36.0)])
    from sensors.rollups import rollup_window

    rollup_window(old, old + timedelta(minutes=1))
    removed = readings_purge(now=T0)
    assert removed == {"readings": 1, "minute_rollups": 1, "hour_rollups": 0}
    assert list(Reading.objects.values_list("value", flat=True)) == [36.0]
    assert rollup(device, "hour", old.replace(minute=0)) == (1, 35.0, 35.0, 35.0)


def test_on_postgresql_readings_live_in_day_partitions_and_retention_drops_whole_days(make_device, settings):
    """A partition per day (Asia/Shanghai); a reading of a day without one waits in the default partition and
    moves into its day when the day is created; retention drops the days past it."""
    require_service("PostgreSQL", connection.vendor == "postgresql")  # partitions are PostgreSQL's
    from sensors.partitions import DEFAULT, partitions, partitions_ensure

    settings.READING_RETENTION_DAYS = 90
    settings.INGEST_MAX_PAST_DAYS = 7
    device = make_device()
    old = T0 - timedelta(days=95)  # a day with no partition yet: stored in the default one
    readings_insert([Point(device.pk, "wire_temp", old, 35.0), Point(device.pk, "wire_temp", T0, 36.0)])

    def rows_in(table: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {table}")
            return cursor.fetchone()[0]

    partitions_ensure(now=T0)
    days = partitions()
    today = T0.astimezone(ZoneInfo("Asia/Shanghai")).date()
    assert today in days and today + timedelta(days=2) in days and today - timedelta(days=8) in days
    assert rows_in(days[today]) == 1 and rows_in(DEFAULT) == 1

    # The old day gets a partition (as a system that ran then would have), then ages out whole.
    partitions_ensure(now=old)
    old_day = old.astimezone(ZoneInfo("Asia/Shanghai")).date()
    assert rows_in(partitions()[old_day]) == 1 and rows_in(DEFAULT) == 0

    removed = readings_purge(now=T0)
    assert removed["readings"] == 1
    assert old_day not in partitions() and today in partitions()
    assert list(Reading.objects.values_list("value", flat=True)) == [36.0]
    # a redelivered reading is still stored once across the partitions
    assert readings_insert([Point(device.pk, "wire_temp", T0, 36.0)]) == []
