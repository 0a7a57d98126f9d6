"""Issue #13 item 6, as the roles see it through the HTTP API and the admin: the emergency contact is encrypted
at rest and masked like the resident's own data, and the masked ID number never appears next to the clear birth
date (together they give the whole number)."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import Department, Role
from residents.factories import ResidentFactory
from residents.idcard import birth_date_of
from residents.tests.conftest import admin_as, api

pytestmark = pytest.mark.django_db

CONTACT = {"emergency_contact_name": "赵春花", "emergency_contact_phone": "13912345678"}


def _raw_row(resident_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM residents_resident WHERE id = %s", [resident_id])
        return " ".join(str(v) for v in cursor.fetchone())


def test_the_emergency_contact_is_encrypted_at_rest(housed):
    resident = housed(**CONTACT)
    row = _raw_row(resident.pk)
    assert "赵春花" not in row and "春花" not in row and "13912345678" not in row
    resident.refresh_from_db()
    assert resident.emergency_contact_name == "赵春花"  # the code still reads it


def test_every_staff_role_and_the_resident_see_the_contact_masked(housed, district, make_user):
    resident = housed(user=True, **CONTACT)
    police = make_user(role=Role.INSPECTOR, department=Department.POLICE)
    for user in (
        district.users[Role.PROPERTY_MANAGER],
        district.users[Role.GRID_WORKER],
        district.users[Role.INSPECTOR],
        district.users[Role.STREET_ADMIN],
        police,
    ):
        body = api(user).get(f"/api/v1/residents/{resident.pk}/").json()
        assert body["emergency_contact_name"] == "赵*花" and body["emergency_contact_phone"] == "139****5678", user
        listed = str(api(user).get("/api/v1/residents/").json())
        assert "赵春花" not in listed and "13912345678" not in listed
    own = api(resident.user).get("/api/v1/me/resident/").json()
    assert own["emergency_contact_name"] == "赵*花" and "13912345678" not in str(own)


def test_the_clear_contact_needs_a_purpose_and_is_audited(housed, district):
    resident = housed(**CONTACT)
    manager = api(district.users[Role.PROPERTY_MANAGER])
    assert manager.get(f"/api/v1/residents/{resident.pk}/pii/").status_code == 400
    body = manager.get(f"/api/v1/residents/{resident.pk}/pii/", {"purpose": "emergency"}).json()
    assert body["emergency_contact_name"] == "赵春花" and body["emergency_contact_phone"] == "13912345678"


def test_a_bad_emergency_phone_is_refused_and_nothing_is_written(district):
    from residents.models import Resident

    response = api(district.users[Role.PROPERTY_MANAGER]).post(
        "/api/v1/residents/",
        {"name": "王小明", "id_number": ResidentFactory.build().id_number, "emergency_contact_phone": "call-me"},
        format="json",
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_emergency_contact_phone"
    assert not Resident.objects.exists()


def test_the_masked_id_number_never_stands_next_to_the_clear_birth_date(housed, district, client):
    resident = housed()
    birth = birth_date_of(resident.id_number)
    resident.birth_date = birth
    resident.save()
    shown = [f"{birth:%Y-%m-%d}", f"{birth:%Y年%-m月%-d日}", f"{birth:%Y%m%d}"[4:]]
    for role in (Role.GRID_WORKER, Role.INSPECTOR, Role.PROPERTY_MANAGER, Role.STREET_ADMIN):
        user = district.users[role]
        body = str(api(user).get(f"/api/v1/residents/{resident.pk}/").json())
        assert resident.id_number_masked in body and not any(b in body for b in shown)
        admin_as(client, user)
        page = client.get(f"/admin/residents/resident/{resident.pk}/change/").content.decode()
        assert resident.id_number_masked in page, role
        assert not any(b in page for b in shown[:2]) and 'name="birth_date' not in page, role
