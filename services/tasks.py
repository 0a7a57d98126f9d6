"""Periodic jobs of the service modules (the beat schedule lives in settings)."""

from __future__ import annotations

from celery import shared_task

from services.feedback import escalate_overdue


@shared_task(name="services.escalate_overdue_feedback")
def escalate_overdue_feedback() -> int:
    """Escalate to the street every consultation or feedback thread past its answer deadline."""
    return len(escalate_overdue())
