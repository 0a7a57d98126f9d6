"""The cockpit WebSocket: screens hear that figures changed; only cockpit users may listen."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from asgiref.testing import ApplicationCommunicator

from accounts.models import Role
from cockpit.consumers import CockpitConsumer
from cockpit.push import announce_figures_updated

pytestmark = pytest.mark.django_db(transaction=True)


class Communicator(ApplicationCommunicator):
    """channels.testing.WebsocketCommunicator without importing channels.testing (which needs daphne)."""

    def __init__(self, user) -> None:
        scope = {"type": "websocket", "path": "/ws/cockpit/", "headers": [], "subprotocols": [], "user": user}
        super().__init__(CockpitConsumer.as_asgi(), scope)

    async def connect(self) -> tuple[bool, int | None]:
        await self.send_input({"type": "websocket.connect"})
        answer = await self.receive_output(3)
        return answer["type"] == "websocket.accept", answer.get("code")

    async def receive_json_from(self, timeout: float = 3) -> dict:
        answer = await self.receive_output(timeout)
        assert answer["type"] == "websocket.send"
        return json.loads(answer["text"])

    async def disconnect(self) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.wait(1)


async def _connect(user):
    communicator = Communicator(user)
    connected, code = await communicator.connect()
    return communicator, connected, code


def test_a_street_admin_hears_that_figures_were_updated(district):
    async def run():
        communicator, connected, _ = await _connect(district.users[Role.STREET_ADMIN])
        assert connected
        from channels.layers import get_channel_layer

        await get_channel_layer().group_send("cockpit", {"type": "figures.updated", "blocks": [7], "at": "now"})
        message = await communicator.receive_json_from(timeout=3)
        await communicator.disconnect()
        return message

    assert async_to_sync(run)() == {"type": "figures.updated", "blocks": [7], "at": "now"}


def test_announcing_from_synchronous_code_reaches_the_screen(district):
    async def run():
        communicator, connected, _ = await _connect(district.users[Role.STATION_OPERATOR])
        assert connected
        await sync_to_async(announce_figures_updated)(apartment_ids=[district.mine.pk])
        message = await communicator.receive_json_from(timeout=3)
        await communicator.disconnect()
        return message

    message = async_to_sync(run)()
    assert message["type"] == "figures.updated" and message["blocks"] == [district.mine.pk]


@pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.RESIDENT])
def test_other_roles_are_refused(district, role):
    async def run():
        communicator, connected, code = await _connect(district.users[role])
        await communicator.disconnect()
        return connected, code

    assert async_to_sync(run)() == (False, 4403)
