"""Millimetre-wave radar: night loitering in corridors and tailgating at the entrance.

Registered with sensors/hooks.py (``radar``): gets every stored ingest batch (``dwell_seconds`` and
``people_count`` of radar devices);
what it finds is a SuspiciousMovement and a residents.signals.suspicious_movement for the alerts app.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from residents.doors import _record_suspicious
from residents.models import AccessEvent, SuspiciousMovement
from sensors.models import Device
from sensors.types import Point

RADAR_METRICS = {"dwell_seconds", "people_count"}


def is_night(at) -> bool:
    hour = timezone.localtime(at).hour
    start, end = settings.RADAR_NIGHT_START_HOUR, settings.RADAR_NIGHT_END_HOUR
    return hour >= start or hour < end if start > end else start <= hour < end


def readings_check(points: list[Point]) -> None:
    radar_points = [p for p in points if p.metric in RADAR_METRICS]
    if not radar_points:
        return
    devices = {
        d.pk: d
        for d in Device.objects.select_related("device_type").filter(
            pk__in={p.device_id for p in radar_points}, device_type__code="radar"
        )
    }
    for point in radar_points:
        device = devices.get(point.device_id)
        if device is None:
            continue
        if point.metric == "dwell_seconds":
            check_loitering(device, point)
        elif point.metric == "people_count":
            check_tailgating(device, point)


@transaction.atomic
def check_loitering(device: Device, point: Point) -> SuspiciousMovement | None:
    """Someone stayed in a corridor at night longer than RADAR_LOITER_MINUTES (one alarm per 30 min per radar)."""
    if point.value < settings.RADAR_LOITER_MINUTES * 60 or not is_night(point.ts):
        return None
    recent = SuspiciousMovement.objects.filter(
        device=device, kind=SuspiciousMovement.Kind.LOITERING, at__gt=point.ts - timedelta(minutes=30)
    )
    if recent.exists():
        return None
    detail = {"floor": device.floor, "location": device.location, "minutes": round(point.value / 60, 1)}
    return _record_suspicious(device, SuspiciousMovement.Kind.LOITERING, detail, point.ts)


@transaction.atomic
def check_tailgating(device: Device, point: Point) -> SuspiciousMovement | None:
    """The entrance radar counted more people than the door let in within TAILGATE_WINDOW_SECONDS."""
    if device.floor not in (None, 1) or point.value < 2:
        return None
    window = timedelta(seconds=settings.TAILGATE_WINDOW_SECONDS)
    events = [
        e
        for e in AccessEvent.objects.filter(
            apartment_id=device.apartment_id, at__gte=point.ts - window, at__lte=point.ts, device__isnull=False
        ).exclude(device__device_type__code="elevator")
        if e.opened
    ]
    if not events or point.value <= len(events):
        return None
    last = max(events, key=lambda e: e.at)
    if SuspiciousMovement.objects.filter(kind="tailgating", detail__event_id=last.pk).exists():
        return None
    detail = {"people": int(point.value), "openings": len(events), "event_id": last.pk, "location": device.location}
    return _record_suspicious(device, SuspiciousMovement.Kind.TAILGATING, detail, point.ts)
