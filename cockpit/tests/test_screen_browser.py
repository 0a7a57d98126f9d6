"""The big screen in real Chromium on a real ASGI server: figures and plan drawn, drill into a block."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role
from cockpit.aggregates import refresh_figures
from cockpit.push import announce_figures_updated
from cockpit.tests.factories import populate
from conftest import login, screenshot_dir, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def in_thread(func, **kwargs) -> None:
    """Run ``func`` outside this thread, where Playwright's event loop forbids async_to_sync."""
    worker = threading.Thread(target=func, kwargs=kwargs)
    worker.start()
    worker.join(timeout=10)


@pytest.fixture
def placed(district):
    today = timezone.localdate()
    for apartment, lat, lon in ((district.mine, "30.3310", "120.1890"), (district.other, "30.3290", "120.1920")):
        apartment.latitude, apartment.longitude = Decimal(lat), Decimal(lon)
        apartment.save()
    populate(district.mine, residents=3, devices=2, online=2, check_in=today - timedelta(days=1))
    populate(district.other, residents=2, devices=4, online=0, check_in=today - timedelta(days=2))
    refresh_figures(days=14)
    return district


def test_the_street_sees_the_district_live_and_drills_into_a_block(asgi_server, screen_page, placed):
    page = screen_page
    login(page, asgi_server.url, placed.users[Role.STREET_ADMIN].username)
    page.goto(f"{asgi_server.url}/cockpit/")
    page.wait_for_selector("body[data-ready='1']")

    tiles = page.inner_text("#tiles")
    assert "公寓总数\n2" in tiles and "在住人数\n5" in tiles
    other = page.locator(f'#plan .block[data-block="{placed.other.pk}"]')
    assert other.get_attribute("data-state") == "offline"
    assert page.locator("#chart-alarms canvas").count() == 1
    assert "华丰工业园9号公寓" in page.inner_text("#top")
    page.wait_for_selector("body[data-live='1']")

    # The block's devices come back; the refresh tells the open screen, which recolours the block.
    placed.other.devices.update(is_online=True)
    refresh_figures(apartment_ids=[placed.other.pk])
    in_thread(announce_figures_updated, apartment_ids=[placed.other.pk])
    page.wait_for_selector(f'#plan .block[data-block="{placed.other.pk}"][data-state="normal"]', timeout=10000)

    page.click(f'#plan .block[data-block="{placed.mine.pk}"]')
    frame = page.frame_locator("#drill-frame")
    frame.locator("body[data-ready='1']").wait_for()
    assert frame.locator("#block-name").inner_text() == "新华工业园6号公寓"
    assert "1F" in frame.locator("#floors").inner_text()
    assert frame.locator(".device").count() == 2
    assert "在住\n3" in frame.locator("#counts").inner_text()
    page.click("#drill-close")
    assert page.locator("#drill").is_hidden()


def raise_wire_alarm(*, rule_id: int, device_id: int, apartment_id: int) -> None:
    from alerts.factories import raise_alarm

    raise_alarm(
        rule_id=rule_id,
        device_id=device_id,
        apartment_id=apartment_id,
        severity="critical",
        title="线缆温度过高 95°C",
        metric="wire_temp",
        unit="°C",
        value=95.0,
        at=timezone.now(),
        reopen_after=0,
    )


def wire_temperature_rule():
    from alerts.models import AlertRule
    from sensors.models import DeviceType

    return AlertRule.objects.create(
        code="cockpit_test_wire_temp",
        name="线缆温度过高",
        device_type=DeviceType.objects.get(code="smart_electricity"),
        severity="critical",
    )


def test_a_critical_alarm_arrives_live_flashes_its_block_and_sounds(asgi_server, screen_page, placed):
    rule = wire_temperature_rule()
    device = placed.mine.devices.first()
    page = screen_page
    login(page, asgi_server.url, placed.users[Role.STREET_ADMIN].username)
    page.goto(f"{asgi_server.url}/cockpit/")
    page.wait_for_selector("body[data-live='1']")
    page.click("#sound")  # a tap on the screen lets the browser play the alarm sound
    assert "暂无未处置报警" in page.inner_text("#feed")

    in_thread(raise_wire_alarm, rule_id=rule.pk, device_id=device.pk, apartment_id=placed.mine.pk)

    block = page.locator(f'#plan .block[data-block="{placed.mine.pk}"]')
    page.wait_for_selector(f'#plan .block.flash[data-block="{placed.mine.pk}"]', timeout=10000)
    assert block.get_attribute("data-state") == "alarm"
    feed = page.inner_text("#feed")
    assert "新华工业园6号公寓" in feed and "线缆温度过高 95°C" in feed and "紧急" in feed
    wait_until(page, "window.ShijiaoSound.state().ringing && window.cockpit.beeps >= 1")
    assert "紧急报警：新华工业园6号公寓" in page.inner_text("#banner")
    # The refreshed figures count the open alarm too.
    wait_until(page, "document.querySelector('#tiles').innerText.includes('未处置报警\\n1')")


