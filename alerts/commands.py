"""One-click command (一键指挥): a response plan launched for an alarm, a block or an area.

Everyone on the plan is reached on the plan's channels (voice, SMS, DING, video-call link); the
command's timeline records who was reached, who confirmed, who arrived and what was done, and is
pushed live to the ends (``command.changed``). Plan device actions go through the sensors app's
downlink commands, at once or when the block's fire-safety person confirms.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.models import Role, User
from alerts import notifications, push, queue
from alerts.history import alarm_event_record
from alerts.models import (
    Alert,
    AlertEvent,
    Channel,
    Command,
    CommandDeviceAction,
    CommandEvent,
    CommandParticipant,
    Notification,
    PlanDeviceAction,
    ResponsePlan,
    Target,
)
from alerts.recipients import Recipient, recipients_for
from apartments.models import Apartment, Community, Grid
from apartments.scoping import apartments_for
from sensors.commands import command_send
from sensors.models import Device, DeviceCommand
from shijiao.errors import DomainError

log = logging.getLogger(__name__)
P = CommandParticipant.Status
COMMAND_ROLES = frozenset({Role.STREET_ADMIN, Role.STATION_OPERATOR})


def command_payload(command: Command) -> dict:
    """What every end receives about a command (``command.changed``) and what the API answers."""
    actions = command_actions(command)
    return {
        "id": command.id,
        "plan": command.plan.name,
        "category": command.plan.category,
        "what": command.what,
        "status": command.status,
        "alarm_id": command.alert_id,
        "apartment": command.apartment.name if command.apartment_id else None,
        "started_at": timezone.localtime(command.started_at).isoformat(),
        "started_by": str(command.started_by) if command.started_by_id else None,
        "video_url": command.video_url or None,
        "participants": [
            {
                "id": p.id,
                "user_id": p.user_id,
                "name": p.name,
                "role": p.role,
                "status": p.status,
                "status_label": str(p.get_status_display()),
            }
            for p in command.participants.all()
        ],
        "timeline": command_timeline(command),
        "device_actions": actions,
        # Failed or unanswered device actions: a person must go and see (the ends show them red, at the top).
        "problems": [a for a in actions if a["needs_attention"]],
        "needs_attention": any(a["needs_attention"] for a in actions),
    }


def command_actions(command: Command) -> list[dict]:
    """The command's device actions, each with where it stands: waiting / pending / sent / succeeded / failed /
    timed out, the device's own message, and when it was sent and answered."""
    rows = command.device_actions.select_related("device", "device__apartment").order_by("id")
    return [
        {
            "id": a.id,
            "device": a.device.key,
            "device_id": a.device_id,
            "location": a.device.location or a.device.apartment.name,
            "apartment": a.device.apartment.name,
            "action": a.action,
            "action_label": _action_label(a.action),
            "when": a.when,
            "status": a.status,
            "status_label": str(a.get_status_display()),
            "message": a.message,
            "sent_at": _iso(a.sent_at),
            "answered_at": _iso(a.answered_at),
            "needs_attention": a.needs_attention,
            "device_command_id": str(a.device_command_id) if a.device_command_id else None,
        }
        for a in rows
    ]


def command_timeline(command: Command) -> list[dict]:
    """The command's timeline, oldest first: ``kind`` (started, reached, unreachable, confirmed, arrived, released,
    device_sent, device_succeeded, device_failed, device_timed_out, note, closed), ``text`` and ``problem`` (a line
    that needs a person)."""
    return [
        {
            "at": timezone.localtime(e.at).isoformat(),
            "kind": e.kind,
            "text": e.text,
            "actor": str(e.actor) if e.actor_id else None,
            "problem": e.kind in PROBLEM_KINDS,
        }
        for e in command.events.select_related("actor")
    ]


PROBLEM_KINDS = frozenset({"device_failed", "device_timed_out", "unreachable"})


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def _action_label(action: str) -> str:
    return str(DeviceCommand.Action(action).label) if action in DeviceCommand.Action.values else action


def _publish(command: Command) -> None:
    groups = [push.ALL_GROUP] + ([push.apartment_group(command.apartment_id)] if command.apartment_id else [])
    pk = command.pk

    def send() -> None:
        fresh = Command.objects.select_related("plan", "apartment", "started_by").get(pk=pk)
        push.send_to_groups(groups, {"type": "command.changed", "command": command_payload(fresh)})

    transaction.on_commit(send, robust=True)


def timeline(command: Command, kind: str, text: str, *, at: datetime | None = None, actor: User | None = None) -> None:
    CommandEvent.objects.create(command=command, at=at or timezone.now(), kind=kind, text=text[:500], actor=actor)
    _publish(command)


