"""The inspection pages in English for a phone that asks for it (or a worker who switched), Chinese by default."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from accounts.models import Role
from apartments.hazards import hazard_create
from apartments.models import Inspection
from tests.untranslated import ROOT, catalog_problems, found, untranslated_in_script, untranslated_in_template

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def worker_client(client, district, checklists, media):
    client.force_login(district.users[Role.GRID_WORKER])
    return client


def test_it_shows_my_tasks_in_chinese_by_default_with_a_switch_to_english(worker_client):
    body = worker_client.get(reverse("inspections:today")).content.decode()
    assert '<html lang="zh-hans">' in body
    assert "我的今日任务" in body and "开始检查" in body and "今日任务" in body
    assert '<button type="submit" name="language" value="en" lang="en">English</button>' in body


def test_it_shows_my_tasks_in_english_to_a_phone_that_asks_for_english(worker_client):
    body = worker_client.get(reverse("inspections:today"), **EN).content.decode()
    assert '<html lang="en">' in body
    assert "<h1>My tasks today</h1>" in body
    assert "To inspect today" in body and "Inspect another block" in body and ">Start</button>" in body
    assert "Grid worker&#x27;s daily patrol" in body  # the inspection kind, from the model's choices
    assert "我的今日任务" not in body and "开始检查" not in body
    assert 'value="zh-hans" lang="zh-hans">中文</button>' in body
    # the page's script takes its words from the JavaScript catalog, loaded before it
    assert body.index(reverse("javascript-catalog")) < body.index("inspections/inspections.js")


def test_the_switch_keeps_english_for_the_next_pages(worker_client):
    response = worker_client.post(reverse("set_language"), {"language": "en", "next": reverse("inspections:today")})
    assert response.status_code == 302
    assert "<h1>My tasks today</h1>" in worker_client.get(reverse("inspections:today")).content.decode()


def test_a_patrol_checklist_and_its_messages_in_english(worker_client, district):
    worker_client.post(reverse("inspections:start"), {"apartment": district.mine.pk, "kind": "patrol"}, **EN)
    inspection = Inspection.objects.get()
    url = reverse("inspections:checklist", args=[inspection.pk])
    body = worker_client.get(url, **EN).content.decode()
    assert "Sign and submit" in body and "Save draft" in body and "I confirm the above is true" in body
    assert "<span>Pass</span>" in body and "<span>Fail</span>" in body and "<span>N/A</span>" in body
    assert 'Answered <b id="answered">0</b> of 8' in body
    response = worker_client.post(url, {"action": "sign"}, follow=True, **EN)
    assert "Tick “I confirm the above is true” before signing" in response.content.decode()


def test_hazards_coverage_and_report_in_english(worker_client, district):
    hazard = hazard_create(apartment=district.mine, kind="patrol", title="楼道堆物", created_by=None)
    body = worker_client.get(reverse("inspections:hazards"), **EN).content.decode()
    assert "<h1>Hazards and fixes</h1>" in body and ">To fix" in body and "楼道堆物" in body
    body = worker_client.get(reverse("inspections:hazard", args=[hazard.pk]), **EN).content.decode()
    assert "<dt>Fix by</dt>" in body and "<h2>History</h2>" in body and "Hazard found" in body
    body = worker_client.get(reverse("inspections:coverage"), **EN).content.decode()
    assert "<h1>Patrol coverage</h1>" in body and "inspections missing" in body
    body = worker_client.get(reverse("inspections:report"), **EN).content.decode()
    assert "Inspection report " in body and "<th>Pass rate</th>" in body and "巡查检查月报" not in body


def test_the_monthly_spreadsheet_follows_the_language(worker_client):
    from openpyxl import load_workbook

    english = load_workbook(io.BytesIO(worker_client.get(reverse("inspections:report") + "?format=xlsx", **EN).content))
    assert english.sheetnames == ["Summary", "By grid", "By block", "Hazards"]
    chinese = load_workbook(io.BytesIO(worker_client.get(reverse("inspections:report") + "?format=xlsx").content))
    assert chinese.sheetnames == ["汇总", "按网格", "按公寓", "隐患清单"]


def test_the_javascript_catalog_has_the_photo_count_in_english(client):
    body = client.get(reverse("javascript-catalog"), **EN).content.decode()
    assert "photos selected, uploaded when you save" in body


def test_it_leaves_no_chinese_untranslated_in_the_inspection_pages():
    templates = found(ROOT / "templates" / "inspections", "*.html")
    assert {path.name: untranslated_in_template(path) for path in templates} == {path.name: [] for path in templates}
    assert untranslated_in_script(ROOT / "static" / "inspections" / "inspections.js") == []
    for po in found(ROOT / "apartments" / "locale" / "en" / "LC_MESSAGES", "*.po"):
        assert catalog_problems(po) == [], po.name
