"""A property manager switches the day's gap list to English in the admin (real server, real Chromium)."""

from __future__ import annotations

import pytest

from accounts.models import Role
from conftest import login, screenshot_dir

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SCREENSHOTS = screenshot_dir()


def test_a_manager_switches_the_gap_list_to_english(asgi_server, screen_page, district, housed):
    gone = housed(days_ago=90)
    manager = district.users[Role.PROPERTY_MANAGER]
    manager.is_staff = True
    manager.save()
    page = screen_page
    login(page, asgi_server.url, manager.username)
    page.goto(f"{asgi_server.url}/admin/residents/resident/gaps/")
    assert "经常进出但无入住或未登记" in page.inner_text("#content")

    page.locator("#user-tools .language-switch button").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/admin/residents/resident/gaps/")
    content = page.inner_text("#content")
    assert "Registered but no door record for 30 days (probably moved out)" in content and gone.name_masked in content
    assert page.locator("#user-tools .language-switch button").inner_text() == "中文"
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=str(SCREENSHOTS / "residents-gaps-en.png"), full_page=True)
