"""The cockpit in English when asked, Chinese by default: pages, the screen's figures, the weekly report."""

from __future__ import annotations

import io
import re

import pytest
from django.conf import settings
from django.utils import translation
from openpyxl import load_workbook

from accounts.models import Role

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    """A request in English leaves English active in this thread; the next test expects the default."""
    yield
    translation.deactivate()


def fixed_text(html: str) -> str:
    """The page without its data: the embedded figures, the plan (block names), the district's name, the brand."""
    html = re.sub(r'<script id="(overview|detail)-data".*?</script>', "", html, flags=re.S)
    html = re.sub(r"<svg .*?</svg>", "", html, flags=re.S)
    return html.replace(settings.DEMO_SUB_DISTRICT, "").replace("e智办", "").replace(">中文<", "><")


def test_the_big_screen_speaks_english_to_a_browser_that_asks_for_it(client, figures):
    client.force_login(figures.users[Role.STREET_ADMIN])
    html = client.get("/cockpit/", **EN).content.decode()

    assert '<html lang="en">' in html
    assert f"<h1>{settings.DEMO_SUB_DISTRICT} · Migrant Housing Digital Cockpit</h1>" in html
    for text in ("Key figures", "Live alarms", "No open alarms", "Turn alarm sound on", "Blocks to act on this week"):
        assert text in html
    assert 'aria-label="Map of the blocks in the area"' in html and ">500 m<" in html
    assert not CHINESE.findall(fixed_text(html))
    assert html.index('src="/jsi18n/"') < html.index("cockpit/screen.js")
    assert 'name="language" value="zh-hans"' in html


def test_the_big_screen_stays_chinese_by_default(client, figures):
    client.force_login(figures.users[Role.STREET_ADMIN])
    html = client.get("/cockpit/").content.decode()
    assert '<html lang="zh-hans">' in html and "核心指标" in html and "Key figures" not in html
    assert 'name="language" value="en"' in html


def test_the_figures_come_in_the_viewers_language(client, figures):
    client.force_login(figures.users[Role.STREET_ADMIN])
    body = client.get("/api/v1/cockpit/overview", **EN).json()

    assert {p["title"] for p in body["key_work"]} == {
        "Residents",
        "Crime prevention",
        "Fire safety",
        "Epidemic prevention",
        "Waste sorting",
    }
    other = next(b for b in body["blocks"] if b["id"] == figures.other.pk)
    assert other["state_label"] == "Device offline"
    assert "2 devices offline" in other["risk_reasons"]
    fire = next(p for p in body["key_work"] if p["key"] == "fire_safety")
    assert fire["to_act"][0]["detail"] == "2 devices offline"
    # The same figures read in Chinese by the next viewer.
    chinese = client.get("/api/v1/cockpit/overview").json()
    assert "2台设备离线" in next(b for b in chinese["blocks"] if b["id"] == figures.other.pk)["risk_reasons"]


def test_the_drill_down_and_the_refusal_speak_english(client, figures):
    client.force_login(figures.users[Role.STREET_ADMIN])
    html = client.get(f"/cockpit/blocks/{figures.mine.pk}/", **EN).content.decode()
    assert "One-click command" in html and "Floors, rooms and devices" in html and "Back to the screen" in html
    page = fixed_text(html).replace(figures.mine.name, "").replace(figures.mine.address, "")
    assert not CHINESE.findall(page)

    client.force_login(figures.users[Role.GRID_WORKER])
    refusal = client.get("/cockpit/", **EN)
    assert refusal.status_code == 403
    assert "No access to the digital cockpit" in refusal.content.decode()


def test_the_weekly_report_follows_the_language(client, figures):
    client.force_login(figures.users[Role.STREET_ADMIN])
    response = client.get(f"/cockpit/reports/weekly.xlsx?block={figures.mine.pk}", **EN)
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Overview", "Day by day", "Alarms by kind", "To act on", "Change", "Alarms by block"]
    assert book["Overview"]["A1"].value.endswith("weekly safety report")
    summary = {row[0]: row[1] for row in book["Overview"].iter_rows(min_row=5, values_only=True)}
    assert summary["Residents"] == 3
    assert list(book["Day by day"].iter_rows(max_row=1, values_only=True))[0][:3] == ("Date", "Alarms", "Check-ins")

    pdf = client.get("/cockpit/reports/weekly.pdf", **EN)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
