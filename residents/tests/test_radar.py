"""Radar: night loitering and tailgating become suspicious movements and a signal for the alerts app."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from residents import doors
from residents.models import SuspiciousMovement
from residents.signals import suspicious_movement
from sensors import hooks
from sensors.types import Point

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def heard(django_capture_on_commit_callbacks):
    got = []

    def listener(sender, **kwargs):
        got.append(kwargs)

    suspicious_movement.connect(listener)
    yield got
    suspicious_movement.disconnect(listener)


def test_night_loitering_beyond_the_limit_raises_one_signal(
    district, make_device, heard, django_capture_on_commit_callbacks
):
    radar = make_device("radar", district.mine, floor=4, location="4层走廊").device
    night = datetime(2026, 11, 20, 2, 30, tzinfo=SHANGHAI)
    with django_capture_on_commit_callbacks(execute=True):
        hooks.readings_hand_on(
            stored=[
                Point(radar.pk, "dwell_seconds", night, 900.0),
                Point(radar.pk, "dwell_seconds", night + timedelta(minutes=1), 960.0),  # same episode
            ],
        )
    assert SuspiciousMovement.objects.filter(kind="loitering").count() == 1
    assert heard == [
        {
            "signal": suspicious_movement,
            "apartment_id": district.mine.pk,
            "device_id": radar.pk,
            "kind": "loitering",
            "detail": {"floor": 4, "location": "4层走廊", "minutes": 15.0},
            "at": night,
        }
    ]


def test_lingering_by_day_or_briefly_is_fine(district, make_device):
    radar = make_device("radar", district.mine, floor=4).device
    hooks.readings_hand_on(
        stored=[
            Point(radar.pk, "dwell_seconds", datetime(2026, 11, 20, 15, 0, tzinfo=SHANGHAI), 3000.0),
            Point(radar.pk, "dwell_seconds", datetime(2026, 11, 20, 23, 0, tzinfo=SHANGHAI), 120.0),
        ],
    )
    assert not SuspiciousMovement.objects.exists()


def test_one_opening_and_three_people_is_tailgating(
    housed, district, door, make_device, heard, django_capture_on_commit_callbacks
):
    resident = housed()
    doors.credential_issue_card(resident=resident, card_number="TAIL0001")
    radar = make_device("radar", district.mine, floor=1, location="一楼门厅").device
    at = datetime(2026, 11, 20, 22, 10, tzinfo=SHANGHAI)
    with django_capture_on_commit_callbacks(execute=True):
        event = doors.door_enter(door.device, method="card", credential="TAIL0001", at=at).event
        hooks.readings_hand_on(stored=[Point(radar.pk, "people_count", at + timedelta(seconds=4), 3.0)])
        hooks.readings_hand_on(stored=[Point(radar.pk, "people_count", at + timedelta(seconds=6), 3.0)])
    movement = SuspiciousMovement.objects.get(kind="tailgating")
    assert movement.detail == {"people": 3, "openings": 1, "event_id": event.pk, "location": "一楼门厅"}
    assert [h["kind"] for h in heard] == ["tailgating"]


def test_two_openings_for_two_people_is_not_tailgating(housed, district, door, make_device):
    a, b = housed(), housed()
    doors.credential_issue_card(resident=a, card_number="PAIR0001")
    doors.credential_issue_card(resident=b, card_number="PAIR0002")
    radar = make_device("radar", district.mine, floor=1).device
    at = datetime(2026, 11, 20, 22, 10, tzinfo=SHANGHAI)
    doors.door_enter(door.device, method="card", credential="PAIR0001", at=at)
    doors.door_enter(door.device, method="card", credential="PAIR0002", at=at + timedelta(seconds=2))
    hooks.readings_hand_on(stored=[Point(radar.pk, "people_count", at + timedelta(seconds=5), 2.0)])
    assert not SuspiciousMovement.objects.exists()
