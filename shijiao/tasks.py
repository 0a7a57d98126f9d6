"""Project-wide periodic jobs."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "celery:heartbeat"


@shared_task(name="shijiao.heartbeat")
def heartbeat() -> str:
    """Leave a timestamp that the health check reads to tell whether workers are alive."""
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, now, timeout=3600)
    return now
