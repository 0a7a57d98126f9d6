"""找住房: vacancy follows real rooms and tenancies; residents save and ask to view; managers answer."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from apartments.factories import RoomFactory
from residents.factories import TenancyFactory
from services.factories import RentalListingFactory
from services.models import RentalPhoto
from services.tests.conftest import jpeg

pytestmark = pytest.mark.django_db


def test_vacancy_follows_check_in_and_check_out(district, client_for):
    mine = district.mine
    RoomFactory(apartment=mine, number="201", kind="double", capacity=2)
    RoomFactory(apartment=mine, number="202", kind="double", capacity=2)
    listing = RentalListingFactory(apartment=mine, room_kind="double")
    public = client_for()

    def vacancy():
        row = public.get(f"/api/v1/rentals/{listing.pk}/").json()
        return row["vacant_beds"], row["vacant_rooms"], row["total_beds"]

    # the district fixture's room 101 is a double of capacity 2 as well
    assert vacancy() == (6, 3, 6)
    first = TenancyFactory(room=mine.rooms.get(number="201"))
    assert vacancy() == (5, 2, 6)  # the cached page was dropped when the tenant moved in
    TenancyFactory(room=mine.rooms.get(number="201"), bed="2")
    assert vacancy() == (4, 2, 6)
    first.check_out = date.today()
    first.save()
    assert vacancy() == (5, 2, 6)


def test_it_filters_by_kind_rent_facility_and_vacancy(district, client_for):
    full_room = RoomFactory(apartment=district.other, number="301", kind="single", capacity=1)
    TenancyFactory(room=full_room)
    cheap = RentalListingFactory(
        apartment=district.mine, room_kind="double", monthly_rent=1200, facilities=["ac", "wifi"]
    )
    RentalListingFactory(apartment=district.other, room_kind="single", monthly_rent=1800, facilities=["ac"])
    public = client_for()
    ids = lambda q: [r["id"] for r in public.get(f"/api/v1/rentals/?{q}").json()["results"]]  # noqa: E731
    assert ids("rent_max=1500") == [cheap.pk]
    assert ids("facility=wifi") == [cheap.pk]
    assert ids("room_kind=double") == [cheap.pk]
    assert ids("has_vacancy=true") == [cheap.pk]  # the single room is taken
    bad = public.get("/api/v1/rentals/?room_kind=castle")
    assert bad.status_code == 400 and "room_kind" in bad.json()["errors"]


def test_residents_save_listings_and_request_viewings_that_the_manager_answers(district, client_for):
    listing = RentalListingFactory(apartment=district.mine)
    resident = client_for(district.users[Role.RESIDENT])
    assert resident.post(f"/api/v1/rentals/{listing.pk}/save/").status_code == 204
    assert [r["id"] for r in resident.get("/api/v1/my/saved-rentals/").json()["results"]] == [listing.pk]
    when = (timezone.now() + timedelta(days=1)).isoformat()
    asked = resident.post(
        f"/api/v1/rentals/{listing.pk}/viewings/",
        {"phone": "19900000002", "preferred_time": when, "name": "王五"},
        format="json",
    )
    assert asked.status_code == 201 and asked.json()["phone"] == "199****0002"
    manager = client_for(district.users[Role.PROPERTY_MANAGER])
    rows = manager.get("/api/v1/manage/viewings/").json()["results"]
    assert [v["id"] for v in rows] == [asked.json()["id"]]
    answered = manager.post(
        f"/api/v1/manage/viewings/{rows[0]['id']}/answer/",
        {"status": "confirmed", "reply": "明晚6点前台见"},
        format="json",
    )
    assert answered.json()["status"] == "confirmed"
    assert resident.get("/api/v1/my/viewings/").json()["results"][0]["reply"] == "明晚6点前台见"
    past = resident.post(
        f"/api/v1/rentals/{listing.pk}/viewings/",
        {"phone": "19900000002", "preferred_time": "2020-01-01T10:00:00+08:00", "name": "王五"},
        format="json",
    )
    assert past.status_code == 400 and past.json()["code"] == "time_in_past"
    assert resident.delete(f"/api/v1/rentals/{listing.pk}/save/").status_code == 204
    assert resident.get("/api/v1/my/saved-rentals/").json()["results"] == []


def test_managers_post_only_for_their_own_blocks_and_upload_clean_photos(district, client_for):
    manager = client_for(district.users[Role.PROPERTY_MANAGER])
    body = {
        "room_kind": "double",
        "title": "近工业园双人间",
        "monthly_rent": 1500,
        "deposit": 1500,
        "contact_phone": "0571-1",
    }
    mine = manager.post(
        "/api/v1/manage/rentals/", {**body, "apartment": district.mine.pk, "facilities": ["ac"]}, format="json"
    )
    assert mine.status_code == 201, mine.json()
    other = manager.post("/api/v1/manage/rentals/", {**body, "apartment": district.other.pk}, format="json")
    assert other.status_code == 403
    no_rooms = manager.post(
        "/api/v1/manage/rentals/", {**body, "apartment": district.mine.pk, "room_kind": "suite"}, format="json"
    )
    assert no_rooms.status_code == 400 and no_rooms.json()["code"] == "no_such_rooms"
    bad_facility = manager.post(
        "/api/v1/manage/rentals/", {**body, "apartment": district.mine.pk, "facilities": ["pool"]}, format="json"
    )
    assert bad_facility.status_code == 400 and "facilities" in bad_facility.json()["errors"]

    listing_id = mine.json()["id"]
    photo = manager.post(f"/api/v1/manage/rentals/{listing_id}/photos/", {"file": jpeg(exif=True)}, format="multipart")
    assert photo.status_code == 201, photo.json()
    from PIL import Image

    stored = RentalPhoto.objects.get()
    assert not Image.open(stored.image.path).getexif()  # EXIF stripped
    assert client_for().get(f"/api/v1/rentals/{listing_id}/").json()["photos"][0]["thumbnail"]
    resident = client_for(district.users[Role.RESIDENT])
    assert (
        resident.post("/api/v1/manage/rentals/", {**body, "apartment": district.mine.pk}, format="json").status_code
        == 403
    )
