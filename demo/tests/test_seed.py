from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command

from accounts.models import Role, User
from apartments.models import Apartment
from demo.district import seed_district
from residents.idcard import id_number_problem
from residents.models import Resident, Tenancy
from sensors.models import Device

TODAY = date(2026, 11, 25)


def snapshot() -> list[tuple]:
    people = [(r.name, r.id_number, r.phone, r.hometown) for r in Resident.objects.order_by("id")]
    blocks = list(Apartment.objects.order_by("code").values_list("code", "name", "floors", "latitude"))
    stays = list(Tenancy.objects.order_by("id").values_list("room__number", "check_in", "check_out"))
    return [people, blocks, stays]


@pytest.mark.django_db(transaction=True)
def test_it_builds_the_same_district_from_the_same_seed():
    seed_district(seed=6, residents=150, enterprises=20, today=TODAY)
    first = snapshot()
    call_command("flush", interactive=False, verbosity=0)
    seed_district(seed=6, residents=150, enterprises=20, today=TODAY)
    assert snapshot() == first
    call_command("flush", interactive=False, verbosity=0)
    seed_district(seed=7, residents=150, enterprises=20, today=TODAY)
    assert snapshot() != first


@pytest.mark.django_db
def test_it_builds_shiqiao_with_block_six_and_every_role():
    seed_district(seed=6, residents=300, enterprises=20, today=TODAY)
    assert Apartment.objects.count() == 95
    flagship = Apartment.objects.get(name="新华工业园6号公寓")
    assert flagship.fire_safety_person.username == "fuze6"
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert Device.objects.filter(apartment=flagship, location__contains="电瓶车").exists()
    assert Resident.objects.count() == 300


@pytest.mark.django_db
def test_generated_people_have_valid_ids_in_the_reserved_range_and_rooms_never_overfill():
    seed_district(seed=6, residents=400, enterprises=20, today=TODAY)
    for resident in Resident.objects.all():
        assert id_number_problem(resident.id_number) is None
        assert 990 <= int(resident.id_number[14:17]) <= 999
        assert resident.phone.startswith("1990")
    for tenancy in Tenancy.objects.active().select_related("room"):
        assert Tenancy.objects.active().filter(room=tenancy.room).count() <= tenancy.room.capacity


@pytest.mark.django_db
def test_seed_command_refuses_to_seed_twice_without_reset(capsys):
    call_command("seed_demo", residents=50, enterprises=5)
    call_command("seed_demo", residents=50, enterprises=5)
    assert "demo data exists" in capsys.readouterr().out
    assert Apartment.objects.count() == 95
