"""The channel layer as our WebSockets use it: a Redis layer whose receive ends when cancelled, and consumers that
keep their group memberships while their socket is open.

Both found by tests/faults/test_redis_browser_faults.py (Redis restarted or emptied under open pages).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels_redis import core
from django.conf import settings

log = logging.getLogger(__name__)

RECANCEL_SECONDS = 0.1


class RedisChannelLayer(core.RedisChannelLayer):
    """channels_redis's layer, with a ``receive`` that always ends when cancelled.

    Channels cancels a consumer's ``receive`` when the consumer ends (the browser left, or the consumer failed) and
    waits for it. On Python 3.11, ``asyncio.wait_for`` swallows a cancellation that lands in the loop tick in which
    the awaited future completes (python/cpython#86296; 3.12's rewrite fixed it), and redis-py awaits its socket
    writes that way. When Redis has just come back every consumer reconnects at once and that tick is easy to hit:
    the receive carried on for ever, so did its consumer, and the browser's WebSocket handshake was never answered.
    Chromium opens one WebSocket at a time per host, so that page never reconnected.
    """

    async def receive(self, channel: str) -> dict[str, Any]:
        task = asyncio.ensure_future(super().receive(channel))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            # Cancel until it ends: a swallowed cancellation is delivered again at the task's next await.
            while not task.done():
                task.cancel()
                await asyncio.wait([task], timeout=RECANCEL_SECONDS)
            if not task.cancelled():
                task.exception()  # retrieved: a failure while being cancelled is not worth a warning
            raise


class GroupsKeptConsumer(AsyncJsonWebsocketConsumer):
    """A consumer that joins its groups again every ``WS_REFRESH_SECONDS`` while its socket is open.

    Redis can lose the memberships under an open socket: emptied (a restart without persistence that the consumer
    outlived, a flush) or dropped by channels_redis's ``group_expiry`` (a day) on a screen nobody reloads. The page
    then shows itself live and hears nothing. ``groups_refreshed`` runs after each round: catch up there on what
    the lost memberships kept from the client.
    """

    groups_joined: tuple[str, ...] = ()
    _refresher: asyncio.Task | None = None
    _ended = False

    async def join_groups(self, groups: list[str]) -> None:
        self.groups_joined = tuple(groups)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        if self._refresher is None:
            self._refresher = asyncio.ensure_future(self._keep_groups())

    async def leave_groups(self) -> None:
        self._stop_refreshing()
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def groups_refreshed(self) -> None:
        """Called after every round of joining again."""

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._stop_refreshing()  # however it ended: a consumer that failed never runs disconnect()

    def _stop_refreshing(self) -> None:
        self._ended = True
        if self._refresher is not None:
            self._refresher.cancel()

    async def _keep_groups(self) -> None:
        while True:
            await asyncio.sleep(settings.WS_REFRESH_SECONDS)
            if self._ended:  # a cancellation may be swallowed (see RedisChannelLayer): never outlive the consumer
                return
            try:
                for group in self.groups_joined:
                    await self.channel_layer.group_add(group, self.channel_name)
                if self._ended:  # it left meanwhile: take back what this round added
                    for group in self.groups_joined:
                        await self.channel_layer.group_discard(group, self.channel_name)
                    return
                await self.groups_refreshed()
            except Exception as exc:  # Redis away: the next round tries again
                log.warning("joining %s again failed: %r", self.groups_joined, exc)
