"""Escalate hazards past their rectification deadline to the street (also run by Celery beat)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from apartments.hazards import escalate_overdue_hazards


class Command(BaseCommand):
    help = (
        "Mark every hazard still waiting for rectification after its deadline as escalated to the street "
        "(each only once) and record it in the hazard's history. Celery beat runs the same job every "
        "HAZARD_ESCALATION_CHECK_SECONDS; use this command from cron when running without Celery."
    )

    def handle(self, *args, **options) -> None:
        ids = escalate_overdue_hazards()
        self.stdout.write(f"escalated {len(ids)} overdue hazard(s)")
