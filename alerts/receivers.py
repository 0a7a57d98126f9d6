"""Listeners for what lower apps announce (connected in AlertsConfig.ready)."""

from __future__ import annotations

import logging

from alerts import alarms, rules

log = logging.getLogger(__name__)


def on_readings_stored(sender, points, **kwargs) -> None:
    """Evaluate the rules in the ingest batch, in the worker that stored it."""
    rules.evaluate_points(points)


def on_device_status_changed(sender, device_ids: list[int], online: bool, at, **kwargs) -> None:
    rules.evaluate_status(device_ids=device_ids, online=online, at=at)


def on_suspicious_movement(sender, apartment_id: int, device_id, kind: str, detail, at, **kwargs) -> None:
    """Radar loitering, tailgating or a wrong elevator floor (residents app) raises an alarm."""
    alarms.alarm_from_event(
        rule_code=f"movement_{kind}", apartment_id=apartment_id, device_id=device_id, at=at, detail=detail or {}
    )
