"""The alarm lifecycle: raised → acknowledged → being handled → closed with a disposition.

One open alarm per (device, incident) is guaranteed by the partial unique index ``alert_one_open_per_device_incident``
(an incident groups the rules of one hazard, e.g. the wire's fast rise, warning and critical levels: one alarm whose
severity climbs; a rule without one is its own incident):
when two workers open the same alarm at once, the loser's insert fails and it updates the winner's row.
Every change writes an ``AlertEvent`` through ``alerts.history`` (its id becomes the alarm's ``version``; it is
pushed to the three ends after commit).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from alerts import escalation, queue
from alerts.history import alarm_event_record
from alerts.models import SEVERITY_RANK, Alert, AlertEvent, AlertRule, End
from apartments.hazards import hazard_create_from_alarm
from apartments.scoping import scope_queryset
from sensors.models import Device
from shijiao.errors import DomainError
from shijiao.images import clean_image

log = logging.getLogger(__name__)

# Roles that may act on an alarm they can see (inspectors and others only look).
ACTING_ROLES = frozenset(
    {Role.FIRE_SAFETY_PERSON, Role.STATION_OPERATOR, Role.STREET_ADMIN, Role.GRID_WORKER, Role.PROPERTY_MANAGER}
)


def alarms_for(user: User) -> QuerySet[Alert]:
    """The alarms ``user`` may see: the blocks of their role (apartments.scoping)."""
    return scope_queryset(Alert.objects.all(), user, apartment_path="apartment")


def may_act(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in ACTING_ROLES)


# --- from the rules -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Firing:
    """What a firing rule says about its alarm on one device: the same for every reading that fires it."""

    rule_id: int
    device_id: int | None
    apartment_id: int
    severity: str
    title: str
    metric: str
    unit: str
    reopen_after: float  # seconds after the last alarm closed during which the rule opens none (flapping)
    lower_is_worse: bool = False
    incident: str = ""  # the rules of one incident share one alarm per device (blank: the rule's own code)


def _incident(firing: Firing) -> str:
    if firing.incident:
        return firing.incident
    row = AlertRule.objects.filter(pk=firing.rule_id).values_list("incident", "code").first()
    return (row[0] or row[1]) if row else ""


def alarm_trigger(
    *, firing: Firing, value: float | None, at: datetime, detail: dict | None = None, now: datetime | None = None
) -> Alert | None:
    """A rule started firing: update the incident's open alarm (count, last value, peak; its severity climbs when
    this rule is more severe) or open one.

    ``at`` is when it happened (the reading's time), ``now`` when the platform learned of it. Answers None when the
    incident's last alarm closed less than ``firing.reopen_after`` seconds ago (flapping).
    """
    now = now or timezone.now()
    incident = _incident(firing)
    with transaction.atomic(savepoint=False):  # inside the ingest transaction: no savepoint round trips
        alert = _open_alarm(firing.device_id, incident)
        if alert is not None:
            if SEVERITY_RANK[firing.severity] < SEVERITY_RANK[alert.severity]:
                return _climb(alert, firing, value, at, now)
            return _retrigger(alert, value, at, firing.lower_is_worse)
        return _open_new(firing, incident, value, at, now, detail or {})


def alarm_hold(
    *, firing: Firing, value: float | None, worst: float | None, at: datetime, now: datetime | None = None
) -> Alert | None:
    """The rule keeps firing: keep the open alarm's last value and peak, or open it once flapping allows."""
    now = now or timezone.now()
    incident = _incident(firing)
    with transaction.atomic(savepoint=False):  # inside the ingest transaction: no savepoint round trips
        alert = _open_alarm(firing.device_id, incident)
        if alert is None:
            return _open_new(firing, incident, value, at, now, {})
        if SEVERITY_RANK[firing.severity] < SEVERITY_RANK[alert.severity]:  # a worse rule kept firing after a close
            return _climb(alert, firing, worst, at, now)
        # No event and no push for a mere new value: the ends are not told "still burning" every second.
        alert.take_reading(value, worst=worst, lower_is_worse=firing.lower_is_worse)
        Alert.objects.filter(pk=alert.pk).update(last_value=alert.last_value, peak_value=alert.peak_value)
        return None


def alarm_clear(*, incident: str, device_id: int | None, at: datetime, value: float | None = None) -> Alert | None:
    """The incident's condition cleared (every rule of it): the alarm says so (with the reading that cleared it as
    its latest value), and stays until someone acknowledges and closes it."""
    with transaction.atomic(savepoint=False):  # inside the ingest transaction: no savepoint round trips
        alert = _open_alarm(device_id, incident)
        if alert is None or alert.cleared_at is not None:
            return None
        alert.cleared_at = at
        fields = ["cleared_at"]
        if value is not None:
            alert.last_value = value
            fields.append("last_value")
        alert.save(update_fields=fields)
        alarm_event_record(alert, AlertEvent.Kind.CLEARED, at)
        return alert


def alarm_note_late(
    *, incident: str, device_id: int | None, readings: list[tuple[datetime, float]], lower_is_worse: bool
) -> None:
    """Readings that arrived after newer ones: one taken during the open alarm that is worse than its peak becomes
    the peak (the latest value stays the newest reading's)."""
    with transaction.atomic(savepoint=False):
        alert = _open_alarm(device_id, incident)
        if alert is None:
            return
        during = [value for ts, value in readings if ts >= alert.raised_at and value is not None]
        if not during:
            return
        peak = Alert.worse(alert.peak_value, min(during) if lower_is_worse else max(during), lower_is_worse)
        if peak != alert.peak_value:  # like a held value: stored, shown with the alarm's next change
            Alert.objects.filter(pk=alert.pk).update(peak_value=peak)


def _open_alarm(device_id: int | None, incident: str) -> Alert | None:
    return (
        Alert.objects.select_for_update().filter(device_id=device_id, incident=incident, closed_at__isnull=True).first()
    )


def _retrigger(alert: Alert, value: float | None, at: datetime, lower_is_worse: bool) -> Alert:
    alert.save(update_fields=alert.retrigger(value, at, lower_is_worse=lower_is_worse))
    alarm_event_record(alert, AlertEvent.Kind.RETRIGGERED, at)
    return alert


def _climb(alert: Alert, firing: Firing, value: float | None, at: datetime, now: datetime) -> Alert:
    """A more severe rule of the incident fired: the same alarm takes its severity and name (recorded, pushed),
    and its escalation follows the new severity's chain from now (unless someone already acknowledged it)."""
    before = alert.get_severity_display()
    fields = alert.retrigger(value, at, lower_is_worse=firing.lower_is_worse)
    alert.severity, alert.rule_id, alert.title = firing.severity, firing.rule_id, firing.title
    alert.save(update_fields=[*fields, "severity", "rule_id", "title"])
    shown = f" ({value:g} {alert.unit})".rstrip() if value is not None else ""
    note = _("%(before)s → %(after)s: %(title)s%(value)s") % {
        "before": before, "after": alert.get_severity_display(), "title": firing.title, "value": shown}  # fmt: skip
    alarm_event_record(alert, AlertEvent.Kind.SEVERITY, at, note=note)
    if alert.acknowledged_at is None:
        escalation.follow_severity(alert, now=now)
    return alert


def _open_new(
    firing: Firing, incident: str, value: float | None, at: datetime, now: datetime, detail: dict
) -> Alert | None:
    device_id, reopen_after = firing.device_id, firing.reopen_after
    if reopen_after > 0:
        last_closed = (
            Alert.objects.filter(device_id=device_id, incident=incident, closed_at__isnull=False)
            .order_by("-closed_at")
            .values_list("closed_at", flat=True)
            .first()
        )
        if last_closed is not None and at < last_closed + timedelta(seconds=reopen_after):
            return None
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                rule_id=firing.rule_id,
                incident=incident,
                device_id=device_id,
                apartment_id=firing.apartment_id,
                severity=firing.severity,
                title=firing.title,
                raised_at=at,
                learned_at=max(now, at),
                last_triggered_at=at,
                metric=firing.metric,
                unit=firing.unit,
                first_value=value,
                last_value=value,
                peak_value=value,
                detail=detail,
            )
    except IntegrityError:
        # Another worker opened it a moment ago: count this trigger on theirs.
        alert = _open_alarm(device_id, incident)
        if alert is None:
            raise
        if SEVERITY_RANK[firing.severity] < SEVERITY_RANK[alert.severity]:
            return _climb(alert, firing, value, at, now)
        return _retrigger(alert, value, at, firing.lower_is_worse)
    alert = Alert.objects.select_related("apartment", "device").get(pk=alert.pk)  # for the push, in one query
    alarm_event_record(alert, AlertEvent.Kind.RAISED, at)
    queue.escalate_after_commit(alert.pk)
    return alert


