"""The project's Redis cache backend (shijiao/cache.py) against the real Redis: it behaves as Django's does,
with one ``redis.Redis`` client per connection pool shared by every call and thread."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.conf import settings

from conftest import require_redis
from shijiao.cache import RedisCache

pytestmark = pytest.mark.integration


@pytest.fixture
def shared():
    require_redis(settings.TEST_REDIS_URL)
    backend = RedisCache(settings.TEST_REDIS_URL, {"KEY_PREFIX": f"cache-{uuid.uuid4().hex[:8]}"})
    yield backend
    backend.clear()


def test_it_stores_counts_and_forgets_like_django_s_backend(shared):
    assert shared.add("k", {"楼": "新华工业园6号公寓"}, timeout=30) is True
    assert shared.add("k", "other", timeout=30) is False
    assert shared.get("k") == {"楼": "新华工业园6号公寓"}
    shared.set("n", 1, timeout=30)
    assert shared.incr("n", 4) == 5
    assert shared.get_many(["k", "n", "missing"]) == {"k": {"楼": "新华工业园6号公寓"}, "n": 5}
    shared.delete("k")
    assert shared.get("k", "gone") == "gone"


def test_threads_share_one_client_per_pool_and_each_sees_its_own_values(shared):
    clients, errors = set(), []

    def work(i: int) -> None:
        try:
            for j in range(50):
                shared.set(f"t{i}:{j}", (i, j), timeout=30)
                assert shared.get(f"t{i}:{j}") == (i, j)
            clients.add(id(shared._cache.get_client(write=True)))
        except Exception as exc:  # surfaced below: an assertion in a thread would vanish
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(clients) == 1
