"""The Celery app: configuration from Django settings (CELERY_*), tasks from each app's tasks.py."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_init

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
