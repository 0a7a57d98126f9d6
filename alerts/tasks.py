"""Thin Celery tasks: they take ids, call the domain, and re-queue what must wait.

The domain queues them after commit through ``alerts/queue.py`` (by these names), never by importing this module.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from alerts import commands, escalation, notifications, queue


@shared_task(name="alerts.escalate", acks_late=True)
def escalate(alert_id: int) -> int:
    """Run the due steps of one alarm right away (the immediate ones when it is raised)."""
    return len(escalation.run_due(alert_id=alert_id))


@shared_task(name="alerts.deliver", acks_late=True)
def deliver(notification_id: int) -> str:
    n = notifications.deliver(notification_id, on_outcome=commands.participant_notified)
    if n is None:
        return "gone"
    if n.status == n.Status.RETRYING and n.next_attempt_at is not None:
        countdown = max(0.0, (n.next_attempt_at - timezone.now()).total_seconds())
        deliver.apply_async((notification_id,), countdown=countdown)
    return n.status


@shared_task(name="alerts.device_actions", acks_late=True)
def device_actions(command_id: int) -> int:
    return commands.run_pending_device_actions(command_id=command_id)


@shared_task(name="alerts.sweep")
def sweep() -> dict:
    """Beat job (every few seconds): due escalation steps, due retries, rows stuck in "sending"."""
    created = escalation.run_due()
    notifications.mark_stuck()
    retries = notifications.due_retries()
    queue.deliver_each(retries)
    return {"escalated": len(created), "retried": len(retries)}
