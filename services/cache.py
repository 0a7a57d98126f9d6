"""Public lists (jobs, rentals, clinics, guides, notices, the answered board) served from the cache.

Each list has a namespace with a version number in the cache; a cached page's key contains the version, so
bumping it on any change (``bump``) makes every cached page of that list stale at once, without scanning keys.
Each process remembers a version for ``VERSION_MEMO_SECONDS`` (one cache round trip less per request, a third
of a cached request's time): another process's change shows within that second, this process's at once.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import get_language

PREFIX = "svc"


def _version_key(namespace: str) -> str:
    return f"{PREFIX}:ver:{namespace}"


VERSION_MEMO_SECONDS = 1.0
_memo: dict[str, tuple[float, int]] = {}


def version(namespace: str) -> int:
    now = time.monotonic()
    memo = _memo.get(namespace)
    if memo is not None and now - memo[0] < VERSION_MEMO_SECONDS:
        return memo[1]
    value = cache.get(_version_key(namespace))
    if value is None:
        cache.add(_version_key(namespace), 1, timeout=None)
        value = cache.get(_version_key(namespace)) or 1
    _memo[namespace] = (now, int(value))
    return int(value)


def bump(*namespaces: str) -> None:
    """Make every cached page of these lists stale (call after a change is committed)."""
    for namespace in namespaces:
        _memo.pop(namespace, None)
        key = _version_key(namespace)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 2, timeout=None)


def cached(namespace: str, request, build: Callable[[], Any], *, vary: str = "") -> Any:
    """Return the cached data for this request of ``namespace``, building it when missing."""
    raw = f"{request.get_host()}|{request.get_full_path()}|{get_language()}|{vary}"
    key = f"{PREFIX}:{namespace}:{version(namespace)}:{hashlib.sha1(raw.encode()).hexdigest()}"
    data = cache.get(key)
    if data is None:
        data = build()
        cache.set(key, data, timeout=settings.SERVICES_LIST_CACHE_SECONDS)
    return data


def cached_value(namespace: str, name: str, build: Callable[[], Any]) -> Any:
    """A small value derived from ``namespace``'s data, dropped with it."""
    key = f"{PREFIX}:{namespace}:{version(namespace)}:{name}"
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, timeout=settings.SERVICES_LIST_CACHE_SECONDS)
    return value
