"""What ``/healthz`` checks: the database, Redis (channel layer and Celery broker), and the heartbeats that the
Celery workers (one part per queue: ``worker:alarms``, ``worker:celery``, ...), the MQTT consumers and beat leave
in the cache.

Each long-running process records ``beat_record(<part>)`` every ``HEALTH_HEARTBEAT_SECONDS`` while it works; a
part whose last heartbeat is older than ``HEALTH_STALE_SECONDS`` is down. Which parts must be up follows the
deployment: the workers and beat when Celery runs for real (not eagerly in the web process), the MQTT consumer
when ``MQTT_URL`` is set too. On the embedded defaults (one process, no Redis) a part that does not exist there is
reported as ``off`` with the reason, never as ``ok``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

OK, DOWN, OFF = "ok", "down", "off"
WORKER, INGEST, BEAT = "worker", "ingest", "beat"


@dataclass
class Check:
    status: str  # ok | down | off
    detail: str = ""
    last: str | None = None  # the last heartbeat, ISO 8601


def worker_part(queue: str) -> str:
    """The health part of the workers consuming ``queue``: ``worker:<queue>``."""
    return f"{WORKER}:{queue}"


def expected_queues() -> list[str]:
    """The Celery queues that some worker must consume (settings.CELERY_TASK_QUEUES)."""
    return [queue.name for queue in settings.CELERY_TASK_QUEUES] or ["celery"]


def _key(part: str) -> str:
    return f"health:heartbeat:{part}"


def beat_record(part: str, who: str = "") -> None:
    """A long-running process says it is alive (``part``: worker, ingest or beat; ``who``: which one)."""
    now = timezone.now()
    cache.set(_key(part), {"at": now.isoformat(), "who": who}, timeout=max(3600, settings.HEALTH_STALE_SECONDS * 4))


def beat_keep(part: str, who: str, alive: threading.Event | None = None) -> threading.Event:
    """Record ``part``'s heartbeat every HEALTH_HEARTBEAT_SECONDS in a daemon thread until the returned event is
    set; with ``alive``, only while that event is set (e.g. while the MQTT consumer is subscribed)."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            if alive is None or alive.is_set():
                try:
                    beat_record(part, who)
                except Exception:  # the cache is down: /healthz says so; the process goes on with its work
                    pass
            stop.wait(settings.HEALTH_HEARTBEAT_SECONDS)

    threading.Thread(target=loop, name=f"health-{part}", daemon=True).start()
    return stop


def _heartbeat(part: str, required: bool, off_reason: str) -> Check:
    try:
        seen = cache.get(_key(part))
    except Exception as exc:
        return Check(DOWN, f"cache unreadable: {type(exc).__name__}")
    if not seen:
        return Check(DOWN, "no heartbeat yet") if required else Check(OFF, off_reason)
    at = datetime.fromisoformat(seen["at"])
    age = (timezone.now() - at).total_seconds()
    who = f" ({seen['who']})" if seen.get("who") else ""
    if age > settings.HEALTH_STALE_SECONDS:
        detail = f"last heartbeat {age:.0f} s ago{who}, more than {settings.HEALTH_STALE_SECONDS} s"
        return Check(DOWN if required else OFF, detail if required else f"{off_reason}; {detail}", seen["at"])
    return Check(OK, f"heartbeat {age:.0f} s ago{who}", seen["at"])


def _database() -> Check:
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return Check(OK, connection.vendor)
    except Exception as exc:
        return Check(DOWN, f"{type(exc).__name__}: {str(exc)[:200]}")


def _redis_ping(url: str) -> Check:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
        return Check(OK)
    except redis.RedisError as exc:
        return Check(DOWN, f"{type(exc).__name__}: {str(exc)[:200]}")


def _channel_layer() -> Check:
    layer = settings.CHANNEL_LAYERS["default"]
    if "redis" not in layer["BACKEND"].lower():
        return Check(OFF, "in-memory channel layer (embedded: pushes reach only this process)")
    host = layer["CONFIG"]["hosts"][0]
    return _redis_ping(host["address"] if isinstance(host, dict) else host)


