"""``channels.testing.WebsocketCommunicator`` in a few lines: importing ``channels.testing`` needs daphne,
which the project does not install. Same interface: connect, send_json_to, receive_json_from, disconnect.

Deadlines are generous (a minute): they only matter when something is wrong, and a loaded machine must not
look like a broken consumer."""

from __future__ import annotations

import json
from typing import Any

from asgiref.testing import ApplicationCommunicator

from alerts.consumers import AlarmConsumer


class WebsocketCommunicator(ApplicationCommunicator):
    def __init__(self, user, query: str = "", *, headers=(), cookies=None) -> None:
        scope = {
            "type": "websocket",
            "path": "/ws/alerts/",
            "query_string": query.encode(),
            "headers": list(headers),
            "cookies": dict(cookies or {}),
            "subprotocols": [],
            "user": user,
        }
        super().__init__(AlarmConsumer.as_asgi(), scope)

    async def connect(self, timeout: float = 60) -> tuple[bool, int | None]:
        await self.send_input({"type": "websocket.connect"})
        answer = await self.receive_output(timeout)
        return answer["type"] == "websocket.accept", answer.get("code")

    async def send_json_to(self, data: Any) -> None:
        await self.send_input({"type": "websocket.receive", "text": json.dumps(data)})

    async def receive_json_from(self, timeout: float = 60) -> dict:
        answer = await self.receive_output(timeout)
        assert answer["type"] == "websocket.send", answer
        return json.loads(answer["text"])

    async def receive_until(self, predicate, timeout: float = 60) -> dict:
        """Skip messages until one matches (e.g. the ``done`` reply racing the broadcast)."""
        while True:
            message = await self.receive_json_from(timeout)
            if predicate(message):
                return message

    async def disconnect(self, code: int = 1000) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(30)

    async def receive_nothing(self, timeout: float = 0.1) -> bool:
        return await super().receive_nothing(timeout)
