"""PIPL end to end, through the API as people use it: consent withdrawal deletes the face at once, the retention job
anonymises people who left long ago. Staff and residents log in for real (password, SMS code) and call the API
with their bearer tokens; the database is read back raw."""

from __future__ import annotations

import json
import random
import urllib.request
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditEntry, Role
from apartments.models import Room
from conftest import SMS_OUTBOX
from residents.faces import STAMP_KEY, face_index
from residents.idcard import make_id_number
from residents.models import AccessEvent, ResidenceRegistration, Resident, Tenancy
from residents.tasks import purge_personal_data
from residents.tests.conftest import days_ago, face
from shijiao.pii import blind_index

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _codes_and_throttles(sms_outbox, settings):
    settings.OTP_RESEND_SECONDS = 0
    cache.clear()  # login throttles count in the (in-process) cache; never at teardown, when it may be Redis


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def staff_signs_in(user) -> APIClient:
    response = APIClient().post(
        "/api/v1/auth/password/", {"username": user.username, "password": "pw-123456"}, format="json"
    )
    assert response.status_code == 200, response.json()
    return bearer(response.json()["access"])


def resident_signs_in(phone: str) -> APIClient:
    anonymous = APIClient()
    assert anonymous.post("/api/v1/auth/sms/code/", {"phone": phone}, format="json").status_code == 200
    code = next(sent["code"] for sent in reversed(SMS_OUTBOX) if sent["phone"] == phone)
    response = anonymous.post("/api/v1/auth/sms/login/", {"phone": phone, "code": code}, format="json")
    assert response.status_code == 200, response.json()
    return bearer(response.json()["access"])


def id_number(n: int) -> str:
    return make_id_number(random.Random(n), "411302", date(1990, 1, 1) + timedelta(days=n), female=False)


def registers_and_moves_in(manager: APIClient, *, room: Room, name: str, n: int, check_in: date) -> dict:
    """The manager records a new resident (ID number, phone) and checks them into ``room``."""
    person = {"name": name, "id_number": id_number(n), "phone": f"1990000{n:04d}", "hometown": "河南南阳"}
    created = manager.post("/api/v1/residents/", {**person, "emergency_contact_phone": "13900001111"}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["id_number"] == f"{person['id_number'][:6]}********{person['id_number'][-4:]}"  # masked
    assert created.json()["phone"] == f"199****{person['phone'][-4:]}"
    tenancy = manager.post(
        "/api/v1/tenancies/",
        {"id_number": person["id_number"], "room": room.pk, "check_in": check_in.isoformat()},
        format="json",
    )
    assert tenancy.status_code == 201, tenancy.json()
    return {**person, "id": created.json()["id"], "tenancy": tenancy.json()["id"]}


def consents_and_enrols(client: APIClient, person: str, photo: str) -> None:
    shown = client.get("/api/v1/me/face/").json()
    assert "人脸识别单独同意书" in shown["consent_text"] and shown["consented"] is False
    granted = client.post("/api/v1/me/face/consent/", {"purpose_version": shown["consent_version"]}, format="json")
    assert granted.status_code == 201, granted.json()
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(photo, face(person, photo), content_type="image/jpeg")
    enrolled = client.post("/api/v1/me/face/enrolment/", {"photo": upload}, format="multipart")
    assert enrolled.status_code == 201, enrolled.json()


def raw_face_rows(resident_id: int) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT encoding_encrypted, photo_encrypted FROM residents_faceenrolment WHERE resident_id = %s",
            [resident_id],
        )
        return cursor.fetchall()


def raw_resident(resident_id: int) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM residents_resident WHERE id = %s", [resident_id])
        columns = [c.name for c in cursor.description]
        return dict(zip(columns, cursor.fetchone(), strict=True))


def hikvision_face_pass(door, resident_id: int, **headers) -> dict:
    alert = {
        "eventType": "AccessControllerEvent",
        "AccessControllerEvent": {"majorEventType": 5, "subEventType": 75, "employeeNoString": str(resident_id)},
    }
    return door.client().post(
        "/api/v1/doors/hikvision/", data=json.dumps(alert), content_type="application/json", **headers
    )


