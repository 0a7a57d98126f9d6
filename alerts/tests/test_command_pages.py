"""Acting from the pages, on the production shape: uvicorn with the Redis channel layer and the real Mosquitto, a
consumer feeding the ingest task's function, devices that answer (or not) over MQTT, Debian Chromium.

The station page and the cockpit's drill-down send trip / release exits / elevator to ground after a confirmation
and show the device's answer live; the fire-safety person's phone confirms a command and reports arrival; a failed
or unanswered device action shows red at the top of the ends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from alerts.commands import command_start
from alerts.factories import ResponsePlanFactory
from alerts.models import Alert, PlanDeviceAction
from alerts.rules import evaluate_points
from alerts.tests.test_command_results import DeviceSimulator
from conftest import login, require_redis, screenshot_dir, start_asgi_server, wait_until
from sensors.commands import commands_expire
from sensors.factories import DeviceFactory
from sensors.models import DeviceCommand, DeviceType
from sensors.tests.test_consumer import Running, ids
from sensors.tests.test_consumer import mqtt_url as mqtt_url  # the fixture

pytestmark = [pytest.mark.browser, pytest.mark.integration]
SHOTS = screenshot_dir()


@pytest.fixture
def devices(block):
    """The block's controllable devices besides its smart-electricity box: an exit door and an elevator."""
    mine = block.district.mine
    door = DeviceFactory(key="door-6-1", device_type=DeviceType.objects.get(code="door_controller"), apartment=mine,
                         floor=1, location="1层东侧疏散门")  # fmt: skip
    lift = DeviceFactory(key="lift-6-1", device_type=DeviceType.objects.get(code="elevator"), apartment=mine,
                         floor=1, location="1号电梯")  # fmt: skip
    return {"elec": block.electricity, "door": door, "lift": lift}


@pytest.fixture
def production(transactional_db, settings, mqtt_url, devices):
    """uvicorn on the Redis channel layer publishing to Mosquitto; a consumer storing what devices answer; devices
    that answer: the circuit and the elevator do it, the exit door reports a fault."""
    require_redis(settings.TEST_REDIS_URL)
    simulator = DeviceSimulator(mqtt_url, {devices["elec"].key: (True, "已分闸"),
                                           devices["door"].key: (False, "门磁锁故障, 未释放"),
                                           devices["lift"].key: (True, "已迫降至首层")})  # fmt: skip
    client_id, group = ids()
    consumer = Running(mqtt_url, client_id, group)
    try:
        with start_asgi_server(settings, settings.TEST_REDIS_URL, env={"MQTT_URL": mqtt_url}) as server:
            yield server
    finally:
        consumer.stop()
        simulator.stop()


def open_live(page, server, username: str, path: str) -> None:
    login(page, server.url, username)
    page.goto(f"{server.url}{path}")
    page.wait_for_selector("#conn.on")


def wait_for_result(page, locator, device: str) -> None:
    """Wait (generously: the machine may be loaded) for the device's answer on the page; say what was seen if not."""
    try:
        locator.wait_for(timeout=30000)
    except Exception as exc:
        shown = page.locator(f'.dc-device[data-device="{device}"] .dc-result').inner_text()
        stored = list(DeviceCommand.objects.filter(device__key=device).values_list("status", "result_message"))
        raise AssertionError(f"{device}: the page shows {shown!r}; the commands are {stored}") from exc


def control(page, device: str, action: str):
    return page.locator(f'.dc-device[data-device="{device}"] button[data-action="{action}"]')


def test_the_station_trips_a_circuit_after_confirming_and_sees_the_device_answer_live(
    production, block, devices, screen_page
):
    page = screen_page
    evaluate_points([block.point(block.electricity, "wire_temp", 96.5, 0)])
    open_live(page, production, "station", "/alerts/station/")
    page.locator(".alarm .title", has_text="线缆温度过高").click()
    control(page, "elec-6-3", "trip").wait_for(timeout=10000)
    assert page.locator(".dc-device").count() == 3  # the circuit, the exit door, the elevator of this block

    control(page, "elec-6-3", "trip").click()  # first a question, nothing sent yet
    confirm = page.locator('.dc-device[data-device="elec-6-3"] .dc-confirm')
    assert confirm.is_visible() and "确认向 elec-6-3 (3层 302 室配电箱 · 3层) 下发“断电 (分闸)”" in confirm.inner_text()
    confirm.locator(".dc-no").click()
    assert confirm.is_hidden() and not DeviceCommand.objects.exists()

    control(page, "elec-6-3", "trip").click()
    assert confirm.locator("input[name=reason]").input_value() == "告警处置: 新华工业园6号公寓 线缆温度过高"
    confirm.locator(".dc-yes").click()
    result = page.locator('.dc-device[data-device="elec-6-3"] .dc-result[data-status="succeeded"]')
    wait_for_result(page, result, "elec-6-3")
    assert result.inner_text() == "执行成功: 已分闸"
    [sent] = DeviceCommand.objects.filter(device=devices["elec"])
    assert (sent.status, sent.requested_by.username, sent.reason) == (
        "succeeded",
        "station",
        "告警处置: 新华工业园6号公寓 线缆温度过高",
    )

    control(page, "door-6-1", "release_exits").click()
    page.locator('.dc-device[data-device="door-6-1"] .dc-yes').click()
    failed = page.locator('.dc-device[data-device="door-6-1"] .dc-result[data-status="failed"]')
    wait_for_result(page, failed, "door-6-1")
    assert failed.inner_text() == "执行失败: 门磁锁故障, 未释放"
    page.screenshot(path=str(SHOTS / "alerts-station-device-actions.png"))


