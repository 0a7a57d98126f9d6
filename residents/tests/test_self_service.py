"""A new resident alone through the API: real name, room QR, tenancy request, property decision, police, notices.

Each step is also tried with bad input (a clear field error, nothing written) and as the wrong role.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from accounts.models import Department, Role
from apartments import qr
from apartments.factories import ApartmentFactory, PropertyCompanyFactory, RoomFactory
from conftest import assert_cjk_font_embedded
from residents.factories import ResidentFactory
from residents.models import (
    IdentityDocument,
    Notice,
    ResidenceRegistration,
    Resident,
    Tenancy,
    TenancyRequest,
)
from residents.tests.conftest import api

pytestmark = pytest.mark.django_db


def id_check_digit(first17: str) -> str:
    """GB 11643-1999's check character."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


def id_number(birth: str = "19950101", seq: str = "123") -> str:
    first17 = f"341221{birth}{seq}"
    return first17 + id_check_digit(first17)


@pytest.fixture
def newcomer(make_user):
    return make_user(Role.RESIDENT, phone="13800138000", display_name="")


@pytest.fixture
def police(make_user):
    return make_user(Role.INSPECTOR, department=Department.POLICE)


def real_name(client, **overrides):
    body = {"name": "张三", "id_number": id_number(), "hometown": "安徽省阜阳市临泉县", **overrides}
    return client.post("/api/v1/me/real-name/", body, format="json")


def test_the_whole_path_from_real_name_to_confirmed_registration(newcomer, district, police):
    me = api(newcomer)
    assert me.get("/api/v1/me/journey/").json()["state"] == "real_name"
    created = real_name(me)
    assert created.status_code == 201, created.json()
    assert created.json()["id_number"].startswith("341221") and "*" in created.json()["id_number"]
    room = district.mine.rooms.get(number="101")
    code = qr.link_for(room)
    preview = me.post("/api/v1/scan/", {"code": code}, format="json").json()
    assert preview["room"] == "101" and preview["apartment"] == district.mine.name and preview["vacancies"] >= 1
    asked = me.post("/api/v1/tenancy-requests/", {"code": code}, format="json")
    assert asked.status_code == 201, asked.json()
    journey = me.get("/api/v1/me/journey/").json()
    assert journey["state"] == "waiting_property" and district.mine.name in journey["next_step"]
    manager = district.users[Role.PROPERTY_MANAGER]
    # The block's property staff were told, in their inbox.
    inbox = api(manager).get("/api/v1/me/notices/").json()["results"]
    assert inbox[0]["kind"] == "tenancy_request" and "101" in inbox[0]["text"]
    confirmed = api(manager).post(f"/api/v1/tenancy-requests/{asked.json()['id']}/confirm/", {}, format="json")
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["status"] == "confirmed"
    tenancy = Tenancy.objects.get(resident__user=newcomer)
    reg = ResidenceRegistration.objects.get(tenancy=tenancy)
    assert reg.status == "submitted"  # submitted automatically with the check-in
    journey = me.get("/api/v1/me/journey/").json()
    assert journey["state"] == "waiting_police"
    assert journey["deadline"] == f"{tenancy.registration_due:%Y-%m-%d}" and journey["deadline_days_left"] >= 0
    assert api(police).get("/api/v1/me/notices/").json()["results"][0]["kind"] == "registration_submitted"
    ok = api(police).post(f"/api/v1/registrations/{reg.pk}/confirm/")
    assert ok.status_code == 200, ok.json()
    journey = me.get("/api/v1/me/journey/").json()
    assert journey["state"] == "registered" and all(s["done"] for s in journey["steps"][:4])
    kinds = [n["kind"] for n in me.get("/api/v1/me/notices/").json()["results"]]
    assert kinds == ["registration_confirmed", "tenancy_confirmed", "tenancy_request_submitted"]


def test_a_wrong_checksum_or_birth_date_is_named_and_nothing_is_written(newcomer):
    me = api(newcomer)
    bad = id_number()[:-1] + ("0" if id_number()[-1] != "0" else "1")
    response = real_name(me, id_number=bad)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_id_number" and "id_number" in response.json()["errors"]
    future = (timezone.localdate() + timedelta(days=400)).strftime("%Y%m%d")
    response = real_name(me, id_number=id_number(birth=future))
    assert response.status_code == 400 and response.json()["errors"]["id_number"]
    response = real_name(me, name="x")
    assert response.status_code == 400 and "name" in response.json()["errors"]
    assert not Resident.objects.exists()


