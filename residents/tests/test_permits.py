"""E-residence permit: eligibility after six months with a job or home, review, QR verification, revocation."""

from __future__ import annotations

import pytest
from django.test import override_settings

from accounts.models import Department, Role
from apartments.factories import EnterpriseFactory
from residents.models import ResidencePermit
from residents.tests.conftest import api

pytestmark = pytest.mark.django_db


@pytest.fixture
def police(make_user):
    return api(make_user(role=Role.INSPECTOR, department=Department.POLICE))


def test_a_new_arrival_is_told_when_they_can_apply(housed):
    resident = housed(days_ago=30, user=True)
    body = api(resident.user).get("/api/v1/permits/eligibility/").json()
    assert body["eligible"] is False
    assert body["reasons"][0].startswith("居住登记满 183 天后可申领")
    response = api(resident.user).post("/api/v1/permits/", {})
    assert response.status_code == 400
    assert response.json()["message"].startswith("暂不符合申领条件")


def test_without_a_confirmed_registration_there_is_no_permit(housed):
    resident = housed(days_ago=400, registered=False, user=True)
    assert "尚无已确认的居住登记" in api(resident.user).get("/api/v1/permits/eligibility/").json()["reasons"]


@override_settings(PERMIT_REQUIRES_JOB=True)
def test_a_job_can_be_required_by_setting(housed):
    resident = housed(days_ago=200, user=True)
    assert api(resident.user).get("/api/v1/permits/eligibility/").json()["reasons"] == ["需有合法稳定就业"]


def test_apply_issue_verify_and_revoke(housed, police, district):
    resident = housed(days_ago=200, user=True, employer=EnterpriseFactory())
    client = api(resident.user)
    assert client.get("/api/v1/permits/eligibility/").json() | {"registered_since": None} == {
        "eligible": True,
        "registered_since": None,
        "bases": ["job", "home"],
        "reasons": [],
    }
    applied = client.post("/api/v1/permits/", {"basis": "job"}).json()
    assert applied["status"] == "applied"
    assert client.post("/api/v1/permits/", {}).status_code == 400  # one open application at a time

    manager = api(district.users[Role.PROPERTY_MANAGER])
    assert manager.post(f"/api/v1/permits/{applied['id']}/issue/").status_code == 403  # police or street only
    issued = police.post(f"/api/v1/permits/{applied['id']}/issue/").json()
    assert issued["status"] == "issued" and issued["number"].startswith("330105")
    assert issued["valid_from"] and issued["valid_until"]

    qr = client.get(f"/api/v1/permits/{applied['id']}/qr/").json()
    assert qr["svg"].startswith("<?xml") or qr["svg"].startswith("<svg")
    assert qr["verify_url"].endswith(qr["token"])
    anonymous = api(None)
    verified = anonymous.get("/api/v1/permits/verify/", {"token": qr["token"]}).json()
    assert verified == {
        "valid": True,
        "status": "issued",
        "status_display": "已签发",
        "name_masked": resident.name_masked,
        "valid_from": issued["valid_from"],
        "valid_until": issued["valid_until"],
    }
    assert resident.id_number not in str(verified) and resident.name not in str(verified)

    assert police.post(f"/api/v1/permits/{applied['id']}/revoke/", {"reason": "虚假材料"}).json()["status"] == "revoked"
    after = anonymous.get("/api/v1/permits/verify/", {"token": qr["token"]}).json()
    assert after["valid"] is False and after["status"] == "revoked"


def test_a_tampered_token_is_refused(housed, police):
    resident = housed(days_ago=200, user=True)
    permit_id = api(resident.user).post("/api/v1/permits/", {}).json()["id"]
    police.post(f"/api/v1/permits/{permit_id}/issue/")
    token = api(resident.user).get(f"/api/v1/permits/{permit_id}/qr/").json()["token"]
    forged = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")
    response = api(None).get("/api/v1/permits/verify/", {"token": forged})
    assert response.status_code == 400
    assert response.json()["message"] == "二维码无效或已被篡改"


