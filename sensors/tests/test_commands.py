"""Downlink commands: validation, delivery, answers, timeouts, audit."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import AuditEntry
from sensors.commands import apartment_command, command_send, commands_expire
from sensors.ingest import RawMessage, ingest_messages
from sensors.models import Device, DeviceCommand
from sensors.mqtt import add_local_listener, remove_local_listener

pytestmark = pytest.mark.django_db


@pytest.fixture
def published():
    sent: list[tuple[str, dict]] = []

    def listener(topic: str, payload: bytes) -> None:
        sent.append((topic, json.loads(payload)))

    add_local_listener(listener)
    yield sent
    remove_local_listener(listener)


def test_a_command_is_published_audited_and_closed_by_the_answer(
    make_device, make_user, published, django_capture_on_commit_callbacks
):
    device = make_device(key="cmd-1")
    user = make_user("street_admin")
    with django_capture_on_commit_callbacks(execute=True):
        command = command_send(device=device, action="trip", actor=user, reason="电瓶车充电线过热")
    assert published == [("shijiao/cmd-1/command", {"id": str(command.pk), "method": "trip", "params": {}})]
    reply = json.dumps({"id": str(command.pk), "ok": True, "message": "已分闸"})
    ingest_messages([RawMessage("shijiao/cmd-1/command/result", reply)])
    command.refresh_from_db()
    assert command.status == DeviceCommand.Status.SUCCEEDED
    assert AuditEntry.objects.filter(action="device.command", actor=user, target_id=str(command.pk)).exists()
    assert AuditEntry.objects.filter(action="device.command.result", target_id=str(command.pk)).exists()


def test_thingsboard_devices_get_the_rpc_topic_and_answer_on_the_response_topic(
    make_device, make_user, published, django_capture_on_commit_callbacks
):
    device = make_device(key="tb-door", type_code="door_controller", token="door-token", protocol="thingsboard")
    with django_capture_on_commit_callbacks(execute=True):
        command = command_send(device=device, action="unlock", actor=make_user("street_admin"), reason="消防疏散")
    assert published[0][0] == f"tb/tb-door/v1/devices/me/rpc/request/{command.pk}"
    # the answer comes back under the same identity (the broker's mount point tb/<client id = key>/)
    ingest_messages([RawMessage(f"tb/tb-door/v1/devices/me/rpc/response/{command.pk}", '{"error": "jammed"}')])
    command.refresh_from_db()
    assert (command.status, command.result_message) == (DeviceCommand.Status.FAILED, "jammed")


def test_a_thingsboard_answer_under_the_older_token_rewrite_still_closes_its_command(
    make_device, make_user, published, django_capture_on_commit_callbacks
):
    device = make_device(key="tb-door", type_code="door_controller", token="door-token", protocol="thingsboard")
    with django_capture_on_commit_callbacks(execute=True):
        command = command_send(device=device, action="unlock", actor=make_user("street_admin"), reason="消防疏散")
    ingest_messages([RawMessage(f"tb/door-token/v1/devices/me/rpc/response/{command.pk}", '{"ok": true}')])
    command.refresh_from_db()
    assert command.status == DeviceCommand.Status.SUCCEEDED


def test_a_device_that_does_not_answer_times_out(make_device, make_user, published):
    device = make_device(key="cmd-2")
    command = command_send(device=device, action="restore", actor=make_user("street_admin"), reason="隐患已排除")
    assert commands_expire(now=timezone.now()) == 0
    assert commands_expire(now=timezone.now() + timedelta(seconds=31)) == 1
    command.refresh_from_db()
    assert command.status == DeviceCommand.Status.TIMED_OUT


def test_a_command_that_cannot_be_delivered_says_so(make_device, make_user, django_capture_on_commit_callbacks):
    device = make_device(key="cmd-3")  # no MQTT_URL and nobody listening in this process
    with django_capture_on_commit_callbacks(execute=True):
        command = command_send(device=device, action="trip", actor=make_user("street_admin"), reason="测试")
    command.refresh_from_db()
    assert command.status == DeviceCommand.Status.UNDELIVERED


@pytest.mark.parametrize(
    ("action", "reason", "field"), [("unlock", "开门", "action"), ("trip", "  ", "reason"), ("explode", "x", "action")]
)
def test_commands_a_device_cannot_do_or_without_a_reason_are_refused(make_device, make_user, action, reason, field):
    device = make_device(key="cmd-4")
    with pytest.raises(ValidationError) as caught:
        command_send(device=device, action=action, actor=make_user("street_admin"), reason=reason)
    assert field in caught.value.message_dict
    assert not DeviceCommand.objects.exists()


def test_release_exits_reaches_every_door_of_the_block(make_device, make_user, district, published):
    for i in range(3):
        make_device("door_controller", key=f"door-{i}", apartment=district.mine)
    make_device("door_controller", key="door-elsewhere", apartment=district.other)
    commands = apartment_command(
        apartment=district.mine, action="release_exits", actor=make_user("street_admin"), reason="火警疏散"
    )
    assert sorted(c.device.key for c in commands) == ["door-0", "door-1", "door-2"]
    assert Device.objects.count() == 4
