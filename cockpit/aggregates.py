"""Write side: recompute the cockpit's precomputed figures from the lower apps' data.

``refresh_figures`` is what the beat job and the event listeners call. It reads
each source with a few GROUP BY queries for all requested blocks at once, scores
each block, and upserts ``BlockFigures``; the daily figures of the last days are
rewritten in the same transaction, so the screen never sees half a refresh.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from apartments.models import Apartment
from cockpit import sources
from cockpit.models import BlockDay, BlockFigures
from cockpit.risk import inputs_of, score, state

BLOCK_FIELDS = [
    "state",
    "rooms",
    "beds",
    "residents",
    "registered",
    "registration_overdue",
    "permits",
    "devices",
    "devices_online",
    "alarms_open",
    "alarms_critical_open",
    "alarms_week",
    "alarm_kinds_week",
    "hazards_open",
    "hazards_overdue",
    "hazard_kinds_open",
    "patrol_coverage",
    "feedback_open",
    "risk_score",
    "risk_reasons",
    "computed_at",
]


def refresh_figures(*, apartment_ids: list[int] | None = None, days: int = 2) -> int:
    """Recompute the figures of ``apartment_ids`` (all active blocks when None) and their last ``days`` days.

    Returns how many blocks were refreshed.
    """
    blocks = Apartment.objects.filter(is_active=True)
    if apartment_ids is not None:
        blocks = blocks.filter(pk__in=apartment_ids)
    ids = list(blocks.values_list("pk", flat=True))
    if not ids:
        return 0
    now = timezone.now()
    today = timezone.localdate(now)
    with translation.override(settings.LANGUAGE_CODE):  # stored reasons in the source language; pages render theirs
        rows = _block_rows(ids, now, today)
    day_rows = _day_rows(ids, today - timedelta(days=max(days, 1) - 1), today)
    with transaction.atomic():
        BlockFigures.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["apartment"], update_fields=BLOCK_FIELDS
        )
        start = today - timedelta(days=max(days, 1) - 1)
        BlockDay.objects.filter(apartment_id__in=ids, day__gte=start, day__lte=today).delete()
        BlockDay.objects.bulk_create(day_rows, batch_size=2000)
        keep_from = today - timedelta(days=_trend_days() + 7)
        BlockDay.objects.filter(day__lt=keep_from).delete()
    return len(rows)


def _trend_days() -> int:
    return settings.COCKPIT_TREND_DAYS


def _block_rows(ids: list[int], now, today: date) -> list[BlockFigures]:
    place = sources.place_figures(ids)
    residents = sources.resident_figures(ids)
    devices = sources.device_figures(ids)
    registration = sources.registration_figures(ids, today)
    alarms = sources.alarm_figures(ids, now)
    hazards = sources.hazard_figures(ids, today)
    feedback = sources.feedback_figures(ids)

    def pick(source: sources.Figures, pk: int, key: str, default=0):
        return source.get(pk, {}).get(key, default)

    rows = []
    for pk in ids:
        fig = BlockFigures(
            apartment_id=pk,
            rooms=int(place.get(pk, {}).get("rooms", 0)),
            beds=int(place.get(pk, {}).get("beds", 0)),
            residents=int(residents.get(pk, {}).get("residents", 0)),
            registered=pick(registration, pk, "registered"),
            registration_overdue=pick(registration, pk, "registration_overdue"),
            permits=pick(registration, pk, "permits"),
            devices=int(devices.get(pk, {}).get("devices", 0)),
            devices_online=int(devices.get(pk, {}).get("devices_online", 0)),
            alarms_open=pick(alarms, pk, "alarms_open"),
            alarms_critical_open=pick(alarms, pk, "alarms_critical_open"),
            alarms_week=pick(alarms, pk, "alarms_week"),
            alarm_kinds_week=pick(alarms, pk, "alarm_kinds_week", {}) or {},
            hazards_open=pick(hazards, pk, "hazards_open"),
            hazards_overdue=pick(hazards, pk, "hazards_overdue"),
            hazard_kinds_open=pick(hazards, pk, "hazard_kinds_open", {}) or {},
            patrol_coverage=pick(hazards, pk, "patrol_coverage", None),
            feedback_open=pick(feedback, pk, "feedback_open"),
            computed_at=now,
        )
        inputs = inputs_of(fig)
        risk = score(inputs)
        fig.risk_score = risk.score
        fig.risk_reasons = risk.reasons
        fig.state = state(inputs, critical_open=fig.alarms_critical_open)
        rows.append(fig)
    return rows


def _day_rows(ids: list[int], start: date, end: date) -> list[BlockDay]:
    totals: dict[tuple[int, date, str], float] = {}
    for feed in (sources.resident_days, sources.alarm_days, sources.door_days, sources.registration_days):
        for apartment_id, day, figure, value in feed(ids, start, end):
            key = (apartment_id, day, figure)
            totals[key] = totals.get(key, 0.0) + value
    return [BlockDay(apartment_id=a, day=d, figure=f, value=v) for (a, d, f), v in totals.items()]
