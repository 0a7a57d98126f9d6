"""The inspection API: start, answer, photo, sign; hazards rectified and reviewed; coverage; errors in one shape."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role
from apartments.models import Hazard

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"v1:apartments:{name}", args=args)


def test_a_patrol_and_its_hazard_through_the_api(client, district, checklists, media, jpeg):
    worker, manager = district.users[Role.GRID_WORKER], district.users[Role.PROPERTY_MANAGER]
    client.force_login(worker)
    templates = client.get(url("inspection-template-list"), {"kind": "patrol"}).json()
    assert templates[0]["name"] == "网格员日常巡查表" and len(templates[0]["items"]) == 8

    started = client.post(
        url("inspection-list"),
        {"apartment": district.mine.pk, "kind": "patrol", "latitude": "30.3306", "longitude": "120.1896"},
        content_type="application/json",
    )
    assert started.status_code == 201, started.content
    inspection = started.json()
    results = inspection["results"]
    answers = [{"result": r["id"], "outcome": "pass"} for r in results]
    answers[0] = {"result": results[0]["id"], "outcome": "fail", "note": "安全出口被锁", "severity": "high"}
    response = client.post(
        url("inspection-answers", inspection["id"]), {"answers": answers}, content_type="application/json"
    )
    assert response.status_code == 200
    photo = client.post(
        url("inspection-photos", inspection["id"]),
        {"file": SimpleUploadedFile("exit.jpg", jpeg()), "result": results[0]["id"]},
    )
    assert photo.status_code == 201 and photo.json()["thumbnail_url"].endswith("/thumb/")
    signed = client.post(url("inspection-sign", inspection["id"]), {"summary": "ok"}, content_type="application/json")
    assert signed.status_code == 200
    body = signed.json()
    assert body["status"] == "signed" and len(body["new_hazards"]) == 1
    hazard_id = body["new_hazards"][0]

    client.force_login(manager)
    listed = client.get(url("hazard-list")).json()
    assert [h["id"] for h in listed["results"]] == [hazard_id]
    assert listed["results"][0]["responsible_party"] == district.mine.property_company.name
    rectified = client.post(
        url("hazard-rectify", hazard_id),
        {"description": "已拆锁", "photos": [SimpleUploadedFile("after.jpg", jpeg())]},
    )
    assert rectified.status_code == 200 and rectified.json()["status"] == "submitted"

    client.force_login(worker)
    closed = client.post(url("hazard-review", hazard_id), {"accept": True}, content_type="application/json")
    assert closed.status_code == 200
    detail = closed.json()
    assert detail["status"] == "closed"
    assert [e["action"] for e in detail["events"]] == ["created", "rectified", "closed"]
    assert len(detail["photos"]) == 1 and len(detail["rectifications"][0]["photos"]) == 1


def test_the_api_refuses_with_clear_messages(client, district, checklists, media):
    worker = district.users[Role.GRID_WORKER]
    client.force_login(worker)
    other = client.post(
        url("inspection-list"), {"apartment": district.other.pk, "kind": "patrol"}, content_type="application/json"
    )
    assert other.status_code == 404
    fire = client.post(
        url("inspection-list"), {"apartment": district.mine.pk, "kind": "fire"}, content_type="application/json"
    )
    assert fire.status_code == 403 and fire.json()["message"] == "您无权对该公寓开展此类检查"
    inspection = client.post(
        url("inspection-list"), {"apartment": district.mine.pk, "kind": "patrol"}, content_type="application/json"
    ).json()
    bad = client.post(url("inspection-photos", inspection["id"]), {"file": SimpleUploadedFile("x.jpg", b"GIF89a?")})
    assert bad.status_code == 400 and bad.json() == {"code": "bad_image", "message": "文件不是有效的图片", "errors": {}}
    early = client.post(url("inspection-sign", inspection["id"]), {}, content_type="application/json")
    assert early.status_code == 400 and early.json()["message"].startswith("还有 8 项未填写")
    wrong = client.post(
        url("inspection-answers", inspection["id"]),
        {"answers": [{"result": inspection["results"][0]["id"], "outcome": "maybe"}]},
        content_type="application/json",
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid"
    client.force_login(district.users[Role.RESIDENT])
    assert client.get(url("hazard-list")).status_code == 403


def test_overdue_filter_and_coverage(client, district, checklists):
    from datetime import timedelta

    from django.utils import timezone

    from apartments.hazards import hazard_create

    late = hazard_create(apartment=district.mine, kind="patrol", title="逾期隐患", created_by=None)
    Hazard.objects.filter(pk=late.pk).update(deadline=timezone.localdate() - timedelta(days=2))
    hazard_create(apartment=district.mine, kind="patrol", title="未到期", created_by=None)
    client.force_login(district.users[Role.STREET_ADMIN])
    overdue = client.get(url("hazard-list"), {"overdue": "true"}).json()["results"]
    assert [h["title"] for h in overdue] == ["逾期隐患"] and overdue[0]["overdue"] is True
    coverage = client.get(url("inspection-coverage"), {"date": "2026-05-20"}).json()
    assert coverage["date"] == "2026-05-20" and coverage["count"] == 4
    assert client.get(url("inspection-coverage"), {"date": "20/05"}).json()["message"] == "日期格式应为 2026-05-20"
    client.force_login(district.users[Role.GRID_WORKER])
    mine = client.get(url("inspection-coverage")).json()
    assert {m["apartment_name"] for m in mine["missing"]} == {"新华工业园6号公寓"}
