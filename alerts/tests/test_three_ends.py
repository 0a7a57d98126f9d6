"""The three ends (person in charge's phone, micro fire station, street cockpit) stay in sync over Channels."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from accounts.models import Role
from alerts.models import Alert
from alerts.rules import evaluate_points
from alerts.tests.ws import WebsocketCommunicator

pytestmark = pytest.mark.django_db(transaction=True)


def is_change(event: str):
    return lambda m: m.get("type") == "alarm.changed" and m.get("event") == event


def test_an_alarm_reaches_all_three_ends_and_an_acknowledgement_on_one_shows_on_the_others(block, make_user):
    users = block.district.users
    outsider = make_user(Role.FIRE_SAFETY_PERSON, username="other-person")
    block.district.other.fire_safety_person = outsider
    block.district.other.save()

    async def run():
        phone = WebsocketCommunicator(users[Role.FIRE_SAFETY_PERSON], "end=phone")
        station = WebsocketCommunicator(users[Role.STATION_OPERATOR], "end=station")
        cockpit = WebsocketCommunicator(users[Role.STREET_ADMIN], "end=cockpit")
        other = WebsocketCommunicator(outsider, "end=phone")
        ends = [phone, station, cockpit, other]
        try:
            for end in ends:
                assert (await end.connect())[0]
                snap = await end.receive_json_from()
                assert snap["type"] == "alarm.snapshot" and snap["alarms"] == []

            await sync_to_async(evaluate_points)([block.point(block.electricity, "wire_temp", 96.0, 0)])
            raised = [await end.receive_until(is_change("raised")) for end in (phone, station, cockpit)]
            for message in raised:
                alarm = message["alarm"]
                assert alarm["title"] == "线缆温度过高" and alarm["severity"] == "critical"
                assert alarm["apartment"]["name"] == "新华工业园6号公寓" and alarm["last_value"] == 96.0
                assert alarm["status"] == "raised" and alarm["device"]["location"] == "3层 302 室配电箱"
            alarm_id = raised[0]["alarm"]["id"]

            await station.send_json_to({"action": "acknowledge", "alarm_id": alarm_id})
            acked = [await end.receive_until(is_change("acknowledged")) for end in (phone, station, cockpit)]
            for message in acked:
                assert message["alarm"]["status"] == "acknowledged"
                assert message["alarm"]["acknowledged_by"] == "李值班"
                assert message["alarm"]["acknowledged_via"] == "station"
                assert message["version"] > raised[0]["version"]

            # The phone tries too, a moment later: it is told who was first, nothing changes.
            await phone.send_json_to({"action": "acknowledge", "alarm_id": alarm_id})
            error = await phone.receive_until(lambda m: m["type"] == "error")
            assert error["code"] == "already_acknowledged" and "李值班" in error["message"]

            # The other block's person in charge heard nothing of this block.
            assert await other.receive_nothing(timeout=0.3)
        finally:
            for end in ends:
                await end.disconnect()
        return alarm_id

    alarm_id = async_to_sync(run)()
    alarm = Alert.objects.get(pk=alarm_id)
    assert alarm.acknowledged_via == "station" and alarm.acknowledged_by == users[Role.STATION_OPERATOR]


def test_a_reconnecting_end_catches_up_on_what_it_missed(block):
    users = block.district.users

    async def run():
        phone = WebsocketCommunicator(users[Role.FIRE_SAFETY_PERSON], "end=phone")
        assert (await phone.connect())[0]
        first = await phone.receive_json_from()
        await phone.disconnect()
        seen_version = first["version"]

        # While the phone is offline: one alarm is raised and acknowledged at the station.
        ids = await sync_to_async(evaluate_points)([block.point(block.smoke, "smoke", 1, 0)])
        from alerts.alarms import alarm_acknowledge

        await sync_to_async(alarm_acknowledge)(alert_id=ids[0], by=users[Role.STATION_OPERATOR], end="station")

        again = WebsocketCommunicator(users[Role.FIRE_SAFETY_PERSON], f"end=phone&since={seen_version}")
        try:
            assert (await again.connect())[0]
            return await again.receive_json_from()
        finally:
            await again.disconnect()

    snap = async_to_sync(run)()
    assert snap["type"] == "alarm.snapshot" and snap["version"] > snap["since"]
    [alarm] = snap["alarms"]
    assert alarm["title"] == "烟感报警" and alarm["status"] == "acknowledged"


@pytest.mark.parametrize("role", [Role.RESIDENT])
def test_residents_cannot_listen(district, role):
    async def run():
        end = WebsocketCommunicator(district.users[role])
        connected, code = await end.connect()
        await end.disconnect()
        return connected, code

    assert async_to_sync(run)() == (False, 4403)


def test_an_end_whose_groups_redis_lost_joins_them_again_and_catches_up(block, settings):
    """Redis emptied under an open socket (a restart without persistence the consumer outlived): the page still
    shows itself live; within WS_REFRESH_SECONDS it hears again, and gets what was pushed to nobody meanwhile."""
    from channels.layers import get_channel_layer

    from alerts.alarms import alarm_acknowledge

    settings.WS_REFRESH_SECONDS = 0.2
    users = block.district.users

    layer = get_channel_layer()
    forgetting = True
    join = layer.group_add

    async def group_add(group: str, channel: str) -> None:
        if not forgetting:  # while "Redis" is away, joining again is lost too: the push below reaches nobody
            await join(group, channel)

    async def run():
        nonlocal forgetting
        station = WebsocketCommunicator(users[Role.STATION_OPERATOR], "end=station")
        try:
            assert (await station.connect())[0]
            await station.receive_json_from()
            layer.group_add = group_add
            layer.groups.clear()  # what Redis forgot

            [alarm_id] = await sync_to_async(evaluate_points)([block.point(block.electricity, "wire_temp", 96.0, 0)])
            forgetting = False  # Redis is back: the next round of joining again works, and catches up
            caught_up = await station.receive_json_from(timeout=60)
            deadline = asyncio.get_running_loop().time() + 60
            while not any(layer.groups.values()):  # joined again: now a push reaches the page as it happens
                assert asyncio.get_running_loop().time() < deadline, "the end never joined its groups again"
                await asyncio.sleep(0.05)
            await sync_to_async(alarm_acknowledge)(alert_id=alarm_id, by=users[Role.STATION_OPERATOR], end="station")
            pushed = await station.receive_until(is_change("acknowledged"), timeout=60)
        finally:
            del layer.group_add
            await station.disconnect()
        return alarm_id, caught_up, pushed

    alarm_id, caught_up, pushed = async_to_sync(run)()
    assert caught_up["type"] == "alarm.snapshot" and caught_up["since"] is not None
    assert [a["id"] for a in caught_up["alarms"]] == [alarm_id] and caught_up["alarms"][0]["title"] == "线缆温度过高"
    assert pushed["alarm"]["id"] == alarm_id and pushed["alarm"]["acknowledged_by"] == "李值班"


def test_a_closed_end_stops_joining_its_groups(block, settings):
    from channels.layers import get_channel_layer

    settings.WS_REFRESH_SECONDS = 0.05

    async def run():
        phone = WebsocketCommunicator(block.district.users[Role.FIRE_SAFETY_PERSON], "end=phone")
        assert (await phone.connect())[0]
        await phone.receive_json_from()
        await phone.disconnect()
        await asyncio.sleep(0.3)
        return {group: set(members) for group, members in get_channel_layer().groups.items()}

    assert not any(async_to_sync(run)().values())
