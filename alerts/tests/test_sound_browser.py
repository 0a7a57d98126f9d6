"""The alarm sound on the three ends: a new critical or major alarm sounds until acknowledged (Chromium, real
server, Redis channel layer). What the test reads is the page's Web Audio state: a running AudioContext with siren
bursts scheduled on it."""

from __future__ import annotations

import pytest

from alerts.alarms import alarm_acknowledge
from alerts.models import Alert
from alerts.rules import evaluate_points
from conftest import screenshot_dir, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.integration]
SHOTS = screenshot_dir()
STATE = "window.ShijiaoSound.state()"


def sign_in_to(page, base_url: str, username: str, path: str) -> None:
    """Sign in on the login form and land on ``path``: the tap on 登录 is the person's one tap."""
    page.goto(f"{base_url}/admin/login/?next={path}")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-123456")
    page.click("input[type=submit]")
    page.wait_for_url(f"**{path}")
    page.wait_for_selector("#conn.on")


def test_the_tap_at_sign_in_arms_the_station_and_a_critical_alarm_sounds_until_acknowledged(
    asgi_server, block, screen_page
):
    sign_in_to(screen_page, asgi_server.url, "station", "/alerts/station/")
    wait_until(screen_page, f"{STATE}.armed")  # no second tap needed
    assert screen_page.evaluate(f"{STATE}.ringing") is False
    assert screen_page.locator("#sound-bar").is_hidden()

    evaluate_points([block.point(block.electricity, "wire_temp", 96.5, 0)])

    wait_until(screen_page, f"{STATE}.ringing && {STATE}.beeps >= 2", timeout=15)
    assert screen_page.evaluate("document.body.dataset.sound") == "ringing"
    screen_page.screenshot(path=str(SHOTS / "alerts-station-ringing.png"))
    screen_page.locator(".alarm .ack").first.click()
    wait_until(screen_page, f"!{STATE}.ringing")
    beeps = screen_page.evaluate(f"{STATE}.beeps")
    screen_page.wait_for_timeout(2500)  # a siren period: nothing more is played
    assert screen_page.evaluate(f"{STATE}.beeps") == beeps


def test_on_the_phone_one_tap_arms_the_sound_and_is_remembered(asgi_server, block, phone_page):
    # A page opened without a tap (a link from an SMS): the browser refuses sound, the page says so.
    sign_in_to(phone_page, asgi_server.url, "firesafety", "/alerts/m/")
    phone_page.evaluate("localStorage.clear()")
    phone_page.goto(f"{asgi_server.url}/alerts/m/")
    phone_page.wait_for_selector("#conn.on")
    wait_until(phone_page, f"!{STATE}.armed && document.body.dataset.sound === 'needs-tap'")
    assert phone_page.locator("#sound-bar").is_visible()

    evaluate_points([block.point(block.smoke, "smoke", 1, 0)])
    wait_until(phone_page, f"{STATE}.ringing", timeout=15)
    assert "未确认的告警" in phone_page.inner_text("#sound-bar")  # ringing, but muted by the browser: it says so
    phone_page.screenshot(path=str(SHOTS / "alerts-phone-sound-needs-tap.png"))
    phone_page.locator("#sound-bar").click()
    wait_until(phone_page, f"{STATE}.armed && {STATE}.beeps >= 1 && {STATE}.remembered")
    assert phone_page.locator("#sound-bar").is_hidden()

    alert = Alert.objects.get(device=block.smoke)
    alarm_acknowledge(alert_id=alert.id, by=block.district.users["fire_safety_person"], end="phone")
    wait_until(phone_page, f"!{STATE}.ringing", timeout=15)
