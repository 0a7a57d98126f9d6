"""The three ends as a person sees them: real uvicorn, real Redis channel layer, Debian Chromium."""

from __future__ import annotations

import pytest

from accounts.models import Role
from alerts.factories import CameraFactory, ResponsePlanFactory
from alerts.rules import evaluate_points
from conftest import login, screenshot_dir

pytestmark = [pytest.mark.browser, pytest.mark.integration]
SHOTS = screenshot_dir()


def test_an_alarm_appears_live_on_the_phone_and_the_station_and_an_acknowledgement_shows_on_both(
    asgi_server, block, phone_page, screen_page
):
    CameraFactory(apartment=block.district.mine, name="3层走廊", floor=3)
    ResponsePlanFactory(name="电气火灾隐患处置", targets=["fire_safety_person", "grid_workers"])
    login(phone_page, asgi_server.url, "firesafety")
    phone_page.goto(f"{asgi_server.url}/alerts/m/")
    phone_page.wait_for_selector("#conn.on")
    login(screen_page, asgi_server.url, "station")
    screen_page.goto(f"{asgi_server.url}/alerts/station/")
    screen_page.wait_for_selector("#conn.on")

    evaluate_points([block.point(block.electricity, "wire_temp", 96.5, 0)])

    card = phone_page.locator(".alarm", has_text="线缆温度过高")
    card.wait_for(timeout=10000)
    assert "新华工业园6号公寓 · 3层 302 室配电箱" in card.inner_text()
    assert "当前 96.5 °C" in card.inner_text()
    phone_page.screenshot(path=str(SHOTS / "alerts-phone-raised.png"))

    station_card = screen_page.locator(".alarm", has_text="线缆温度过高")
    station_card.wait_for(timeout=10000)
    station_card.locator(".title").click()
    screen_page.wait_for_selector("#camera video")
    screen_page.locator(".alarm .ack").first.click()

    phone_page.locator(".alarm .times", has_text="李值班").wait_for(timeout=10000)
    assert "在微型消防站确认" in card.inner_text() and "已确认" in card.inner_text()
    assert phone_page.locator(".alarm .ack").first.is_hidden()
    phone_page.screenshot(path=str(SHOTS / "alerts-phone-acknowledged.png"))
    screen_page.locator(".alarm .times", has_text="李值班").wait_for(timeout=10000)
    screen_page.screenshot(path=str(SHOTS / "alerts-station.png"))


def test_the_cockpit_panel_launches_a_one_click_command_and_shows_its_timeline(asgi_server, block, screen_page):
    ResponsePlanFactory(name="电气火灾隐患处置", channels=["sms", "video"],
                        targets=["fire_safety_person", "grid_workers", "station_operators"])  # fmt: skip
    evaluate_points([block.point(block.smoke, "smoke", 1, 0)])
    login(screen_page, asgi_server.url, "street")
    screen_page.goto(f"{asgi_server.url}/alerts/panel/")
    card = screen_page.locator(".alarm", has_text="烟感报警")
    card.wait_for(timeout=10000)
    card.locator(".command-btn").click()
    screen_page.locator("#command-form button").click()
    screen_page.locator("#command-timeline li", has_text="启动预案").wait_for(timeout=10000)
    people = screen_page.locator("#command-people").inner_text()
    assert "王责任" in people and "李值班" in people and "赵网格" in people
    assert "视频会商" in screen_page.locator("#command-video").inner_text()
    screen_page.screenshot(path=str(SHOTS / "alerts-cockpit-panel.png"))
    assert block.district.users[Role.STREET_ADMIN].username == "street"
