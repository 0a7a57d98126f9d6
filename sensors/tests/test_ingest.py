"""Ingest: the three payload formats, idempotency, latest values, bad input, the hand-on (sensors/hooks.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from sensors import hooks
from sensors.ingest import RawMessage, ingest_messages
from sensors.models import LatestValue, Reading, Rejection, RejectionReason

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 2, 0, 0, tzinfo=UTC)
MS = int(NOW.timestamp() * 1000)


def msg(topic: str, body, username: str = "") -> RawMessage:
    payload = body if isinstance(body, bytes | str) else json.dumps(body)
    return RawMessage(topic=topic, payload=payload, username=username)


def stored(device) -> dict[tuple[str, datetime], float]:
    return {(r.metric, r.ts): r.value for r in Reading.objects.filter(device=device)}


def test_it_stores_native_json_with_iso_and_epoch_timestamps(make_device):
    device = make_device(key="sq006-elec-ebike")
    result = ingest_messages(
        [
            msg(
                "shijiao/sq006-elec-ebike/telemetry",
                [
                    {"ts": "2026-11-25T09:59:00+08:00", "values": {"wire_temp": 35.5, "current": 8.2}},
                    {"ts": MS, "values": {"wire_temp": 71.5}},
                ],
            )
        ],
        now=NOW,
    )
    assert (result.stored, result.rejected) == (3, 0)
    assert stored(device) == {
        ("wire_temp", NOW - timedelta(minutes=1)): 35.5,
        ("current", NOW - timedelta(minutes=1)): 8.2,
        ("wire_temp", NOW): 71.5,
    }
    assert LatestValue.objects.get(device=device, metric="wire_temp").value == 71.5


@pytest.mark.parametrize(
    "body",
    [
        {"temperature": 42},
        {"ts": MS, "values": {"temperature": 42}},
        [{"ts": MS, "values": {"temperature": 42}}],
    ],
    ids=["plain", "ts-values", "list"],
)
@pytest.mark.parametrize("topic", ["v1/devices/me/telemetry", "tb/{token}/v1/devices/me/telemetry"])
def test_it_stores_thingsboard_telemetry_identified_by_token(make_device, body, topic):
    device = make_device(token="tb-token-1")
    result = ingest_messages([msg(topic.format(token="tb-token-1"), body, username="tb-token-1")], now=NOW)
    assert result.stored == 1
    reading = Reading.objects.get(device=device)
    assert (reading.metric, reading.value) == ("wire_temp", 42.0)  # "temperature" is an alias of wire_temp
    if "ts" in json.dumps(body):
        assert reading.ts == NOW


def test_it_stores_alink_property_post(make_device):
    device = make_device(key="sq006-elec-3", alink_product_key="a1B2c3")
    body = {
        "id": "1",
        "version": "1.0",
        "method": "thing.event.property.post",
        "params": {"WireTemp": {"value": 71.5, "time": MS}, "Current": 12.5},
    }
    result = ingest_messages([msg("/sys/a1B2c3/sq006-elec-3/thing/event/property/post", body)], now=NOW)
    assert result.stored == 2
    assert stored(device) == {("wire_temp", NOW): 71.5, ("current", NOW): 12.5}


def test_it_stores_a_redelivered_reading_once_and_announces_it_once(make_device):
    make_device(key="dup-1")
    announced: list = []

    with hooks.also(readings={"test": announced.extend}):
        message = msg("shijiao/dup-1/telemetry", {"ts": MS, "values": {"wire_temp": 50}})
        first = ingest_messages([message, message], now=NOW)
        again = ingest_messages([message], now=NOW)
    assert (first.stored, again.stored) == (1, 0)
    assert Reading.objects.count() == 1
    assert [(p.metric, p.value, p.ts) for p in announced] == [("wire_temp", 50.0, NOW)]


def test_latest_value_is_never_overwritten_by_an_older_reading(make_device):
    device = make_device(key="late-1")
    ingest_messages([msg("shijiao/late-1/telemetry", {"ts": MS, "values": {"current": 9}})], now=NOW)
    ingest_messages([msg("shijiao/late-1/telemetry", {"ts": MS - 60_000, "values": {"current": 3}})], now=NOW)
    latest = LatestValue.objects.get(device=device, metric="current")
    assert (latest.value, latest.ts) == (9.0, NOW)
    assert Reading.objects.filter(device=device).count() == 2


def test_every_bad_input_is_rejected_with_its_reason_while_good_readings_survive(make_device, settings):
    settings.INGEST_MAX_PAYLOAD_BYTES = 2000
    good = make_device(key="good-1")
    make_device(key="off-1", is_enabled=False)
    make_device(key="smoke-1", type_code="smoke_detector")
    far_future = MS + 3600_000
    long_ago = MS - 30 * 86400_000
    batch = [
        msg("shijiao/good-1/telemetry", b"{not json"),
        msg("shijiao/nobody/telemetry", {"wire_temp": 40}),
        msg("v1/devices/me/telemetry", {"wire_temp": 40}, username="wrong-token"),
        msg("shijiao/off-1/telemetry", {"wire_temp": 40}),
        msg("shijiao/good-1/telemetry", {"ts": MS, "values": {"humidity": 40, "wire_temp": 41}}),
        msg("shijiao/good-1/telemetry", {"ts": MS + 1000, "values": {"current": "high", "voltage": 220}}),
        msg("shijiao/good-1/telemetry", {"ts": MS + 2000, "values": {"wire_temp": 900, "power": 1500}}),
        msg("shijiao/good-1/telemetry", {"ts": far_future, "values": {"wire_temp": 40}}),
        msg("shijiao/good-1/telemetry", {"ts": long_ago, "values": {"wire_temp": 40}}),
        msg("shijiao/good-1/telemetry", {"ts": "yesterday", "values": {"wire_temp": 40}}),
        msg("shijiao/good-1/telemetry", {"ts": MS, "values": {"wire_temp": 40}, "pad": "x" * 3000}),
        msg("shijiao/smoke-1/telemetry", {"smoke": 3}),
        msg("shijiao/good-1/telemetry", [1, 2]),
        msg("weird/topic", {"wire_temp": 40}),
    ]
    result = ingest_messages(batch, now=NOW)

    # The good values that shared a message with a bad one are kept.
    assert stored(good) == {
        ("wire_temp", NOW): 41.0,
        ("voltage", NOW + timedelta(seconds=1)): 220.0,
        ("power", NOW + timedelta(seconds=2)): 1500.0,
    }
    reasons = {(r.source, r.reason): r for r in Rejection.objects.all()}
    expected = {
        ("good-1", RejectionReason.MALFORMED),
        ("nobody", RejectionReason.UNKNOWN_DEVICE),
        ("off-1", RejectionReason.DISABLED),
        ("good-1", RejectionReason.UNKNOWN_METRIC),
        ("good-1", RejectionReason.WRONG_TYPE),
        ("good-1", RejectionReason.OUT_OF_RANGE),
        ("good-1", RejectionReason.FUTURE_TIMESTAMP),
        ("good-1", RejectionReason.STALE_TIMESTAMP),
        ("good-1", RejectionReason.BAD_TIMESTAMP),
        ("good-1", RejectionReason.OVERSIZED),
        ("smoke-1", RejectionReason.OUT_OF_RANGE),
        ("good-1", RejectionReason.BAD_SHAPE),
        ("weird/topic", RejectionReason.UNKNOWN_TOPIC),
    }
    assert expected <= set(reasons)
    assert any(source.startswith("token:") and reason == RejectionReason.BAD_TOKEN for source, reason in reasons)
    assert not Rejection.objects.filter(source__contains="wrong-token").exists()  # never kept in clear
    assert reasons[("good-1", RejectionReason.BAD_SHAPE)].count == 2
    assert reasons[("good-1", RejectionReason.OUT_OF_RANGE)].last_detail == "wire_temp=900 超出物理范围 [-40, 200]"
    assert reasons[("good-1", RejectionReason.WRONG_TYPE)].device == good
    assert result.rejected == sum(r.count for r in reasons.values())


def test_rejections_accumulate_per_device_and_reason(make_device):
    make_device(key="noisy-1")
    for _ in range(3):
        ingest_messages([msg("shijiao/noisy-1/telemetry", "{oops")], now=NOW)
    rejection = Rejection.objects.get(source="noisy-1")
    assert (rejection.reason, rejection.count) == (RejectionReason.MALFORMED, 3)
    assert rejection.last_sample == "{oops"


def test_a_report_brings_a_device_online_and_announces_it(make_device, django_capture_on_commit_callbacks):
    device = make_device(key="wake-1")
    changes: list = []

    def listener(*, device_ids, online, at):
        changes.append((device_ids, online))

    with hooks.also(device_status={"test": listener}), django_capture_on_commit_callbacks(execute=True):
        ingest_messages([msg("shijiao/wake-1/heartbeat", b"")], now=timezone.now())
    device.refresh_from_db()
    assert device.is_online and device.last_seen_at is not None
    assert changes == [([device.pk], True)]
    assert Reading.objects.count() == 0  # a heartbeat is not a reading


def test_a_device_flooding_the_platform_is_flagged_and_its_readings_are_kept(make_device):
    from sensors.ingest import flood_watch

    flood_watch.minute = None  # a fresh minute for this test
    flooder = make_device(key="flood-elec-1", reporting_interval=30)  # 2 messages a minute expected
    calm = make_device(key="calm-elec-1", reporting_interval=30)
    at = NOW - timedelta(minutes=1)
    for batch in range(7):  # 70 messages within the minute: more than 60 (and ten times 2)
        ingest_messages(
            [
                msg(
                    "shijiao/flood-elec-1/telemetry",
                    {"ts": MS - 60000 + batch * 1000 + i * 10, "values": {"current": i}},
                )
                for i in range(10)
            ],
            now=at + timedelta(seconds=batch),
        )
    ingest_messages([msg("shijiao/calm-elec-1/telemetry", {"ts": MS, "values": {"current": 1}})], now=at)
    flag = Rejection.objects.get(source="flood-elec-1", reason=RejectionReason.FLOODING)
    assert flag.count == 1 and flag.device == flooder and "上报周期 30 秒" in flag.last_detail
    assert Reading.objects.filter(device=flooder).count() == 70, "flagged, not dropped"
    assert not Rejection.objects.filter(device=calm).exists()


def test_one_statement_answers_the_new_readings_and_the_late_keys_of_a_mixed_batch(make_device):
    """storage.readings_store (one statement on PostgreSQL) answers only the exceptions; what it makes of them must
    be what storing and upserting one by one would: new points once each, late keys where a newer value was held."""
    from sensors.storage import readings_store
    from sensors.types import Point

    device = make_device(key="mix-1")
    held = [Point(device.pk, "current", NOW, 9.0), Point(device.pk, "voltage", NOW - timedelta(minutes=5), 220.0)]
    assert readings_store(held) == (held, set())

    fresh = Point(device.pk, "voltage", NOW, 221.0)  # newer than the held voltage
    older = Point(device.pk, "current", NOW - timedelta(minutes=1), 3.0)  # new reading, older than the held value
    repeated = Point(device.pk, "current", NOW, 9.0)  # already stored
    twin = Point(device.pk, "power", NOW, 1000.0)
    new, late = readings_store([repeated, older, fresh, twin, Point(device.pk, "power", NOW, 1001.0)])

    assert new == [older, fresh, twin]  # the batch's order, the first of two readings of one moment
    assert late == {(device.pk, "current")}
    assert stored(device) == {("current", NOW): 9.0, ("current", NOW - timedelta(minutes=1)): 3.0,
                              ("voltage", NOW - timedelta(minutes=5)): 220.0, ("voltage", NOW): 221.0,
                              ("power", NOW): 1000.0}  # fmt: skip
    latest = {lv.metric: (lv.value, lv.ts) for lv in LatestValue.objects.filter(device=device)}
    assert latest == {"current": (9.0, NOW), "voltage": (221.0, NOW), "power": (1000.0, NOW)}