# --- events that are not readings -------------------------------------------------------------------


def alarm_from_event(
    *, rule_code: str, apartment_id: int, device_id: int | None, at: datetime, detail: dict | None = None
) -> Alert | None:
    """Raise (or count again) the alarm of an event rule, e.g. radar loitering sent by the residents app."""
    rules = AlertRule.objects.filter(code=rule_code, is_enabled=True, apartment__isnull=True, device__isnull=True)
    if device_id is not None:
        type_id = Device.objects.filter(pk=device_id).values_list("device_type_id", flat=True).first()
        rule = rules.filter(device_type_id=type_id).first() or rules.first()
    else:
        rule = rules.first()
    if rule is None:
        log.warning("no enabled rule %s for an event of apartment %s", rule_code, apartment_id)
        return None
    firing = Firing(
        rule_id=rule.id,
        incident=rule.incident or rule.code,
        device_id=device_id,
        apartment_id=apartment_id,
        severity=rule.severity,
        title=rule.name,
        metric="",
        unit="",
        reopen_after=float(rule.reopen_after_seconds),
    )
    return alarm_trigger(firing=firing, value=None, at=at, detail=detail)


# --- what people do ----------------------------------------------------------------------------------


def _lock_for(alert_id: int, by: User) -> Alert:
    if not may_act(by):
        raise DomainError(_("您的角色无权处置告警"), code="forbidden", status_code=403)
    alert = alarms_for(by).select_for_update(of=("self",)).filter(pk=alert_id).first()
    if alert is None:
        raise DomainError(_("告警不存在或不在您的管辖范围内"), code="not_found", status_code=404)
    return alert


