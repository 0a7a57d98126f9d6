"""Uploaded photos with DEBUG=false: a rental's for everyone, a repair's only for its resident and the block's staff."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from apartments.factories import PropertyCompanyFactory
from residents.factories import ResidentFactory, TenancyFactory
from services.convenience import repair_submit
from services.factories import RentalListingFactory
from services.housing import listing_photo_add
from services.tests.conftest import jpeg
from shijiao.images import clean_image

pytestmark = pytest.mark.django_db


def get(user, url):
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client.get(url)


def test_photos_are_served_to_whom_may_see_them(settings, district, make_user):
    settings.DEBUG = False
    rental = listing_photo_add(
        listing=RentalListingFactory(apartment=district.mine), content=jpeg().getvalue(), name="room.jpg"
    )
    owner = make_user(Role.RESIDENT)
    TenancyFactory(resident=ResidentFactory(user=owner), room=district.mine.rooms.first())
    repair = repair_submit(by=owner, category="water", description="漏水", phone="13800000000",
                           photos=[clean_image(jpeg().getvalue())])  # fmt: skip
    photo = repair.photos.get()
    rental_url, repair_url = rental.image.url, photo.image.url
    assert rental_url.startswith("/media/") and repair_url.startswith("/media/")

    anonymous = get(None, rental_url)
    assert anonymous.status_code == 200 and b"".join(anonymous.streaming_content)[:2] == b"\xff\xd8"
    assert get(owner, repair_url).status_code == 200
    assert get(owner, photo.thumbnail.url).status_code == 200
    assert get(district.users[Role.PROPERTY_MANAGER], repair_url).status_code == 200
    other_manager = make_user(Role.PROPERTY_MANAGER)
    PropertyCompanyFactory().managers.add(other_manager)
    for stranger in (None, make_user(Role.RESIDENT), other_manager, district.users[Role.ENTERPRISE]):
        assert get(stranger, repair_url).status_code == 404
    assert get(owner, "/media/services/../../etc/passwd").status_code == 404
    assert get(owner, "/media/services/2026/12/none.jpg").status_code == 404


def test_the_api_hands_out_signed_links_that_work_without_a_session_and_only_for_that_file(
    settings, district, make_user
):
    settings.DEBUG = False
    owner = make_user(Role.RESIDENT)
    TenancyFactory(resident=ResidentFactory(user=owner), room=district.mine.rooms.first())
    repair_submit(by=owner, category="water", description="漏水", phone="13800000000",
                  photos=[clean_image(jpeg().getvalue())])  # fmt: skip
    client = APIClient()
    client.force_authenticate(owner)
    photo = client.get("/api/v1/my/repairs/").json()["results"][0]["photos"][0]
    link = photo["thumbnail"]
    assert "?sig=" in link
    path = link.split("testserver", 1)[-1]
    assert APIClient().get(path).status_code == 200  # no session, no token: the signature is the permission
    name, sig = path.split("?sig=")
    assert APIClient().get(f"{name}?sig={sig[:-2]}xx").status_code == 404
    other = photo["image"].split("testserver", 1)[-1].split("?")[0]
    assert APIClient().get(f"{other}?sig={sig}").status_code == 404  # a signature opens its own file only
