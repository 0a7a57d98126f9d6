"""Issue #13 item 1, played by the attackers through the HTTP API: nobody widens their scope by a check-in,
scope ends at check-out, no clear read without a stated purpose, and the resident sees who read their data."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import AuditEntry, Department, Role
from apartments.factories import GridFactory, PropertyCompanyFactory, RoomFactory
from residents.factories import ResidentFactory
from residents.models import ResidencePermit, Tenancy
from residents.tests.conftest import api

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def rival(district, make_user):
    """The manager of another company, running ``district.other``."""
    manager = make_user(role=Role.PROPERTY_MANAGER, username="rival")
    company = PropertyCompanyFactory()
    company.managers.add(manager)
    district.other.property_company = company
    district.other.save()
    return manager


def _pii(client, resident, remote_addr: str = "127.0.0.1", **params):
    return client.get(f"/api/v1/residents/{resident.pk}/pii/", params, REMOTE_ADDR=remote_addr)


def test_a_manager_cannot_pull_a_resident_into_scope_by_their_record_number(housed, district, rival):
    victim = housed(apartment=district.mine, phone="19900007777")
    victim_free = ResidentFactory(phone="19900008888")  # registered, living nowhere
    room = RoomFactory(apartment=district.other, capacity=4)
    client = api(rival)
    for target in (victim, victim_free):
        response = client.post(
            "/api/v1/tenancies/", {"resident": target.pk, "room": room.pk, "check_in": str(TODAY())}, format="json"
        )
        assert response.status_code == 400 and response.json()["code"] == "id_number_required"
        assert not Tenancy.objects.filter(resident=target, room=room).exists()
        assert _pii(client, target, purpose="check_in").status_code == 404
        assert client.get(f"/api/v1/residents/{target.pk}/").status_code == 404
    assert client.get("/api/v1/residents/").json()["results"] == []


def test_a_check_in_by_typed_id_number_returns_nothing_the_manager_did_not_type(district, rival):
    person = ResidentFactory(name="李秀兰", phone="19900006666", emergency_contact_phone="13900001111")
    room = RoomFactory(apartment=district.other, capacity=4)
    response = api(rival).post(
        "/api/v1/tenancies/",
        {"id_number": person.id_number.lower(), "room": room.pk, "check_in": str(TODAY())},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = str(response.json())
    for secret in ("李", "秀兰", person.id_number, "6666", "19900006666", "13900001111"):
        assert secret not in body
    assert response.json()["resident_id"] == person.pk and response.json()["room"]["id"] == room.pk


def test_a_wrong_or_unknown_id_number_checks_in_nobody(district, rival):
    room = RoomFactory(apartment=district.other, capacity=4)
    client = api(rival)
    bad = client.post(
        "/api/v1/tenancies/", {"id_number": "411302199001011234", "room": room.pk, "check_in": str(TODAY())}
    )
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_id_number"
    unknown = ResidentFactory.build().id_number  # a valid number nobody registered
    missing = client.post("/api/v1/tenancies/", {"id_number": unknown, "room": room.pk, "check_in": str(TODAY())})
    assert missing.status_code == 404 and missing.json()["code"] == "resident_not_found"
    assert not Tenancy.objects.filter(room=room).exists()


def test_scope_ends_at_check_out(housed, district):
    resident = housed(phone="19900005555")
    ResidencePermit.objects.create(
        resident=resident, basis="job", status="applied", applied_at=timezone.now(), registered_since=TODAY()
    )
    manager = api(district.users[Role.PROPERTY_MANAGER])
    assert _pii(manager, resident, purpose="registration").status_code == 200
    tenancy = Tenancy.objects.get(resident=resident)
    assert manager.post(f"/api/v1/tenancies/{tenancy.pk}/check-out/", {}, format="json").status_code == 200
    # The former manager of the block: nothing about the person any more (the tenancy row of the block stays).
    assert _pii(manager, resident, purpose="registration").status_code == 404
    assert manager.get(f"/api/v1/residents/{resident.pk}/").status_code == 404
    assert manager.get("/api/v1/residents/").json()["results"] == []
    assert manager.get("/api/v1/permits/").json()["results"] == []
    grid = api(district.users[Role.GRID_WORKER])
    assert grid.get(f"/api/v1/residents/{resident.pk}/").status_code == 404


def test_a_manager_who_left_the_company_reads_nothing(housed, district):
    resident = housed()
    manager = district.users[Role.PROPERTY_MANAGER]
    district.mine.property_company.managers.remove(manager)
    client = api(manager)
    assert _pii(client, resident, purpose="emergency").status_code == 404
    assert client.get(f"/api/v1/residents/{resident.pk}/").status_code == 404


def test_a_grid_worker_of_another_grid_sees_nobody(housed, district, make_user):
    resident = housed()
    stranger = make_user(role=Role.GRID_WORKER)
    GridFactory().workers.add(stranger)
    client = api(stranger)
    assert client.get(f"/api/v1/residents/{resident.pk}/").status_code == 404
    assert client.get("/api/v1/residents/").json()["results"] == []
    assert _pii(client, resident, purpose="emergency").status_code == 403


def test_fire_inspectors_residents_and_grid_workers_never_read_clear_values(housed, district, make_user):
    resident = housed(user=True)
    other_resident = housed(user=True)
    for user in (
        district.users[Role.INSPECTOR],  # fire
        district.users[Role.GRID_WORKER],
        resident.user,
        other_resident.user,
    ):
        assert _pii(api(user), resident, purpose="emergency").status_code in (403, 404)
    assert not AuditEntry.objects.filter(action="pii.read").exists()


def test_no_purpose_no_read(housed, district, make_user):
    resident = housed()
    police = api(make_user(role=Role.INSPECTOR, department=Department.POLICE))
    missing = _pii(police, resident)
    assert missing.status_code == 400 and missing.json()["code"] == "purpose_required"
    assert "law_enforcement" in missing.json()["message"]
    unknown = _pii(police, resident, purpose="curiosity")
    assert unknown.status_code == 400 and unknown.json()["code"] == "invalid_purpose"
    vague = _pii(police, resident, purpose="other")
    assert vague.status_code == 400 and vague.json()["code"] == "reason_required"
    assert not AuditEntry.objects.filter(action="pii.read").exists()
    ok = _pii(police, resident, purpose="other", reason="协查走失老人的家属")
    assert ok.status_code == 200 and ok.json()["id_number"] == resident.id_number


def test_every_clear_read_is_audited_and_the_resident_sees_who_looked(housed, district, make_user):
    resident = housed(user=True)
    neighbour = housed(user=True)
    police_user = make_user(role=Role.INSPECTOR, department=Department.POLICE, display_name="王警官")
    _pii(api(police_user), resident, purpose="law_enforcement", remote_addr="10.1.2.3")
    _pii(api(district.users[Role.PROPERTY_MANAGER]), neighbour, purpose="emergency")

    entry = AuditEntry.objects.get(action="pii.read", target_id=str(resident.pk))
    assert (entry.actor, entry.purpose, entry.ip) == (police_user, "law_enforcement", "10.1.2.3")
    assert "id_number" in entry.fields and entry.at is not None

    mine = api(resident.user).get("/api/v1/me/data-access/")
    assert mine.status_code == 200
    assert len(mine.json()) == 1  # the read of the neighbour is not theirs to see
    line = mine.json()[0]
    assert line["by_name"] == "王警官" and line["by_organisation"] == "公安派出所"
    assert line["purpose"] == "law_enforcement" and line["purpose_display"] == "公安依法查询"
    assert "身份证号" in line["fields"] and "ip" not in line
    # Staff have no "who looked at my data" of their own; a resident without a record gets a clear error.
    assert api(district.users[Role.PROPERTY_MANAGER]).get("/api/v1/me/data-access/").status_code == 403
    assert api(make_user(role=Role.RESIDENT)).get("/api/v1/me/data-access/").json()["code"] == "no_resident"
