"""Personal data: encrypted at rest, masked in every list and response, full reads audited."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import AuditEntry, Department, Role
from residents.tests.conftest import admin_as, api

pytestmark = pytest.mark.django_db


def test_the_database_row_holds_no_id_number_or_phone_in_clear(housed):
    resident = housed(phone="19900004321", emergency_contact_phone="19900008765")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM residents_resident WHERE id = %s", [resident.pk])
        row = " ".join(str(value) for value in cursor.fetchone())
    assert resident.id_number not in row
    assert "19900004321" not in row and "19900008765" not in row
    assert resident.id_number[-4:] + "" in resident.id_number_masked


def test_lists_and_details_show_masked_values(housed, district):
    resident = housed(phone="19900004321")
    client = api(district.users[Role.GRID_WORKER])
    listed = client.get("/api/v1/residents/").json()["results"]
    assert listed[0]["id_number"] == resident.id_number[:6] + "********" + resident.id_number[-4:]
    assert listed[0]["phone"] == "199****4321"
    assert listed[0]["name"] == resident.name_masked
    detail = client.get(f"/api/v1/residents/{resident.pk}/").json()
    assert resident.id_number not in str(detail) and "19900004321" not in str(detail)


def test_a_full_read_is_audited(housed, district):
    resident = housed(phone="19900004321")
    manager = district.users[Role.PROPERTY_MANAGER]
    body = (
        api(manager)
        .get(f"/api/v1/residents/{resident.pk}/pii/", {"purpose": "check_in", "reason": "核对租客身份"})
        .json()
    )
    assert body["id_number"] == resident.id_number and body["phone"] == "19900004321"
    entry = AuditEntry.objects.get(action="pii.read", target_id=str(resident.pk))
    assert entry.actor == manager and entry.purpose == "check_in" and entry.reason == "核对租客身份"
    assert entry.fields == "id_number,phone,emergency_contact_name,emergency_contact_phone"


def test_roles_that_do_not_need_full_values_cannot_read_them(housed, district, make_user):
    resident = housed()
    for user in (district.users[Role.GRID_WORKER], district.users[Role.INSPECTOR], make_user(role=Role.RESIDENT)):
        assert api(user).get(f"/api/v1/residents/{resident.pk}/pii/").status_code == 403
    police = make_user(role=Role.INSPECTOR, department=Department.POLICE)
    assert api(police).get(f"/api/v1/residents/{resident.pk}/pii/?purpose=law_enforcement").status_code == 200
    assert AuditEntry.objects.filter(action="pii.read").count() == 1


def test_a_manager_of_another_block_sees_nothing(housed, district):
    resident = housed(apartment=district.other)
    manager = api(district.users[Role.PROPERTY_MANAGER])
    assert manager.get(f"/api/v1/residents/{resident.pk}/pii/").status_code == 404
    assert manager.get("/api/v1/residents/").json()["results"] == []


def test_the_admin_change_page_is_audited_and_masked_for_grid_workers(housed, district, client):
    resident = housed(phone="19900004321")
    manager = admin_as(client, district.users[Role.PROPERTY_MANAGER])
    page = client.get(f"/admin/residents/resident/{resident.pk}/change/")
    assert page.status_code == 200  # no purpose stated: masked, and nothing to audit
    assert resident.id_number not in page.content.decode() and resident.id_number_masked in page.content.decode()
    assert not AuditEntry.objects.filter(action="pii.read").exists()
    page = client.get(f"/admin/residents/resident/{resident.pk}/change/", {"purpose": "correction"})
    assert resident.id_number in page.content.decode()
    assert AuditEntry.objects.filter(action="pii.read", actor=manager, target_id=str(resident.pk)).count() == 1

    listing = client.get("/admin/residents/resident/").content.decode()
    assert resident.id_number not in listing and resident.id_number_masked in listing

    grid = admin_as(client, district.users[Role.GRID_WORKER])
    page = client.get(f"/admin/residents/resident/{resident.pk}/change/", {"purpose": "correction"}).content.decode()
    assert resident.id_number not in page and "19900004321" not in page
    assert resident.id_number_masked in page
    assert AuditEntry.objects.filter(action="pii.read", actor=grid).count() == 0


def test_street_admins_browse_the_audit_log(housed, district, client):
    resident = housed()
    api(district.users[Role.PROPERTY_MANAGER]).get(f"/api/v1/residents/{resident.pk}/pii/?purpose=emergency")
    admin_as(client, district.users[Role.STREET_ADMIN])
    page = client.get("/admin/accounts/auditentry/")
    assert page.status_code == 200
    assert "pii.read" in page.content.decode()
