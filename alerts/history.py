"""An alarm's history: every change is an ``AlertEvent``, whose id becomes the alarm's ``version``.

The one place that writes an alarm's events: the lifecycle (``alarms``), escalation and the one-click command
call down to it. Each event is pushed to the three ends after commit (``alerts.push``).
"""

from __future__ import annotations

from datetime import datetime

from accounts.models import User
from alerts import push
from alerts.models import Alert, AlertEvent, End


def alarm_event_record(
    alert: Alert,
    kind: str,
    at: datetime,
    *,
    actor: User | None = None,
    end: str = End.SYSTEM,
    note: str = "",
    photo=None,
) -> AlertEvent:
    """Write one event of ``alert`` (with its photo, already cleaned) and make it the alarm's version."""
    event = AlertEvent(alert=alert, kind=kind, at=at, actor=actor, end=end, note=note[:500])
    if photo is not None:
        event.photo.save(f"alarm-{alert.pk}.{photo.format}", photo.content, save=False)
        event.thumbnail.save(f"alarm-{alert.pk}-thumb.jpg", photo.thumbnail, save=False)
    event.save()
    alert.version = event.id
    Alert.objects.filter(pk=alert.pk).update(version=event.id)
    push.publish_alarm(alert, kind, event)
    return event
