"""A one-click command's device actions follow their device commands: succeeded, failed (with the device's
message) or timed out, on the command, in its timeline, pushed to the ends; failures are problems for a person.

The integration test goes the production way: the command is published to the real Mosquitto, a device
simulator answers over MQTT, the real consumer hands the answer to the ingest task's function."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta

import paho.mqtt.client as mqtt
import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers, get_channel_layer
from django.utils import timezone

from accounts.models import Role
from alerts import push
from alerts.commands import command_payload, command_start, command_timeline, run_pending_device_actions
from alerts.factories import ResponsePlanFactory
from alerts.models import CommandDeviceAction, PlanDeviceAction
from conftest import require_redis
from sensors.commands import commands_expire
from sensors.factories import DeviceFactory
from sensors.ingest import RawMessage, ingest_messages
from sensors.models import DeviceCommand, DeviceType, Rejection
from sensors.mqtt import broker
from sensors.tests.test_consumer import Running, ids, wait_for
from sensors.tests.test_consumer import mqtt_url as mqtt_url  # the fixture

S = CommandDeviceAction.Status


def _plan(block):
    """Release the exits, send the elevator down, trip the overheating circuit: all at once."""
    plan = ResponsePlanFactory(name="火警疏散", channels=["sms"], targets=["station_operators"])
    types = {code: DeviceType.objects.get(code=code) for code in ("door_controller", "elevator", "smart_electricity")}
    door = DeviceFactory(key=f"door-{uuid.uuid4().hex[:6]}", device_type=types["door_controller"],
                         apartment=block.district.mine, location="1层大门")  # fmt: skip
    lift = DeviceFactory(key=f"lift-{uuid.uuid4().hex[:6]}", device_type=types["elevator"],
                         apartment=block.district.mine, location="1号电梯")  # fmt: skip
    for code, action in (("door_controller", "release_exits"), ("elevator", "elevator_ground"),
                         ("smart_electricity", "trip")):  # fmt: skip
        PlanDeviceAction.objects.create(plan=plan, device_type=types[code], action=action, when="at_once")
    return plan, door, lift


class DeviceSimulator:
    """Devices on the real broker: each answers its commands as told (``ok`` / an error text / silence)."""

    def __init__(self, url: str, answers: dict[str, tuple[bool, str] | None]) -> None:
        where = broker(url)
        self.answers = answers
        self.received: list[tuple[str, dict]] = []
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-dev-{uuid.uuid4().hex[:8]}")
        self.client.on_message = self._on_message
        acks: list[int] = []
        self.client.on_subscribe = lambda _c, _u, mid, _codes, _props: acks.append(mid)
        self.client.connect(where.host, where.port)
        self.client.loop_start()
        assert wait_for(lambda: self.client.is_connected(), 10), "the device simulator could not connect"
        mids = [self.client.subscribe(f"shijiao/{key}/command", qos=1)[1] for key in answers]
        assert wait_for(lambda: set(mids) <= set(acks), 10), "the broker did not confirm the subscriptions"

    def _on_message(self, client, _userdata, message) -> None:
        key = message.topic.split("/")[1]
        body = json.loads(message.payload)
        self.received.append((key, body))
        answer = self.answers.get(key)
        if answer is None:
            return  # this device is dead: it never answers
        ok, text = answer
        reply = {"id": body["id"], "ok": ok, "message": text}
        client.publish(f"shijiao/{key}/command/result", json.dumps(reply, ensure_ascii=False), qos=1)

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_device_answers_over_mosquitto_reach_the_command_its_timeline_and_every_end(block, mqtt_url, settings):
    require_redis(settings.TEST_REDIS_URL)
    prefix = f"test{uuid.uuid4().hex[:8]}"
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "shijiao.channel_layer.RedisChannelLayer",
            "CONFIG": {"hosts": [settings.TEST_REDIS_URL], "prefix": prefix},
        }
    }
    channel_layers.backends.clear()
    layer = get_channel_layer()
    listener = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(push.ALL_GROUP, listener)

    plan, door, lift = _plan(block)
    elec = block.electricity
    devices = DeviceSimulator(mqtt_url, {door.key: (True, "已释放 4 樘疏散门"), elec.key: (False, "继电器粘连, 未分闸"),
                                         lift.key: None})  # fmt: skip
    client_id, group = ids()
    consumer = Running(mqtt_url, client_id, group)
    try:
        command = command_start(plan=plan, by=block.district.users[Role.STREET_ADMIN], apartment=block.district.mine)
        # The launch queued the ``alerts.device_actions`` task after commit (in-process Celery here): all three
        # went out to the broker, each as a tracked device command.
        assert command.device_actions.filter(device_command_id__isnull=False).count() == 3

        def states() -> dict[int, str]:
            return dict(command.device_actions.values_list("device_id", "status"))

        assert wait_for(lambda: states()[door.id] == S.SUCCEEDED and states()[elec.id] == S.FAILED, 15), states()
        assert {key for key, _ in devices.received} == {door.key, elec.key, lift.key}
    finally:
        consumer.stop()
        devices.stop()
    failed = command.device_actions.get(device=elec)
    assert failed.message == "继电器粘连, 未分闸" and failed.answered_at is not None
    assert command.device_actions.get(device=lift).status == S.SENT  # nothing heard yet: still waiting, not "done"

    # The elevator never answers: at its deadline the beat job's expiry times it out, and the command follows.
    assert commands_expire(now=timezone.now() + timedelta(seconds=settings.DEVICE_COMMAND_TIMEOUT_SECONDS + 1)) == 1
    assert command.device_actions.get(device=lift).status == S.TIMED_OUT

    payload = command_payload(command)
    by_device = {a["device"]: a for a in payload["device_actions"]}
    assert by_device[door.key]["status"] == "succeeded" and not by_device[door.key]["needs_attention"]
    assert by_device[elec.key]["status_label"] == "失败" and by_device[elec.key]["message"] == "继电器粘连, 未分闸"
    assert {p["device"] for p in payload["problems"]} == {elec.key, lift.key} and payload["needs_attention"]

    lines = command_timeline(command)
    kinds = [line["kind"] for line in lines]
    assert kinds.count("device_sent") == 3
    assert {"device_succeeded", "device_failed", "device_timed_out"} <= set(kinds)
    failed_line = next(line for line in lines if line["kind"] == "device_failed")
    assert "继电器粘连, 未分闸" in failed_line["text"] and failed_line["problem"]
    assert lines[-1]["kind"] == "device_timed_out" and "请派人到现场确认" in lines[-1]["text"]

    # Every end heard each result as it happened (the consumer's thread pushed through Redis).
    heard: list[dict] = []

    async def next_message() -> dict:
        return await asyncio.wait_for(layer.receive(listener), 10)

    def receive_until_timed_out() -> bool:
        while True:
            message = async_to_sync(next_message)()
            if message["type"] == "command.changed" and message["command"]["id"] == command.pk:
                heard.append(message["command"])
                if any(a["status"] == "timed_out" for a in message["command"]["device_actions"]):
                    return True

    assert receive_until_timed_out()
    statuses = [{a["device"]: a["status"] for a in c["device_actions"]} for c in heard]
    assert any(s[door.key] == "succeeded" and s[lift.key] == "sent" for s in statuses)
    assert heard[-1]["problems"] and {p["device"] for p in heard[-1]["problems"]} == {elec.key, lift.key}
    async_to_sync(layer.group_discard)(push.ALL_GROUP, listener)
    channel_layers.backends.clear()


@pytest.mark.django_db
def test_a_duplicate_or_unknown_answer_is_recorded_as_a_rejection_and_changes_nothing(block, settings):
    plan, door, _lift = _plan(block)
    command = command_start(plan=plan, by=block.district.users[Role.STREET_ADMIN], apartment=block.district.mine)
    run_pending_device_actions(command_id=command.pk)
    action = command.device_actions.get(device=door)
    topic = f"shijiao/{door.key}/command/result"
    first = json.dumps({"id": str(action.device_command_id), "ok": True, "message": "已释放"})
    ingest_messages([RawMessage(topic, first)])
    events = command.events.count()
    again = json.dumps({"id": str(action.device_command_id), "ok": False, "message": "卡住了"})
    result = ingest_messages([RawMessage(topic, again)])
    action.refresh_from_db()
    assert (action.status, action.message) == (S.SUCCEEDED, "已释放")
    assert DeviceCommand.objects.get(pk=action.device_command_id).status == "succeeded"
    assert command.events.count() == events
    assert [r[1] for r in result.rejections] == ["duplicate_reply"]

    unknown = json.dumps({"id": str(uuid.uuid4()), "ok": True})
    result = ingest_messages([RawMessage(topic, unknown), RawMessage(topic, json.dumps({"id": "not-a-uuid"}))])
    assert [r[1] for r in result.rejections] == ["unknown_command", "unknown_command"]
    rows = {r.reason: r for r in Rejection.objects.filter(device=door)}
    assert rows["duplicate_reply"].count == 1 and "已有结果" in rows["duplicate_reply"].last_detail
    assert rows["unknown_command"].count == 2
    assert command.events.count() == events


@pytest.mark.django_db
def test_a_command_is_refused_by_the_device_type_and_shows_as_a_problem(block, settings):
    """A device that cannot do the action (wrong type registered) fails at once, with the reason, red."""
    plan = ResponsePlanFactory(name="断电", channels=["sms"], targets=["station_operators"])
    PlanDeviceAction.objects.create(plan=plan, device_type=block.hydrant.device_type, action="trip", when="at_once")
    command = command_start(plan=plan, by=block.district.users[Role.STREET_ADMIN], apartment=block.district.mine)
    assert run_pending_device_actions(command_id=command.pk) == 0
    payload = command_payload(command)
    [problem] = payload["problems"]
    assert problem["device"] == block.hydrant.key and "不支持" in problem["message"]


# --- the API behind the pages' buttons -------------------------------------------------------------


@pytest.mark.django_db
def test_the_controls_list_a_blocks_emergency_devices_and_only_commanders_may_send(block, client):
    from sensors.models import DeviceType as Type

    users = block.district.users
    door = DeviceFactory(key="door-x", device_type=Type.objects.get(code="door_controller"),
                         apartment=block.district.mine)  # fmt: skip
    other = DeviceFactory(key="elec-other", device_type=block.electricity.device_type, apartment=block.district.other)
    url = f"/api/v1/devices/controls/?apartment={block.district.mine.pk}"

    client.force_login(users[Role.STATION_OPERATOR])
    body = client.get(url).json()
    assert body["may_command"] is True
    assert {d["key"]: [a["action"] for a in d["actions"]] for d in body["results"]} == {
        block.electricity.key: ["trip"],
        door.key: ["release_exits"],
    }
    assert client.get(f"/api/v1/devices/controls/?apartment={block.district.other.pk}").json()["results"] == []
    refused = client.post(f"/api/v1/devices/{other.pk}/commands/", {"action": "trip", "reason": "x"},
                          content_type="application/json")  # fmt: skip
    assert refused.status_code == 404  # another station's block: not even visible
    bad = client.get("/api/v1/devices/controls/?apartment=abc")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"

    for role in (Role.INSPECTOR, Role.GRID_WORKER):
        client.force_login(users[role])
        body = client.get(url).json()
        assert body["may_command"] is False
        answer = client.post(f"/api/v1/devices/{door.pk}/commands/", {"action": "release_exits", "reason": "x"},
                             content_type="application/json")  # fmt: skip
        assert answer.status_code == 403
    client.force_login(users[Role.RESIDENT])
    assert client.get(url).status_code == 403
    assert not DeviceCommand.objects.exists()


@pytest.mark.django_db
def test_the_commands_list_shows_what_a_person_may_see_and_refuses_an_unknown_status(block, client):
    plan, _door, _lift = _plan(block)
    command = command_start(plan=plan, by=block.district.users[Role.STREET_ADMIN], apartment=block.district.mine)
    client.force_login(block.district.users[Role.FIRE_SAFETY_PERSON])
    [row] = client.get("/api/v1/commands/").json()["results"]
    assert row["id"] == command.pk and {"device_actions", "problems", "timeline"} <= row.keys()
    assert client.get("/api/v1/commands/?status=bogus").json()["code"] == "invalid"
    assert client.get("/api/v1/commands/999999/").status_code == 404
    assert client.post("/api/v1/commands/999999/confirm/").status_code == 404
    client.force_login(block.district.users[Role.PROPERTY_MANAGER])
    other = ResponsePlanFactory(name="别处", channels=["sms"], targets=["station_operators"])
    hidden = command_start(plan=other, by=block.district.users[Role.STREET_ADMIN], apartment=block.district.other)
    assert hidden.pk not in [c["id"] for c in client.get("/api/v1/commands/").json()["results"]]