def test_a_muted_wall_screen_asks_for_the_tap_in_its_header_and_covers_nothing(asgi_server, screen_page, placed):
    """Opened without a tap (a wall PC started by a script), the browser keeps the siren muted: the header's sound
    button asks for the tap; no bar lies over the panels of a screen that never scrolls."""
    rule = wire_temperature_rule()
    page = screen_page
    login(page, asgi_server.url, placed.users[Role.STREET_ADMIN].username)
    page.evaluate("localStorage.clear()")
    page.goto(f"{asgi_server.url}/cockpit/")
    page.wait_for_selector("body[data-live='1']")
    in_thread(raise_wire_alarm, rule_id=rule.pk, device_id=placed.mine.devices.first().pk, apartment_id=placed.mine.pk)
    wait_until(page, "window.ShijiaoSound.state().ringing && !window.ShijiaoSound.state().armed")
    wait_until(page, "document.querySelector('#sound').innerText.includes('未确认')")
    assert page.locator("#sound-bar").count() == 0
    red = page.evaluate("getComputedStyle(document.querySelector('#sound')).backgroundColor")
    assert red == "rgb(197, 48, 48)", red
    page.screenshot(path=str(screenshot_dir() / "cockpit-sound-needs-tap.png"))
    page.click("#sound")
    wait_until(page, "window.ShijiaoSound.state().armed && window.cockpit.beeps >= 1")
    wait_until(page, "document.querySelector('#sound').innerText.includes('已开启')")


def test_a_fire_station_operator_sees_only_its_area_on_the_screen(asgi_server, screen_page, placed):
    login(screen_page, asgi_server.url, placed.users[Role.STATION_OPERATOR].username)
    screen_page.goto(f"{asgi_server.url}/cockpit/")
    screen_page.wait_for_selector("body[data-ready='1']")
    assert screen_page.locator("#plan .block").count() == 1
    assert "公寓总数\n1" in screen_page.inner_text("#tiles")


def test_the_street_starts_a_one_click_command_from_the_drill_down(asgi_server, screen_page, placed):
    from alerts.factories import ResponsePlanFactory

    plan = ResponsePlanFactory(name="电气火灾隐患处置预案", targets=["fire_safety_person"], channels=["sms", "video"])
    page = screen_page
    login(page, asgi_server.url, placed.users[Role.STREET_ADMIN].username)
    page.goto(f"{asgi_server.url}/cockpit/")
    page.wait_for_selector("body[data-ready='1']")
    page.click(f'#plan .block[data-block="{placed.mine.pk}"]')
    frame = page.frame_locator("#drill-frame")
    frame.locator("body[data-ready='1']").wait_for()

    frame.locator("#command-open").click()
    frame.locator("select[name=choice]").select_option(str(plan.pk))
    frame.locator("textarea[name=text]").fill("6号公寓电瓶车充电区线缆过热，请立即断电排查")
    frame.locator("#command-send").click()
    frame.locator("#command-result[data-ok='1']").wait_for(timeout=15000)

    result = frame.locator("#command-result").inner_text()
    assert result.startswith("指挥已下达：电气火灾隐患处置预案")
    assert "消防责任人" in result
    from alerts.models import Command

    command = Command.objects.get()
    assert command.apartment_id == placed.mine.pk
    assert command.what == "6号公寓电瓶车充电区线缆过热，请立即断电排查"
    assert command.started_by == placed.users[Role.STREET_ADMIN]