def participant_notified(n: Notification, ok: bool, now: datetime) -> None:
    """A notification's attempt ended (``notifications.deliver``'s ``on_outcome``): for a command's notification,
    its participant shows reached, or unreachable once the last attempt failed, and the timeline says so."""
    if not n.command_id:
        return
    participant = CommandParticipant.objects.filter(command_id=n.command_id, recipient_key=n.recipient_key).first()
    if participant is None:
        return
    channel = n.get_channel_display()
    if ok:
        if participant.status in (P.CALLING, P.UNREACHABLE):
            participant.status, participant.reached_at = P.REACHED, now
            participant.save(update_fields=["status", "reached_at"])
        timeline(n.command, "reached", _("已通过%(channel)s通知 %(name)s") % {"channel": channel,
                 "name": participant.name}, at=now)  # fmt: skip
    elif n.status == Notification.Status.FAILED:
        if participant.status == P.CALLING:
            participant.status = P.UNREACHABLE
            participant.save(update_fields=["status"])
        timeline(n.command, "unreachable", _("%(channel)s未能通知 %(name)s: %(error)s") % {
            "channel": channel, "name": participant.name, "error": n.last_error[:100]}, at=now)  # fmt: skip


def _apartments(
    alert: Alert | None, apartment: Apartment | None, grid: Grid | None, community: Community | None
) -> list[Apartment]:
    if alert is not None:
        return [alert.apartment]
    if apartment is not None:
        return [apartment]
    if grid is not None:
        return list(grid.apartments.filter(is_active=True))
    if community is not None:
        return list(Apartment.objects.filter(grid__community=community, is_active=True))
    return []


def command_start(
    *,
    plan: ResponsePlan,
    by: User,
    alert: Alert | None = None,
    apartment: Apartment | None = None,
    grid: Grid | None = None,
    community: Community | None = None,
    what: str = "",
    now: datetime | None = None,
) -> Command:
    """Launch ``plan``: reach everyone on it at once, start its device actions, open the live timeline."""
    now = now or timezone.now()
    if not (by.is_superuser or by.role in COMMAND_ROLES):
        raise DomainError(_("只有街道驾驶舱和微型消防站可以一键指挥"), code="forbidden", status_code=403)
    if not plan.is_active:
        raise DomainError(_("预案已停用"), code="invalid")
    places = _apartments(alert, apartment, grid, community)
    if not places:
        raise DomainError(_("请选择告警、公寓或区域"), code="invalid")
    allowed = set(apartments_for(by).values_list("pk", flat=True))
    if any(a.pk not in allowed for a in places):
        raise DomainError(_("所选范围超出您的管辖"), code="forbidden", status_code=403)
    what = (what or (alert.title if alert else plan.name)).strip()[:255]
    with transaction.atomic():
        command = Command.objects.create(
            plan=plan,
            alert=alert,
            apartment=places[0] if len(places) == 1 else None,
            grid=grid,
            community=community,
            what=what,
            started_by=by,
            started_at=now,
        )
        if Channel.VIDEO in plan.channels:
            command.video_url = settings.ALERTS_VIDEO_URL_TEMPLATE.format(
                command=command.pk, token=secrets.token_urlsafe(8)
            )
            command.save(update_fields=["video_url"])
        recipients = _plan_recipients(plan, places)
        for r in recipients:
            CommandParticipant.objects.get_or_create(
                command=command,
                recipient_key=r.key,
                defaults={"name": r.name[:128], "role": r.role[:64], "user_id": r.user_id},
            )
        ids = notifications.notify_command(
            command=command,
            recipients=recipients,
            channels=list(plan.channels),
            text=notifications.command_text(command),
        )
        _plan_device_actions(command, plan, places, alert)
        channels = [str(Channel(c).label) for c in plan.channels if c in Channel.values]
        timeline(
            command,
            "started",
            _("%(who)s 启动预案“%(plan)s”: %(what)s, 通知 %(n)d 人 (%(channels)s)")
            % {
                "who": by,
                "plan": plan.name,
                "what": what,
                "n": len(recipients),
                "channels": pgettext("between names", "、").join(channels),
            },
            at=now,
            actor=by,
        )
        _mark_unreachable(command, now)
        if alert is not None:
            alarm_event_record(
                alert, AlertEvent.Kind.COMMAND, now, actor=by, note=_("启动预案“%(plan)s”") % {"plan": plan.name}
            )
        queue.deliver_each_after_commit(ids)
        _queue_device_actions(command)
    return command