def at_the_door(door, **payload) -> dict:
    if "photo" in payload:
        person, photo = payload["photo"]
        response = door.client().post("/api/v1/doors/entry/", data=face(person, photo), content_type="image/jpeg")
    else:
        response = door.client().post("/api/v1/doors/entry/", payload, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


# --- consent withdrawal -----------------------------------------------------------------------------


def test_withdrawing_consent_deletes_the_face_at_once_and_the_other_ways_in_still_work(district, door):
    manager = staff_signs_in(district.users[Role.PROPERTY_MANAGER])
    room = Room.objects.get(apartment=district.mine, number="101")
    obama = registers_and_moves_in(manager, room=room, name="欧巴马", n=1, check_in=days_ago(20))
    resident = resident_signs_in(obama["phone"])  # the account finds the record by the phone
    assert resident.get("/api/v1/me/resident/").json()["id"] == obama["id"]

    consents_and_enrols(resident, "obama", "obama.jpg")
    [(encoding, photo)] = raw_face_rows(obama["id"])
    assert bytes(encoding).startswith(b"gAAAA") and photo is None  # encrypted encoding only, no photo
    opened = at_the_door(door, photo=("obama", "obama2.jpg"))
    assert opened["open"] is True and opened["resident"] == "欧*马"
    assert hikvision_face_pass(door, obama["id"]).json()["open"] is True
    assert resident.post("/api/v1/me/door-pin/", {"pin": "802615"}, format="json").status_code == 200

    withdrawn = resident.delete("/api/v1/me/face/consent/", REMOTE_ADDR="203.0.113.50")
    assert withdrawn.status_code == 200
    assert withdrawn.json() == {"withdrawn": True, "deleted_encodings": 1}

    # The encoding is gone from the table itself; the proof of the consent stays, marked withdrawn.
    assert raw_face_rows(obama["id"]) == []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT withdrawn_at, purpose_text FROM residents_faceconsent WHERE resident_id = %s", [obama["id"]]
        )
        [(withdrawn_at, purpose_text)] = cursor.fetchall()
    assert withdrawn_at is not None and "人脸识别单独同意书" in purpose_text
    status = resident.get("/api/v1/me/face/").json()
    assert status["consented"] is False and status["enrolled"] == 0

    # The door no longer knows the face, nor a face pass reported by a terminal that matched it itself ...
    unknown = at_the_door(door, photo=("obama", "obama2.jpg"))
    assert unknown["decision"] == "deny_unknown" and unknown["resident"] is None
    terminal = hikvision_face_pass(door, obama["id"]).json()
    assert terminal["open"] is False and terminal["decision"] == "deny_invalid"
    assert terminal["message"] == "未同意人脸识别或已撤回同意; 也可刷门禁卡、扫小程序开门码或输入房号和密码开门"
    english = hikvision_face_pass(door, obama["id"], HTTP_ACCEPT_LANGUAGE="en").json()["message"]
    assert (
        english == "Face recognition was not consented to or the consent was withdrawn; "
        "you can also use your door card, the mini-program's door code, or the room number and PIN"
    )
    # ... while the QR code, the PIN and a card still open it (face is never the only way in).
    qr = resident.get("/api/v1/me/door-qr/").json()["token"]
    assert at_the_door(door, method="qr", credential=qr)["open"] is True
    assert at_the_door(door, method="pin", room="101", credential="802615")["open"] is True
    card = manager.post(f"/api/v1/residents/{obama['id']}/cards/", {"card_number": "0012345678"}, format="json")
    assert card.status_code == 201, card.json()
    assert at_the_door(door, method="card", credential="0012345678")["open"] is True

    entry = AuditEntry.objects.get(action="face.consent_withdrawn")
    me = Resident.objects.get(pk=obama["id"]).user
    assert (entry.actor, entry.target_type, entry.target_id) == (me, "residents.Resident", str(obama["id"]))
    assert entry.ip == "203.0.113.50" and entry.reason == "删除特征 1 条"

    # Withdrawing twice, or enrolling without a new consent, is refused in words the resident understands.
    again = resident.delete("/api/v1/me/face/consent/")
    assert again.status_code == 400 and again.json()["message"] == "没有有效的人脸识别同意, 无需撤回"
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("obama.jpg", face("obama", "obama.jpg"), content_type="image/jpeg")
    refused = resident.post("/api/v1/me/face/enrolment/", {"photo": upload}, format="multipart")
    assert refused.status_code == 400 and "单独同意" in refused.json()["message"]
    assert raw_face_rows(obama["id"]) == []


def test_only_the_resident_themself_withdraws_through_the_mini_program(district):
    manager = staff_signs_in(district.users[Role.PROPERTY_MANAGER])
    response = manager.delete("/api/v1/me/face/consent/")
    assert response.status_code == 403
    assert APIClient().delete("/api/v1/me/face/consent/").status_code == 401


