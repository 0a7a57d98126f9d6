"""The Redis channel layer's receive ends when cancelled, even when the first cancellation is swallowed."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels_redis import core

from shijiao.channel_layer import RedisChannelLayer


async def swallows_first_cancellation(self, channel: str) -> dict:
    """What Python 3.11's asyncio.wait_for inside redis-py does when the cancellation lands in the tick in which
    the socket write completes: the cancellation is lost and the receive carries on waiting."""
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        pass
    await asyncio.sleep(30)
    return {"type": "never"}


def test_a_cancelled_receive_ends_even_if_redis_py_swallowed_the_cancellation(monkeypatch):
    monkeypatch.setattr(core.RedisChannelLayer, "receive", swallows_first_cancellation)
    layer = RedisChannelLayer(hosts=["redis://127.0.0.1:9/0"])  # never reached

    async def cancel_a_receive() -> bool:
        receive = asyncio.ensure_future(layer.receive("specific.test!abc"))
        await asyncio.sleep(0.05)
        receive.cancel()
        done, _ = await asyncio.wait([receive], timeout=30)  # ends at once; the deadline is for a busy machine
        return receive in done and receive.cancelled()

    assert async_to_sync(cancel_a_receive)()


def test_a_receive_hands_on_what_arrived_and_what_failed(monkeypatch):
    async def answer(self, channel: str) -> dict:
        if channel.endswith("broken"):
            raise ConnectionError("Redis went away")
        return {"type": "alarm.changed", "channel": channel}

    monkeypatch.setattr(core.RedisChannelLayer, "receive", answer)
    layer = RedisChannelLayer(hosts=["redis://127.0.0.1:9/0"])

    assert async_to_sync(layer.receive)("specific.test!ok") == {"type": "alarm.changed", "channel": "specific.test!ok"}
    with pytest.raises(ConnectionError):
        async_to_sync(layer.receive)("specific.test!broken")
