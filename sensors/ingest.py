"""Ingest: raw messages in, readings stored, device health updated, higher apps told.

``ingest_messages`` is the one entry for every path (the Celery task fed by the MQTT consumer,
HTTP ingest, the in-process simulator). It never raises on bad input: each problem is counted
per device and reason (``Rejection``) and the good readings of the same batch are stored.
After the batch commits, its points go on to the alarm rules (and the other handlers the apps above
registered) in this process, by the named call ``hooks.readings_hand_on``: see sensors/hooks.py for who is
called and why a redelivered batch still gets its alarm rules run.

A reading's path: device → broker → ``sensors.consumer`` (batches; alarm-bearing messages apart) →
``sensors.handover.batch_hand_over`` (ledger, Celery queue ``ingest`` or ``alarms``) → ``sensors.tasks.ingest_batch``
→ :func:`ingest_messages` (parse, store, latest values) → ``hooks.readings_hand_on`` → ``alerts.rules`` →
``alerts.alarms`` → the three ends (docs/architecture.md, "A reading's path").
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from sensors import hooks, storage
from sensors.health import devices_mark_seen
from sensors.models import Rejection, RejectionReason, StaleRollupHour
from sensors.parsers import Parsed, RawMessage, parse_message
from sensors.registry import directory
from sensors.types import Point

__all__ = ["IngestResult", "RawMessage", "ingest_messages"]

log = logging.getLogger(__name__)


@dataclass
class IngestResult:
    messages: int = 0
    accepted: int = 0  # data points that passed validation
    stored: int = 0  # of which new (not a redelivery)
    rejected: int = 0
    rejections: list[tuple[str, str, str]] = field(default_factory=list)  # (source, reason, detail)
    stored_points: list[Point] = field(default_factory=list)


def ingest_messages(
    messages: Iterable[RawMessage], *, now: datetime | None = None, ahead: bool = False
) -> IngestResult:
    """Parse, validate and store a batch of raw device messages (see module docstring). ``ahead``: the batch came
    on the alarm queue, ahead of the telemetry backlog (the rules then keep the state that ordering needs)."""
    now = now or timezone.now()
    current = directory()
    result = IngestResult()
    parsed: list[Parsed] = []
    for message in messages:
        result.messages += 1
        try:
            parsed.append(parse_message(message, current, now))
        except Exception as exc:  # a parser bug must not lose the rest of the batch
            log.exception("could not parse message on %s", message.topic)
            broken = Parsed(source=message.topic[:96])
            broken.reject(RejectionReason.BAD_SHAPE, _("无法处理的报文: %(error)s") % {"error": type(exc).__name__})
            parsed.append(broken)

    points = [point for item in parsed for point in item.points]
    result.accepted = len(points)
    for item in parsed:
        for reason, detail in item.rejections:
            result.rejections.append((item.source, reason, detail))
    result.rejected = len(result.rejections)

    flooding = flood_watch.count(parsed, now)
    with transaction.atomic():
        new_points, late = storage.readings_store(points)
        _mark_stale_rollups(new_points, now)
        _record_rejections(parsed + flooding, now)
    result.stored = len(new_points)
    result.stored_points = new_points

    # The rules first (an alarm is pushed the moment its evaluation commits), then the bookkeeping.
    repeated: list[Point] = []
    if len(new_points) < len(points):
        new = {(p.device_id, p.metric, p.ts) for p in new_points}
        repeated = [p for p in points if (p.device_id, p.metric, p.ts) not in new]
    retried = storage.newer_stored(repeated) if repeated else set()
    # → alerts.rules.evaluate_points and the others (sensors/hooks.py)
    hooks.readings_hand_on(stored=new_points, repeated=repeated, late=late | retried, ahead=ahead, retried=retried)
    heard = {item.device.id for item in parsed if item.device is not None and item.heard}
    devices_mark_seen(heard, at=now)
    if any(item.reply is not None for item in parsed):
        _record_replies(parsed, result, now)
    return result


class FloodWatch:
    """Counts each device's messages per minute in this process; a device sending more than
    INGEST_FLOOD_FACTOR times what its reporting interval implies (and more than INGEST_FLOOD_MIN_PER_MINUTE) is
    flagged once per minute as a ``flooding`` rejection the operators see. Its readings are stored as usual.

    Per process: with several ingest workers each sees its share, so a flood is caught when one worker alone
    counts too many (a device at ten times its rate trips it on any of up to a few workers)."""

    def __init__(self) -> None:
        self.minute: int | None = None
        self.counts: dict[int, int] = {}
        self.flagged: set[int] = set()

    def count(self, parsed: list[Parsed], now: datetime) -> list[Parsed]:
        minute = int(now.timestamp() // 60)
        if minute != self.minute:
            self.minute, self.counts, self.flagged = minute, {}, set()
        flags: list[Parsed] = []
        for item in parsed:
            device = item.device
            if device is None:
                continue
            n = self.counts[device.id] = self.counts.get(device.id, 0) + 1
            expected = 60.0 / max(device.reporting_interval, 1)
            limit = max(settings.INGEST_FLOOD_FACTOR * expected, settings.INGEST_FLOOD_MIN_PER_MINUTE)
            if n > limit and device.id not in self.flagged:
                self.flagged.add(device.id)
                flag = Parsed(source=device.key, device=device, sample=item.sample)
                flag.reject(
                    RejectionReason.FLOODING,
                    _("1 分钟内超过 %(n)d 条报文, 上报周期 %(interval)d 秒 (约 %(expected)s 条/分钟); 读数照常存储")
                    % {"n": int(limit), "interval": device.reporting_interval, "expected": f"{expected:g}"},
                )
                flags.append(flag)
        return flags


flood_watch = FloodWatch()


def _record_replies(parsed: list[Parsed], result: IngestResult, now: datetime) -> None:
    """Each device answer closes its command; an answer to no command of that device, or a second answer, is
    counted as a rejection the operators see (the first result stands)."""
    from sensors.commands import ReplyRefused, command_record_result

    refused: list[Parsed] = []
    for item in parsed:
        if item.reply is None or item.device is None:
            continue
        try:
            command_record_result(
                command_id=item.reply.command_id, device_id=item.device.id, ok=item.reply.ok, message=item.reply.message
            )
        except ReplyRefused as exc:
            entry = Parsed(source=item.source, device=item.device, sample=item.sample)
            entry.reject(exc.reason, exc.detail)
            refused.append(entry)
            result.rejections.append((item.source, exc.reason, exc.detail))
            result.rejected += 1
    if refused:
        with transaction.atomic():
            _record_rejections(refused, now)


def _mark_stale_rollups(points: list[Point], now: datetime) -> None:
    """Readings older than the roll-up's look-back make their hour stale; the next roll-up redoes it."""
    horizon = now - timedelta(seconds=settings.ROLLUP_LATE_SECONDS)
    late = {point.ts for point in points if point.ts < horizon}
    if not late:
        return
    hours = {ts.replace(minute=0, second=0, microsecond=0) for ts in late}
    StaleRollupHour.objects.bulk_create([StaleRollupHour(hour=hour) for hour in hours], ignore_conflicts=True)


def _record_rejections(parsed: list[Parsed], now: datetime) -> None:
    """Add this batch's rejections to the per-source, per-reason counters operators see."""
    grouped: dict[tuple[str, str], list] = defaultdict(lambda: [0, None, "", ""])
    for item in parsed:
        for reason, detail in item.rejections:
            slot = grouped[(item.source, reason)]
            slot[0] += 1
            slot[1] = item.device.id if item.device is not None else slot[1]
            slot[2] = detail
            slot[3] = item.sample
    for (source, reason), (count, device_id, detail, sample) in sorted(grouped.items()):
        changes = {"count": F("count") + count, "last_at": now, "last_detail": detail[:255], "last_sample": sample}
        if Rejection.objects.filter(source=source, reason=reason).update(**changes):
            continue
        try:
            with transaction.atomic():
                Rejection.objects.create(
                    source=source,
                    reason=reason,
                    device_id=device_id,
                    count=count,
                    first_at=now,
                    last_at=now,
                    last_detail=detail[:255],
                    last_sample=sample,
                )
        except IntegrityError:  # another worker created it meanwhile
            Rejection.objects.filter(source=source, reason=reason).update(**changes)
