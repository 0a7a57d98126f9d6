"""Start-up checks: a process that cannot reach what it needs says so in one sentence and stops."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn


def fail(message: str) -> NoReturn:
    """Stop the process with one readable line instead of a traceback."""
    sys.stderr.write(f"e智办 无法启动 (cannot start): {message}\n")
    raise SystemExit(1)


def run_guarded(main: Callable[[], object]) -> object:
    """Run ``main``; configuration errors become one clear sentence and exit status 1."""
    from django.core.exceptions import ImproperlyConfigured

    try:
        return main()
    except ImproperlyConfigured as exc:
        fail(str(exc))


def check_services() -> None:
    """In production mode (REDIS_URL set) make sure Redis answers before serving anything."""
    from django.conf import settings

    if settings.REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3, socket_timeout=3).ping()
        except redis.RedisError as exc:
            fail(f"Redis at REDIS_URL={settings.REDIS_URL} does not answer ({exc}). Start Redis or fix REDIS_URL.")
