"""The WebSocket of the three ends: ``/ws/alerts/?end=phone|station|cockpit&since=<version>``.

On connect the user joins the groups of what their role may see (``alerts.all`` for the whole
district, else ``alerts.apartment.<id>`` per block) and receives an ``alarm.snapshot``: the open
alarms, or with ``since`` every alarm changed after that version (how a reconnecting browser
catches up). Actions come back as JSON (``acknowledge``, ``handle``, ``close``, ``catch_up``).
Every ``WS_REFRESH_SECONDS`` the consumer joins its groups again and, when alarms changed beyond the
last version it sent, sends what it missed as a snapshot with ``since`` (Redis may have lost the
groups under the open socket). The message format is in docs/alerts.md.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.permissions import STAFF_ROLES
from alerts import alarms, push
from alerts.models import AlertEvent, End
from apartments.scoping import apartments_for
from shijiao.channel_layer import GroupsKeptConsumer
from shijiao.errors import DomainError
from shijiao.i18n import scope_language

DEFAULT_END = {Role.FIRE_SAFETY_PERSON: End.PHONE, Role.STATION_OPERATOR: End.STATION, Role.STREET_ADMIN: End.COCKPIT}
SNAPSHOT_LIMIT = 300


def groups_for(user: User) -> list[str]:
    if user.sees_whole_district:
        return [push.ALL_GROUP]
    return [push.apartment_group(pk) for pk in apartments_for(user).values_list("pk", flat=True)]


def latest_version() -> int:
    return AlertEvent.objects.aggregate(v=Max("id"))["v"] or 0


def snapshot(user: User, since: int | None) -> dict[str, Any]:
    """Open alarms (no ``since``) or all alarms changed after ``since``, newest first, with the current version."""
    version = latest_version()
    qs = alarms.alarms_for(user).select_related("apartment", "device", "acknowledged_by")
    if since is None:
        qs = qs.filter(closed_at__isnull=True)
    else:
        qs = qs.filter(version__gt=since)
    rows = list(qs.order_by("-version")[:SNAPSHOT_LIMIT])
    return {
        "type": "alarm.snapshot",
        "since": since,
        "version": version,
        "alarms": [push.alarm_payload(a) for a in rows],
    }


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class AlarmConsumer(GroupsKeptConsumer):
    version = 0  # the highest alarm version this connection has sent

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not (user.is_superuser or user.role in STAFF_ROLES):
            await self.close(code=4403)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode())
        end = (query.get("end") or [""])[0]
        self.end = end if end in End.values else DEFAULT_END.get(user.role, End.API)
        self.user = user
        self.language = scope_language(self.scope)  # labels and messages in the viewer's language
        await self.join_groups(await database_sync_to_async(groups_for)(user))
        await self.accept()
        await self.send_snapshot(_int((query.get("since") or [None])[0]))

    async def disconnect(self, code: int) -> None:
        await self.leave_groups()

    async def send_snapshot(self, since: int | None, *, only_changes: bool = False) -> None:
        """The snapshot since ``since``; with ``only_changes``, nothing when no alarm in scope changed."""
        with translation.override(self.language):
            message = await database_sync_to_async(snapshot)(self.user, since)
        if message["alarms"] or not only_changes:
            await self.send_json(message)
        self.version = max(self.version, message["version"])

    async def groups_refreshed(self) -> None:
        # Pushes may have gone to groups Redis had lost: send what changed beyond what this connection has sent.
        if await database_sync_to_async(latest_version)() > self.version:
            await self.send_snapshot(self.version, only_changes=True)

    async def receive_json(self, content: Any, **kwargs) -> None:
        with translation.override(self.language):
            await self._receive(content)

    async def _receive(self, content: Any) -> None:
        if not isinstance(content, dict):
            await self.send_json({"type": "error", "code": "invalid", "message": _("消息必须是 JSON 对象")})
            return
        action = content.get("action")
        if action == "ping":
            await self.send_json({"type": "pong"})
            return
        if action == "catch_up":
            await self.send_snapshot(_int(content.get("since")))
            return
        alarm_id = _int(content.get("alarm_id"))
        try:
            if alarm_id is None:
                raise DomainError(_("请指明告警编号 alarm_id"), code="invalid")
            if action == "acknowledge":
                await database_sync_to_async(alarms.alarm_acknowledge)(alert_id=alarm_id, by=self.user, end=self.end)
            elif action == "handle":
                await database_sync_to_async(alarms.alarm_handle)(
                    alert_id=alarm_id,
                    by=self.user,
                    end=self.end,
                    note=str(content.get("note") or ""),
                    responder=bool(content.get("responder")),
                )
            elif action == "close":
                await database_sync_to_async(alarms.alarm_close)(
                    alert_id=alarm_id,
                    by=self.user,
                    end=self.end,
                    disposition=str(content.get("disposition") or ""),
                    note=str(content.get("note") or ""),
                )
            else:
                raise DomainError(_("未知操作 %(action)s") % {"action": action}, code="invalid")
        except DomainError as exc:
            await self.send_json({"type": "error", "alarm_id": alarm_id, "code": exc.code, "message": exc.message})
            return
        await self.send_json({"type": "done", "action": action, "alarm_id": alarm_id})

    async def alarm_changed(self, event: dict) -> None:
        self.version = max(self.version, event.get("version") or 0)
        await self.send_json(push.in_language(event, self.language))

    async def command_changed(self, event: dict) -> None:
        await self.send_json(push.in_language(event, self.language))