def _end(end: str) -> str:
    if end not in End.values:
        raise DomainError(_("未知的操作端 %(end)s") % {"end": end}, code="invalid")
    return end


def alarm_acknowledge(*, alert_id: int, by: User, end: str, now: datetime | None = None) -> Alert:
    """Acknowledge: escalation stops, and the three ends show who acknowledged, when and where."""
    now = now or timezone.now()
    end = _end(end)
    with transaction.atomic():
        alert = _lock_for(alert_id, by)
        if alert.closed_at is not None:
            raise DomainError(_("告警已关闭"), code="closed", status_code=409)
        if alert.acknowledged_at is not None:
            raise DomainError(
                _("该告警已由 %(who)s 于 %(when)s 在%(end)s确认")
                % {
                    "who": alert.acknowledged_by or "-",
                    "when": timezone.localtime(alert.acknowledged_at).strftime("%H:%M:%S"),
                    "end": alert.get_acknowledged_via_display(),
                },
                code="already_acknowledged",
                status_code=409,
            )
        alert.status = Alert.Status.ACKNOWLEDGED
        alert.acknowledge(by, end, now)
        alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "acknowledged_via"])
        escalation.cancel(alert)
        alarm_event_record(alert, AlertEvent.Kind.ACKNOWLEDGED, now, actor=by, end=end)
        return alert


def alarm_handle(
    *,
    alert_id: int,
    by: User,
    end: str,
    note: str = "",
    photos: Sequence[tuple[bytes, str]] = (),
    responder: bool = False,
    now: datetime | None = None,
) -> Alert:
    """Record handling: a note, photos, or "I am on site" (responder). Acknowledges first if nobody had."""
    now = now or timezone.now()
    end = _end(end)
    cleaned = [clean_image(data, name=name) for data, name in photos]  # refuse bad photos before writing
    if not (note.strip() or cleaned or responder):
        raise DomainError(_("请填写处置情况或上传照片"), code="invalid")
    with transaction.atomic():
        alert = _lock_for(alert_id, by)
        if alert.closed_at is not None:
            raise DomainError(_("告警已关闭"), code="closed", status_code=409)
        if not alert.is_acknowledged:
            alert.acknowledge(by, end, now)
            escalation.cancel(alert)
            alarm_event_record(alert, AlertEvent.Kind.ACKNOWLEDGED, now, actor=by, end=end)
        if alert.status != Alert.Status.HANDLING:
            alert.start_handling(now)
            alert.save(
                update_fields=["status", "handling_at", "acknowledged_at", "acknowledged_by", "acknowledged_via"]
            )
            alarm_event_record(alert, AlertEvent.Kind.HANDLING, now, actor=by, end=end)
        if responder:
            alarm_event_record(
                alert, AlertEvent.Kind.RESPONDER, now, actor=by, end=end, note=_("%(who)s 已到场") % {"who": by}
            )
        if note.strip() and not cleaned:
            alarm_event_record(alert, AlertEvent.Kind.NOTE, now, actor=by, end=end, note=note.strip())
        for i, photo in enumerate(cleaned):
            alarm_event_record(
                alert, AlertEvent.Kind.NOTE, now, actor=by, end=end, note=note.strip() if i == 0 else "", photo=photo
            )
        return alert


def alarm_close(
    *, alert_id: int, by: User, end: str, disposition: str, note: str = "", now: datetime | None = None
) -> Alert:
    """Close with a disposition; a real hazard becomes an inspections hazard to follow up."""
    now = now or timezone.now()
    end = _end(end)
    if disposition not in Alert.Disposition.values:
        raise DomainError(_("请选择处置结论: 真实隐患已排除 / 误报 / 设备故障"), code="invalid")
    with transaction.atomic():
        alert = _lock_for(alert_id, by)
        if alert.closed_at is not None:
            raise DomainError(_("告警已关闭"), code="closed", status_code=409)
        if not alert.is_acknowledged:
            alert.acknowledge(by, end, now)
            escalation.cancel(alert)
        alert.close(by, disposition, now)
        if disposition == Alert.Disposition.REAL_HAZARD:
            alert.hazard_id = _open_hazard(alert, by, note)
        alert.save()
        alarm_event_record(alert, AlertEvent.Kind.CLOSED, now, actor=by, end=end, note=note.strip())
        return alert


def _open_hazard(alert: Alert, by: User, note: str) -> int:
    where = f" ({alert.device.location})" if alert.device_id and alert.device.location else ""
    hazard = hazard_create_from_alarm(
        apartment=alert.apartment,
        title=f"{alert.title}{where}"[:255],
        description=note or _("由告警 #%(id)s 转为隐患, 需整改复查") % {"id": alert.pk},
        severity={"critical": "high", "major": "medium"}.get(alert.severity, "low"),
        source_ref=f"alarm:{alert.pk}",
        created_by=by,
    )
    return hazard.pk
