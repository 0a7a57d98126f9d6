"""Read side of the drill-down: one block, its floors, rooms, devices, people and open matters.

Bounded to one block, so it may read the lower apps' live rows directly (the
big screen's first view does not come through here).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone

from alerts.models import SEVERITY_RANK, Alert
from apartments.models import Apartment
from cockpit import sources
from cockpit.models import BlockFigures, BlockState
from cockpit.risk import reasons_of
from residents.models import Tenancy
from sensors.models import Device, ReadingRollup


def block_detail(apartment: Apartment) -> dict[str, Any]:
    """Everything the drill-down page shows for ``apartment`` (personal data never leaves masked)."""
    figures = BlockFigures.objects.filter(apartment=apartment).first()
    occupants = dict(
        Tenancy.objects.active()
        .filter(room__apartment=apartment)
        .values_list("room")
        .annotate(n=Count("id"))
        .order_by()
    )
    floors: dict[int, dict[str, Any]] = defaultdict(lambda: {"rooms": [], "devices": []})
    for room in apartment.rooms.order_by("floor", "number"):
        floors[room.floor]["rooms"].append(
            {
                "number": room.number,
                "kind": room.get_kind_display(),
                "capacity": room.capacity,
                "occupants": occupants.get(room.pk, 0),
            }
        )
    devices = list(
        Device.objects.filter(apartment=apartment, is_enabled=True)
        .select_related("device_type", "room")
        .order_by("key")
    )
    ids = [d.pk for d in devices]
    latest = sources.device_latest(ids)
    now = timezone.now()
    sparks = sources.device_sparklines(ids, now)
    in_alarm = _open_alarms_by_device(apartment)
    for device_id, alarm in in_alarm.items():
        if alarm["metric"]:  # the sparkline of a device in alarm plots the alarm's metric
            sparks[device_id] = metric_sparkline(device_id, alarm["metric"], now, alarm.get("peak_value"))
    units = sources.metric_units()
    building: list[dict[str, Any]] = []
    for d in devices:
        row = {
            "id": d.pk,
            "key": d.key,
            "type": d.device_type.name,
            "type_code": d.device_type.code,
            "location": d.location,
            "online": d.is_online,
            "last_seen_at": timezone.localtime(d.last_seen_at).isoformat() if d.last_seen_at else None,
            "values": [
                _value(metric, value, units.get((d.device_type.code, metric)))
                for metric, value in sorted(latest.get(d.pk, {}).items())
            ],
            "sparkline": _with_scale(sparks.get(d.pk)),
            "alarm": in_alarm.get(d.pk),
        }
        if d.floor is None:
            building.append(row)
        else:
            floors[d.floor]["devices"].append(row)
    return {
        "apartment": {
            "id": apartment.pk,
            "code": apartment.code,
            "name": apartment.name,
            "address": apartment.address,
            "floors": apartment.floors,
            "grid": str(apartment.grid),
            "property_company": apartment.property_company.name,
            "fire_safety_person": str(apartment.fire_safety_person) if apartment.fire_safety_person else "",
            "micro_fire_station": apartment.micro_fire_station.name if apartment.micro_fire_station else "",
        },
        "figures": _figures(figures),
        "floors": [{"floor": f, **floors[f]} for f in sorted(floors, reverse=True)],
        "building_devices": building,
        "alarms": sources.block_alarms(apartment),
        "inspections": sources.block_inspections(apartment),
        "hazards": sources.block_hazards(apartment),
        "feedback": sources.block_feedback(apartment),
        "command": sources.command_entry(apartment),
    }


def _open_alarms_by_device(apartment: Apartment) -> dict[int, dict[str, Any]]:
    """The worst open alarm of each of the block's devices (critical first, then the newest)."""
    out: dict[int, dict[str, Any]] = {}
    rows = Alert.objects.filter(apartment=apartment, closed_at__isnull=True, device__isnull=False)
    for a in sorted(rows, key=lambda a: (SEVERITY_RANK.get(a.severity, 9), -a.raised_at.timestamp())):
        out.setdefault(
            a.device_id,
            {
                "id": a.pk,
                "title": a.title,
                "severity": a.severity,
                "severity_label": str(a.get_severity_display()),
                "status_label": str(a.get_status_display()),
                "metric": a.metric,
                "unit": a.unit,
                "peak_value": a.peak_value,
            },  # fmt: skip
        )
    return out


def metric_sparkline(device_id: int, metric: str, now, peak: float | None, hours: int = 24) -> dict[str, Any]:
    """Hourly averages of one metric of one device over the last ``hours`` hours (the alarm's own metric)."""
    rows = ReadingRollup.objects.filter(
        period="hour", device_id=device_id, metric=metric, bucket__gte=now - timedelta(hours=hours)
    ).order_by("bucket")
    points = [round(r.sum_value / r.count, 2) for r in rows if r.count]
    return {"metric": metric, "points": points, "peak": peak}


def _with_scale(spark: dict[str, Any] | None) -> dict[str, Any] | None:
    """An honest scale for a sparkline: from zero (or the lowest value when it is negative) to the highest value
    or the alarm's peak, so noise around a steady value stays flat; fewer than three points draw no line."""
    if not spark:
        return None
    points = spark["points"]
    values = [*points, *([spark["peak"]] if spark.get("peak") is not None else [])]
    if not values:
        return {**spark, "low": None, "high": None, "enough": False}
    low, high = min(0.0, min(values)), max(values)
    if high == low:
        high = low + 1
    return {**spark, "low": low, "high": high, "enough": len(points) >= 3}


def _value(metric: str, value: float, unit: tuple[str, str, bool] | None) -> dict[str, Any]:
    name, symbol, yes_no = unit or (metric, "", False)
    return {"metric": metric, "label": name, "unit": symbol, "yes_no": yes_no, "value": value}


def _figures(f: BlockFigures | None) -> dict[str, Any] | None:
    if f is None:
        return None
    return {
        "state": f.state,
        "state_label": str(BlockState(f.state).label),
        "residents": f.residents,
        "beds": f.beds,
        "registered": f.registered,
        "unregistered": f.unregistered,
        "registration_overdue": f.registration_overdue,
        "permits": f.permits,
        "devices": f.devices,
        "devices_online": f.devices_online,
        "alarms_open": f.alarms_open,
        "alarms_week": f.alarms_week,
        "hazards_open": f.hazards_open,
        "hazards_overdue": f.hazards_overdue,
        "patrol_coverage": f.patrol_coverage,
        "feedback_open": f.feedback_open,
        "risk_score": f.risk_score,
        "risk_reasons": reasons_of(f),
        "computed_at": timezone.localtime(f.computed_at).isoformat(),
    }
