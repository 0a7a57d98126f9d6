"""The residents pages, API errors and door messages in English for who asks for it; Chinese by default."""

from __future__ import annotations

import pytest

from accounts.models import Department, Role
from residents import doors
from residents.factories import ResidentFactory
from residents.models import Tenancy
from residents.tests.conftest import admin_as, api
from tests.untranslated import ROOT, catalog_problems, found, untranslated_in_template

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def police(make_user):
    return api(make_user(role=Role.INSPECTOR, department=Department.POLICE))


def test_a_registration_returned_without_a_reason_is_refused_in_the_managers_language(housed, district):
    resident = housed(registered=False, days_ago=1, user=True)
    reg_id = api(resident.user).post("/api/v1/registrations/", {"purpose": "work"}).json()["id"]
    manager = api(district.users[Role.PROPERTY_MANAGER])
    english = manager.post(f"/api/v1/registrations/{reg_id}/return/", {"reason": " "}, **EN)
    assert english.status_code == 400
    assert english.json()["message"] == "This field may not be blank."
    assert english.json()["errors"] == {"reason": ["This field may not be blank."]}
    chinese = manager.post(f"/api/v1/registrations/{reg_id}/return/", {"reason": " "})
    assert chinese.json()["message"] == "该字段不能为空。"


def test_a_resident_without_a_tenancy_is_told_why_in_english(make_user):
    resident = ResidentFactory(user=make_user(role=Role.RESIDENT))
    response = api(resident.user).post("/api/v1/registrations/", {"purpose": "work"}, **EN)
    assert response.status_code == 400
    assert response.json()["message"] == "No current tenancy; the block must check you in first"


def test_the_permit_eligibility_reasons_come_in_english(housed):
    resident = housed(registered=False, days_ago=1, user=True)
    body = api(resident.user).get("/api/v1/permits/eligibility/", **EN).json()
    assert body["eligible"] is False and "No confirmed residence registration yet" in body["reasons"]


def test_the_door_screen_speaks_the_terminals_language(door):
    client = door.client()
    english = client.post("/api/v1/doors/entry/", {"method": "card", "credential": "99999999"}, format="json", **EN)
    assert english.json()["message"] == "Card not registered or cancelled"
    chinese = client.post("/api/v1/doors/entry/", {"method": "card", "credential": "99999999"}, format="json")
    assert chinese.json()["message"] == "门禁卡未登记或已注销"


def test_the_face_consent_text_is_shown_and_kept_in_the_residents_language(housed):
    resident = housed(user=True)
    body = api(resident.user).get("/api/v1/me/face/", **EN).json()
    assert body["consent_text"].startswith("Separate consent to face recognition\n")
    granted = api(resident.user).post(
        "/api/v1/me/face/consent/", {"purpose_version": body["consent_version"]}, format="json", **EN
    )
    assert granted.status_code == 201
    assert resident.face_consents.get().purpose_text == body["consent_text"]


def test_the_permit_verification_page_in_english_and_chinese(housed, police, client):
    resident = housed(days_ago=200, user=True)
    permit_id = api(resident.user).post("/api/v1/permits/", {}).json()["id"]
    police.post(f"/api/v1/permits/{permit_id}/issue/")
    url = api(resident.user).get(f"/api/v1/permits/{permit_id}/qr/").json()["verify_url"].split("127.0.0.1:8000")[-1]
    html = client.get(url, **EN).content.decode()
    assert '<html lang="en">' in html and "Zhejiang e-residence permit · Check" in html
    assert "✔ Valid" in html and "<dt>Holder</dt>" in html and resident.name_masked in html
    assert 'value="zh-hans" lang="zh-hans">中文</button>' in html
    html = client.get(url).content.decode()
    assert "浙江省电子居住证 · 核验" in html and "✔ 有效" in html and ">English</button>" in html


def test_a_bad_or_unknown_permit_code_says_so_in_english(client):
    from django.core import signing

    from residents.permits import TOKEN_SALT

    forged = client.get("/permits/verify/forged-token", **EN)
    assert forged.status_code == 400 and "The QR code is invalid or has been tampered with" in forged.content.decode()
    unknown = client.get(f"/permits/verify/{signing.dumps({'n': '0'}, salt=TOKEN_SALT)}", **EN)
    assert unknown.status_code == 404 and "No such permit" in unknown.content.decode()


def test_the_gap_list_and_the_resident_list_in_english(housed, district, door, client):
    gone = housed(days_ago=90)
    admin_as(client, district.users[Role.PROPERTY_MANAGER])
    assert "Today's checks</a>" in client.get("/admin/residents/resident/", **EN).content.decode()
    html = client.get("/admin/residents/resident/gaps/", **EN).content.decode()
    assert "Registered but no door record for 30 days (probably moved out)" in html
    assert "Residence registration overdue" in html and ">Check out</button>" in html and gone.name_masked in html
    assert "今日核查清单" not in html and "一键退房" not in html
    assert 'value="zh-hans" lang="zh-hans">中文</button>' in html  # the switch, in the admin's user links
    assert "e-Zhiban · Shiqiao sub-district migrant apartment management" in html  # the admin site's header
    tenancy = Tenancy.objects.get(resident=gone)
    done = client.post("/admin/residents/resident/gaps/", {"check_out": tenancy.pk}, follow=True, **EN)
    assert "checked out; the residence registration is now being deregistered" in done.content.decode()


def test_the_admin_actions_and_their_messages_in_english(housed, district, client):
    resident = housed(registered=False, days_ago=1, user=True)
    reg_id = api(resident.user).post("/api/v1/registrations/", {"purpose": "work"}).json()["id"]
    client.force_login(district.users[Role.PROPERTY_MANAGER])
    url = "/admin/residents/residenceregistration/"
    assert "Send back for correction (give a reason)" in client.get(url, **EN).content.decode()
    form = {"action": "return_with_reason", "_selected_action": [reg_id]}
    blank = client.post(url, {**form, "reason": ""}, follow=True, **EN)
    assert "Give a reason to send it back" in blank.content.decode()
    done = client.post(url, {**form, "reason": "wrong room number"}, follow=True, **EN)
    assert "Sent back 1 registration" in done.content.decode()


def test_the_elevator_lists_the_floors_in_english(housed, elevator):
    resident = housed(floor=5)
    doors.credential_issue_card(resident=resident, card_number="LIFT5555")
    body = elevator.client().post(
        "/api/v1/elevators/entry/", {"method": "card", "credential": "LIFT5555"}, format="json", **EN
    )
    assert body.json()["message"] == "You may go to: floor 1, floor 5"


def test_it_leaves_no_chinese_untranslated_in_the_residents_pages():
    templates = found(ROOT / "templates" / "residents", "*.html")
    assert {path.name: untranslated_in_template(path) for path in templates} == {path.name: [] for path in templates}
    assert catalog_problems(ROOT / "residents" / "locale" / "en" / "LC_MESSAGES" / "django.po") == []
