"""The alarm ends in English when asked (the switch's cookie or the browser's Accept-Language), Chinese by default."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.utils import translation

from accounts.models import Role
from alerts.rules import evaluate_points
from alerts.tests.ws import WebsocketCommunicator

# Chinese characters and Chinese punctuation: what an English page must not show outside its data.
CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
PAGES = [
    ("/alerts/m/", Role.FIRE_SAFETY_PERSON, "Fire safety officer · Alarms", "No alarms in your blocks ✓"),
    ("/alerts/station/", Role.STATION_OPERATOR, "Micro fire station · Alarm console", "No alarms in your area ✓"),
    ("/alerts/panel/", Role.STREET_ADMIN, "Sub-district cockpit · Alarms and one-click command", "Live video"),
]


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    """A request in English leaves English active in this thread; the next test expects the default."""
    yield
    translation.deactivate()


def fixed_text(html: str, user) -> str:
    """The page without what people typed (the user's name) and the two names that stay Chinese on purpose."""
    return html.replace(str(user), "").replace("e智办", "").replace(">中文<", "><")


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "role", "title", "empty"), PAGES)
def test_it_shows_each_end_in_english_to_a_browser_that_asks_for_it(client, district, path, role, title, empty):
    user = district.users[role]
    client.force_login(user)

    html = client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '<html lang="en">' in html
    assert f"<h1>{title}</h1>" in html and f"<title>{title} · e智办</title>" in html
    for text in ("Connecting...", "Loading alarms...", empty, ">Acknowledge<", ">I'm on site<", ">Close alarm<"):
        assert text in html
    assert "False alarm" in html
    assert not CHINESE.findall(fixed_text(html, user))
    # The script's strings come from the catalog, loaded before the script; the switch offers Chinese back.
    assert html.index('src="/jsi18n/"') < html.index("alerts/alarms.js")
    assert 'name="language" value="zh-hans"' in html


@pytest.mark.django_db
def test_the_language_switch_cookie_turns_the_station_english(client, district):
    client.force_login(district.users[Role.STATION_OPERATOR])
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/alerts/station/"})
    assert response.status_code == 302 and response["Location"] == "/alerts/station/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"

    html = client.get("/alerts/station/").content.decode()
    assert "<h1>Micro fire station · Alarm console</h1>" in html and "实时视频" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "role", "title", "empty"), PAGES)
def test_chinese_stays_the_default(client, district, path, role, title, empty):
    client.force_login(district.users[role])
    html = client.get(path).content.decode()
    assert '<html lang="zh-hans">' in html
    assert "确认告警" in html and "正在加载告警…" in html and title not in html
    assert 'name="language" value="en"' in html


@pytest.mark.django_db
def test_the_script_catalog_has_the_cards_english(client):
    catalog = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '"\\u544a\\u8b66 %(time)s": "raised %(time)s"' in catalog or '"告警 %(time)s": "raised %(time)s"' in catalog
    assert "acknowledged by %(who)s at %(time)s (%(end)s)" in catalog
    assert "raised %(time)s" not in client.get("/jsi18n/").content.decode()


@pytest.mark.django_db
def test_a_domain_message_of_the_api_comes_in_english(client, district):
    client.force_login(district.users[Role.STATION_OPERATOR])
    response = client.post("/api/v1/alarms/999999/acknowledge/", {}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json()["message"] == "This alarm does not exist or is outside your area"


def is_change(event: str):
    return lambda m: m.get("type") == "alarm.changed" and m.get("event") == event


@pytest.mark.django_db(transaction=True)
def test_each_websocket_gets_the_labels_in_its_viewers_language(block):
    users = block.district.users

    async def run():
        english = WebsocketCommunicator(
            users[Role.STATION_OPERATOR], "end=station", headers=[(b"accept-language", b"en-US,en;q=0.9")]
        )
        by_cookie = WebsocketCommunicator(users[Role.STREET_ADMIN], "end=cockpit", cookies={"django_language": "en"})
        chinese = WebsocketCommunicator(users[Role.FIRE_SAFETY_PERSON], "end=phone")
        ends = [english, by_cookie, chinese]
        try:
            for end in ends:
                assert (await end.connect())[0]
                await end.receive_json_from()
            await sync_to_async(evaluate_points)([block.point(block.electricity, "wire_temp", 96.0, 0)])
            raised = [await end.receive_until(is_change("raised")) for end in ends]
            assert [(m["alarm"]["severity_label"], m["alarm"]["status_label"]) for m in raised] == [
                ("Critical", "Unacknowledged"),
                ("Critical", "Unacknowledged"),
                ("紧急", "未确认"),
            ]
            alarm_id = raised[0]["alarm"]["id"]

            await english.send_json_to({"action": "acknowledge", "alarm_id": alarm_id})
            acked = [await end.receive_until(is_change("acknowledged")) for end in ends]
            assert [m["alarm"]["acknowledged_via_label"] for m in acked] == [
                "Micro fire station",
                "Micro fire station",
                "微型消防站",
            ]
            assert acked[0]["entry"]["kind_label"] == "Acknowledged" and acked[2]["entry"]["kind_label"] == "确认"
            assert acked[0]["alarm"]["status_label"] == "Acknowledged" and acked[2]["alarm"]["status_label"] == "已确认"

            # Errors answer in the asker's language; a reconnect's snapshot too.
            await english.send_json_to({"action": "acknowledge", "alarm_id": alarm_id})
            error = await english.receive_until(lambda m: m["type"] == "error")
            assert error["message"].startswith("This alarm was already acknowledged by 李值班")
            await english.send_json_to({"action": "catch_up", "since": 0})
            snapshot = await english.receive_until(lambda m: m["type"] == "alarm.snapshot")
            assert snapshot["alarms"][0]["status_label"] == "Acknowledged"
        finally:
            for end in ends:
                await end.disconnect()

    async_to_sync(run)()
