"""Device health: offline after missing 3 reporting intervals, online again on the next report or heartbeat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sensors import hooks
from sensors.health import devices_check_offline
from sensors.ingest import RawMessage, ingest_messages

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


@pytest.fixture
def changes():
    seen: list[tuple[int, bool, datetime]] = []

    def listener(*, device_ids, online, at):
        seen.extend((device_id, online, at) for device_id in device_ids)

    with hooks.also(device_status={"test": listener}):
        yield seen


def report(key: str, at: datetime, topic: str = "telemetry") -> None:
    body = b'{"values": {"current": 5}}' if topic == "telemetry" else b""
    ingest_messages([RawMessage(f"shijiao/{key}/{topic}", body, received_at=at.timestamp())], now=at)


def test_a_device_goes_offline_after_three_missed_intervals_and_back_on_its_next_report(
    make_device, changes, django_capture_on_commit_callbacks
):
    device = make_device(key="h-1", reporting_interval=30)
    with django_capture_on_commit_callbacks(execute=True):
        report("h-1", T0)
        assert devices_check_offline(now=T0 + timedelta(seconds=89)) == []
        assert devices_check_offline(now=T0 + timedelta(seconds=91)) == [device.pk]
        assert devices_check_offline(now=T0 + timedelta(seconds=200)) == []  # announced once
    device.refresh_from_db()
    assert device.is_online is False
    with django_capture_on_commit_callbacks(execute=True):
        report("h-1", T0 + timedelta(seconds=300))
    device.refresh_from_db()
    assert device.is_online is True
    assert changes == [
        (device.pk, True, T0),
        (device.pk, False, T0 + timedelta(seconds=91)),
        (device.pk, True, T0 + timedelta(seconds=300)),
    ]


def test_heartbeats_keep_a_device_online(make_device, changes, django_capture_on_commit_callbacks):
    device = make_device(key="h-2", reporting_interval=10)
    with django_capture_on_commit_callbacks(execute=True):
        report("h-2", T0)
        for seconds in (20, 40, 60):
            report("h-2", T0 + timedelta(seconds=seconds), topic="heartbeat")
        assert devices_check_offline(now=T0 + timedelta(seconds=85)) == []
        assert devices_check_offline(now=T0 + timedelta(seconds=95)) == [device.pk]
    assert [online for _, online, _ in changes] == [True, False]


def test_the_offline_threshold_is_a_setting(make_device, settings):
    settings.DEVICE_OFFLINE_AFTER_INTERVALS = 5
    device = make_device(key="h-3", reporting_interval=60)
    report("h-3", T0)
    assert devices_check_offline(now=T0 + timedelta(minutes=4)) == []
    assert devices_check_offline(now=T0 + timedelta(minutes=6)) == [device.pk]
