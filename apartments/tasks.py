"""Periodic inspection jobs (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from apartments.hazards import escalate_overdue_hazards as _escalate


@shared_task(name="apartments.escalate_overdue_hazards")
def escalate_overdue_hazards() -> int:
    """Escalate hazards past their rectification deadline to the street."""
    return len(_escalate())
