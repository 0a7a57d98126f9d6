"""The one place where what ingest did leaves the sensors app: the apps above it register what they do next.

sensors never imports the apps above it (alerts, residents, cockpit; the import-linter layers in pyproject.toml),
yet a stored reading must reach the alarm rules. So each of those apps registers its handlers here when it starts
(its ``AppConfig.ready``), and ingest calls them *by name* at the point where it is done, in the worker that did
it, in registration order:

=================================  =====================================================  =====================
hand-over                          registered handlers today                              registered in
=================================  =====================================================  =====================
:func:`readings_hand_on`           ``alarm rules``: ``alerts.rules.evaluate_points``      ``alerts/apps.py``
  (``sensors.ingest`` after the    ``radar``: ``residents.radar.readings_check``          ``residents/apps.py``
  batch commits)
:func:`device_status_hand_on`      ``alarm rules``: ``alerts.rules.evaluate_status``      ``alerts/apps.py``
  (``sensors.health``, after the   ``cockpit figures``: refresh the block's figures       ``cockpit/apps.py``
  transition commits)
=================================  =====================================================  =====================

A reading handler gets the batch's newly stored points. One registered with ``repeats=True`` (the alarm rules,
idempotent: a rule's state skips what it has gone past) gets the points of the batch that were stored before too:
a batch redelivered after its worker died between storing and judging still has its alarms raised; and, as
``late=``, the (device, metric) keys of which a newer reading had been stored before this batch (a device's
alarm-bearing reading travels ahead of the telemetry backlog on the alarm queue): the rules replay those in time
order, so rate and duration rules still see the device's readings in order.

A handler's bug is logged and never makes the batch fail (it is already stored); the database going away is no
bug: :func:`readings_hand_on` raises ``OperationalError`` after the others ran, the task retries the batch, and the
retry comes back as repeated points (found by tests/faults: a PostgreSQL restart between a batch's commit and its
rules left that batch's readings unjudged).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence, Set
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.db import OperationalError

from sensors.types import Point

__all__ = [
    "device_status_hand_on",
    "on_device_status",
    "on_readings",
    "readings_hand_on",
]

log = logging.getLogger(__name__)

ReadingsHandler = Callable[[list[Point]], object]
StatusHandler = Callable[..., object]  # (*, device_ids: list[int], online: bool, at: datetime)


@dataclass(frozen=True)
class _Registered:
    name: str
    handler: Callable
    repeats: bool = False


_readings: dict[str, _Registered] = {}
_status: dict[str, _Registered] = {}


def on_readings(name: str, handler: ReadingsHandler, *, repeats: bool = False) -> None:
    """Call ``handler(points)`` after every committed ingest batch (again under the same name: replaced)."""
    _readings[name] = _Registered(name, handler, repeats)


def on_device_status(name: str, handler: StatusHandler) -> None:
    """Call ``handler(device_ids=..., online=..., at=...)`` when devices go offline or come back, all the devices
    of one transition together (a block's power returning brings hundreds back in one batch)."""
    _status[name] = _Registered(name, handler)


def readings_hand_on(
    *,
    stored: Sequence[Point],
    repeated: Sequence[Point] = (),
    late: Set[tuple[int, str]] = frozenset(),
    ahead: bool = False,
    retried: Set[tuple[int, str]] = frozenset(),
) -> None:
    """Hand a committed batch's points on: ``stored`` (new) to every handler; ``repeated`` (stored before),
    ``late``, ``ahead`` (the batch came on the alarm queue, ahead of the device's telemetry backlog) and
    ``retried`` (the late keys among the repeated points: a batch retried after its handlers failed, judged after
    newer readings) to the handlers registered with ``repeats``. Raises ``OperationalError`` if the database failed
    a handler."""
    lost: OperationalError | None = None
    for entry in list(_readings.values()):
        points = [*stored, *repeated] if entry.repeats else list(stored)
        if not points:
            continue
        try:
            if entry.repeats:
                entry.handler(points, late=late, ahead=ahead, retried=retried)
            else:
                entry.handler(points)
        except OperationalError as exc:
            log.error("readings handler %r: the database went away", entry.name, exc_info=exc)
            lost = exc
        except Exception as exc:
            log.error("readings handler %r failed", entry.name, exc_info=exc)
    if lost is not None:
        raise lost


def device_status_hand_on(*, device_ids: list[int], online: bool, at: datetime) -> None:
    """Hand a committed transition on to every status handler (a failing one is logged, the others still run)."""
    for entry in list(_status.values()):
        try:
            entry.handler(device_ids=device_ids, online=online, at=at)
        except Exception as exc:
            log.error("device status handler %r failed for %s devices", entry.name, len(device_ids), exc_info=exc)


def registered() -> dict[str, list[str]]:
    """The names of the registered handlers (for docs, checks and tests)."""
    return {"readings": list(_readings), "device_status": list(_status)}


@contextmanager
def only(*, readings: dict[str, ReadingsHandler] | None = None, device_status: dict[str, StatusHandler] | None = None,
         repeats: bool = False) -> Iterator[None]:  # fmt: skip
    """Replace every registered handler by the given ones for the block (tests; benches measuring ingest alone)."""
    saved = dict(_readings), dict(_status)
    _readings.clear()
    _status.clear()
    for name, handler in (readings or {}).items():
        on_readings(name, handler, repeats=repeats)
    for name, handler in (device_status or {}).items():
        on_device_status(name, handler)
    try:
        yield
    finally:
        _readings.clear()
        _status.clear()
        _readings.update(saved[0])
        _status.update(saved[1])


@contextmanager
def also(*, readings: dict[str, ReadingsHandler] | None = None, device_status: dict[str, StatusHandler] | None = None,
         repeats: bool = False) -> Iterator[None]:  # fmt: skip
    """Add handlers for the block, keeping the registered ones (tests listening in)."""
    added_readings, added_status = list(readings or {}), list(device_status or {})
    for name, handler in (readings or {}).items():
        on_readings(name, handler, repeats=repeats)
    for name, handler in (device_status or {}).items():
        on_device_status(name, handler)
    try:
        yield
    finally:
        for name in added_readings:
            _readings.pop(name, None)
        for name in added_status:
            _status.pop(name, None)


def clear_readings() -> None:
    """Forget every readings handler in this process (bench/ingest.py: measure ingest alone)."""
    _readings.clear()
