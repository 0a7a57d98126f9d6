"""Device health: a device is online while it reports; it goes offline after missing
DEVICE_OFFLINE_AFTER_INTERVALS reporting intervals and comes back with its next message.

Both transitions are handed on with ``sensors.hooks.device_status_hand_on`` after commit (to the alarm rules),
once per transition, all devices of a batch together (row locks make concurrent workers agree on who flips a
device).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from sensors import hooks
from sensors.models import Device

# last_seen_at is rewritten at most this often per device: at 20,000 points/s the same rows
# would otherwise be updated by every batch.
SEEN_RESOLUTION = timedelta(seconds=1)


# The rows to touch are locked in id order (two workers never deadlock), skipping those another worker holds (it is
# marking them seen right now); the old is_online comes back with each row, so those that came back are known.
_MARK_SEEN_PG = """
UPDATE sensors_device AS d SET last_seen_at = %(at)s, is_online = true
FROM (
    SELECT id, is_online FROM sensors_device
    WHERE id = ANY(%(ids)s) AND (last_seen_at IS NULL OR last_seen_at < %(since)s OR NOT is_online)
    ORDER BY id
    FOR UPDATE SKIP LOCKED
) AS old
WHERE d.id = old.id
RETURNING d.id, old.is_online
"""


def devices_mark_seen(device_ids: Iterable[int], *, at: datetime) -> list[int]:
    """Record that these devices were heard from at ``at``; answer those that came back online."""
    ids = sorted(set(device_ids))
    if not ids:
        return []
    back: list[int] = []
    with transaction.atomic():
        if connection.vendor == "postgresql":  # one statement; the ORM spent a tenth of the ingest worker here
            with connection.cursor() as cursor:
                cursor.execute(_MARK_SEEN_PG, {"ids": ids, "at": at, "since": at - SEEN_RESOLUTION})
                back = [pk for pk, was_online in cursor.fetchall() if not was_online]
            if back:
                transaction.on_commit(lambda: _announce(back, online=True, at=at), robust=True)
            return back
        rows = list(
            Device.objects.select_for_update(skip_locked=True)
            .filter(pk__in=ids)
            .filter(Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=at - SEEN_RESOLUTION) | Q(is_online=False))
            .order_by("pk")
            .values_list("pk", "is_online")
        )
        if rows:
            Device.objects.filter(pk__in=[pk for pk, _ in rows]).update(last_seen_at=at, is_online=True)
            back = [pk for pk, online in rows if not online]
        if back:
            transaction.on_commit(lambda: _announce(back, online=True, at=at), robust=True)
    return back


def devices_check_offline(*, now: datetime | None = None) -> list[int]:
    """Mark offline every online device that missed its reporting intervals; answer their ids."""
    now = now or timezone.now()
    missed = settings.DEVICE_OFFLINE_AFTER_INTERVALS
    overdue = [
        pk
        for pk, seen, interval in Device.objects.filter(is_online=True).values_list(
            "pk", "last_seen_at", "reporting_interval"
        )
        if seen is None or seen < now - timedelta(seconds=interval * missed)
    ]
    gone: list[int] = []
    for start in range(0, len(overdue), 1000):
        chunk = overdue[start : start + 1000]
        with transaction.atomic():
            rows = list(
                Device.objects.select_for_update(skip_locked=True)
                .filter(pk__in=chunk, is_online=True)
                .order_by("pk")
                .values_list("pk", "last_seen_at", "reporting_interval")
            )
            # Re-checked under the lock: a report may have arrived since the first look.
            now_gone = [
                pk for pk, seen, interval in rows if seen is None or seen < now - timedelta(seconds=interval * missed)
            ]
            if now_gone:
                Device.objects.filter(pk__in=now_gone).update(is_online=False)
                transaction.on_commit(lambda ids=now_gone: _announce(ids, online=False, at=now), robust=True)
        gone.extend(now_gone)
    return gone


def _announce(ids: list[int], *, online: bool, at: datetime) -> None:
    hooks.device_status_hand_on(device_ids=ids, online=online, at=at)  # → alerts.rules.evaluate_status, cockpit
