"""Face is never the only way in: card, QR code and PIN take the same decision path; elevator floors; Hikvision."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from accounts.models import Role
from residents import doors, faces
from residents.models import AccessEvent, SuspiciousMovement, Tenancy
from residents.tenancies import resident_check_out
from residents.tests.conftest import api, days_ago, face

pytestmark = pytest.mark.django_db


def test_a_card_opens_the_door_without_a_face(housed, door):
    resident = housed()
    doors.credential_issue_card(resident=resident, card_number="0012345678")
    body = (
        door.client().post("/api/v1/doors/entry/", {"method": "card", "credential": "0012345678"}, format="json").json()
    )
    assert body["decision"] == "open"
    event = AccessEvent.objects.get(pk=body["event_id"])
    assert event.method == "card" and event.resident == resident


def test_an_unknown_card_is_refused_with_its_reason(door):
    body = (
        door.client().post("/api/v1/doors/entry/", {"method": "card", "credential": "99999999"}, format="json").json()
    )
    assert body["decision"] == "deny_invalid"
    assert body["message"] == "门禁卡未登记或已注销"


def test_a_card_of_a_checked_out_resident_is_refused(housed, door):
    resident = housed()
    doors.credential_issue_card(resident=resident, card_number="CARD7788")
    resident_check_out(tenancy=Tenancy.objects.get(resident=resident), check_out=days_ago(1))
    body = (
        door.client().post("/api/v1/doors/entry/", {"method": "card", "credential": "CARD7788"}, format="json").json()
    )
    assert body["decision"] == "deny_invalid" and body["reason"] == "门禁卡未登记或已注销"  # revoked at check-out


def test_the_residents_qr_code_opens_and_an_expired_one_does_not(housed, door):
    resident = housed(user=True)
    token = api(resident.user).get("/api/v1/me/door-qr/").json()["token"]
    body = door.client().post("/api/v1/doors/entry/", {"method": "qr", "credential": token}, format="json").json()
    assert body["decision"] == "open" and body["resident"] == resident.name_masked

    old = signing.TimestampSigner(salt=doors.QR_SALT)
    stale = signing.dumps({"r": resident.pk}, salt=doors.QR_SALT)
    # Make the token look 10 minutes old by signing with a timestamp in the past.
    value = signing.b64_encode(json.dumps({"r": resident.pk}, separators=(",", ":")).encode()).decode()
    stale = old.sign(value)
    ts = signing.b62_encode(int((timezone.now() - timedelta(minutes=10)).timestamp()))
    unsigned = f"{value}{old.sep}{ts}"
    stale = f"{unsigned}{old.sep}{old.signature(unsigned)}"
    body = door.client().post("/api/v1/doors/entry/", {"method": "qr", "credential": stale}, format="json").json()
    assert body["decision"] == "deny_invalid" and body["message"] == "二维码已过期, 请刷新后再扫"


def test_a_pin_with_the_room_number_opens(housed, door):
    resident = housed(user=True)
    assert api(resident.user).post("/api/v1/me/door-pin/", {"pin": "802615"}).status_code == 200
    room = Tenancy.objects.get(resident=resident).room.number
    ok = door.client().post(
        "/api/v1/doors/entry/", {"method": "pin", "room": room, "credential": "802615"}, format="json"
    )
    assert ok.json()["decision"] == "open"
    wrong = door.client().post(
        "/api/v1/doors/entry/", {"method": "pin", "room": room, "credential": "802616"}, format="json"
    )
    assert wrong.json()["decision"] == "deny_invalid"


def test_a_too_simple_pin_is_refused(housed):
    resident = housed(user=True)
    response = api(resident.user).post("/api/v1/me/door-pin/", {"pin": "111111"})
    assert response.status_code == 400
    assert "过于简单" in response.json()["message"]


def test_a_door_without_a_valid_token_is_refused(door):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer wrong")
    response = client.post("/api/v1/doors/entry/", {"method": "card", "credential": "1"}, format="json")
    assert response.status_code in (401, 403)
    assert not AccessEvent.objects.exists()


def test_the_elevator_grants_the_own_floor_and_the_ground_floor_only(housed, elevator):
    resident = housed(floor=5)
    doors.credential_issue_card(resident=resident, card_number="LIFT5555")
    client = elevator.client()
    body = client.post("/api/v1/elevators/entry/", {"method": "card", "credential": "LIFT5555"}, format="json").json()
    assert body["floors"] == [1, 5]
    assert body["message"] == "可前往: 1层、5层"
    asked = client.post(
        "/api/v1/elevators/entry/", {"method": "card", "credential": "LIFT5555", "floor": 4}, format="json"
    ).json()
    assert asked["floors"] == [1, 5]
    movement = SuspiciousMovement.objects.get(kind="wrong_floor")
    assert movement.detail["requested_floor"] == 4 and movement.resident == resident


def test_a_hikvision_face_pass_with_employee_number_decides_for_that_resident(housed, door):
    resident = housed(registered=False, days_ago=20)
    faces.consent_grant(resident=resident, by=None, purpose_version=faces.CONSENT_VERSION)
    alert = {
        "ipAddress": "192.168.1.64",
        "dateTime": "2026-11-20T08:15:00+08:00",
        "eventType": "AccessControllerEvent",
        "AccessControllerEvent": {"majorEventType": 5, "subEventType": 75, "employeeNoString": str(resident.pk)},
    }
    response = door.client().post("/api/v1/doors/hikvision/", data=json.dumps(alert), content_type="application/json")
    body = response.json()
    assert body["decision"] == "open_remind"
    event = AccessEvent.objects.get(pk=body["event_id"])
    assert timezone.localtime(event.at).hour == 8


def test_a_hikvision_event_with_a_picture_is_matched_here(housed, door):
    obama = housed()
    faces.consent_grant(resident=obama, by=None, purpose_version=faces.CONSENT_VERSION)
    faces.face_enrol(resident=obama, photo=face("obama", "obama.jpg"), by=None)
    from django.core.files.uploadedfile import SimpleUploadedFile

    alert = {
        "eventType": "AccessControllerEvent",
        "dateTime": "2026-11-20T21:02:11+08:00",
        "AccessControllerEvent": {"majorEventType": 5, "subEventType": 76},
    }
    response = door.client().post(
        "/api/v1/doors/hikvision/",
        {
            "event_log": json.dumps(alert),
            "Picture": SimpleUploadedFile("pic.jpg", face("obama", "obama2.jpg"), content_type="image/jpeg"),
        },
        format="multipart",
    )
    assert response.json()["decision"] == "open"


def test_a_hikvision_heartbeat_is_ignored(door):
    response = door.client().post(
        "/api/v1/doors/hikvision/", data=json.dumps({"eventType": "heartBeat"}), content_type="application/json"
    )
    assert response.json() == {"ignored": True}


def test_the_manager_lets_a_visitor_in_and_the_door_gets_the_command_once(housed, door, district):
    event = doors.access_decide(door.device, doors.Identity(None, "face")).event
    assert event.decision == "deny_unknown"
    manager = api(district.users[Role.PROPERTY_MANAGER])
    assert manager.post(f"/api/v1/access-events/{event.pk}/let-in/").status_code == 200
    commands = door.client().get("/api/v1/doors/commands/").json()["commands"]
    assert [c["event_id"] for c in commands] == [event.pk]
    assert door.client().get("/api/v1/doors/commands/").json()["commands"] == []


def test_a_grid_worker_may_not_open_doors(door, district):
    event = doors.access_decide(door.device, doors.Identity(None, "face")).event
    response = api(district.users[Role.GRID_WORKER]).post(f"/api/v1/access-events/{event.pk}/let-in/")
    assert response.status_code == 403
