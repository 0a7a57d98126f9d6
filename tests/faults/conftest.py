"""Fixtures of the fault tests: throwaway servers, started and stopped around one test."""

from __future__ import annotations

import shutil

import pytest

from conftest import require_service
from tests.faults.servers import Redis, free_port


@pytest.fixture
def redis_server(tmp_path):
    require_service("redis-server (apt-get install redis-server)", shutil.which("redis-server") is not None)
    server = Redis(tmp_path, port=free_port(16379))
    server.start()
    yield server
    server.stop()
