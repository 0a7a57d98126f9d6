"""The phone pages, through Django's test client: tasks, checklist with photos, hazards, coverage, reports."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Role
from apartments.hazards import hazard_create
from apartments.models import Hazard, Inspection, InspectionKind, InspectionPhoto, Outcome

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker_client(client, district, checklists, media):
    client.force_login(district.users[Role.GRID_WORKER])
    return client


def start(client, district, kind="patrol"):
    response = client.post(reverse("inspections:start"), {"apartment": district.mine.pk, "kind": kind})
    assert response.status_code == 302
    return Inspection.objects.latest("pk")


def test_my_tasks_today_lists_the_patrol_of_my_block_only(worker_client):
    body = worker_client.get(reverse("inspections:today")).content.decode()
    assert "我的今日任务" in body and "新华工业园6号公寓" in body and "网格员日常巡查" in body
    assert "华丰工业园9号公寓" not in body
    assert 'name="viewport"' in body


def test_a_patrol_through_the_pages_with_a_failed_item_and_a_photo(worker_client, district, jpeg):
    inspection = start(worker_client, district)
    page = worker_client.get(reverse("inspections:checklist", args=[inspection.pk])).content.decode()
    assert 'capture="environment"' in page and 'accept="image/*"' in page
    results = list(inspection.results.all())
    data = {f"outcome_{r.pk}": Outcome.PASS for r in results}
    data.update({"latitude": "30.330600", "longitude": "120.189600", "accuracy": "15", "action": "sign"})
    data.update({"confirm": "1", f"outcome_{results[1].pk}": Outcome.FAIL, f"note_{results[1].pk}": "电瓶车停在楼道"})
    photo = jpeg()
    from django.core.files.uploadedfile import SimpleUploadedFile

    data[f"photo_{results[1].pk}"] = SimpleUploadedFile("scene.jpg", photo, content_type="image/jpeg")
    data["photo_general"] = SimpleUploadedFile("gate.jpg", jpeg(color=(0, 90, 200)), content_type="image/jpeg")
    response = worker_client.post(reverse("inspections:checklist", args=[inspection.pk]), data, follow=True)
    body = response.content.decode()
    assert "检查已签字提交, 发现 1 处隐患" in body
    inspection.refresh_from_db()
    assert inspection.is_signed and str(inspection.latitude) == "30.330600"
    hazard = Hazard.objects.get()
    assert hazard.photos.count() == 1
    assert inspection.photos.filter(result__isnull=True).count() == 1  # the general photo of the block
    thumb = worker_client.get(reverse("inspections:photo", args=[hazard.photos.get().pk, "thumb"]))
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert "今日检查任务已全部完成" in worker_client.get(reverse("inspections:today")).content.decode()


def test_a_bad_photo_is_refused_but_the_answers_are_kept(worker_client, district):
    from django.core.files.uploadedfile import SimpleUploadedFile

    inspection = start(worker_client, district)
    first = inspection.results.first()
    data = {
        f"outcome_{first.pk}": Outcome.FAIL,
        f"note_{first.pk}": "出口堆满纸箱",
        f"photo_{first.pk}": SimpleUploadedFile("doc.jpg", b"not an image at all", content_type="image/jpeg"),
        "action": "sign",
        "confirm": "1",
    }
    response = worker_client.post(reverse("inspections:checklist", args=[inspection.pk]), data, follow=True)
    body = response.content.decode()
    assert "照片「doc.jpg」未保存: 文件不是有效的图片" in body
    first.refresh_from_db()
    assert first.outcome == Outcome.FAIL and first.note == "出口堆满纸箱"
    assert 'value="出口堆满纸箱"' in body
    inspection.refresh_from_db()
    assert not inspection.is_signed and not InspectionPhoto.objects.exists()


def test_signing_an_incomplete_checklist_says_what_is_missing(worker_client, district):
    inspection = start(worker_client, district)
    response = worker_client.post(
        reverse("inspections:checklist", args=[inspection.pk]), {"action": "sign", "confirm": "1"}, follow=True
    )
    assert "还有 8 项未填写" in response.content.decode()


def test_another_grid_worker_cannot_open_my_inspection_or_photos(worker_client, district, make_user, client):
    inspection = start(worker_client, district)
    stranger = make_user(Role.GRID_WORKER)
    client.force_login(stranger)
    assert client.get(reverse("inspections:checklist", args=[inspection.pk])).status_code == 404
    response = client.post(reverse("inspections:start"), {"apartment": district.mine.pk, "kind": "patrol"})
    assert response.status_code == 404


def test_residents_are_refused_and_anonymous_users_sent_to_log_in(client, district):
    response = client.get(reverse("inspections:today"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(district.users[Role.RESIDENT])
    assert client.get(reverse("inspections:today")).status_code == 403


def test_the_property_manager_rectifies_and_the_grid_worker_closes(client, district, checklists, media, jpeg):
    from django.core.files.uploadedfile import SimpleUploadedFile

    hazard = hazard_create(
        apartment=district.mine,
        kind=InspectionKind.PATROL,
        title="安全出口上锁",
        severity="high",
        created_by=district.users[Role.GRID_WORKER],
    )
    client.force_login(district.users[Role.PROPERTY_MANAGER])
    assert "安全出口上锁" in client.get(reverse("inspections:today")).content.decode()  # 待我整改
    url = reverse("inspections:hazard", args=[hazard.pk])
    response = client.post(
        url,
        {
            "action": "rectify",
            "description": "已拆除门锁, 改为推闩",
            "photos": SimpleUploadedFile("after.jpg", jpeg(), content_type="image/jpeg"),
        },
        follow=True,
    )
    assert "整改情况已提交, 等待复查" in response.content.decode()
    client.force_login(district.users[Role.GRID_WORKER])
    assert "待我复查" in client.get(reverse("inspections:today")).content.decode()
    response = client.post(url, {"action": "close", "note": "现场复查合格"}, follow=True)
    body = response.content.decode()
    assert "复查通过, 隐患已销号" in body and "已销号" in body
    hazard.refresh_from_db()
    assert hazard.status == Hazard.Status.CLOSED


def test_hazard_tabs_coverage_and_report_pages_answer_in_chinese(client, district, checklists):
    client.force_login(district.users[Role.STREET_ADMIN])
    hazard_create(apartment=district.other, kind="fire", title="灭火器过期", created_by=None)
    assert "灭火器过期" in client.get(reverse("inspections:hazards")).content.decode()
    body = client.get(reverse("inspections:coverage")).content.decode()
    assert "华丰工业园9号公寓" in body and "从未检查" in body
    body = client.get(reverse("inspections:report")).content.decode()
    assert "巡查检查月报" in body
    xlsx = client.get(reverse("inspections:report") + "?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    pdf = client.get(reverse("inspections:report") + "?format=pdf")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    bad = client.get(reverse("inspections:report") + "?month=May", follow=True)
    assert "月份格式应为 2026-05" in bad.content.decode()


def test_the_street_edits_checklists_in_the_admin_and_each_role_sees_its_own_hazards(client, district, checklists):
    from apartments.models import ChecklistTemplate

    hazard_create(apartment=district.mine, kind="patrol", title="楼道堆物", created_by=None)
    hazard_create(apartment=district.other, kind="fire", title="灭火器过期", created_by=None)
    client.force_login(district.users[Role.STREET_ADMIN])
    template = ChecklistTemplate.objects.get(kind="patrol")
    page = client.get(reverse("admin:apartments_checklisttemplate_change", args=[template.pk]))
    assert page.status_code == 200 and "消防通道、楼梯间、安全出口畅通" in page.content.decode()
    body = client.get(reverse("admin:apartments_hazard_changelist")).content.decode()
    assert "楼道堆物" in body and "灭火器过期" in body

    client.force_login(district.users[Role.GRID_WORKER])
    body = client.get(reverse("admin:apartments_hazard_changelist")).content.decode()
    assert "楼道堆物" in body and "灭火器过期" not in body
    assert client.get(reverse("admin:apartments_checklisttemplate_change", args=[template.pk])).status_code == 200
    response = client.post(reverse("admin:apartments_checklisttemplate_change", args=[template.pk]), {"name": "x"})
    assert response.status_code == 403

    client.force_login(district.users[Role.INSPECTOR])  # fire department
    body = client.get(reverse("admin:apartments_hazard_changelist")).content.decode()
    assert "灭火器过期" in body and "楼道堆物" not in body
