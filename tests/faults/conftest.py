"""Fixtures of the fault tests: throwaway servers, started and stopped around one test."""

from __future__ import annotations

import shutil

import pytest

from conftest import require_service
from tests.faults.servers import Redis, free_port


@pytest.fixture
def redis_server(tmp_path, request):
    """A throwaway Redis, on the test module's ``REDIS_PORT`` when it has one (16379 else, or any free port): while
    a restart keeps it down, another fault test may take the port it left."""
    require_service("redis-server (apt-get install redis-server)", shutil.which("redis-server") is not None)
    server = Redis(tmp_path, port=free_port(getattr(request.module, "REDIS_PORT", 16379)))
    server.start()
    yield server
    server.stop()
