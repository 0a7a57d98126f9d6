"""Throttles count requests in fixed windows: one counter per client and window, whatever the rate."""

from __future__ import annotations

import uuid

import pytest
import redis
from django.core.cache import cache
from rest_framework.test import APIClient

from conftest import require_redis
from shijiao.api import ClientIpThrottle
from shijiao.cache import RedisCache

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_an_hour():
    saved = ClientIpThrottle.THROTTLE_RATES
    # An hour: the test's few requests never straddle two windows.
    ClientIpThrottle.THROTTLE_RATES = {**saved, "anon": "3/hour"}
    cache.clear()
    yield
    ClientIpThrottle.THROTTLE_RATES = saved
    cache.clear()


def test_the_fourth_request_in_a_minute_is_refused_with_a_retry_after(three_an_hour):
    client = APIClient(REMOTE_ADDR="203.0.113.7")
    responses = [client.get("/api/v1/jobs/") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    refused = responses[-1]
    assert refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 3601
    other = APIClient(REMOTE_ADDR="203.0.113.8")  # another address has its own count
    assert other.get("/api/v1/jobs/").status_code == 200


def test_the_stored_state_is_one_counter_not_a_list_of_request_times(three_an_hour):
    client = APIClient(REMOTE_ADDR="203.0.113.9")
    for _ in range(3):
        client.get("/api/v1/jobs/")
    throttle = ClientIpThrottle()
    prefix = throttle.cache_format % {"scope": "anon", "ident": "203.0.113.9"}
    window = int(throttle.timer() // 3600)
    assert cache.get(f"{prefix}:{window}") == 3
    assert cache.get(prefix) is None  # DRF's own list of timestamps is not kept


@pytest.mark.integration
def test_on_redis_the_counter_is_one_key_per_window_with_an_expiry(three_an_hour, settings, monkeypatch):
    require_redis(settings.TEST_REDIS_URL)
    shared = RedisCache(settings.TEST_REDIS_URL, {"KEY_PREFIX": f"throttle-{uuid.uuid4().hex[:8]}"})
    monkeypatch.setattr(ClientIpThrottle, "cache", shared)
    client = APIClient(REMOTE_ADDR="203.0.113.10")
    assert [client.get("/api/v1/jobs/").status_code for _ in range(4)] == [200, 200, 200, 429]

    throttle = ClientIpThrottle()
    key = shared.make_key(f"{throttle.cache_format % {'scope': 'anon', 'ident': '203.0.113.10'}}:"
                          f"{int(throttle.timer() // 3600)}")  # fmt: skip
    raw = redis.Redis.from_url(settings.TEST_REDIS_URL)
    assert int(raw.get(key)) == 4  # the refused request counted too
    assert 0 < raw.ttl(key) <= 3601
    raw.delete(key)
