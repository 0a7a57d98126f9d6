"""The REST API: scoped lists, acknowledge once, close into a hazard, bad input answered clearly."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from alerts.models import Alert
from alerts.rules import evaluate_points
from sensors.factories import DeviceFactory
from sensors.models import DeviceType

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def two_alarms(block):
    other_device = DeviceFactory(
        key="smoke-9-1", device_type=DeviceType.objects.get(code="smoke_detector"), apartment=block.district.other
    )
    [mine] = evaluate_points([block.point(block.smoke, "smoke", 1, 0)])
    [theirs] = evaluate_points([block.point(other_device, "smoke", 1, 0)])
    return mine, theirs


@pytest.mark.parametrize(
    ("role", "sees_other"),
    [
        (Role.STREET_ADMIN, True),
        (Role.STATION_OPERATOR, False),
        (Role.FIRE_SAFETY_PERSON, False),
        (Role.GRID_WORKER, False),
    ],  # fmt: skip
)
def test_each_role_lists_only_its_blocks_alarms(block, two_alarms, role, sees_other):
    mine, theirs = two_alarms
    ids = {a["id"] for a in client_for(block.district.users[role]).get("/api/v1/alarms/").json()["results"]}
    assert mine in ids and (theirs in ids) is sees_other


def test_residents_get_nothing(block, two_alarms):
    assert client_for(block.district.users[Role.RESIDENT]).get("/api/v1/alarms/").status_code == 403


def test_acknowledge_once_then_the_second_end_is_told_who_was_first(block, two_alarms):
    mine, _ = two_alarms
    users = block.district.users
    first = client_for(users[Role.FIRE_SAFETY_PERSON]).post(f"/api/v1/alarms/{mine}/acknowledge/", {"end": "phone"})
    assert first.status_code == 200 and first.json()["acknowledged_via"] == "phone"
    second = client_for(users[Role.STATION_OPERATOR]).post(f"/api/v1/alarms/{mine}/acknowledge/", {"end": "station"})
    assert second.status_code == 409
    assert second.json()["code"] == "already_acknowledged" and "王责任" in second.json()["message"]


def test_an_alarm_outside_the_scope_is_not_found(block, two_alarms):
    _, theirs = two_alarms
    answer = client_for(block.district.users[Role.STATION_OPERATOR]).post(f"/api/v1/alarms/{theirs}/acknowledge/")
    assert answer.status_code == 404


def test_a_bad_photo_is_refused_and_nothing_is_recorded(block, two_alarms):
    from django.core.files.uploadedfile import SimpleUploadedFile

    mine, _ = two_alarms
    bad = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    answer = client_for(block.district.users[Role.FIRE_SAFETY_PERSON]).post(
        f"/api/v1/alarms/{mine}/handle/", {"note": "已处理", "photos": [bad]}, format="multipart"
    )
    assert answer.status_code == 400 and answer.json()["message"]
    assert Alert.objects.get(pk=mine).status == "raised"


def test_closing_a_real_hazard_opens_an_inspections_hazard(block, two_alarms):
    mine, _ = two_alarms
    person = client_for(block.district.users[Role.FIRE_SAFETY_PERSON])
    handled = person.post(f"/api/v1/alarms/{mine}/handle/", {"note": "拆除私拉电线", "responder": "true"})
    assert handled.status_code == 200 and handled.json()["status"] == "handling"
    refused = person.post(f"/api/v1/alarms/{mine}/close/", {"disposition": "fixed"})
    assert refused.status_code == 400 and "处置结论" in refused.json()["message"]
    closed = person.post(f"/api/v1/alarms/{mine}/close/", {"disposition": "real_hazard", "note": "已整改"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed" and closed.json()["hazard_id"]
    from apartments.models import Hazard

    hazard = Hazard.objects.get(pk=closed.json()["hazard_id"])
    assert hazard.source == "alarm" and hazard.apartment == block.district.mine
    detail = person.get(f"/api/v1/alarms/{mine}/").json()
    assert [e["kind"] for e in detail["entries"]] == [
        "raised",
        "acknowledged",
        "handling",
        "responder",
        "note",
        "closed",
    ]


def test_changes_since_a_version(block, two_alarms):
    mine, _ = two_alarms
    person = client_for(block.district.users[Role.FIRE_SAFETY_PERSON])
    version = person.get("/api/v1/alarms/changes/").json()["version"]
    assert person.get(f"/api/v1/alarms/changes/?since={version}").json()["alarms"] == []
    person.post(f"/api/v1/alarms/{mine}/acknowledge/")
    [changed] = person.get(f"/api/v1/alarms/changes/?since={version}").json()["alarms"]
    assert changed["id"] == mine and changed["status"] == "acknowledged"
    assert person.get("/api/v1/alarms/changes/?since=abc").status_code == 400