def test_english_errors_on_request(newcomer):
    response = api(newcomer).post(
        "/api/v1/me/real-name/",
        {"name": "张三", "id_number": id_number()[:-1] + "0", "hometown": "安徽"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["message"])


def test_real_name_needs_a_phone_first(make_user):
    response = real_name(api(make_user(Role.RESIDENT, phone="")))
    assert response.status_code == 400 and response.json()["code"] == "phone_required"


def test_an_existing_person_is_found_by_the_hash_never_duplicated_never_revealed(newcomer, make_user):
    existing = ResidentFactory(name="李四", id_number=id_number(seq="457"), phone="", hometown="河南南阳",
                               emergency_contact_name="王五")  # fmt: skip
    # Someone typing that ID number with another name learns nothing and gets no record.
    stranger = make_user(Role.RESIDENT, phone="13900000000")
    refused = real_name(api(stranger), name="赵六", id_number=existing.id_number)
    assert refused.status_code == 409 and refused.json()["code"] == "identity_check_needed"
    assert "李" not in refused.content.decode() and "南阳" not in refused.content.decode()
    assert Resident.objects.count() == 1 and Resident.objects.get().user is None
    # The person themself (same name, no other phone on file) gets their record linked, not a second one.
    linked = real_name(api(newcomer), name="李四", id_number=existing.id_number)
    assert linked.status_code == 201, linked.json()
    assert Resident.objects.count() == 1
    existing.refresh_from_db()
    assert existing.user == newcomer and existing.phone == "13800138000"
    # Twice: refused, nothing changes.
    again = real_name(api(newcomer), name="李四", id_number=existing.id_number)
    assert again.status_code == 409 and again.json()["code"] == "already_registered"


def test_a_record_claimed_by_another_account_is_refused_with_the_same_words(newcomer, make_user):
    owner = make_user(Role.RESIDENT, phone="13600000000")
    ResidentFactory(name="张三", id_number=id_number(), user=owner)
    response = real_name(api(newcomer))
    assert response.status_code == 409 and response.json()["code"] == "identity_check_needed"


def test_id_card_photos_are_kept_encrypted(newcomer):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 40), "white").save(buffer, format="JPEG")
    buffer.seek(0)
    buffer.name = "front.jpg"
    response = api(newcomer).post(
        "/api/v1/me/real-name/",
        {"name": "张三", "id_number": id_number(), "hometown": "安徽", "id_card_front": buffer},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    document = IdentityDocument.objects.get(resident__user=newcomer)
    assert document.side == "front" and not bytes(document.photo_encrypted).startswith(b"\xff\xd8")


@pytest.fixture
def registered(newcomer):
    assert real_name(api(newcomer)).status_code == 201
    return newcomer


def test_a_code_of_another_street_or_edited_by_hand_is_refused(registered, district, settings):
    room = district.mine.rooms.get(number="101")
    foreign = signing.Signer(key="another-street-secret", salt=qr.SALT).sign(f"r{room.pk}")
    for code in (f"http://x/h5/#/scan?code={foreign}", qr.token_for(room).replace(":", ":x"), "r1", ""):
        response = api(registered).post("/api/v1/tenancy-requests/", {"code": code or " "}, format="json")
        assert response.status_code == 400, code
        assert response.json()["code"] in ("invalid_qr", "invalid") and "code" in response.json()["errors"]
    assert not TenancyRequest.objects.exists()


def test_the_block_code_needs_a_room_number_that_exists(registered, district):
    me = api(registered)
    code = qr.link_for(district.mine)
    missing = me.post("/api/v1/tenancy-requests/", {"code": code}, format="json")
    assert missing.json()["code"] == "room_required" and "room_number" in missing.json()["errors"]
    wrong = me.post("/api/v1/tenancy-requests/", {"code": code, "room_number": "999"}, format="json")
    assert wrong.json()["code"] == "room_not_found"
    right = me.post("/api/v1/tenancy-requests/", {"code": code, "room_number": "101"}, format="json")
    assert right.status_code == 201


def test_a_double_submission_is_refused_and_nothing_is_doubled(registered, district):
    me = api(registered)
    code = qr.link_for(district.mine.rooms.get(number="101"))
    assert me.post("/api/v1/tenancy-requests/", {"code": code}, format="json").status_code == 201
    again = me.post("/api/v1/tenancy-requests/", {"code": code}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "request_pending"
    assert TenancyRequest.objects.count() == 1


def test_arrival_in_the_future_is_named(registered, district):
    code = qr.link_for(district.mine.rooms.get(number="101"))
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = api(registered).post("/api/v1/tenancy-requests/", {"code": code, "arrival": tomorrow}, format="json")
    assert response.status_code == 400 and "arrival" in response.json()["errors"]


@pytest.fixture
def pending(registered, district):
    code = qr.link_for(district.mine.rooms.get(number="101"))
    return TenancyRequest.objects.get(pk=api(registered).post("/api/v1/tenancy-requests/", {"code": code},
                                                               format="json").json()["id"])  # fmt: skip


def test_refusing_needs_a_reason_the_resident_then_sees(pending, district, registered):
    manager = api(district.users[Role.PROPERTY_MANAGER])
    url = f"/api/v1/tenancy-requests/{pending.pk}/refuse/"
    empty = manager.post(url, {"reason": " "}, format="json")
    assert empty.status_code == 400 and "reason" in empty.json()["errors"]
    assert manager.post(url, {"reason": "该房间已出租, 请核对房号"}, format="json").status_code == 200
    journey = api(registered).get("/api/v1/me/journey/").json()
    assert journey["state"] == "scan" and "已出租" in journey["steps"][2]["detail"]
    again = manager.post(f"/api/v1/tenancy-requests/{pending.pk}/confirm/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "request_closed"
    assert not Tenancy.objects.exists()


def test_only_the_blocks_own_staff_decide(pending, make_user, registered):
    other_manager = make_user(Role.PROPERTY_MANAGER)
    PropertyCompanyFactory().managers.add(other_manager)
    url = f"/api/v1/tenancy-requests/{pending.pk}/confirm/"
    assert api(other_manager).post(url, {}, format="json").status_code == 404
    assert api(other_manager).get("/api/v1/tenancy-requests/").json()["results"] == []
    assert api(registered).post(url, {}, format="json").status_code == 403
    assert api(make_user(Role.GRID_WORKER)).post(url, {}, format="json").status_code in (403, 404)
    another_resident = make_user(Role.RESIDENT, phone="13500000000")
    assert api(another_resident).get(f"/api/v1/tenancy-requests/{pending.pk}/").status_code == 404
    assert api(another_resident).post(f"/api/v1/tenancy-requests/{pending.pk}/cancel/").status_code == 404
    assert not Tenancy.objects.exists()


def test_a_full_room_is_refused_at_confirmation_without_half_writing(pending, district):
    room = pending.room
    room.capacity = 1
    room.save()
    Tenancy.objects.create(resident=ResidentFactory(), room=room, bed="1", check_in=timezone.localdate())
    response = api(district.users[Role.PROPERTY_MANAGER]).post(f"/api/v1/tenancy-requests/{pending.pk}/confirm/")
    assert response.status_code == 400 and response.json()["code"] == "room_full"
    pending.refresh_from_db()
    assert pending.status == "pending" and not ResidenceRegistration.objects.exists()


def test_non_integer_ids_are_404(registered):
    assert api(registered).post("/api/v1/tenancy-requests/abc/cancel/").status_code == 404
    assert api(registered).post("/api/v1/me/notices/abc/read/").status_code == 404


def test_the_resident_can_withdraw_and_ask_again(pending, registered, district):
    me = api(registered)
    assert me.post(f"/api/v1/tenancy-requests/{pending.pk}/cancel/").json()["status"] == "cancelled"
    code = qr.link_for(district.mine.rooms.get(number="101"))
    assert me.post("/api/v1/tenancy-requests/", {"code": code}, format="json").status_code == 201


def test_the_admin_confirms_and_prints_the_poster(pending, district, client):
    from residents.tests.conftest import admin_as

    admin_as(client, district.users[Role.PROPERTY_MANAGER])
    response = client.post(
        "/admin/residents/tenancyrequest/",
        {"action": "confirm", "_selected_action": [pending.pk], "reason": ""},
        follow=True,
    )
    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.status == "confirmed" and pending.tenancy.registration.status == "submitted"
    RoomFactory.create_batch(13, apartment=district.mine)
    poster = client.post(
        "/admin/apartments/apartment/", {"action": "registration_poster", "_selected_action": [district.mine.pk]}
    )
    assert poster.status_code == 200 and poster["Content-Type"] == "application/pdf"
    assert (
        poster.content.startswith(b"%PDF")
        and poster.content.count(b"/Type /Page\n") + poster.content.count(b"/Type /Page>") in (0, 3)
        or b"/Count 3" in poster.content
    )  # 1 block page + 14 rooms at 12 a page
    assert_cjk_font_embedded(poster.content)


def test_every_code_on_the_poster_opens_its_room():
    apartment = ApartmentFactory()
    rooms = RoomFactory.create_batch(3, apartment=apartment)
    for room in rooms:
        assert qr.parse(qr.link_for(room)).room == room
    assert qr.parse(qr.link_for(apartment)).room is None


def test_notices_are_kept_once_per_key(newcomer):
    from residents import notices

    for _ in range(2):
        notices.notice_send(recipients=[newcomer], key="k", kind="x", title="t", text="x")
    assert Notice.objects.filter(recipient=newcomer).count() == 1
