"""Each role sees exactly its own blocks, through the API and the admin, and is refused the rest."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Role
from apartments.scoping import apartments_for

pytestmark = pytest.mark.django_db

SEES_MINE_ONLY = [Role.STATION_OPERATOR, Role.GRID_WORKER, Role.PROPERTY_MANAGER, Role.FIRE_SAFETY_PERSON]


@pytest.mark.parametrize("role", [Role.STREET_ADMIN, Role.INSPECTOR])
def test_it_shows_the_whole_district_to_the_street_and_inspectors(district, role):
    assert set(apartments_for(district.users[role])) == {district.mine, district.other}


@pytest.mark.parametrize("role", SEES_MINE_ONLY)
def test_it_shows_scoped_roles_only_their_own_block(district, role):
    assert list(apartments_for(district.users[role])) == [district.mine]


@pytest.mark.parametrize("role", [Role.ENTERPRISE, Role.RESIDENT])
def test_it_shows_no_blocks_to_enterprises_and_residents(district, role):
    assert not apartments_for(district.users[role]).exists()


def test_it_shows_nothing_to_a_deactivated_user(district):
    user = district.users[Role.GRID_WORKER]
    user.is_active = False
    user.save()
    assert not apartments_for(user).exists()


@pytest.mark.parametrize("role", SEES_MINE_ONLY)
def test_api_lists_own_block_and_answers_404_for_another(client, district, role):
    client.force_login(district.users[role])
    listing = client.get(reverse("v1:apartments:apartment-list"))
    assert listing.status_code == 200
    assert [row["name"] for row in listing.json()["results"]] == ["新华工业园6号公寓"]
    mine = client.get(reverse("v1:apartments:apartment-detail", args=[district.mine.pk]))
    assert mine.status_code == 200
    assert [room["number"] for room in mine.json()["rooms"]] == ["101"]
    other = client.get(reverse("v1:apartments:apartment-detail", args=[district.other.pk]))
    assert other.status_code == 404
    assert other.json()["code"] == "not_found"


@pytest.mark.parametrize("role", [Role.ENTERPRISE, Role.RESIDENT])
def test_api_refuses_blocks_to_non_staff_roles_with_403(client, district, role):
    client.force_login(district.users[role])
    response = client.get(reverse("v1:apartments:apartment-list"))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_api_asks_anonymous_callers_to_log_in(client, district):
    response = client.get(reverse("v1:apartments:apartment-list"))
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response.json()["message"]


@pytest.mark.parametrize("role", SEES_MINE_ONLY)
def test_admin_changelist_shows_only_own_block(client, district, role):
    client.force_login(district.users[role])
    response = client.get(reverse("admin:apartments_apartment_changelist"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "新华工业园6号公寓" in body
    assert "华丰工业园9号公寓" not in body
    other = client.get(reverse("admin:apartments_apartment_change", args=[district.other.pk]))
    assert other.status_code == 302  # Django admin redirects a missing object to the index with a message


def test_admin_refuses_residents_and_hides_street_only_pages(client, district):
    client.force_login(district.users[Role.PROPERTY_MANAGER])
    assert client.get(reverse("admin:apartments_subdistrict_changelist")).status_code == 403
    assert client.get(reverse("admin:accounts_auditentry_changelist")).status_code == 403
    client.force_login(district.users[Role.RESIDENT])
    response = client.get(reverse("admin:apartments_apartment_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin_lets_the_street_admin_see_every_block_in_chinese(client, district):
    client.force_login(district.users[Role.STREET_ADMIN])
    body = client.get(reverse("admin:apartments_apartment_changelist")).content.decode()
    assert "新华工业园6号公寓" in body and "华丰工业园9号公寓" in body
    assert "选择 公寓 来修改" in body or "公寓" in body
