"""The Celery app: configuration from Django settings (CELERY_*), tasks from each app's tasks.py."""

from __future__ import annotations

import os

from celery import Celery
from celery.beat import PersistentScheduler
from celery.signals import task_postrun, task_prerun, worker_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shijiao.settings")

app = Celery("shijiao")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Celery's Django fix-up closes every database connection before and after each task unless this is set
# (celery#4116, #9824 reverted): a new PostgreSQL backend for every ingest batch and every escalation (895
# in one alarm bench run), whose CPU saturated the 2 cores alarms wait on. With it set
# the fix-up closes them only every 2 × this many tasks; the handlers below give tasks the lifecycle Django
# gives requests instead: connections kept DATABASE_CONN_MAX_AGE seconds, and dropped when broken.
app.conf.CELERY_DB_REUSE_MAX = 10_000


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(task=None, **_kwargs) -> None:
    if task is not None and getattr(task.request, "is_eager", False):
        return  # run in-process (embedded defaults, tests), maybe inside the caller's transaction: leave it be
    from django.db import close_old_connections

    close_old_connections()


@worker_init.connect
def _check_services_at_worker_start(**_kwargs) -> None:
    from shijiao.startup import check_services

    check_services()


@worker_ready.connect
def _keep_worker_heartbeat(sender=None, **_kwargs) -> None:
    """The worker says, for each queue it consumes, that it is alive every HEALTH_HEARTBEAT_SECONDS (/healthz)."""
    from shijiao.health import beat_keep, worker_part

    hostname = getattr(sender, "hostname", "") or ""
    queues = list(sender.app.amqp.queues.consume_from) if sender is not None else []
    for queue in queues or ["celery"]:
        beat_keep(worker_part(queue), hostname)


class RecordingScheduler(PersistentScheduler):
    """Celery beat's scheduler, leaving a heartbeat for /healthz each time it runs through its schedule."""

    _recorded = 0.0

    def tick(self, *args, **kwargs) -> float:
        import socket
        import time

        from django.conf import settings

        from shijiao.health import BEAT, beat_record

        interval = super().tick(*args, **kwargs)
        now = time.monotonic()
        if now - self._recorded >= settings.HEALTH_HEARTBEAT_SECONDS:
            self._recorded = now
            try:
                beat_record(BEAT, socket.gethostname())
            except Exception:  # the cache is down: /healthz says so; beat goes on
                pass
        return min(interval, settings.HEALTH_HEARTBEAT_SECONDS)
