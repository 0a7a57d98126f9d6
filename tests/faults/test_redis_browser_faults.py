"""Open pages keep their live alarms across a Redis restart (issue #9): nobody reloads anything.

A throwaway Redis (tests/faults/servers.py, port 16380, append-only file) is the channel layer of a real uvicorn
(conftest.start_asgi_server) and of this test process. The three ends are open in headless Chromium: the person in
charge's phone (/alerts/m/), the micro fire station (/alerts/station/) and the street's cockpit (/cockpit/). Then
Redis

- restarts and keeps its data (append-only file),
- restarts empty (a Redis without persistence): the channel layer's group memberships are gone,
- or is emptied under the open connections (FLUSHALL; what a consumer that outlived a quick restart of an
  unpersisted Redis sees): the sockets stay up but their groups are gone, only a resubscription brings pushes back.

Right after, an alarm is raised as production raises it (the rules over a committed reading, pushed through the
channel layer after commit); it must show on all three pages, and every page must show itself live again.

Found here: after a restart the cockpit stayed "reconnecting" for good. A consumer whose channel receive was
cancelled never ended (Python 3.11's asyncio.wait_for inside redis-py swallowed the cancellation), so its
handshake was never answered and Chromium, which opens one WebSocket at a time per host, queued the page's
sockets behind it (fixed in shijiao/channel_layer.py). And an emptied Redis left open pages deaf while they showed
"live" (the consumers now join their groups again and catch up every WS_REFRESH_SECONDS).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import pytest
import redis
from django.utils import timezone

from alerts.defaults import load_defaults
from alerts.models import AlertRule, EscalationStep, RuleCondition
from alerts.rules import evaluate_points, forget_process_state
from conftest import login, start_asgi_server, wait_until
from sensors.catalog import load_catalog
from sensors.models import Device, DeviceType, Metric
from sensors.types import Point

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REDIS_PORT = 16380  # not the other fault tests' 16379, which one of them may take while this one restarts Redis
REFRESH_SECONDS = 2  # the server's WS_REFRESH_SECONDS here (production: 30)
PHONE = {"width": 390, "height": 844}
SCREEN = {"width": 1920, "height": 1080}


@dataclass
class End:
    """One open page, and the WebSockets it opened."""

    name: str
    page: object
    live: str  # a JavaScript expression, true while the page shows its live connection
    alarm: str  # the selector of an alarm's entry, with {id}
    sockets: list[str] = field(default_factory=list)

    def shows(self, alarm_id: int) -> bool:
        return self.page.query_selector(self.alarm.format(id=alarm_id)) is not None


def open_end(chromium, base_url: str, name: str, username: str, path: str, viewport: dict) -> End:
    context = chromium.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    if path == "/cockpit/":
        end = End(name, page, "document.body.dataset.live === '1'", '#feed li[data-alarm="{id}"]')
    else:
        end = End(name, page, "document.querySelector('#conn.on') !== null", '.alarm[data-id="{id}"]')
    page.on("websocket", lambda ws: end.sockets.append(ws.url))
    login(page, base_url, username)
    page.goto(f"{base_url}{path}")
    return end


@pytest.fixture
def wire(district) -> Device:
    # Transactional tests before this one may have emptied the tables the migrations filled: load them again.
    load_catalog(DeviceType, Metric)
    load_defaults(DeviceType, AlertRule, RuleCondition, EscalationStep)
    forget_process_state()
    yield Device.objects.create(
        key=f"fault-b-{uuid.uuid4().hex[:8]}",
        device_type=DeviceType.objects.get(code="smart_electricity"),
        apartment=district.mine,
        location="一楼电瓶车充电处",
    )
    forget_process_state()


FAULTS = {
    "restart keeping its data": lambda server: server.restart(),
    "restart empty": lambda server: server.restart(keep_data=False),
    "emptied under open connections": lambda server: redis.Redis.from_url(server.url).flushall(),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_an_alarm_raised_after_redis_came_back_shows_on_every_open_page(
    redis_server, chromium, settings, district, wire, fault
):
    env = {"WS_REFRESH_SECONDS": str(REFRESH_SECONDS)}
    with start_asgi_server(settings, redis_server.url, env=env) as server:
        ends = [
            open_end(chromium, server.url, "phone", "firesafety", "/alerts/m/", PHONE),
            open_end(chromium, server.url, "station", "station", "/alerts/station/", SCREEN),
            open_end(chromium, server.url, "cockpit", "street", "/cockpit/", SCREEN),
        ]
        try:
            for end in ends:
                wait_until(end.page, end.live)
            opened = {end.name: len(end.sockets) for end in ends}

            FAULTS[fault](redis_server)
            [alarm_id] = evaluate_points([Point(wire.id, "wire_temp", ts=timezone.now(), value=96.0)])

            shown: list[str] = []
            deadline = time.monotonic() + 10 * REFRESH_SECONDS
            while len(shown) < len(ends) and time.monotonic() < deadline:
                shown += [end.name for end in ends if end.name not in shown and end.shows(alarm_id)]
                ends[0].page.wait_for_timeout(100)
            live = {end.name: _comes_live(end) for end in ends}
            reopened = {end.name: len(end.sockets) - opened[end.name] for end in ends}
            print(
                f"\n[faults] Redis restart under browsers, {fault}: alarm raised after it shown on "
                f"{len(shown)}/{len(ends)} pages {shown}, WebSockets opened again {reopened}, live again {live}"
            )
            assert len(shown) == len(ends), f"the alarm never showed on {[e.name for e in ends if e.name not in shown]}"
            assert all(live.values()), f"a page does not show itself live again: {live}"
        finally:
            for end in ends:
                end.page.context.close()


def _comes_live(end: End) -> bool:
    try:
        wait_until(end.page, end.live, timeout=30)
    except AssertionError:
        return False
    return True
