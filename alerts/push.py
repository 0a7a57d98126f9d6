"""What the three ends receive: one JSON shape per alarm change, sent to Channels groups after commit.

Groups: ``alerts.all`` (the street cockpit and others who see the whole district) and
``alerts.apartment.<id>`` (everyone whose role covers that block). The shape is documented in
docs/alerts.md and kept stable for the cockpit.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import models, transaction
from django.utils import timezone, translation

from alerts.models import Alert, AlertEvent, Camera, CommandDeviceAction, CommandParticipant, End, Severity

log = logging.getLogger(__name__)

ALL_GROUP = "alerts.all"


def apartment_group(apartment_id: int) -> str:
    return f"alerts.apartment.{apartment_id}"


def _time(value) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


_cameras: dict[int, tuple[float, list[Camera]]] = {}
CAMERA_CACHE_SECONDS = 30.0


def _cameras_of(apartment_id: int) -> list[Camera]:
    """A block's cameras, kept half a minute per process (registered rarely, needed on every alarm push)."""
    now = time.monotonic()
    hit = _cameras.get(apartment_id)
    if hit is not None and now - hit[0] < CAMERA_CACHE_SECONDS:
        return hit[1]
    cameras = list(Camera.objects.filter(apartment_id=apartment_id, is_active=True))
    if len(_cameras) > 10_000:
        _cameras.clear()
    _cameras[apartment_id] = (now, cameras)
    return cameras


_origins: tuple[float, frozenset[str]] | None = None


def camera_origins() -> frozenset[str]:
    """The origins of the active cameras' streams, for the pages' Content-Security-Policy (kept half a minute)."""
    global _origins
    now = time.monotonic()
    if _origins is None or now - _origins[0] >= CAMERA_CACHE_SECONDS:
        urls = Camera.objects.filter(is_active=True).values_list("stream_url", flat=True).distinct()
        _origins = (now, frozenset(filter(None, (stream_origin(url) for url in urls))))
    return _origins[1]