def _mark_unreachable(command: Command, now: datetime) -> None:
    """People none of whose messages can even be tried (no phone, channel not configured) show so at once."""
    for participant in command.participants.all():
        rows = Notification.objects.filter(command=command, recipient_key=participant.recipient_key)
        if rows.exclude(status=Notification.Status.FAILED).exists():
            continue
        participant.status = P.UNREACHABLE
        participant.save(update_fields=["status"])
        reasons = "; ".join(sorted({r.last_error for r in rows if r.last_error})) or _("方案中没有可用渠道")
        timeline(command, "unreachable", _("无法通知 %(name)s: %(why)s") % {"name": participant.name, "why": reasons},
                 at=now)  # fmt: skip


def _plan_recipients(plan: ResponsePlan, places: list[Apartment]) -> list[Recipient]:
    seen: dict[str, Recipient] = {}
    for participant in plan.participants.all():
        for apartment in places:
            for r in recipients_for(participant.target, apartment, participant.contact_group):
                seen.setdefault(r.key, r)
            if participant.target in (Target.CONTACT_GROUP, Target.WECOM_GROUP, Target.WEBHOOKS):
                break  # the same people for every block
    return list(seen.values())


def _plan_device_actions(command: Command, plan: ResponsePlan, places: list[Apartment], alert: Alert | None) -> None:
    for action in plan.device_actions.all():
        devices = Device.objects.filter(apartment__in=places, device_type=action.device_type, is_enabled=True)
        if action.only_alarm_device:
            devices = devices.filter(pk=alert.device_id) if alert is not None and alert.device_id else devices.none()
        for device in devices:
            CommandDeviceAction.objects.create(
                command=command,
                device=device,
                action=action.action,
                when=action.when,
                status=(
                    CommandDeviceAction.Status.PENDING
                    if action.when == PlanDeviceAction.When.AT_ONCE
                    else CommandDeviceAction.Status.WAITING
                ),
            )


def _queue_device_actions(command: Command) -> None:
    if command.device_actions.filter(status=CommandDeviceAction.Status.PENDING).exists():
        queue.device_actions_after_commit(command.pk)


def run_pending_device_actions(*, command_id: int) -> int:
    """Send the command's pending device actions through sensors' downlink commands; answers how many went."""
    sent = 0
    with transaction.atomic():
        command = Command.objects.select_related("plan", "started_by").get(pk=command_id)
        actions = command.device_actions.select_for_update(skip_locked=True).filter(
            status=CommandDeviceAction.Status.PENDING
        )
        for action in actions.select_related("device", "device__device_type"):
            reason = _("一键指挥 #%(id)s %(plan)s: %(what)s") % {
                "id": command.pk,
                "plan": command.plan.name,
                "what": command.what,
            }
            try:
                device_command = command_send(
                    device=action.device, action=action.action, actor=command.started_by, reason=reason
                )
            except ValidationError as exc:
                action.status, action.message = CommandDeviceAction.Status.FAILED, "; ".join(exc.messages)[:255]
                action.answered_at = timezone.now()
                action.save(update_fields=["status", "message", "answered_at"])
                timeline(command, "device_failed", _("%(device)s %(action)s 下发失败: %(why)s") % {
                    "device": action.device.key, "action": action.action, "why": action.message})  # fmt: skip
                continue
            action.status, action.device_command_id = CommandDeviceAction.Status.SENT, device_command.pk
            action.sent_at = device_command.requested_at
            action.save(update_fields=["status", "device_command_id", "sent_at"])
            timeline(command, "device_sent", _("已向 %(device)s (%(where)s) 下发“%(action)s”") % {
                "device": action.device.key, "where": action.device.location or action.device.apartment.name,
                "action": device_command.get_action_display()})  # fmt: skip
            sent += 1
    return sent


# The device command's result → the command's action and the timeline line that tells it.
_FOLLOW = {
    DeviceCommand.Status.SUCCEEDED: (CommandDeviceAction.Status.SUCCEEDED, "device_succeeded"),
    DeviceCommand.Status.FAILED: (CommandDeviceAction.Status.FAILED, "device_failed"),
    DeviceCommand.Status.UNDELIVERED: (CommandDeviceAction.Status.FAILED, "device_failed"),
    DeviceCommand.Status.TIMED_OUT: (CommandDeviceAction.Status.TIMED_OUT, "device_timed_out"),
}


