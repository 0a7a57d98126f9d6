"""Downlink commands: trip or restore a circuit, open or lock a door, release the exits, send
elevators to the ground floor, silence a sounder. Each is audited (who, when, why, result) and
tracked until the device answers or the deadline passes.

Topics by protocol:
- native: ``shijiao/<key>/command`` with ``{"id", "method", "params"}``; the answer on
  ``shijiao/<key>/command/result`` with ``{"id", "ok", "message"}``;
- ThingsBoard: ``tb/<key>/v1/devices/me/rpc/request/<id>`` (the broker maps it to the device's
  ``v1/devices/me/rpc/request/<id>``), answered on ``v1/devices/me/rpc/response/<id>``;
- Alink: ``/sys/<productKey>/<key>/thing/service/<method>``, answered on ``..._reply``.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import Role, User
from apartments.models import Apartment
from sensors.models import Device, DeviceCommand, DeviceType, RejectionReason
from sensors.mqtt import publish
from sensors.signals import device_command_closed

log = logging.getLogger(__name__)
A = DeviceCommand.Action
T = DeviceType.Code

# Which device types understand which command.
ACTION_TYPES: dict[str, set[str]] = {
    A.TRIP: {T.SMART_ELECTRICITY},
    A.RESTORE: {T.SMART_ELECTRICITY},
    A.UNLOCK: {T.DOOR_CONTROLLER},
    A.LOCK: {T.DOOR_CONTROLLER},
    A.RELEASE_EXITS: {T.DOOR_CONTROLLER},
    A.ELEVATOR_GROUND: {T.ELEVATOR},
    A.SILENCE: {T.SMOKE_DETECTOR},
}


# Who may send a device a command (the API's rule; the pages show the buttons to them only).
COMMAND_ROLES = frozenset({Role.STREET_ADMIN, Role.STATION_OPERATOR, Role.PROPERTY_MANAGER, Role.FIRE_SAFETY_PERSON})
# What the duty officers do to a block's devices in an emergency, offered on the station page and the cockpit.
EMERGENCY_ACTIONS = (A.TRIP, A.RELEASE_EXITS, A.ELEVATOR_GROUND)


def may_command(user: User) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role in COMMAND_ROLES))


def emergency_controls(devices) -> list[dict]:
    """The devices among ``devices`` that take an emergency action, each with the actions it takes."""
    rows = []
    for device in devices:
        actions = [a for a in EMERGENCY_ACTIONS if device.device_type.code in ACTION_TYPES[a]]
        if not actions:
            continue
        rows.append(
            {
                "id": device.pk,
                "key": device.key,
                "type": device.device_type.name,
                "location": device.location,
                "floor": device.floor,
                "online": device.is_online,
                "enabled": device.is_enabled,
                "actions": [{"action": a, "label": str(A(a).label)} for a in actions],
            }
        )
    return rows


def command_topic(device: Device, command: DeviceCommand) -> str:
    if device.protocol == Device.Protocol.THINGSBOARD:
        return f"tb/{device.key}/v1/devices/me/rpc/request/{command.pk}"
    if device.protocol == Device.Protocol.ALINK:
        return f"/sys/{device.alink_product_key or '-'}/{device.key}/thing/service/{command.action}"
    return f"shijiao/{device.key}/command"


def command_payload(device: Device, command: DeviceCommand) -> bytes:
    if device.protocol == Device.Protocol.THINGSBOARD:
        body = {"method": command.action, "params": command.params}
    elif device.protocol == Device.Protocol.ALINK:
        body = {"id": str(command.pk), "version": "1.0", "method": f"thing.service.{command.action}"}
        body["params"] = command.params
    else:
        body = {"id": str(command.pk), "method": command.action, "params": command.params}
    return json.dumps(body, ensure_ascii=False).encode()


def command_send(
    *,
    device: Device,
    action: str,
    actor: User | None,
    reason: str,
    params: dict | None = None,
    timeout_seconds: int | None = None,
) -> DeviceCommand:
    """Send ``action`` to ``device`` (published after commit) and answer the tracked, audited command.

    Raises ValidationError when the device cannot do it or no reason is given.
    """
    if action not in ACTION_TYPES:
        raise ValidationError({"action": _("未知指令 %(action)s") % {"action": action}})
    type_code = device.device_type.code
    if type_code not in ACTION_TYPES[action]:
        raise ValidationError(
            {
                "action": _("%(type)s 不支持指令「%(label)s」")
                % {"type": device.device_type.name, "label": A(action).label}
            }
        )
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写下发事由")})
    if not device.is_enabled:
        raise ValidationError({"device": _("设备已停用")})
    timeout = timeout_seconds or settings.DEVICE_COMMAND_TIMEOUT_SECONDS
    with transaction.atomic():
        command = DeviceCommand.objects.create(
            device=device,
            action=action,
            params=params or {},
            reason=reason.strip()[:255],
            requested_by=actor if actor is not None and actor.is_authenticated else None,
            deadline=timezone.now() + timedelta(seconds=timeout),
        )
        audit_record(actor=actor, action="device.command", target=command, fields=[action], reason=command.reason)
        transaction.on_commit(lambda: _deliver(command.pk), robust=True)
    return command


def apartment_command(*, apartment: Apartment, action: str, actor: User | None, reason: str) -> list[DeviceCommand]:
    """One command to every enabled device of a block that understands it (release all exit doors, elevators down)."""
    types = ACTION_TYPES.get(action, set())
    devices = Device.objects.filter(apartment=apartment, is_enabled=True, device_type__code__in=types)
    return [
        command_send(device=device, action=action, actor=actor, reason=reason)
        for device in devices.select_related("device_type")
    ]


def _deliver(command_id) -> None:
    command = DeviceCommand.objects.select_related("device").get(pk=command_id)
    delivered = publish(command_topic(command.device, command), command_payload(command.device, command))
    if not delivered:
        _close(command, DeviceCommand.Status.UNDELIVERED, _("无法连接设备接入服务"))


class ReplyRefused(Exception):
    """A device's answer that changes nothing: ``reason`` is a ``RejectionReason`` the operators see counted."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def command_record_result(*, command_id: str, device_id: int, ok: bool, message: str = "") -> DeviceCommand:
    """Record a device's answer to its open command.

    Raises ``ReplyRefused`` for an answer to a command this device was never sent (unknown id) and for a second
    answer to a command that already has its result (a duplicate, or an answer after the timeout): the first
    result stands, nothing changes twice.
    """
    try:
        command = DeviceCommand.objects.get(pk=command_id, device_id=device_id)
    except (DeviceCommand.DoesNotExist, ValidationError, ValueError):
        log.info("answer to unknown command %s from device %s", command_id, device_id)
        raise ReplyRefused(
            RejectionReason.UNKNOWN_COMMAND, _("应答的指令 %(id)s 不存在或不是发给该设备的") % {"id": command_id}
        ) from None
    status = DeviceCommand.Status.SUCCEEDED if ok else DeviceCommand.Status.FAILED
    closed = _close(command, status, message)
    if closed is None:
        command.refresh_from_db()
        raise ReplyRefused(
            RejectionReason.DUPLICATE_REPLY,
            _("指令 %(id)s 已有结果 (%(status)s), 重复或过期的应答未采用")
            % {"id": command_id, "status": command.get_status_display()},
        )
    return closed


def commands_expire(*, now: datetime | None = None) -> int:
    """Close every open command whose deadline passed as timed out; answer how many."""
    now = now or timezone.now()
    expired = 0
    for command in DeviceCommand.objects.filter(status=DeviceCommand.Status.SENT, deadline__lt=now):
        if _close(command, DeviceCommand.Status.TIMED_OUT, _("设备未在期限内应答"), at=now):
            expired += 1
    return expired


def _close(command: DeviceCommand, status: str, message: str, at: datetime | None = None) -> DeviceCommand | None:
    at = at or timezone.now()
    with transaction.atomic():
        changed = DeviceCommand.objects.filter(pk=command.pk, status=DeviceCommand.Status.SENT).update(
            status=status, answered_at=at, result_message=message[:255]
        )
        if not changed:
            return None
        command.refresh_from_db()
        device_command_closed.send(sender=DeviceCommand, command=command)
        audit_record(
            actor=None,
            action="device.command.result",
            target=command,
            fields=[command.action, status],
            reason=message[:255],
        )
    return command
