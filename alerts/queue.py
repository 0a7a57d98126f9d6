"""What alerts' domain hands to its Celery tasks (defined in ``alerts/tasks.py``), always after commit.

The tasks call the domain, so the domain reaches them by their registered names here instead of importing
``alerts.tasks`` back: one place lists every hand-over, and no import circle runs through the tasks.
"""

from __future__ import annotations

import logging

from celery import current_app
from django.db import transaction

log = logging.getLogger(__name__)

ESCALATE = "alerts.escalate"
DELIVER = "alerts.deliver"
DEVICE_ACTIONS = "alerts.device_actions"


def _task(name: str):
    return current_app.tasks[name]  # the registered task: .delay() honours CELERY_TASK_ALWAYS_EAGER


def escalate_after_commit(alert_id: int) -> None:
    """A new alarm: plan and start its escalation chain once the alarm is committed (the beat job's sweep plans
    what a lost task missed)."""
    transaction.on_commit(lambda: _task(ESCALATE).delay(alert_id), robust=True)


def deliver_each(notification_ids: list[int]) -> None:
    """Queue each notification as its own task: a slow or dead channel holds up nobody else."""
    for pk in notification_ids:
        try:
            _task(DELIVER).delay(pk)
        except Exception:  # broker down: the sweep job picks pending rows up later
            log.exception("could not queue notification %s", pk)


def deliver_each_after_commit(notification_ids: list[int]) -> None:
    if notification_ids:
        transaction.on_commit(lambda: deliver_each(notification_ids), robust=True)


def device_actions_after_commit(command_id: int) -> None:
    """Send a command's pending device actions once the command is committed."""
    transaction.on_commit(lambda: _task(DEVICE_ACTIONS).delay(command_id), robust=True)