def test_the_street_switches_the_screen_to_english_and_live_alarms_come_in_english(asgi_server, screen_page, placed):
    rule = wire_temperature_rule()
    page = screen_page
    login(page, asgi_server.url, placed.users[Role.STREET_ADMIN].username)
    page.goto(f"{asgi_server.url}/cockpit/")
    page.wait_for_selector("body[data-ready='1']")
    with page.expect_navigation():
        page.click(".language-switch button[value='en']")
    page.wait_for_selector("html[lang='en'] body[data-live='1']")

    assert page.inner_text("h1").endswith("· Migrant Housing Digital Cockpit")
    tiles = page.inner_text("#tiles")
    assert "Blocks\n2" in tiles and "Residents\n5" in tiles and "Devices online" in tiles
    assert page.inner_text("#live-state") == "Live"
    assert page.inner_text("#plan-states") == "Normal 1 · Warning 0 · Alarm 0 · Offline 1"
    assert "4 devices offline" in page.inner_text("#top")
    assert page.inner_text("#feed") == "No open alarms"

    device = placed.mine.devices.first()
    in_thread(raise_wire_alarm, rule_id=rule.pk, device_id=device.pk, apartment_id=placed.mine.pk)
    page.wait_for_selector(f'#plan .block.flash[data-block="{placed.mine.pk}"]', timeout=10000)
    feed = page.inner_text("#feed")
    assert "Critical" in feed and "Unacknowledged" in feed and "nobody has acknowledged" in feed
    assert page.inner_text("#feed-count") == "1 in all, 1 critical"
    assert page.inner_text("#banner") == "Critical alarm: 新华工业园6号公寓 线缆温度过高 95°C"
    wait_until(page, "document.querySelector('#tiles').innerText.includes('Open alarms\\n1')")
    page.screenshot(path=str(screenshot_dir() / "cockpit-screen-en.png"))

    page.click(f'#feed li[data-block="{placed.mine.pk}"]')  # the flashing block moves; its feed line does not
    frame = page.frame_locator("#drill-frame")
    frame.locator("body[data-ready='1']").wait_for()
    assert "Residents\n3" in frame.locator("#counts").inner_text()
    assert frame.locator("#command-open").inner_text() == "One-click command"
    assert "Critical" in frame.locator("#alarms").inner_text()
    # The device in alarm stands out in the drill-down, with its alarm instead of a green "online".
    assert frame.locator(".device.alarm").count() == 1
    assert "Critical" in frame.locator(".device.alarm .st").inner_text()
    page.screenshot(path=str(screenshot_dir() / "cockpit-block-en.png"))


def acknowledge_all(*, by_id: int) -> None:
    from accounts.models import User
    from alerts.alarms import alarm_acknowledge
    from alerts.models import Alert

    for alert in Alert.objects.filter(status="raised"):
        alarm_acknowledge(alert_id=alert.id, by=User.objects.get(pk=by_id), end="cockpit")


def test_the_cockpit_sounds_and_keeps_its_banner_until_the_alarm_is_acknowledged(asgi_server, screen_page, placed):
    rule = wire_temperature_rule()
    device = placed.mine.devices.first()
    page = screen_page
    street = placed.users[Role.STREET_ADMIN]
    # The sign-in tap is the one tap: the screen it leads to may play sound without another.
    page.goto(f"{asgi_server.url}/admin/login/?next=/cockpit/")
    page.fill("#id_username", street.username)
    page.fill("#id_password", "pw-123456")
    page.click("input[type=submit]")
    page.wait_for_selector("body[data-live='1']")
    wait_until(page, "window.ShijiaoSound.state().armed")
    assert page.inner_text("#sound") == "报警声音已开启"

    in_thread(raise_wire_alarm, rule_id=rule.pk, device_id=device.pk, apartment_id=placed.mine.pk)

    wait_until(page, "window.ShijiaoSound.state().ringing && window.ShijiaoSound.state().beeps >= 2", timeout=15)
    assert "紧急报警：新华工业园6号公寓 线缆温度过高 95°C" in page.inner_text("#banner")
    page.wait_for_timeout(9000)  # longer than the 8 s after which the banner used to vanish
    assert page.locator("#banner").is_visible() and page.evaluate("window.ShijiaoSound.state().ringing")
    page.screenshot(path=str(screenshot_dir() / "cockpit-screen-banner.png"))

    in_thread(acknowledge_all, by_id=street.pk)

    wait_until(page, "!window.ShijiaoSound.state().ringing", timeout=15)
    wait_until(page, "document.getElementById('banner').hidden")
