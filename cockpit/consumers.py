"""The cockpit's own push: "figures.updated" after a refresh, so open screens fetch the new figures.

Alarms themselves reach the screen from the alerts app's WebSocket; this one only says
that the precomputed figures changed.
"""

from __future__ import annotations

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from cockpit.overview import may_use_cockpit

GROUP = "cockpit"


class CockpitConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not may_use_cockpit(user):
            await self.close(code=4403)
            return
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def figures_updated(self, event: dict) -> None:
        await self.send_json({"type": "figures.updated", "blocks": event.get("blocks", []), "at": event.get("at")})
