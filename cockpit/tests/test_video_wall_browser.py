"""The big screen's video wall: the camera nearest an open critical alarm plays live (a real HLS stream made by
ffmpeg on a local "video platform", the same player and fixtures as the alarm ends), beside the plan, inside the
screen; it goes away when the alarm closes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from alerts.factories import CameraFactory
from alerts.tests.test_video_browser import assert_video_plays, live_hls, video_platform, watch_csp  # noqa: F401
from cockpit.aggregates import refresh_figures
from cockpit.tests.factories import populate
from cockpit.tests.test_screen_browser import in_thread, raise_wire_alarm, wire_temperature_rule
from conftest import login, screenshot_dir, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_the_camera_nearest_a_critical_alarm_plays_on_the_wall(asgi_server, screen_page, district, live_hls):  # noqa: F811
    populate(district.mine, residents=2, devices=1, online=1, check_in=timezone.localdate() - timedelta(days=1))
    refresh_figures(days=7)
    CameraFactory(apartment=district.mine, name="3层走廊", floor=3, stream_url=live_hls)
    rule = wire_temperature_rule()
    device = district.mine.devices.first()
    page = screen_page
    refused = watch_csp(page)
    login(page, asgi_server.url, district.users[Role.STREET_ADMIN].username)
    page.goto(f"{asgi_server.url}/cockpit/")
    page.wait_for_selector("body[data-live='1']")
    assert page.locator("#video-wall").is_hidden()

    in_thread(raise_wire_alarm, rule_id=rule.pk, device_id=device.pk, apartment_id=district.mine.pk)
    page.wait_for_selector("#video-wall .cam", timeout=30000)
    assert_video_plays(page, "#video-wall .video-player")
    assert page.inner_text("#video-wall figcaption") == "新华工业园6号公寓 · 3层走廊"
    wall = page.locator("#video-wall").bounding_box()
    assert wall["x"] + wall["width"] <= 1920 and wall["y"] + wall["height"] <= 1080
    page.screenshot(path=str(screenshot_dir() / "cockpit-video-wall.png"))
    assert refused == []

    from alerts.alarms import alarm_close
    from alerts.models import Alert

    alert = Alert.objects.get()
    in_thread(alarm_close, alert_id=alert.pk, by=district.users[Role.STREET_ADMIN], end="cockpit",
              disposition="false_alarm", note="测试")  # fmt: skip
    wait_until(page, "document.querySelector('#video-wall').hidden && !document.querySelector('video')", timeout=30)
