from __future__ import annotations

import pytest

from accounts.models import Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "start"),
    [
        (Role.STREET_ADMIN, "/cockpit/"),
        (Role.STATION_OPERATOR, "/alerts/station/"),
        (Role.FIRE_SAFETY_PERSON, "/alerts/m/"),
        (Role.GRID_WORKER, "/inspections/"),
        (Role.PROPERTY_MANAGER, "/admin/"),
        (Role.RESIDENT, "/h5/"),
    ],
)
def test_the_front_door_sends_each_role_to_its_own_end(client, district, role, start):
    client.force_login(district.users[role])
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == start


def test_visitors_land_on_the_residents_client(client):
    assert client.get("/")["Location"] == "/h5/"


def test_the_browser_icon_is_found(client):
    from django.contrib.staticfiles import finders

    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith(".svg")
    with open(finders.find("favicon.svg"), encoding="utf-8") as icon:
        assert icon.read().startswith("<svg")
