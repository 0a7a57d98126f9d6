"""Escalation until someone acts: each step of the severity's chain is a row with a due time.

A new alarm's chain is planned by the task queued when it is raised (``queue.escalate_after_commit``: planning
stays out of the ingest transaction), or by the beat job if that task was lost. A due step runs exactly once:
the beat job (and that task) locks due rows with ``select_for_update(skip_locked=True)`` and moves them from
pending to done in the same transaction that writes their notifications, so a restart of workers or beat
neither loses nor repeats a step. Acknowledging cancels the pending steps.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from alerts import notifications, queue
from alerts.history import alarm_event_record
from alerts.models import Alert, AlertEvent, EscalationStep, PlannedEscalation


def plan(alert: Alert, *, since: datetime | None = None) -> list[PlannedEscalation]:
    """Plan the chain of the alarm's severity (idempotent: one row per alarm and step).

    The chain counts from when the platform learned of the alarm (``learned_at``), never from the reading's own
    time: a two-day-old reading from a device emptying its buffer starts its chain now, with only the immediate
    steps due at once, like any new alarm. ``since``: from another moment (the severity climbed).
    """
    start = since or alert.learned_at or alert.raised_at
    steps = EscalationStep.objects.filter(severity=alert.severity, is_enabled=True)
    rows = [
        PlannedEscalation(alert=alert, step=step, due_at=start + timedelta(seconds=step.delay_seconds))
        for step in steps
    ]
    PlannedEscalation.objects.bulk_create(rows, ignore_conflicts=True)
    return rows


def follow_severity(alert: Alert, *, now: datetime) -> None:
    """The alarm's severity climbed: the steps still pending of the lower chain give way to the new severity's
    chain, counted from now (its immediate steps run at once; steps already done are not repeated)."""
    PlannedEscalation.objects.filter(alert=alert, status=PlannedEscalation.Status.PENDING).update(
        status=PlannedEscalation.Status.CANCELLED
    )
    plan(alert, since=now)
    queue.escalate_after_commit(alert.pk)


def plan_missing(*, alert_id: int | None = None) -> int:
    """Plan the chains of open, unacknowledged alarms that have none yet."""
    waiting = Alert.objects.filter(closed_at__isnull=True, acknowledged_at__isnull=True, escalations__isnull=True)
    if alert_id is not None:
        waiting = waiting.filter(pk=alert_id)
    alerts = list(waiting[:500])
    for alert in alerts:
        plan(alert)
    return len(alerts)


def cancel(alert: Alert) -> int:
    return PlannedEscalation.objects.filter(alert=alert, status=PlannedEscalation.Status.PENDING).update(
        status=PlannedEscalation.Status.CANCELLED
    )


def run_due(*, now: datetime | None = None, alert_id: int | None = None, limit: int = 200) -> list[int]:
    """Execute every due step (of one alarm, or all); answers the ids of the notifications created."""
    now = now or timezone.now()
    created: list[int] = []
    with transaction.atomic():
        plan_missing(alert_id=alert_id)
        due = PlannedEscalation.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            status=PlannedEscalation.Status.PENDING, due_at__lte=now
        )
        if alert_id is not None:
            due = due.filter(alert_id=alert_id)
        # One history line (and one push) per alarm and run, listing every step it executed.
        notes: dict[int, tuple[Alert, list[str]]] = {}
        for row in due.select_related("alert", "alert__apartment", "alert__device", "step").order_by("due_at")[:limit]:
            alert = row.alert
            if alert.acknowledged_at is not None or alert.closed_at is not None:
                row.status = PlannedEscalation.Status.CANCELLED
                row.save(update_fields=["status"])
                continue
            row.status = PlannedEscalation.Status.DONE
            row.executed_at = now
            row.save(update_fields=["status", "executed_at"])
            step = row.step
            ids, names = notifications.notify_alarm_step(alert=alert, step=step)
            created.extend(ids)
            label = step.contact_group if step.contact_group else step.get_target_display()
            who = pgettext("between names", "、").join(names) or _("无人可通知")
            notes.setdefault(alert.pk, (alert, []))[1].append(
                _("通知%(target)s (%(channels)s): %(names)s")
                % {"target": label, "channels": ", ".join(step.channels), "names": who}
            )
        for alert, lines in notes.values():
            alarm_event_record(alert, AlertEvent.Kind.ESCALATED, now, note="; ".join(lines))
        queue.deliver_each_after_commit(created)
    return created
