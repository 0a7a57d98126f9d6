"""A grid worker switches the phone tool to English and the page's script speaks English too (real Chromium)."""

from __future__ import annotations

import pytest

from accounts.models import Role
from apartments.hazards import hazard_create
from conftest import login, screenshot_dir

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SCREENSHOTS = screenshot_dir()


def test_a_grid_worker_switches_the_inspection_tool_to_english(asgi_server, phone_page, district, checklists, jpeg):
    page = phone_page
    login(page, asgi_server.url, district.users[Role.GRID_WORKER].username)
    page.goto(f"{asgi_server.url}/inspections/")
    assert page.locator("h1").inner_text() == "我的今日任务"

    page.locator(".language-switch button").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "My tasks today"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator(".tabs").inner_text().split() == ["Today", "Hazards", "Coverage", "Report"]
    page.screenshot(path=str(SCREENSHOTS / "inspections-today-en.png"), full_page=True)

    task = page.locator("#tasks form.card", has_text="新华工业园6号公寓")
    task.get_by_role("button", name="Start").click()
    page.wait_for_load_state("networkidle")
    item = page.locator("fieldset[data-item]").nth(2)
    item.locator("label.seg-fail").click()
    item.locator("input[type=file]").set_input_files(
        files=[
            {"name": f"IMG_{n}.jpg", "mimeType": "image/jpeg", "buffer": jpeg(320, 240)}  # two photos: the plural
            for n in (1, 2)
        ]
    )
    # written by inspections.js through the JavaScript catalog
    assert item.locator(".picked").inner_text() == "2 photos selected, uploaded when you save"
    assert item.locator(".fail-extra").inner_text().split("\n")[:2] == ["Hazard level", "Minor hazard"]
    scroll_to = "el => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 140)"
    page.evaluate(scroll_to, item.element_handle())
    page.screenshot(path=str(SCREENSHOTS / "inspections-checklist-en.png"))
    assert _overflow(page) == 0  # longer English words still fit a 390 px phone

    hazard = hazard_create(apartment=district.mine, kind="patrol", title="楼道堆物", created_by=None)
    page.goto(f"{asgi_server.url}/inspections/hazards/{hazard.pk}/")
    assert page.locator("dl.facts dt").all_inner_texts()[:5] == ["Block", "Type", "Found", "Fix by", "Responsible"]
    page.screenshot(path=str(SCREENSHOTS / "inspections-hazard-en.png"), full_page=True)
    assert _overflow(page) == 0


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