@pytest.mark.integration
def test_a_door_served_by_another_process_forgets_the_face_after_the_withdrawal(district, door, asgi_server, settings):
    """Production runs several web processes, each with its own face matrices: the withdrawal made through one
    process must reach the matcher of the process that serves the door (through the shared Redis cache)."""
    settings.CACHES = {"default": {"BACKEND": "shijiao.cache.RedisCache", "LOCATION": settings.TEST_REDIS_URL}}
    cache.delete(STAMP_KEY)
    face_index.reset()

    def door_in_the_server(person: str, photo: str) -> dict:
        request = urllib.request.Request(
            f"{asgi_server.url}/api/v1/doors/entry/",
            data=face(person, photo),
            headers={"Content-Type": "image/jpeg", "Authorization": f"Bearer {door.token}"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())

    manager = staff_signs_in(district.users[Role.PROPERTY_MANAGER])
    room = Room.objects.get(apartment=district.mine, number="101")
    kit = registers_and_moves_in(manager, room=room, name="哈林顿", n=2, check_in=days_ago(20))
    resident = resident_signs_in(kit["phone"])
    consents_and_enrols(resident, "kit_harington", "john1.jpeg")
    assert door_in_the_server("kit_harington", "john2.jpeg")["open"] is True  # the server's matrix holds the face

    assert resident.delete("/api/v1/me/face/consent/").status_code == 200  # handled in this process
    assert raw_face_rows(kit["id"]) == []
    refused = door_in_the_server("kit_harington", "john2.jpeg")
    assert refused["decision"] == "deny_unknown" and refused["open"] is False
    cache.delete(STAMP_KEY)


# --- retention --------------------------------------------------------------------------------------


def counts(apartment_ids: list[int]) -> dict:
    """What the statistics are made of: check-ins and check-outs per day, registrations, door events, people."""
    from cockpit.sources import resident_days, resident_figures

    days = sorted(resident_days(apartment_ids, days_ago(1000), timezone.localdate()))
    return {
        "check_ins_and_outs": days,
        "living_here": dict(resident_figures(apartment_ids)),
        "registrations": sorted(ResidenceRegistration.objects.values_list("status", flat=True)),
        "door_events": sorted(AccessEvent.objects.values_list("decision", "method")),
        "residents": Resident.objects.count(),
        "tenancies": Tenancy.objects.count(),
        "by_gender_and_hometown": sorted(Resident.objects.values_list("gender", "hometown")),
    }


def lives_registers_and_leaves(manager, door, *, room, name, n, check_in, check_out, person, photo) -> dict:
    """A resident moves in, registers, enrols a face, gets a card, uses the door, and leaves on ``check_out``."""
    someone = registers_and_moves_in(manager, room=room, name=name, n=n, check_in=check_in)
    client = resident_signs_in(someone["phone"])
    submitted = client.post("/api/v1/registrations/", {"purpose": "work"}, format="json")
    assert submitted.status_code == 201, submitted.json()
    assert manager.post(f"/api/v1/registrations/{submitted.json()['id']}/confirm/").status_code == 200
    consents_and_enrols(client, person, photo)
    assert client.post("/api/v1/me/door-pin/", {"pin": f"80{n:02d}15"}, format="json").status_code == 200
    card = f"00{n:08d}"
    assert (
        manager.post(f"/api/v1/residents/{someone['id']}/cards/", {"card_number": card}, format="json").status_code
        == 201
    )
    assert at_the_door(door, photo=(person, photo))["open"] is True
    assert at_the_door(door, method="card", credential=card)["open"] is True
    if check_out is not None:
        left = manager.post(
            f"/api/v1/tenancies/{someone['tenancy']}/check-out/", {"check_out": check_out.isoformat()}, format="json"
        )
        assert left.status_code == 200, left.json()
        deregistered = manager.post(f"/api/v1/registrations/{submitted.json()['id']}/confirm-deregistration/")
        assert deregistered.status_code == 200, deregistered.json()
    return {**someone, "card": card, "client": client}


@override_settings(RESIDENT_RETENTION_DAYS=365)
def test_the_retention_job_erases_who_left_long_ago_and_keeps_the_counts(district, door):
    manager = staff_signs_in(district.users[Role.PROPERTY_MANAGER])
    rooms = [Room.objects.create(apartment=district.mine, floor=2, number=f"20{i}", capacity=2) for i in range(3)]
    gone = lives_registers_and_leaves(
        manager, door, room=rooms[0], name="拜登", n=11, check_in=days_ago(800), check_out=days_ago(366),
        person="biden", photo="biden.jpg",
    )  # fmt: skip
    recent = lives_registers_and_leaves(
        manager, door, room=rooms[1], name="罗丝", n=12, check_in=days_ago(300), check_out=days_ago(30),
        person="rose_leslie", photo="img1.jpg",
    )  # fmt: skip
    staying = lives_registers_and_leaves(
        manager, door, room=rooms[2], name="亚历克斯", n=13, check_in=days_ago(500), check_out=None,
        person="alex_lacamoire", photo="img1.jpg",
    )  # fmt: skip
    before = counts([district.mine.pk])
    gone_user = Resident.objects.get(pk=gone["id"]).user

    assert purge_personal_data() == {"residents": 1}  # the Celery task production's beat runs every day
    # Counts of the statistics hold: same check-ins and check-outs per day, registrations, door events, people.
    assert counts([district.mine.pk]) == before
    assert before["residents"] == 3 and len(before["registrations"]) == 3

    # Raw row: nothing left that names or reaches the person.
    row = raw_resident(gone["id"])
    assert row["name"] == "" and row["id_number"] == "" and row["phone"] == ""
    assert row["emergency_contact_phone"] == "" and row["emergency_contact_name"] == ""
    assert row["birth_date"] is None and row["employer_id"] is None and row["user_id"] is None
    assert row["phone_hash"] == "" and row["id_number_hash"] == f"anonymised:{gone['id']}"
    assert row["anonymised_at"] is not None
    assert row["gender"] == "M" and row["hometown"] == "河南南阳"  # kept for the statistics
    assert raw_face_rows(gone["id"]) == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM residents_accesscredential WHERE resident_id = %s", [gone["id"]])
        assert cursor.fetchone() == (0,)
    # Neither the ID number nor its keyed hash is anywhere in the database any more.
    from tests.test_privacy_dump import dump_all_tables

    dump = dump_all_tables()
    assert gone["id_number"] not in dump and blind_index(gone["id_number"]) not in dump
    # The phone's keyed hash is left only on the person's own mini-program login, now unlinked from the record.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'residents', count(*) FROM residents_resident WHERE phone_hash = %(h)s "
                       "UNION ALL SELECT 'accounts', count(*) FROM accounts_user WHERE phone_hash = %(h)s",
                       {"h": blind_index(gone["phone"])})  # fmt: skip
        assert dict(cursor.fetchall()) == {"residents": 0, "accounts": 1}
    assert not Resident.objects.filter(user=gone_user).exists()

    # The door no longer knows them by face, card or PIN.
    assert at_the_door(door, photo=("biden", "biden2.jpg"))["decision"] == "deny_unknown"
    assert at_the_door(door, method="card", credential=gone["card"])["decision"] == "deny_invalid"
    # Staff no longer find the record; the resident's account no longer reaches it.
    assert manager.get(f"/api/v1/residents/{gone['id']}/").status_code == 404
    assert manager.get(f"/api/v1/residents/{gone['id']}/pii/").status_code == 404
    assert gone["client"].get("/api/v1/me/resident/").status_code == 403

    # The others are untouched: one left a month ago, one still lives here.
    for kept in (recent, staying):
        resident = Resident.objects.get(pk=kept["id"])
        assert resident.anonymised_at is None and resident.id_number == kept["id_number"]
        # The face of who left went at the check-out (FACE_RETENTION_DAYS 0); who stays keeps theirs.
        assert resident.phone == kept["phone"] and len(raw_face_rows(kept["id"])) == (kept is staying)
    assert at_the_door(door, photo=("alex_lacamoire", "img1.jpg"))["open"] is True

    entry = AuditEntry.objects.get(action="resident.anonymised")
    assert entry.target_id == str(gone["id"]) and entry.actor is None and "365" in entry.reason

    assert purge_personal_data() == {"residents": 0}  # idempotent: the next day finds nobody new


def test_the_purge_command_says_what_it_did(settings):
    from io import StringIO

    from django.core.management import call_command

    settings.RESIDENT_RETENTION_DAYS = 365
    out = StringIO()
    call_command("purge_personal_data", stdout=out)
    assert out.getvalue().strip() == "anonymised 0 residents who left more than 365 days ago"
