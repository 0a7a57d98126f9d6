"""找医生, 社保/入学/法律援助, 便民: each module's data, requests and who may see what."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from accounts.models import Role
from residents.factories import ResidentFactory, TenancyFactory
from services.factories import ArticleFactory, ClinicFactory
from services.models import ClinicDepartment, GarbageItem, Notice, ServiceRequest
from services.tests.conftest import jpeg

pytestmark = pytest.mark.django_db


def test_clinics_come_nearest_first_with_their_distance(client_for):
    far = ClinicFactory(name="远", latitude=Decimal("30.400000"), longitude=Decimal("120.250000"))
    near = ClinicFactory(name="近", latitude=Decimal("30.331000"), longitude=Decimal("120.190000"))
    rows = client_for().get("/api/v1/clinics/?lat=30.3306&lon=120.1896").json()
    assert [r["id"] for r in rows] == [near.pk, far.pk]
    assert 40 <= rows[0]["distance_m"] <= 80 and rows[1]["distance_m"] > 5000
    assert client_for().get("/api/v1/clinics/?lat=abc&lon=1").status_code == 400
    ClinicDepartment.objects.create(clinic=near, name="全科")
    assert client_for().get(f"/api/v1/clinics/{near.pk}/").json()["departments"][0]["name"] == "全科"
    assert [r["id"] for r in client_for().get("/api/v1/clinics/?search=全科").json()] == [near.pk]


def test_a_resident_requests_and_cancels_an_appointment(district, client_for):
    clinic = ClinicFactory()
    department = ClinicDepartment.objects.create(clinic=clinic, name="口腔科")
    resident = client_for(district.users[Role.RESIDENT])
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    body = {"department": department.pk, "phone": "19900000003", "date": tomorrow, "period": "am", "name": "赵六"}
    made = resident.post(f"/api/v1/clinics/{clinic.pk}/appointments/", body, format="json")
    assert made.status_code == 201 and made.json()["department_name"] == "口腔科"
    cancelled = resident.post(f"/api/v1/my/appointments/{made.json()['id']}/cancel/")
    assert cancelled.json()["status"] == "cancelled"
    past = resident.post(f"/api/v1/clinics/{clinic.pk}/appointments/", {**body, "date": "2020-01-01"}, format="json")
    assert past.status_code == 400 and past.json()["code"] == "date_in_past"
    bad = resident.post(f"/api/v1/clinics/{clinic.pk}/appointments/", {**body, "period": "night"}, format="json")
    assert bad.status_code == 400 and "period" in bad.json()["errors"]


def test_guides_offer_a_request_that_the_resident_tracks_and_the_street_handles(district, client_for):
    article = ArticleFactory()
    ArticleFactory(module="schooling", title="入学", request_kind="", is_published=False)
    public = client_for()
    assert [a["id"] for a in public.get("/api/v1/guides/?module=legal_aid").json()] == [article.pk]
    assert public.get(f"/api/v1/guides/{article.pk}/").json()["documents"] == ["身份证", "劳动合同"]
    resident = client_for(district.users[Role.RESIDENT])
    made = resident.post(
        "/api/v1/my/service-requests/",
        {
            "article": article.pk,
            "phone": "19900000004",
            "name": "孙七",
            "details": "老板欠三个月工资",
            "provided": ["身份证"],
            "photos": [jpeg()],
        },
        format="multipart",
    )
    assert made.status_code == 201, made.json()
    row = made.json()
    assert row["documents"] == [{"name": "身份证", "provided": True}, {"name": "劳动合同", "provided": False}]
    assert row["reference"].startswith("SQ") and row["phone"] == "199****0004"
    street = client_for(district.users[Role.STREET_ADMIN])
    need_more = street.post(
        f"/api/v1/manage/service-requests/{row['id']}/handle/", {"status": "need_more"}, format="json"
    )
    assert need_more.status_code == 400 and need_more.json()["code"] == "note_required"
    street.post(
        f"/api/v1/manage/service-requests/{row['id']}/handle/",
        {"status": "need_more", "reply": "请补劳动合同"},
        format="json",
    )
    assert resident.get(f"/api/v1/my/service-requests/{row['id']}/").json()["staff_note"] == "请补劳动合同"
    assert client_for(district.users[Role.PROPERTY_MANAGER]).get("/api/v1/manage/service-requests/").status_code == 403
    unknown = resident.post(
        "/api/v1/my/service-requests/",
        {"article": article.pk, "phone": "19900000004", "name": "孙七", "details": "x", "provided": ["护照"]},
        format="json",
    )
    assert unknown.status_code == 400 and ServiceRequest.objects.count() == 1


def test_notices_show_the_district_and_the_residents_own_block(district, client_for):
    Notice.objects.create(title="全街道通知", body="...")
    Notice.objects.create(apartment=district.mine, title="6号公寓停水", body="...")
    Notice.objects.create(apartment=district.other, title="9号公寓消防演练", body="...")
    assert [n["title"] for n in client_for().get("/api/v1/notices/").json()] == ["全街道通知"]
    resident = ResidentFactory(user=district.users[Role.RESIDENT])
    TenancyFactory(resident=resident, room=district.mine.rooms.first())
    titles = {n["title"] for n in client_for(district.users[Role.RESIDENT]).get("/api/v1/notices/").json()}
    assert titles == {"全街道通知", "6号公寓停水"}


def test_repairs_go_to_the_blocks_manager_and_back(district, client_for):
    resident_user = district.users[Role.RESIDENT]
    resident = client_for(resident_user)
    body = {"category": "electric", "description": "插座冒火花", "phone": "19900000005"}
    refused = resident.post("/api/v1/my/repairs/", body, format="multipart")
    assert refused.status_code == 409 and refused.json()["code"] == "no_tenancy"
    TenancyFactory(resident=ResidentFactory(user=resident_user), room=district.mine.rooms.first())
    made = resident.post("/api/v1/my/repairs/", {**body, "photos": [jpeg()]}, format="multipart")
    assert made.status_code == 201 and made.json()["apartment_name"] == district.mine.name
    manager = client_for(district.users[Role.PROPERTY_MANAGER])
    rows = manager.get("/api/v1/manage/repairs/").json()["results"]
    assert [r["id"] for r in rows] == [made.json()["id"]] and rows[0]["photos"]
    done = manager.post(
        f"/api/v1/manage/repairs/{rows[0]['id']}/progress/", {"status": "done", "reply": "已更换插座"}, format="json"
    )
    assert done.json()["status_label"] == "已修好" and done.json()["resolved_at"]
    assert client_for(district.users[Role.GRID_WORKER]).get("/api/v1/manage/repairs/").status_code == 403


def test_the_garbage_guide_answers_which_bin(client_for):
    GarbageItem.objects.create(name="废电池", category="hazardous")
    GarbageItem.objects.create(name="果皮", category="kitchen")
    rows = client_for().get("/api/v1/garbage-items/?search=电池").json()
    assert rows == [
        {"id": rows[0]["id"], "name": "废电池", "category": "hazardous", "category_label": "有害垃圾", "tip": ""}
    ]


def test_the_schema_documents_every_endpoint_and_the_docs_page_serves_without_a_cdn(client):
    schema = client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for path in [
        "/api/v1/auth/wechat/",
        "/api/v1/jobs/",
        "/api/v1/rentals/",
        "/api/v1/my/feedback/",
        "/api/v1/clinics/",
    ]:
        assert path in paths, path
    assert paths["/api/v1/auth/wechat/"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower() and b"swagger-ui" in docs.content


def test_errors_answer_in_english_when_asked(client_for):
    response = client_for().get("/api/v1/clinics/?lat=x&lon=1", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {"code": "invalid_position", "message": "Give both lat and lon, as numbers", "errors": {}}
    missing = client_for().get("/api/v1/jobs/999999/", HTTP_ACCEPT_LANGUAGE="en")
    assert missing.status_code == 404 and missing.json()["message"] == "Not found"
    assert client_for().get("/api/v1/jobs/999999/").json()["message"] == "未找到"
