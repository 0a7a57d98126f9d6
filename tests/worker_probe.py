"""A task for tests that start a real worker with ``-I tests.worker_probe``: it reports its PostgreSQL backend."""

from __future__ import annotations

import redis
from celery import shared_task
from django.db import connection


@shared_task(name="tests.backend_pid")
def backend_pid(redis_url: str, key: str) -> int:
    """Push the process id of the PostgreSQL backend serving this task onto the Redis list ``key``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    redis.Redis.from_url(redis_url).rpush(key, pid)
    return pid
