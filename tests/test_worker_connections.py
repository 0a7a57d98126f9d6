"""A Celery worker keeps its PostgreSQL connection from task to task, and replaces one that broke.

Celery's Django fix-up closes every connection before and after each task unless told otherwise: every ingest
batch and escalation then paid for a new PostgreSQL backend (the alarm bench saw 900 of them a minute, and the
CPU they cost made alarms wait). shijiao/celery.py keeps them for DATABASE_CONN_MAX_AGE with health checks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection

from conftest import require_redis, require_service

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_KEYS = {  # DEBUG=false refuses to start without them (settings.py)
    "SECRET_KEY": "worker-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "PII_ENCRYPTION_KEY": "2cvNHfT3QGyO1Hc8D9yM0uGZ8I7h0Z8rA9B2c3D4e5E=",
    "PII_HASH_KEY": "worker-test-hash-key-0123456789-abcdefgh",
}


def test_a_worker_reuses_its_database_connection_and_replaces_a_broken_one():
    require_service("PostgreSQL", connection.vendor == "postgresql")
    require_redis(settings.TEST_REDIS_URL)
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    database_url = f"postgres://{db['USER'] or 'postgres'}@{host}:{port}/{db['NAME']}"
    queue, key = f"test-conn-{uuid.uuid4().hex[:8]}", f"test:backend-pids:{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "shijiao.settings", "DATABASE_URL": database_url,
           "REDIS_URL": settings.TEST_REDIS_URL, "CELERY_TASK_ALWAYS_EAGER": "false", "DEBUG": "false",
           **PRODUCTION_KEYS, "VAR_DIR": str(ROOT / "var" / "test"),
           # The test is about reuse, not age: a busy machine may take more than the default 60 s for six tasks.
           "DATABASE_CONN_MAX_AGE": "3600"}  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "shijiao", "worker", "-I", "tests.worker_probe", "--pool=prefork",
         "-c", "1", "-Q", queue, "--loglevel=WARNING", "--without-mingle", "--without-gossip", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    sender = Celery(broker=settings.TEST_REDIS_URL)
    results = redis.Redis.from_url(settings.TEST_REDIS_URL)

    def backend() -> int:
        sender.send_task("tests.backend_pid", args=[settings.TEST_REDIS_URL, key], queue=queue)
        # A worker starting on a loaded machine can take minutes. Short blocking pops: redis-py 8 gives up reading
        # after its 5 s socket timeout, however long the BLPOP itself may wait.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            answer = results.blpop([key], timeout=3)
            if answer is not None:
                return int(answer[1])
        raise AssertionError("the worker did not run the probe task within 5 minutes")

    try:
        first = [backend() for _ in range(4)]
        assert len(set(first)) == 1, f"a new database connection per task: backends {first}"

        with connection.cursor() as cursor:  # PostgreSQL drops it (a restart, an idle timeout, an operator)
            cursor.execute("SELECT pg_terminate_backend(%s)", [first[0]])
        after = [backend() for _ in range(2)]
        assert after[0] != first[0] and after[0] == after[1]
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=120)  # a warm shutdown on a busy machine
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=60)
        results.delete(key, queue)
