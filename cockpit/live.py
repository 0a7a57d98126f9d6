"""The big screen's live side: every open alarm in the order an operator handles them, and one alarm's
incident timeline (events, notifications, one-click commands and what each device did).

Reads the alerts app's rows directly (open alarms are few; the timeline is one alarm), in the viewer's
scope (``alerts.alarms.alarms_for``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User
from alerts import push
from alerts.alarms import alarms_for
from alerts.models import SEVERITY_RANK, Command, Notification, PlannedEscalation, Severity
from sensors.models import DeviceCommand

OPEN_LIMIT = 500  # a wall shows this many at most; the header still counts them all


def _time(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def handling_order(alarm: dict[str, Any]) -> tuple:
    """Unacknowledged critical first, then by severity, unacknowledged before acknowledged, newest first."""
    critical_unacked = alarm["severity"] == Severity.CRITICAL and not alarm["acknowledged_at"]
    rank = SEVERITY_RANK.get(alarm["severity"], 9)
    raised = datetime.fromisoformat(alarm["raised_at"]).timestamp() if alarm["raised_at"] else 0
    return (not critical_unacked, rank, alarm["acknowledged_at"] is not None, -raised)


def open_alarms(user: User) -> dict[str, Any]:
    """Every open alarm the viewer may see, in handling order, each with the escalation step it reached."""
    qs = alarms_for(user).filter(closed_at__isnull=True)
    total = qs.count()
    rows = list(qs.select_related("apartment", "device", "acknowledged_by").order_by("-raised_at")[:OPEN_LIMIT])
    steps = escalation_steps([a.pk for a in rows])
    none = {"escalation_done": 0, "escalation_planned": 0}
    alarms = [{**push.alarm_payload(a), **steps.get(a.pk, none)} for a in rows]
    alarms.sort(key=handling_order)
    return {"total": total, "alarms": alarms, "version": max((a.version for a in rows), default=0)}


def escalation_steps(alert_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per alarm: escalation steps executed so far and steps planned in all."""
    rows = (
        PlannedEscalation.objects.filter(alert_id__in=alert_ids)
        .values("alert")
        .annotate(done=Count("id", filter=Q(status=PlannedEscalation.Status.DONE)), planned=Count("id"))
        .order_by()
    )
    return {r["alert"]: {"escalation_done": r["done"], "escalation_planned": r["planned"]} for r in rows}


def alarm_timeline(user: User, alarm_id: int) -> dict[str, Any] | None:
    """What happened when for one alarm in the viewer's scope; None when it is not theirs to see."""
    alert = alarms_for(user).select_related("apartment", "device", "acknowledged_by").filter(pk=alarm_id).first()
    if alert is None:
        return None
    entries: list[dict[str, Any]] = []
    for event in alert.events.select_related("actor").order_by("at", "id"):
        if event.kind == "notified":
            continue  # each notification is listed below with its channel and its true status
        entries.append({"at": _time(event.at), "kind": event.kind, "what": str(event.get_kind_display()),
                        "who": str(event.actor) if event.actor_id else "", "end": str(event.get_end_display()),
                        "note": event.note})  # fmt: skip
    for n in Notification.objects.filter(Q(alert=alert) | Q(command__alert=alert)).order_by("created_at", "id"):
        entries.append({"at": _time(n.sent_at or n.created_at), "kind": "notification",
                        "what": str(n.get_channel_display()), "who": n.recipient_name or n.recipient_key,
                        "status": n.status, "status_label": str(n.get_status_display()), "end": "",
                        "note": ""})  # fmt: skip
    entries.sort(key=lambda e: e["at"] or "")
    commands = [_command(c) for c in Command.objects.filter(alert=alert).select_related("plan", "started_by")]
    steps = escalation_steps([alert.pk]).get(alert.pk, {"escalation_done": 0, "escalation_planned": 0})
    return {"alarm": {**push.alarm_payload(alert), **steps}, "entries": entries, "commands": commands}


def _command(command: Command) -> dict[str, Any]:
    actions = list(command.device_actions.select_related("device__device_type").order_by("id"))
    results = {
        dc.pk: dc
        for dc in DeviceCommand.objects.filter(pk__in=[a.device_command_id for a in actions if a.device_command_id])
    }
    devices = []
    for a in actions:
        dc = results.get(a.device_command_id)
        devices.append(
            {
                "device": f"{a.device.device_type.name} {a.device.location}".strip(),
                "action": str(dc.get_action_display()) if dc else _action_label(a.action),
                # The device's own answer when there is one; "sent" is not "done".
                "status": dc.status if dc else a.status,
                "status_label": str(dc.get_status_display()) if dc else str(a.get_status_display()),
                "message": (dc.result_message if dc else a.message) or "",
                "answered_at": _time(dc.answered_at) if dc else None,
            }
        )
    people = defaultdict(int)
    for p in command.participants.all():
        people[str(p.get_status_display())] += 1
    return {
        "id": command.pk,
        "plan": command.plan.name,
        "what": command.what,
        "started_at": _time(command.started_at),
        "started_by": str(command.started_by) if command.started_by_id else "",
        "status_label": str(command.get_status_display()),
        "participants": [{"status_label": k, "count": v} for k, v in people.items()],
        "devices": devices,
    }


def _action_label(action: str) -> str:
    if action in DeviceCommand.Action.values:
        return str(DeviceCommand.Action(action).label)
    return action
