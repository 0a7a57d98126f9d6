"""Listeners for what lower apps announce (connected in AlertsConfig.ready)."""

from __future__ import annotations

import logging

from alerts import alarms, commands, rules

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


def on_device_command_closed(sender, command, **kwargs) -> None:
    """A downlink command got its result: the one-click command's action that sent it follows."""
    commands.device_action_follow(device_command=command)
