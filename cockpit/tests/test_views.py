"""Who may open the cockpit, what its pages and API answer, and the weekly reports."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Role
from cockpit.tests.factories import populate
from conftest import assert_cjk_font_embedded, screenshot_dir


def test_the_street_admin_opens_the_big_screen_with_its_figures_embedded(client, figures):
    client.force_login(figures.users[Role.STREET_ADMIN])
    response = client.get("/cockpit/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "流动人口公寓数字驾驶舱" in html
    assert 'id="overview-data"' in html
    assert f'data-block="{figures.mine.pk}"' in html and f'data-block="{figures.other.pk}"' in html
    assert "/static/vendor/echarts/echarts.common.min.js" in html
    assert "cdn" not in html.lower()


def test_a_fire_station_operator_sees_only_the_blocks_of_its_area(client, figures):
    client.force_login(figures.users[Role.STATION_OPERATOR])
    html = client.get("/cockpit/").content.decode()
    assert f'data-block="{figures.mine.pk}"' in html
    assert f'data-block="{figures.other.pk}"' not in html
    assert client.get(f"/cockpit/blocks/{figures.other.pk}/").status_code == 404
    assert client.get(f"/api/v1/cockpit/blocks/{figures.other.pk}").status_code == 404


@pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.PROPERTY_MANAGER, Role.INSPECTOR, Role.RESIDENT])
def test_other_roles_are_refused_in_plain_chinese(client, figures, role):
    client.force_login(figures.users[role])
    response = client.get("/cockpit/")
    assert response.status_code == 403
    assert "无权访问数字驾驶舱" in response.content.decode()
    api = client.get("/api/v1/cockpit/overview")
    assert api.status_code == 403
    assert api.json()["message"] == "您的角色无权执行此操作"


def test_an_anonymous_visitor_is_sent_to_log_in(client, figures):
    response = client.get("/cockpit/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_overview_api_answers_figures(client, figures):
    client.force_login(figures.users[Role.STREET_ADMIN])
    body = client.get("/api/v1/cockpit/overview").json()
    assert body["headline"]["residents"] == 5
    assert body["headline"]["devices"] == 4
    assert {p["title"] for p in body["key_work"]} == {"人员信息", "案件防范", "消防安全", "疫情防控", "垃圾分类"}
    assert body["top_risks"][0]["name"] == "华丰工业园9号公寓"


def test_the_drill_down_shows_floors_rooms_and_devices_of_a_block(client, figures):
    client.force_login(figures.users[Role.STREET_ADMIN])
    body = client.get(f"/api/v1/cockpit/blocks/{figures.mine.pk}").json()
    assert body["apartment"]["name"] == "新华工业园6号公寓"
    assert body["figures"]["residents"] == 3
    rooms = [r for f in body["floors"] for r in f["rooms"]]
    assert sum(r["occupants"] for r in rooms) == 3
    devices = [d for f in body["floors"] for d in f["devices"]] + body["building_devices"]
    assert len(devices) == 2 and all(d["online"] for d in devices)
    page = client.get(f"/cockpit/blocks/{figures.mine.pk}/?embed=1")
    assert page.status_code == 200
    assert "一键指挥" in page.content.decode()


def test_an_unknown_block_answers_a_clear_404(client, figures):
    client.force_login(figures.users[Role.STREET_ADMIN])
    response = client.get("/api/v1/cockpit/blocks/999999")
    assert response.status_code == 404
    assert response.json()["message"] == "没有这个公寓，或不在您的辖区内"


def test_the_weekly_report_comes_as_a_pdf(client, figures):
    client.force_login(figures.users[Role.STREET_ADMIN])
    response = client.get("/cockpit/reports/weekly.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert_cjk_font_embedded(response.content)


def test_the_weekly_report_of_a_block_comes_as_a_spreadsheet_with_a_chart(client, figures):
    client.force_login(figures.users[Role.STREET_ADMIN])
    response = client.get(f"/cockpit/reports/weekly.xlsx?block={figures.mine.pk}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["总体情况", "每日走势", "报警分类", "重点处置", "环比", "各公寓报警"]
    assert "新华工业园6号公寓" in book["总体情况"]["A1"].value
    summary = {row[0]: row[1] for row in book["总体情况"].iter_rows(min_row=5, values_only=True)}
    assert summary["在住人数"] == 3
    days = list(book["每日走势"].iter_rows(min_row=2, values_only=True))
    assert len(days) == 7 and sum(row[2] for row in days) == 3
    assert len(book["每日走势"]._charts) == 1


def test_a_station_operator_cannot_download_another_areas_report(client, figures):
    client.force_login(figures.users[Role.STATION_OPERATOR])
    assert client.get(f"/cockpit/reports/weekly.pdf?block={figures.other.pk}").status_code == 404
    assert client.get("/cockpit/reports/weekly.pdf?block=abc").status_code == 404


def test_a_report_counts_what_happened_since_the_last_refresh(client, figures):
    populate(figures.mine, residents=4, devices=0, online=0, check_in=timezone.localdate())  # after the refresh
    client.force_login(figures.users[Role.STREET_ADMIN])
    response = client.get(f"/cockpit/reports/weekly.xlsx?block={figures.mine.pk}")
    book = load_workbook(io.BytesIO(response.content))
    summary = {row[0]: row[1] for row in book["总体情况"].iter_rows(min_row=5, values_only=True)}
    assert summary["在住人数"] == 7
    days = list(book["每日走势"].iter_rows(min_row=2, values_only=True))
    assert sum(row[2] for row in days) == 7  # check-ins of the week, today's four included


def test_the_weekly_report_compares_writes_a_summary_and_lists_each_blocks_alarms(client, figures):
    from alerts.factories import raise_alarm
    from alerts.models import AlertRule
    from sensors.models import DeviceType

    rule = AlertRule.objects.create(code="t_wire", name="线缆温度过高", severity="critical",
                                    device_type=DeviceType.objects.get(code="smart_electricity"))  # fmt: skip
    device = figures.mine.devices.first()
    raise_alarm(rule_id=rule.pk, device_id=device.pk, apartment_id=figures.mine.pk, severity="critical",
                title="线缆温度过高 95°C", metric="wire_temp", unit="°C", value=95.0, at=timezone.now(),
                reopen_after=0)  # fmt: skip
    client.force_login(figures.users[Role.STREET_ADMIN])
    from cockpit.reports import weekly_data

    data = weekly_data(figures.users[Role.STREET_ADMIN], apartment=None, end=timezone.localdate())
    alarms = next(c for c in data["compare"] if c["key"] == "alarms")
    assert alarms["this"] == 1 and alarms["last"] == 0 and alarms["change"] == "新增"
    assert data["written"].startswith("本周共发生报警1起，比上周多1起")
    assert "仍有1起报警未处置" in data["written"]
    assert data["block_alarms"][0]["name"] == "新华工业园6号公寓"
    assert data["block_alarms"][0]["alarms"][0]["title"] == "线缆温度过高 95°C"

    pdf = client.get("/cockpit/reports/weekly.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    (screenshot_dir() / "cockpit-weekly.pdf").write_bytes(pdf.content)
    book = load_workbook(io.BytesIO(client.get("/cockpit/reports/weekly.xlsx").content))
    rows = list(book["各公寓报警"].iter_rows(min_row=2, values_only=True))
    assert rows[0][1] == "新华工业园6号公寓" and rows[0][3] == "线缆温度过高 95°C"
    compare = {r[0]: r for r in book["环比"].iter_rows(min_row=2, values_only=True) if r and r[0]}
    assert compare["报警"][1:4] == (1, 0, "新增")
