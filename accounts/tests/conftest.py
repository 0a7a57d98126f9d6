from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.tests.fakehttp import start_fake_server


@pytest.fixture(autouse=True)
def _fresh_throttles():
    # Throttle counters live in the cache; each test starts with none.
    cache.clear()
    yield


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def fake_http():
    state, server = start_fake_server()
    yield state
    server.shutdown()
    server.server_close()
