"""The three ends as a person sees them: real uvicorn, real Redis channel layer, Debian Chromium."""

from __future__ import annotations

import pytest

from accounts.models import Role
from alerts.alarms import alarm_acknowledge
from alerts.factories import CameraFactory, ResponsePlanFactory
from alerts.models import Alert
from alerts.rules import evaluate_points
from conftest import login, screenshot_dir

pytestmark = [pytest.mark.browser, pytest.mark.integration]
SHOTS = screenshot_dir()


def open_live(page, server, username: str, path: str) -> None:
    """Log in and open an alarm end; return once its WebSocket is live."""
    login(page, server.url, username)
    page.goto(f"{server.url}{path}")
    page.wait_for_selector("#conn.on")


def test_an_alarm_appears_live_on_the_phone_and_the_station_and_an_acknowledgement_shows_on_both(
    asgi_server, block, phone_page, screen_page
):
    CameraFactory(apartment=block.district.mine, name="3层走廊", floor=3)
    ResponsePlanFactory(name="电气火灾隐患处置", targets=["fire_safety_person", "grid_workers"])
    open_live(phone_page, asgi_server, "firesafety", "/alerts/m/")
    open_live(screen_page, asgi_server, "station", "/alerts/station/")

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


def open_the_panel_on_a_smoke_alarm(asgi_server, block, page) -> None:
    """A plan to launch, a smoke alarm in the block, the street's cockpit panel open."""
    ResponsePlanFactory(name="电气火灾隐患处置", channels=["sms", "video"],
                        targets=["fire_safety_person", "grid_workers", "station_operators"])  # fmt: skip
    evaluate_points([block.point(block.smoke, "smoke", 1, 0)])
    login(page, asgi_server.url, "street")
    page.goto(f"{asgi_server.url}/alerts/panel/")


def test_the_cockpit_panel_launches_a_one_click_command_and_shows_its_timeline(asgi_server, block, screen_page):
    open_the_panel_on_a_smoke_alarm(asgi_server, block, screen_page)
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


def to_english(page) -> None:
    """Press the header's language switch, as a person would, and wait for the page to come back."""
    with page.expect_navigation():
        page.click(".language-switch button[value='en']")
    page.wait_for_selector("html[lang='en']")


def test_the_phone_and_the_station_switch_to_english_and_the_live_cards_follow(
    asgi_server, block, phone_page, screen_page
):
    CameraFactory(apartment=block.district.mine, name="3层走廊", floor=3)
    login(phone_page, asgi_server.url, "firesafety")
    phone_page.goto(f"{asgi_server.url}/alerts/m/")
    to_english(phone_page)
    phone_page.wait_for_selector("#conn.on")
    assert phone_page.inner_text("h1") == "Fire safety officer · Alarms"
    assert phone_page.inner_text("#conn") == "Live"
    login(screen_page, asgi_server.url, "station")
    screen_page.goto(f"{asgi_server.url}/alerts/station/")
    to_english(screen_page)
    screen_page.wait_for_selector("#conn.on")
    assert screen_page.inner_text("h1") == "Micro fire station · Alarm console"

    evaluate_points([block.point(block.electricity, "wire_temp", 96.5, 0)], now=block.at(0))  # learned at once

    card = phone_page.locator(".alarm", has_text="线缆温度过高")
    card.wait_for(timeout=10000)
    assert card.locator(".sev").inner_text() == "Critical"
    assert card.locator(".status").inner_text() == "Unacknowledged"
    assert card.locator(".value").inner_text() == "now 96.5 °C · peak 96.5 °C"
    assert card.locator(".times").inner_text().startswith("raised ")
    assert card.locator(".ack").inner_text() == "Acknowledge"
    assert phone_page.inner_text("#summary") == "1 alarm, 1 unacknowledged"
    phone_page.screenshot(path=str(SHOTS / "alerts-phone-en.png"))

    station_card = screen_page.locator(".alarm", has_text="线缆温度过高")
    station_card.wait_for(timeout=10000)
    station_card.locator(".title").click()
    assert "(floor 3)" in screen_page.inner_text("#camera") and "Open live stream" in screen_page.inner_text("#camera")
    screen_page.locator(".alarm .ack").first.click()

    phone_page.locator(".alarm .times", has_text="李值班").wait_for(timeout=10000)
    assert "acknowledged by 李值班 at " in card.inner_text() and "(Micro fire station)" in card.inner_text()
    assert card.locator(".status").inner_text() == "Acknowledged"
    phone_page.screenshot(path=str(SHOTS / "alerts-phone-en-acknowledged.png"))
    screen_page.locator(".alarm .status", has_text="Acknowledged").wait_for(timeout=10000)
    station_card.locator(".close-btn").click()  # the closing form, to see its English choices
    assert "False alarm" in station_card.locator(".close-form").inner_text()
    screen_page.screenshot(path=str(SHOTS / "alerts-station-en.png"))


def test_the_cockpit_panel_in_english_shows_the_commands_people_in_english(asgi_server, block, screen_page):
    open_the_panel_on_a_smoke_alarm(asgi_server, block, screen_page)
    to_english(screen_page)
    card = screen_page.locator(".alarm", has_text="烟感报警")
    card.wait_for(timeout=10000)
    assert screen_page.inner_text("#stats").split() == ["1", "Critical", "0", "Major", "0", "Minor", "0", "Warning"]
    card.locator(".command-btn").click()
    assert screen_page.inner_text("#command-target").startswith("Alarm: 新华工业园6号公寓")
    screen_page.locator("#command-form button").click()
    screen_page.locator("#command-timeline li", has_text="Launched the plan").wait_for(timeout=10000)
    assert "(active)" in screen_page.inner_text("#command-title")
    assert screen_page.inner_text("#command-video").startswith("Video conference:")
    assert "王责任" in screen_page.inner_text("#command-people")
    statuses = set(screen_page.locator("#command-people li span").all_inner_texts())
    assert statuses and statuses <= {"Notifying", "Reached", "Unreachable", "Confirmed", "On site"}
    screen_page.screenshot(path=str(SHOTS / "alerts-cockpit-panel-en.png"))


def test_a_note_being_typed_survives_live_updates_of_this_and_other_alarms(asgi_server, block, phone_page):
    open_live(phone_page, asgi_server, "firesafety", "/alerts/m/")
    evaluate_points([block.point(block.electricity, "wire_temp", 96.5, 0)])
    card = phone_page.locator(".alarm", has_text="线缆温度过高")
    card.wait_for(timeout=10000)
    card.locator(".note-btn").click()
    note = card.locator(".note-form textarea")
    note.fill("已断开302室回路, 正在拆除")

    evaluate_points([block.point(block.smoke, "smoke", 1, 5)])  # another alarm arrives
    phone_page.locator(".alarm", has_text="烟感报警").wait_for(timeout=10000)
    alarm = Alert.objects.get(rule__code="wire_temp_critical")
    alarm_acknowledge(alert_id=alarm.pk, by=block.district.users[Role.STATION_OPERATOR], end="station")
    card.locator(".times", has_text="确认").wait_for(timeout=10000)  # and this one changes

    assert card.locator(".note-form").is_visible()
    assert note.input_value() == "已断开302室回路, 正在拆除"
