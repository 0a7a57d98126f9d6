"""Listeners for what lower apps announce (connected in AlertsConfig.ready). Stored readings and device
transitions reach the rules through sensors/hooks.py instead (registered there by name)."""

from __future__ import annotations

import logging

from alerts import alarms, commands

log = logging.getLogger(__name__)


def on_suspicious_movement(sender, apartment_id: int, device_id, kind: str, detail, at, **kwargs) -> None:
    """Radar loitering, tailgating or a wrong elevator floor (residents app) raises an alarm."""
    alarms.alarm_from_event(
        rule_code=f"movement_{kind}", apartment_id=apartment_id, device_id=device_id, at=at, detail=detail or {}
    )


def on_device_command_closed(sender, command, **kwargs) -> None:
    """A downlink command got its result: the one-click command's action that sent it follows."""
    commands.device_action_follow(device_command=command)
