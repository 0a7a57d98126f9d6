"""The cockpit's own push: "figures.updated" after a refresh, so open screens fetch the new figures.

Alarms themselves reach the screen from the alerts app's WebSocket; this one only says
that the precomputed figures changed.
"""

from __future__ import annotations

from cockpit.overview import may_use_cockpit
from shijiao.channel_layer import GroupsKeptConsumer

GROUP = "cockpit"


class CockpitConsumer(GroupsKeptConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not may_use_cockpit(user):
            await self.close(code=4403)
            return
        await self.join_groups([GROUP])
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.leave_groups()

    async def figures_updated(self, event: dict) -> None:
        await self.send_json({"type": "figures.updated", "blocks": event.get("blocks", []), "at": event.get("at")})
