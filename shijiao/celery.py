"""The Celery app: configuration from Django settings (CELERY_*), tasks from each app's tasks.py."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shijiao.settings")

app = Celery("shijiao")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _check_services_at_worker_start(**_kwargs) -> None:
    from shijiao.startup import check_services

    check_services()