def test_a_rejection_needs_a_reason_and_lets_the_resident_apply_again(housed, police):
    resident = housed(days_ago=200, user=True)
    permit_id = api(resident.user).post("/api/v1/permits/", {}).json()["id"]
    assert police.post(f"/api/v1/permits/{permit_id}/reject/", {"reason": ""}).status_code == 400
    rejected = police.post(f"/api/v1/permits/{permit_id}/reject/", {"reason": "居住地址与登记不符"}).json()
    assert rejected["status"] == "rejected" and rejected["reject_reason"] == "居住地址与登记不符"
    assert api(resident.user).post("/api/v1/permits/", {}).status_code == 201
    assert ResidencePermit.objects.filter(resident=resident).count() == 2


def test_registration_time_counts_across_a_move_to_another_block(housed, district):
    from datetime import timedelta

    from django.utils import timezone

    from apartments.factories import RoomFactory
    from residents.models import ResidenceRegistration, Tenancy
    from residents.permits import permit_eligibility
    from residents.registration import registration_confirm, registration_submit
    from residents.tenancies import resident_move

    resident = housed(days_ago=150)
    tenancy = Tenancy.objects.get(resident=resident)
    new = resident_move(
        tenancy=tenancy, room=RoomFactory(apartment=district.other), on=timezone.localdate() - timedelta(days=40)
    )
    assert ResidenceRegistration.objects.get(tenancy=tenancy).status == "deregistering"
    registration_confirm(registration=registration_submit(tenancy=new, by=None), by=None)
    assert permit_eligibility(resident).registered_since == tenancy.check_in
    assert permit_eligibility(resident, today=timezone.localdate() + timedelta(days=40)).eligible


def test_the_qr_page_shows_masked_name_validity_and_status(housed, police, client):
    resident = housed(days_ago=200, user=True)
    permit_id = api(resident.user).post("/api/v1/permits/", {}).json()["id"]
    police.post(f"/api/v1/permits/{permit_id}/issue/")
    url = api(resident.user).get(f"/api/v1/permits/{permit_id}/qr/").json()["verify_url"]
    page = client.get(url.split("127.0.0.1:8000", 1)[-1])
    html = page.content.decode()
    assert page.status_code == 200 and "✔ 有效" in html and resident.name_masked in html
    assert resident.name not in html and resident.id_number not in html
    assert client.get("/permits/verify/forged-token").status_code == 400


def test_the_street_rejects_and_revokes_with_a_reason_in_the_admin(housed, district, client):
    first = housed(days_ago=200, user=True, employer=EnterpriseFactory())
    second = housed(days_ago=200, user=True, employer=EnterpriseFactory())
    rejected_id = api(first.user).post("/api/v1/permits/", {"basis": "job"}).json()["id"]
    issued_id = api(second.user).post("/api/v1/permits/", {"basis": "job"}).json()["id"]
    client.force_login(district.users[Role.STREET_ADMIN])
    url = "/admin/residents/residencepermit/"
    client.post(url, {"action": "issue", "_selected_action": [issued_id]})

    blank = client.post(url, {"action": "revoke_with_reason", "_selected_action": [issued_id], "reason": " "},
                        follow=True)  # fmt: skip
    assert "吊销时请填写原因" in blank.content.decode()
    client.post(url, {"action": "reject_with_reason", "_selected_action": [rejected_id], "reason": "劳动合同缺页"})
    client.post(url, {"action": "revoke_with_reason", "_selected_action": [issued_id], "reason": "已离职"})

    rejected, revoked = ResidencePermit.objects.get(pk=rejected_id), ResidencePermit.objects.get(pk=issued_id)
    assert (rejected.status, rejected.reject_reason) == ("rejected", "劳动合同缺页")
    assert (revoked.status, revoked.revoke_reason) == ("revoked", "已离职")
    token = api(second.user).get(f"/api/v1/permits/{issued_id}/qr/").json()["token"]
    assert api(None).get("/api/v1/permits/verify/", {"token": token}).json()["status"] == "revoked"
