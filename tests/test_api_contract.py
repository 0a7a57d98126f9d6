"""The API's contract where fuzzers poke: ids that are not numbers, page sizes out of range, field-named errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def resident(make_user):
    cache.clear()  # the per-IP throttle of public lists counts in the in-process cache across earlier tests
    client = APIClient()
    client.force_authenticate(make_user(Role.RESIDENT))
    return client


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/api/v1/rentals/abc/save/"), ("post", "/api/v1/rentals/abc/viewings/"),
     ("post", "/api/v1/jobs/abc/apply/"), ("post", "/api/v1/clinics/abc/appointments/"),
     ("get", "/api/v1/jobs/1.5/"), ("get", "/api/v1/tenancies/x/"), ("get", "/api/v1/apartments/abc/")],
)  # fmt: skip
def test_an_id_that_is_not_a_number_is_a_json_404(resident, method, path):
    response = getattr(resident, method)(path, {}, format="json")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json") and response.json()["code"]


@pytest.mark.parametrize("size", ["-5", "0", "abc", "101", "1.5"])
def test_a_page_size_out_of_range_is_refused_under_its_name(resident, size):
    for path in ("/api/v1/jobs/", "/api/v1/me/notices/", "/api/v1/tenancy-requests/"):
        response = resident.get(path, {"page_size": size})
        assert response.status_code == 400, (path, size)
        assert "page_size" in response.json()["errors"]


def test_a_page_size_in_range_is_used(resident):
    assert resident.get("/api/v1/me/notices/", {"page_size": "5"}).status_code == 200


def test_a_viewing_in_the_past_names_the_time_field(resident, district):
    from services.factories import RentalListingFactory

    listing = RentalListingFactory(apartment=district.mine)
    past = timezone.now() - timedelta(hours=1)
    response = resident.post(
        f"/api/v1/rentals/{listing.pk}/viewings/", {"preferred_time": past.isoformat(), "phone": "13800138000"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400 and response.json()["code"] == "time_in_past"
    assert response.json()["errors"] == {"preferred_time": [response.json()["message"]]}