def test_the_cockpit_drill_down_sends_the_elevators_down_after_confirming(production, block, devices, chromium):
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    try:
        login(page, production.url, "street")
        page.goto(f"{production.url}/cockpit/blocks/{block.district.mine.pk}/")
        control(page, "lift-6-1", "elevator_ground").wait_for(timeout=10000)
        assert page.locator(".dc-confirm").first.is_hidden() and page.locator(".dc-confirm:visible").count() == 0
        control(page, "lift-6-1", "elevator_ground").click()
        assert page.locator(".dc-confirm:visible").count() == 1  # the question, for this device only
        page.locator('.dc-device[data-device="lift-6-1"] .dc-yes').click()
        result = page.locator('.dc-device[data-device="lift-6-1"] .dc-result[data-status="succeeded"]')
        wait_for_result(page, result, "lift-6-1")
        assert result.inner_text() == "执行成功: 已迫降至首层"
        assert page.locator(".dc-confirm:visible").count() == 0
        page.locator("#device-panel").screenshot(path=str(SHOTS / "cockpit-block-device-actions.png"))
    finally:
        context.close()


def test_the_phone_confirms_and_arrives_and_an_unanswered_action_is_red_at_the_top_of_every_end(
    production, block, devices, settings, phone_page, screen_page
):
    settings.MQTT_URL = settings.TEST_MQTT_URL  # the command's device actions go out from this process
    plan = ResponsePlanFactory(name="电气火灾隐患处置", channels=["sms"],
                               targets=["fire_safety_person", "station_operators"])  # fmt: skip
    elevator = DeviceType.objects.get(code="elevator")
    PlanDeviceAction.objects.create(plan=plan, device_type=elevator, action="elevator_ground", when="at_once")
    PlanDeviceAction.objects.create(plan=plan, device_type=block.electricity.device_type, action="trip",
                                    when="on_confirm", only_alarm_device=True)  # fmt: skip
    # lift-6-1 answers; a second elevator stays silent.
    dead = DeviceFactory(key="lift-6-2", device_type=elevator, apartment=block.district.mine, floor=1,
                         location="2号电梯")  # fmt: skip
    [alarm_id] = evaluate_points([block.point(block.electricity, "wire_temp", 97, 0)])

    open_live(phone_page, production, "firesafety", "/alerts/m/")
    open_live(screen_page, production, "station", "/alerts/station/")
    command = command_start(plan=plan, by=block.district.users[Role.STREET_ADMIN], alert=Alert.objects.get(pk=alarm_id))

    task = phone_page.locator(f'.task[data-command="{command.pk}"]')
    task.wait_for(timeout=30000)
    assert "确认后执行: 断电 (分闸) elec-6-3" in task.inner_text()
    task.locator(".confirm-task").click()
    task.locator(".t-me", has_text="已确认").wait_for(timeout=10000)
    # The confirmation released the trip; the device answered over MQTT; the phone saw it live.
    task.locator(".actions-list li.a-succeeded", has_text="断电").wait_for(timeout=30000)
    task.locator(".arrive-task").click()
    task.locator(".t-me", has_text="已到场").wait_for(timeout=10000)
    assert task.locator(".arrive-task").is_hidden()
    participant = command.participants.get(user=block.district.users[Role.FIRE_SAFETY_PERSON])
    assert participant.status == "arrived" and participant.confirmed_at is not None

    # The second elevator never answered: at its deadline the beat job's expiry times it out.
    assert wait_until_db(lambda: command.device_actions.filter(device=dead, status="sent").exists())
    commands_expire(now=timezone.now() + timedelta(seconds=settings.DEVICE_COMMAND_TIMEOUT_SECONDS + 1))
    for page in (phone_page, screen_page):
        banner = page.locator("#problems li", has_text="lift-6-2")
        banner.wait_for(timeout=30000)
        assert "设备超时未应答" in banner.inner_text() and "请派人到现场处置" in banner.inner_text()
        wait_until(page, "getComputedStyle(document.getElementById('problems')).borderTopColor === 'rgb(229, 62, 62)'")
        assert page.locator("#problems").bounding_box()["y"] < page.locator("main").bounding_box()["y"]
    phone_page.screenshot(path=str(SHOTS / "alerts-phone-command.png"))
    screen_page.locator(".alarm .title").first.click()
    screen_page.locator("#command-problems li", has_text="lift-6-2").wait_for(timeout=10000)
    screen_page.screenshot(path=str(SHOTS / "alerts-station-command-problem.png"))
    timeline = [e.kind for e in command.events.all()]
    assert {"confirmed", "released", "device_succeeded", "device_timed_out", "arrived"} <= set(timeline)


def wait_until_db(condition, timeout: float = 15.0) -> bool:
    from sensors.tests.test_consumer import wait_for

    return wait_for(condition, timeout)