def _broker() -> Check:
    url = settings.CELERY_BROKER_URL
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return Check(OFF, "Celery runs tasks in the web process (CELERY_TASK_ALWAYS_EAGER)")
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return Check(OFF, f"broker {url.split(':', 1)[0]} not checked")
    return _redis_ping(url)


def health() -> dict[str, Check]:
    """Every part's state, in a stable order."""
    real_celery = not settings.CELERY_TASK_ALWAYS_EAGER
    eager = "tasks run in the web process (embedded)"
    return {
        "database": _database(),
        "channel_layer": _channel_layer(),
        "broker": _broker(),
        **{worker_part(queue): _heartbeat(worker_part(queue), real_celery, eager) for queue in expected_queues()},
        BEAT: _heartbeat(BEAT, real_celery, "periodic jobs run only under `manage.py serve --simulate` (embedded)"),
        INGEST: _heartbeat(
            INGEST,
            real_celery and bool(settings.MQTT_URL),
            "no MQTT consumer expected (MQTT_URL unset or embedded: devices are simulated or post over HTTP)",
        ),
    }


def report() -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) for /healthz: 503 naming every part that is down."""
    checks = health()
    down = [name for name, check in checks.items() if check.status == DOWN]
    body = {
        "status": "down" if down else "ok",
        "down": down,
        "checks": {name: asdict(check) for name, check in checks.items()},
        "embedded": settings.CELERY_TASK_ALWAYS_EAGER,
    }
    return (503 if down else 200), body


def age_of(part: str) -> float | None:
    """Seconds since ``part``'s last heartbeat, or None (for ``manage.py health``)."""
    seen = cache.get(_key(part))
    if not seen:
        return None
    return time.time() - datetime.fromisoformat(seen["at"]).timestamp()


def web_answers(url: str) -> bool:
    """The web server at ``url`` answers /healthz (200, or 503 because another part is down) with its database up.

    Asked with the first configured host name: in production ALLOWED_HOSTS does not list 127.0.0.1."""
    import json
    import urllib.error
    import urllib.request

    host = next((h.lstrip(".") for h in settings.ALLOWED_HOSTS if h != "*"), "")
    request = urllib.request.Request(f"{url.rstrip('/')}/healthz", headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            body = json.load(response)
    except urllib.error.HTTPError as exc:
        if exc.code != 503:
            return False
        body = json.load(exc)
    except OSError:  # nothing listens, or it does not answer in time
        return False
    return body["checks"]["database"]["status"] == OK


def main(argv: list[str]) -> int:
    """``python -m shijiao.health [worker:<queue>|beat|ingest]``: exit 0 when that part's heartbeat is fresh (a
    container's health check); ``web <url>``: the web server at url answers; nothing: print the /healthz report,
    exit 0 only when nothing is down."""
    import json

    if argv and argv[0] == "web" and len(argv) == 2:
        ok = web_answers(argv[1])
        print(f"web {argv[1]}: {'answers' if ok else 'does not answer'}")
        return 0 if ok else 1
    if argv and argv[0] not in (BEAT, INGEST) and not argv[0].startswith(f"{WORKER}:"):
        print(f"usage: python -m shijiao.health [worker:<queue>|{BEAT}|{INGEST}|web <url>]")
        return 2
    if argv:
        age = age_of(argv[0])
        fresh = age is not None and age <= settings.HEALTH_STALE_SECONDS
        print(f"{argv[0]}: " + ("no heartbeat" if age is None else f"last heartbeat {age:.0f} s ago"))
        return 0 if fresh else 1
    status, body = report()
    print(json.dumps(body, ensure_ascii=False, indent=2))
    return 0 if status == 200 else 1


if __name__ == "__main__":
    import os
    import sys

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shijiao.settings")
    django.setup()
    sys.exit(main(sys.argv[1:]))
