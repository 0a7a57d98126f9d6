"""Check-in, move and check-out: room capacity and beds enforced, errors a manager understands."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import Role
from apartments.factories import RoomFactory
from residents.factories import ResidentFactory
from residents.models import ResidenceRegistration, Tenancy
from residents.tests.conftest import api

pytestmark = pytest.mark.django_db


def test_it_checks_in_until_the_room_is_full(district):
    room = RoomFactory(apartment=district.mine, capacity=2)
    manager = api(district.users[Role.PROPERTY_MANAGER])
    today = timezone.localdate().isoformat()
    for _ in range(2):
        response = manager.post(
            "/api/v1/tenancies/", {"id_number": ResidentFactory().id_number, "room": room.pk, "check_in": today}
        )
        assert response.status_code == 201, response.json()
    assert sorted(Tenancy.objects.filter(room=room).values_list("bed", flat=True)) == ["1", "2"]
    full = manager.post(
        "/api/v1/tenancies/", {"id_number": ResidentFactory().id_number, "room": room.pk, "check_in": today}
    )
    assert full.status_code == 400
    assert full.json() == {"code": "room_full", "message": f"{room} 已住满 (2 人)", "errors": {}}


def test_a_taken_bed_and_a_second_active_tenancy_are_refused(district):
    room = RoomFactory(apartment=district.mine, capacity=4)
    manager = api(district.users[Role.PROPERTY_MANAGER])
    today = timezone.localdate().isoformat()
    first = ResidentFactory()
    manager.post("/api/v1/tenancies/", {"id_number": first.id_number, "room": room.pk, "bed": "3", "check_in": today})
    taken = manager.post(
        "/api/v1/tenancies/", {"id_number": ResidentFactory().id_number, "room": room.pk, "bed": "3", "check_in": today}
    )
    assert taken.json()["code"] == "bed_taken"
    twice = manager.post("/api/v1/tenancies/", {"id_number": first.id_number, "room": room.pk, "check_in": today})
    assert twice.json()["code"] == "already_checked_in"


def test_a_manager_cannot_check_in_to_a_block_they_do_not_manage(district):
    room = RoomFactory(apartment=district.other)
    response = api(district.users[Role.PROPERTY_MANAGER]).post(
        "/api/v1/tenancies/",
        {"id_number": ResidentFactory().id_number, "room": room.pk, "check_in": timezone.localdate().isoformat()},
    )
    assert response.status_code == 403


def test_a_move_within_the_block_keeps_the_registration(housed, district):
    resident = housed(days_ago=20)
    old = Tenancy.objects.get(resident=resident)
    room = RoomFactory(apartment=district.mine, floor=4)
    body = api(district.users[Role.PROPERTY_MANAGER]).post(f"/api/v1/tenancies/{old.pk}/move/", {"room": room.pk})
    assert body.status_code == 201, body.json()
    new = Tenancy.objects.get(pk=body.json()["id"])
    assert new.room == room and new.check_out is None
    old.refresh_from_db()
    assert old.check_out == timezone.localdate()
    registration = ResidenceRegistration.objects.get(resident=resident)
    assert registration.tenancy == new and registration.status == "confirmed"
    assert body.json()["registration_state"] == "registered"


def test_a_resident_sees_only_their_own_tenancies(housed):
    me = housed(user=True)
    housed()
    listed = api(me.user).get("/api/v1/tenancies/").json()["results"]
    assert [t["resident_id"] for t in listed] == [me.pk]


def test_a_new_resident_needs_a_valid_id_number(district):
    manager = api(district.users[Role.PROPERTY_MANAGER])
    bad = manager.post("/api/v1/residents/", {"name": "王小明", "id_number": "411302199505170990"})
    assert bad.status_code == 400 and bad.json()["message"] == "身份证号校验位不正确, 请核对"
    good = manager.post(
        "/api/v1/residents/", {"name": "王小明", "id_number": "11010519491231002X", "phone": "19900001234"}
    )
    assert good.status_code == 201, good.json()
    assert good.json()["id_number"] == "110105********002X"
    again = manager.post("/api/v1/residents/", {"name": "王小明", "id_number": "11010519491231002x"})
    assert again.json()["code"] == "resident_exists"
