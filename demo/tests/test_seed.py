from __future__ import annotations

import io
import shlex
from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import Role, User
from alerts.models import Alert
from apartments.models import Apartment, Room
from demo.district import seed_district
from residents.idcard import id_number_problem
from residents.models import Resident, Tenancy
from sensors.models import Device, LatestValue, ReadingRollup
from services.models import Article, Facility, JobPosting, RentalListing, RentalPhoto
from shijiao.pii import blind_index, decrypt

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
    assert Tenancy.objects.active().count() == 300  # living here now; some more moved out
    assert Resident.objects.count() == 300 + 300 // 12


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
    call_command("seed_demo", residents=50, enterprises=5, history_days=1)
    out = capsys.readouterr().out
    assert "active tenancies: 50" in out and "blocks: 95" in out and "] residents" in out  # counts, and progress
    call_command("seed_demo", residents=50, enterprises=5, history_days=1)
    assert "demo data exists" in capsys.readouterr().out
    assert Apartment.objects.count() == 95


@pytest.mark.django_db
def test_the_district_varies_like_a_real_one_keeps_personal_data_encrypted_and_has_a_history():
    seed_district(seed=6, residents=200, enterprises=40, today=TODAY, history_days=2)

    # Personal data went in through the fast path: ciphertext at rest, found by its keyed hash.
    resident = Resident.objects.order_by("id").first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM residents_resident WHERE id = %s", [resident.pk])
        stored_id, stored_phone = cursor.fetchone()
    assert resident.id_number not in stored_id and resident.phone not in stored_phone
    assert decrypt(stored_id) == resident.id_number and decrypt(stored_phone) == resident.phone
    assert Resident.objects.get(id_number_hash=blind_index(resident.id_number)) == resident

    # Rooms, rents and listings.
    singles = list(Room.objects.filter(kind="single").values_list("monthly_rent", flat=True))
    assert min(singles) < 800 < max(singles) and len(set(singles)) > 20
    assert len(set(Room.objects.filter(kind="double").values_list("monthly_rent", flat=True))) > 20
    assert set(Room.objects.filter(kind="dorm").values_list("capacity", flat=True)) == {4, 6, 8}
    beds = sum(Room.objects.values_list("capacity", flat=True))
    assert 56300 / beds > 0.85  # the full district fills most beds (a few blocks have room)
    listings = RentalListing.objects.all()
    assert len({listing.monthly_rent for listing in listings}) > 50
    assert listings.filter(room_kind="single", monthly_rent__lt=800).exists()
    assert RentalPhoto.objects.exists() and listings.filter(photos__isnull=True).exists()
    assert all(set(listing.facilities) <= set(Facility.values) for listing in listings)
    titles = set(JobPosting.objects.values_list("title", flat=True))
    assert {"保安", "普工", "外卖骑手"} <= titles and len(titles) > 15
    assert all(len(article.body.split("\n\n")) >= 3 for article in Article.objects.all())

    # Readings and alarms.
    assert ReadingRollup.objects.filter(period="hour", metric="wire_temp").count() > 1000
    assert (
        LatestValue.objects.filter(metric="wire_temp").count()
        == Device.objects.filter(device_type__code="smart_electricity").count()
    )
    assert Alert.objects.values("rule__code").distinct().count() >= 5
    assert Alert.objects.filter(status="closed").exclude(disposition="").exists()
    # each alarm belongs to its rule's incident (one open alarm per device and incident, as the rules keep it)
    assert {a.incident for a in Alert.objects.select_related("rule")} == {
        a.rule.incident or a.rule.code for a in Alert.objects.select_related("rule")
    }
    assert not Alert.objects.filter(incident="").exists()


@pytest.mark.django_db
def test_the_printed_curl_line_raises_an_alarm(client):
    """What `make demo` prints for a new user works as printed (here through the test client)."""
    from demo.management.commands.serve import Command as Serve
    from sensors.demo import DEMO_DEVICE_KEY

    seed_district(seed=6, residents=50, enterprises=5, today=date.today())
    out = io.StringIO()
    Serve(stdout=out)._print_device_lines("127.0.0.1", 8000, mqtt_url=None)
    [curl] = [shlex.split(line) for line in out.getvalue().splitlines() if line.strip().startswith("curl ")]
    url, body = curl[curl.index("-X") + 2], curl[curl.index("-d") + 1]
    assert url.startswith("http://127.0.0.1:8000/")
    answer = client.post(url.removeprefix("http://127.0.0.1:8000"), body, content_type="application/json")
    assert answer.status_code in (200, 202), answer.content
    alarm = Alert.objects.get(device__key=DEMO_DEVICE_KEY, title="线缆温度过高")
    assert alarm.status == "raised" and alarm.severity == "critical" and alarm.peak_value == 96.5
    assert "MQTT: no broker answers" in out.getvalue()
