"""Residence registration: submit, confirm or return with a reason, deadlines, check-out deregistration."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import override_settings

from accounts.models import Department, Role
from residents.models import ResidenceRegistration, Tenancy
from residents.registration import add_working_days, overdue_deregistrations, overdue_registrations
from residents.tenancies import resident_check_out
from residents.tests.conftest import api, days_ago

pytestmark = pytest.mark.django_db


def test_a_resident_submits_and_the_manager_confirms(housed, district):
    resident = housed(registered=False, days_ago=1, user=True)
    response = api(resident.user).post("/api/v1/registrations/", {"purpose": "work"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "submitted" and body["resident_name"] == resident.name_masked
    manager = api(district.users[Role.PROPERTY_MANAGER])
    confirmed = manager.post(f"/api/v1/registrations/{body['id']}/confirm/").json()
    assert confirmed["status"] == "confirmed" and confirmed["confirmed_at"]
    me = api(resident.user).get("/api/v1/me/resident/").json()
    assert me["tenancy"]["registration_state"] == "registered"


def test_a_returned_registration_carries_the_reason_and_can_be_resubmitted(housed, district):
    resident = housed(registered=False, days_ago=1, user=True)
    reg_id = api(resident.user).post("/api/v1/registrations/", {"purpose": "work"}).json()["id"]
    manager = api(district.users[Role.PROPERTY_MANAGER])
    no_reason = manager.post(f"/api/v1/registrations/{reg_id}/return/", {"reason": " "})
    assert no_reason.status_code == 400
    returned = manager.post(f"/api/v1/registrations/{reg_id}/return/", {"reason": "工作单位填写有误"}).json()
    assert returned["status"] == "returned" and returned["return_reason"] == "工作单位填写有误"
    again = api(resident.user).post("/api/v1/registrations/", {"purpose": "business"}).json()
    assert again["id"] == reg_id and again["status"] == "submitted" and again["return_reason"] == ""


def test_the_manager_submits_on_behalf_and_the_police_confirm(housed, district, make_user):
    resident = housed(registered=False, days_ago=2)
    tenancy = Tenancy.objects.get(resident=resident)
    manager = api(district.users[Role.PROPERTY_MANAGER])
    reg_id = manager.post("/api/v1/registrations/", {"tenancy": tenancy.pk}).json()["id"]
    fire_inspector = api(district.users[Role.INSPECTOR])  # fire department: not theirs to confirm
    assert fire_inspector.post(f"/api/v1/registrations/{reg_id}/confirm/").status_code == 403
    police = api(make_user(role=Role.INSPECTOR, department=Department.POLICE))
    assert police.post(f"/api/v1/registrations/{reg_id}/confirm/").json()["status"] == "confirmed"


def test_a_manager_of_another_block_cannot_submit(housed, district):
    resident = housed(apartment=district.other, registered=False)
    tenancy = Tenancy.objects.get(resident=resident)
    response = api(district.users[Role.PROPERTY_MANAGER]).post("/api/v1/registrations/", {"tenancy": tenancy.pk})
    assert response.status_code == 403


def test_overdue_registrations_are_listed_for_the_grid_worker(housed, district):
    late = housed(registered=False, days_ago=5)
    housed(registered=False, days_ago=2)  # still within 3 days
    housed(registered=True, days_ago=40)
    housed(apartment=district.other, registered=False, days_ago=9)  # not this grid worker's block
    body = api(district.users[Role.GRID_WORKER]).get("/api/v1/registrations/overdue/").json()
    assert [t["resident_id"] for t in body["registration_overdue"]] == [late.pk]
    assert body["registration_overdue"][0]["registration_state"] == "overdue"


@override_settings(REGISTRATION_DEADLINE_DAYS=7)
def test_the_registration_deadline_is_a_setting(housed):
    housed(registered=False, days_ago=5)
    assert not overdue_registrations(Tenancy.objects.all()).exists()


def test_working_days_skip_weekends_and_holidays():
    friday = date(2026, 9, 25)
    assert add_working_days(friday, 3) == date(2026, 9, 30)
    with override_settings(RESIDENTS_HOLIDAYS=["2026-09-28"]):
        assert add_working_days(friday, 3) == date(2026, 10, 1)


def test_check_out_starts_deregistration_with_its_own_deadline(housed, district):
    resident = housed(registered=True, days_ago=60)
    tenancy = Tenancy.objects.get(resident=resident)
    manager = api(district.users[Role.PROPERTY_MANAGER])
    out_day = days_ago(10)
    assert manager.post(f"/api/v1/tenancies/{tenancy.pk}/check-out/", {"check_out": out_day}).status_code == 200
    registration = ResidenceRegistration.objects.get(tenancy=tenancy)
    assert registration.status == "deregistering"
    assert registration.deregistration_due == add_working_days(out_day, 3)
    assert list(overdue_deregistrations(ResidenceRegistration.objects.all())) == [registration]
    listed = manager.get("/api/v1/registrations/overdue/").json()["deregistration_overdue"]
    assert [r["id"] for r in listed] == [registration.pk]
    done = manager.post(f"/api/v1/registrations/{registration.pk}/confirm-deregistration/").json()
    assert done["status"] == "ended" and done["deregistered_at"]


def test_check_out_of_an_unconfirmed_registration_just_ends_it(housed):
    resident = housed(registered=False, days_ago=2)
    tenancy = Tenancy.objects.get(resident=resident)
    from residents.registration import registration_submit

    registration = registration_submit(tenancy=tenancy, by=None)
    resident_check_out(tenancy=tenancy, check_out=days_ago(0))
    registration.refresh_from_db()
    assert registration.status == "ended"


def test_a_resident_without_tenancy_cannot_register(make_user):
    from residents.factories import ResidentFactory

    resident = ResidentFactory(user=make_user(role=Role.RESIDENT))
    response = api(resident.user).post("/api/v1/registrations/", {"purpose": "work"})
    assert response.status_code == 400
    assert response.json()["message"] == "没有在住记录, 请先由公寓办理入住"


def test_the_manager_returns_a_registration_with_a_reason_in_the_admin(housed, district, client):
    resident = housed(registered=False, days_ago=1, user=True)
    reg_id = api(resident.user).post("/api/v1/registrations/", {"purpose": "work"}).json()["id"]
    client.force_login(district.users[Role.PROPERTY_MANAGER])
    url = "/admin/residents/residenceregistration/"
    assert "退回补正" in client.get(url).content.decode()

    blank = client.post(url, {"action": "return_with_reason", "_selected_action": [reg_id], "reason": ""}, follow=True)
    assert "退回时请填写原因" in blank.content.decode()
    assert ResidenceRegistration.objects.get(pk=reg_id).status == "submitted"

    client.post(url, {"action": "return_with_reason", "_selected_action": [reg_id], "reason": "房号填写有误"})
    returned = ResidenceRegistration.objects.get(pk=reg_id)
    assert (returned.status, returned.return_reason) == ("returned", "房号填写有误")
    mine = api(resident.user).get("/api/v1/me/resident/").json()
    assert mine["tenancy"]["registration_state"] != "registered"
