"""Integration with the real Redis: channels_redis round trip and Celery through its broker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from asgiref.sync import async_to_sync
from channels_redis.core import RedisChannelLayer
from django.conf import settings

from conftest import require_redis

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def redis_client():
    require_redis(settings.TEST_REDIS_URL)
    return redis.Redis.from_url(settings.TEST_REDIS_URL, socket_connect_timeout=2)


def test_channel_layer_round_trip_through_redis(redis_client):
    layer = RedisChannelLayer(hosts=[settings.TEST_REDIS_URL], prefix=f"test-{uuid.uuid4().hex[:8]}")

    async def round_trip() -> dict:
        channel = await layer.new_channel()
        await layer.group_add("cockpit", channel)
        await layer.group_send("cockpit", {"type": "alert.created", "block": "新华工业园6号公寓"})
        message = await layer.receive(channel)
        await layer.group_discard("cockpit", channel)
        await layer.flush()
        return message

    assert async_to_sync(round_trip)() == {"type": "alert.created", "block": "新华工业园6号公寓"}


def test_celery_worker_runs_a_task_sent_through_the_redis_broker(redis_client):
    """A real worker process takes the heartbeat task from Redis and leaves its mark in the Redis cache."""
    redis_url = settings.TEST_REDIS_URL
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "shijiao.settings",
        "VAR_DIR": str(ROOT / "var" / "test"),
    }
    env.pop("DATABASE_URL", None)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "shijiao",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--loglevel=WARNING",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        sender = subprocess.run(
            [
                sys.executable,
                "-c",
                "import django; django.setup(); from django.core.cache import cache; cache.delete('celery:heartbeat'); "
                f"from shijiao.tasks import heartbeat; heartbeat.apply_async(queue='{queue}')",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert sender.returncode == 0, sender.stderr
        reader = (
            "import django, sys, time; django.setup(); from django.core.cache import cache\n"
            "for _ in range(200):\n"
            "    v = cache.get('celery:heartbeat')\n"
            "    if v: print(v); sys.exit(0)\n"
            "    time.sleep(0.1)\n"
            "sys.exit(1)\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", reader], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, "the worker never ran the task"
        assert result.stdout.strip().startswith(time.strftime("%Y"))
    finally:
        worker.terminate()
        worker.wait(timeout=20)