def stream_origin(url: str) -> str | None:
    """``scheme://host[:port]`` of a stream address, or None for one that is not http(s)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


def forget_cameras(sender=None, instance: Camera | None = None, **kwargs) -> None:
    global _origins
    _origins = None
    if instance is not None:
        _cameras.pop(instance.apartment_id, None)
    else:
        _cameras.clear()


def nearest_camera(alert: Alert) -> Camera | None:
    """The block's camera on the alarm's floor, else the nearest floor, else any."""
    cameras = _cameras_of(alert.apartment_id)
    if not cameras:
        return None
    floor = alert.device.floor if alert.device_id and alert.device else None
    if floor is None:
        return cameras[0]
    return min(cameras, key=lambda c: (abs((c.floor if c.floor is not None else 0) - floor), c.id))


def camera_payload(camera: Camera | None) -> dict[str, Any] | None:
    if camera is None:
        return None
    return {
        "id": camera.id,
        "name": camera.name,
        "floor": camera.floor,
        "location": camera.location,
        "stream_url": camera.stream_url,
        "protocol": camera.protocol,
    }


def alarm_payload(alert: Alert) -> dict[str, Any]:
    device = alert.device if alert.device_id else None
    return {
        "id": alert.id,
        "version": alert.version,
        "status": alert.status,
        "status_label": str(alert.get_status_display()),
        "severity": alert.severity,
        "severity_label": str(alert.get_severity_display()),
        "title": alert.title,
        "rule_id": alert.rule_id,
        "apartment": {"id": alert.apartment_id, "name": alert.apartment.name, "address": alert.apartment.address},
        "device": (
            {"id": device.id, "key": device.key, "location": device.location, "floor": device.floor} if device else None
        ),
        "metric": alert.metric,
        "unit": alert.unit,
        "first_value": alert.first_value,
        "last_value": alert.last_value,
        "peak_value": alert.peak_value,
        "trigger_count": alert.trigger_count,
        "incident": alert.incident,
        "raised_at": _time(alert.raised_at),  # when it happened (the reading's time)
        "learned_at": _time(alert.learned_at),  # when the platform learned of it (escalation counts from here)
        "learned_late": alert.learned_late,
        "last_triggered_at": _time(alert.last_triggered_at),
        "cleared_at": _time(alert.cleared_at),
        "acknowledged_at": _time(alert.acknowledged_at),
        "acknowledged_by": str(alert.acknowledged_by) if alert.acknowledged_by_id else None,
        "acknowledged_via": alert.acknowledged_via or None,
        "acknowledged_via_label": str(alert.get_acknowledged_via_display()) if alert.acknowledged_via else None,
        "handling_at": _time(alert.handling_at),
        "closed_at": _time(alert.closed_at),
        "disposition": alert.disposition or None,
        "disposition_label": str(alert.get_disposition_display()) if alert.disposition else None,
        "hazard_id": alert.hazard_id,
        "camera": camera_payload(nearest_camera(alert)),
    }


def event_payload(event: AlertEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "kind": event.kind,
        "kind_label": str(event.get_kind_display()),
        "at": _time(event.at),
        "actor": str(event.actor) if event.actor_id else None,
        "end": event.end,
        "end_label": str(event.get_end_display()),
        "note": event.note,
        "photo": event.photo.url if event.photo else None,
        "thumbnail": event.thumbnail.url if event.thumbnail else None,
    }


def alarm_message(alert: Alert, kind: str, event: AlertEvent | None = None) -> dict[str, Any]:
    """The message every end receives for one change (``type`` is ``alarm.changed``)."""
    return {
        "type": "alarm.changed",
        "event": kind,
        "version": alert.version,
        "alarm": alarm_payload(alert),
        "entry": event_payload(event) if event is not None else None,
    }


def _relabel(row: dict[str, Any], **labels: tuple[type[models.TextChoices], str]) -> dict[str, Any]:
    """``row`` with each ``<name>_label`` rendered again from its code (unknown or blank codes keep theirs)."""
    out = dict(row)
    for name, (choices, code_key) in labels.items():
        code = row.get(code_key)
        if code in choices.values:
            out[name] = str(choices(code).label)
    return out


def in_language(message: dict[str, Any], language: str) -> dict[str, Any]:
    """``message`` with its labels in ``language``.

    A push is built once for everyone in a group; each WebSocket then gives its viewer the labels in
    their own language (the codes beside them stay as they are).
    """
    with translation.override(language):
        if message.get("type") == "alarm.changed":
            alarm = _relabel(
                message["alarm"],
                status_label=(Alert.Status, "status"),
                severity_label=(Severity, "severity"),
                acknowledged_via_label=(End, "acknowledged_via"),
                disposition_label=(Alert.Disposition, "disposition"),
            )
            entry = message.get("entry")
            if entry:
                entry = _relabel(entry, kind_label=(AlertEvent.Kind, "kind"), end_label=(End, "end"))
            return {**message, "alarm": alarm, "entry": entry}
        if message.get("type") == "command.changed":
            command = message["command"]
            participants = [
                _relabel(p, status_label=(CommandParticipant.Status, "status")) for p in command["participants"]
            ]
            actions = [
                _relabel(a, status_label=(CommandDeviceAction.Status, "status")) for a in command["device_actions"]
            ]
            problems = [a for a in actions if a["needs_attention"]]
            return {
                **message,
                "command": {**command, "participants": participants, "device_actions": actions, "problems": problems},
            }
    return message


def publish_alarm(alert: Alert, kind: str, event: AlertEvent | None = None) -> None:
    """Send the change to the alarm's groups once the transaction commits (never a rolled-back alarm)."""
    message = alarm_message(alert, kind, event)
    groups = [ALL_GROUP, apartment_group(alert.apartment_id)]
    transaction.on_commit(lambda: send_to_groups(groups, message), robust=True)


class _PushLoop:
    """One event loop thread per process for pushes from synchronous code.

    ``async_to_sync`` would start a loop, and with it a new Redis connection pool, for every push; this
    keeps one loop (and its pool) alive, so a push costs one round trip to Redis. Recreated after a fork
    (Celery's prefork children).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid() or not self._loop.is_running():
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                threading.Thread(target=run, name="alerts-push-loop", daemon=True).start()
                ready.wait(5)
                self._loop, self._pid = loop, os.getpid()
            return self._loop

    def reset(self) -> None:
        with self._lock:
            self._loop = None


_push_loop = _PushLoop()


def send_to_groups(groups: list[str], message: dict[str, Any], timeout: float = 5.0) -> None:
    """Send ``message`` to every group now (from synchronous code); a failure is logged, never raised."""
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_all() -> None:
        await asyncio.gather(*(layer.group_send(group, message) for group in groups))

    if _in_memory(layer):
        # The in-memory layer lives on the caller's loop (tests, embedded demo): keep the plain bridge.
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            _guarded(lambda: async_to_sync(send_all)(), groups, message)
            return
        helper = threading.Thread(target=lambda: _guarded(lambda: async_to_sync(send_all)(), groups, message))
        helper.start()
        helper.join(timeout)
        return

    def on_loop() -> None:
        future = asyncio.run_coroutine_threadsafe(send_all(), _push_loop.loop())
        try:
            future.result(timeout)
        except Exception:
            future.cancel()
            _push_loop.reset()  # a broken connection: start afresh next time
            raise

    _guarded(on_loop, groups, message)


def _in_memory(layer) -> bool:
    return type(layer).__name__ == "InMemoryChannelLayer"


def _guarded(send, groups: list[str], message: dict[str, Any]) -> None:
    try:
        send()
    except Exception:  # a failed push must never undo or block the alarm; the ends catch up on reconnect
        log.exception("push of %s to %s failed", message.get("type"), groups)