def device_action_follow(*, device_command: DeviceCommand) -> CommandDeviceAction | None:
    """A device answered (or did not in time): the command action it carried takes its result, the timeline says
    so and every end is told. Called inside the transaction that closed the device command; an action that
    already has a result is left as it is (answers none for a device command that no command sent)."""
    found = _FOLLOW.get(device_command.status)
    if found is None:
        return None
    status, kind = found
    action = (
        CommandDeviceAction.objects.select_for_update()
        .select_related("command", "device", "device__apartment")
        .filter(device_command_id=device_command.pk)
        .first()
    )
    if action is None or action.status != CommandDeviceAction.Status.SENT:
        return None
    at = device_command.answered_at or timezone.now()
    action.status, action.answered_at = status, at
    action.message = (device_command.result_message or "")[:255]
    action.save(update_fields=["status", "answered_at", "message"])
    names = {"device": action.device.key, "where": action.device.location or action.device.apartment.name,
             "action": _action_label(action.action), "why": action.message or "-"}  # fmt: skip
    if kind == "device_succeeded":
        text = _("%(device)s (%(where)s) 已执行“%(action)s”") % names
    elif kind == "device_timed_out":
        text = _("%(device)s (%(where)s) 未在期限内应答“%(action)s”, 请派人到现场确认") % names
    else:
        text = _("%(device)s (%(where)s) 执行“%(action)s”失败: %(why)s, 请派人到现场处置") % names
    timeline(action.command, kind, text, at=at)
    return action


def _participant_for(command: Command, by: User) -> CommandParticipant | None:
    return command.participants.filter(user=by).first()


def command_confirm(*, command_id: int, by: User, now: datetime | None = None) -> Command:
    """A participant confirms they have the task; the block's fire-safety person's confirmation also
    releases the device actions that wait for it (e.g. trip the overheating circuit)."""
    now = now or timezone.now()
    with transaction.atomic():
        command = Command.objects.select_for_update(of=("self",)).select_related("apartment").get(pk=command_id)
        if command.status != Command.Status.ACTIVE:
            raise DomainError(_("指挥已结束"), code="closed", status_code=409)
        participant = _participant_for(command, by)
        if participant is None:
            raise DomainError(_("您不在本次指挥的名单中"), code="forbidden", status_code=403)
        if participant.confirmed_at is None:
            participant.confirmed_at = now
            if participant.status != P.ARRIVED:
                participant.status = P.CONFIRMED
            participant.save(update_fields=["confirmed_at", "status"])
            timeline(command, "confirmed", _("%(name)s 已确认") % {"name": participant.name}, at=now, actor=by)
        is_person_in_charge = command.apartment_id and command.apartment.fire_safety_person_id == by.pk
        if is_person_in_charge or (by.is_superuser or by.role == Role.STREET_ADMIN):
            released = command.device_actions.filter(status=CommandDeviceAction.Status.WAITING).update(
                status=CommandDeviceAction.Status.PENDING
            )
            if released:
                timeline(command, "released", _("确认后执行 %(n)d 项设备联动") % {"n": released}, at=now, actor=by)
                _queue_device_actions(command)
    return command


def command_arrive(*, command_id: int, by: User, now: datetime | None = None) -> Command:
    now = now or timezone.now()
    with transaction.atomic():
        command = Command.objects.select_for_update().get(pk=command_id)
        participant = _participant_for(command, by)
        if participant is None:
            raise DomainError(_("您不在本次指挥的名单中"), code="forbidden", status_code=403)
        participant.status, participant.arrived_at = P.ARRIVED, now
        participant.confirmed_at = participant.confirmed_at or now
        participant.save(update_fields=["status", "arrived_at", "confirmed_at"])
        timeline(command, "arrived", _("%(name)s 已到场") % {"name": participant.name}, at=now, actor=by)
    return command


def command_note(*, command_id: int, by: User, text: str, now: datetime | None = None) -> Command:
    if not text.strip():
        raise DomainError(_("请填写处置情况"), code="invalid")
    command = Command.objects.get(pk=command_id)
    with transaction.atomic():
        timeline(command, "note", f"{by}: {text.strip()}", at=now, actor=by)
    return command


def command_close(*, command_id: int, by: User, now: datetime | None = None) -> Command:
    now = now or timezone.now()
    with transaction.atomic():
        command = Command.objects.select_for_update().get(pk=command_id)
        if command.status == Command.Status.CLOSED:
            return command
        command.status, command.closed_at = Command.Status.CLOSED, now
        command.save(update_fields=["status", "closed_at"])
        command.device_actions.filter(status=CommandDeviceAction.Status.WAITING).update(
            status=CommandDeviceAction.Status.FAILED, message=_("指挥结束, 未执行")
        )
        timeline(command, "closed", _("%(who)s 结束指挥") % {"who": by}, at=now, actor=by)
    return command
