"""Celery entry points: thin, they take ids and call cockpit.aggregates."""

from __future__ import annotations

from celery import shared_task

from cockpit.aggregates import refresh_figures
from cockpit.push import announce_figures_updated


@shared_task(name="cockpit.refresh_figures", ignore_result=True)
def refresh_figures_task(apartment_ids: list[int] | None = None, days: int = 2) -> int:
    """Recompute the cockpit's figures (all blocks from beat; some blocks after an event) and tell the screens."""
    n = refresh_figures(apartment_ids=apartment_ids, days=days)
    announce_figures_updated(apartment_ids=apartment_ids)
    return n
