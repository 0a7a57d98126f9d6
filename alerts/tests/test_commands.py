"""One-click command: everyone on the plan is reached; confirmation releases the waiting device actions."""

from __future__ import annotations

import pytest

from accounts.models import Role
from alerts.commands import (
    command_arrive,
    command_confirm,
    command_start,
    participant_notified,
    run_pending_device_actions,
)
from alerts.factories import ContactFactory, ResponsePlanFactory
from alerts.models import CommandDeviceAction, Contact, Notification, PlanDeviceAction
from alerts.notifications import deliver
from alerts.rules import evaluate_points
from alerts.tests.fake_http import FakeService, running
from alerts.tests.notify.test_sms import SECRET
from sensors.factories import DeviceFactory
from sensors.models import DeviceCommand, DeviceType
from shijiao.errors import DomainError

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(block, settings):
    settings.ALIYUN_ACCESS_KEY_ID, settings.ALIYUN_ACCESS_KEY_SECRET = "id", SECRET
    settings.DINGTALK_APP_KEY, settings.DINGTALK_APP_SECRET, settings.DINGTALK_AGENT_ID = "k", "s", "1"
    settings.ALERTS_VIDEO_URL_TEMPLATE = "https://meet.example.org/ezb-{command}-{token}"
    users = block.district.users
    for role, ding in [(Role.FIRE_SAFETY_PERSON, "ding-wang"), (Role.GRID_WORKER, "ding-zhao")]:
        Contact.objects.create(name=str(users[role]), group="people", user=users[role], dingtalk_userid=ding)
    ContactFactory(name="石桥派出所 值班室", group="police", phone="057187000110", dingtalk_userid="ding-police")
    plan = ResponsePlanFactory(
        name="电气火灾隐患处置",
        channels=["voice", "sms", "ding", "video"],
        targets=["fire_safety_person", "grid_workers", "station_operators", "contact_group:police"],
    )
    doors = DeviceType.objects.get(code="door_controller")
    DeviceFactory(key="door-6-1", device_type=doors, apartment=block.district.mine, location="1层大门")
    PlanDeviceAction.objects.create(plan=plan, device_type=doors, action="release_exits", when="at_once")
    PlanDeviceAction.objects.create(plan=plan, device_type=block.electricity.device_type, action="trip",
                                    when="on_confirm", only_alarm_device=True)  # fmt: skip
    return plan


def test_one_click_reaches_everyone_on_the_plan_and_keeps_a_timeline(block, plan, settings):
    users = block.district.users
    [alarm_id] = evaluate_points([block.point(block.electricity, "wire_temp", 97, 0)])
    from alerts.models import Alert

    command = command_start(plan=plan, by=users[Role.STREET_ADMIN], alert=Alert.objects.get(pk=alarm_id))
    names = set(command.participants.values_list("name", flat=True))
    assert names == {"王责任", "赵网格", "李值班", "石桥派出所 值班室"}
    assert command.video_url.startswith("https://meet.example.org/ezb-")
    rows = Notification.objects.filter(command=command)
    pending = {(n.recipient_name, n.channel) for n in rows.filter(status="pending")}
    assert {("王责任", "voice"), ("王责任", "sms"), ("王责任", "ding"), ("石桥派出所 值班室", "voice"),
            ("石桥派出所 值班室", "ding"), ("李值班", "sms"), ("赵网格", "ding")} <= pending  # fmt: skip
    assert all(command.video_url in n.text for n in rows)

    def provider(seen):
        if seen.path == "/gettoken":
            return 200, {"errcode": 0, "access_token": "t", "expires_in": 7200}
        if seen.path == "/v1.0/robot/ding/send":
            return 200, {"openDingId": "d1"}
        return 200, {"Code": "OK", "BizId": "b", "CallId": "c"}

    with running(FakeService(provider)) as service:
        settings.ALIYUN_SMS_ENDPOINT = settings.ALIYUN_VOICE_ENDPOINT = service.url
        settings.DINGTALK_API = settings.DINGTALK_NEW_API = service.url
        for n in rows.filter(status="pending"):
            deliver(n.pk, on_outcome=participant_notified)  # as the alerts.deliver task does
    assert set(command.participants.values_list("status", flat=True)) == {"reached"}
    calls = [s.query["CalledNumber"] for s in service.seen if s.query.get("Action") == "SingleCallByTts"]
    assert sorted(calls) == ["057187000110", "13800000001", "13800000002", "13800000003"]

    # The exit doors were released at once; the circuit waits for the person in charge.
    assert run_pending_device_actions(command_id=command.pk) == 1
    [release] = DeviceCommand.objects.filter(action="release_exits")
    assert release.device.key == "door-6-1" and release.requested_by == users[Role.STREET_ADMIN]
    trip = CommandDeviceAction.objects.get(command=command, action="trip")
    assert trip.status == "waiting" and trip.device == block.electricity

    command_confirm(command_id=command.pk, by=users[Role.FIRE_SAFETY_PERSON])
    assert run_pending_device_actions(command_id=command.pk) == 1
    assert DeviceCommand.objects.get(action="trip").device == block.electricity
    command_arrive(command_id=command.pk, by=users[Role.STATION_OPERATOR])

    timeline = list(command.events.values_list("kind", flat=True))
    assert timeline[0] == "started" and {"reached", "confirmed", "arrived", "device_sent", "released"} <= set(timeline)
    texts = " ".join(command.events.values_list("text", flat=True))
    assert "已通过语音电话通知 王责任" in texts and "王责任 已确认" in texts and "李值班 已到场" in texts


def test_a_command_for_an_area_reaches_every_block_of_the_grid(block, plan, make_user):
    grid = block.district.mine.grid
    from apartments.factories import ApartmentFactory

    second_person = make_user(Role.FIRE_SAFETY_PERSON, username="fz2", display_name="孙责任")
    ApartmentFactory(grid=grid, name="新华工业园7号公寓", fire_safety_person=second_person)
    epidemic = ResponsePlanFactory(name="疫情防控排查", category="epidemic", channels=["sms"],
                                   targets=["fire_safety_person", "grid_workers"])  # fmt: skip
    command = command_start(plan=epidemic, by=block.district.users[Role.STREET_ADMIN], grid=grid, what="核酸排查")
    assert set(command.participants.values_list("name", flat=True)) == {"王责任", "孙责任", "赵网格"}


def test_only_the_cockpit_and_the_station_may_command(block, plan):
    with pytest.raises(DomainError):
        command_start(plan=plan, by=block.district.users[Role.GRID_WORKER], apartment=block.district.mine)
    with pytest.raises(DomainError):  # a station only commands the blocks it covers
        command_start(plan=plan, by=block.district.users[Role.STATION_OPERATOR], apartment=block.district.other)
