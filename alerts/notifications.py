"""Notifications: one row per (alarm or command, step, channel, recipient), written before any sending.

The row's unique ``idempotency_key`` makes planning twice a no-op; ``deliver`` moves a row to
``sending`` in its own committed transaction before calling the provider, so a retry or a second
worker never sends a message whose first send might have gone out (such a row becomes ``unknown``
instead). Each provider call writes one ``DeliveryAttempt``. Failures that may pass (network down,
throttled) are retried with a doubling back-off; a channel that is down delays only its own rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.models import Alert, Channel, Command, DeliveryAttempt, EscalationStep, Target
from alerts.models import Notification as N
from alerts.push import alarm_message
from alerts.recipients import Recipient, recipient_by_key, recipients_for
from shijiao.notify import dingtalk, email, sms, voice, webhook, wecom
from shijiao.notify.result import SendResult

log = logging.getLogger(__name__)
S = N.Status
Outcome = Callable[[N, bool, datetime], None]
STUCK_AFTER = timedelta(minutes=10)


def alarm_text(alert: Alert) -> str:
    where = alert.apartment.name
    if alert.device_id and alert.device.location:
        where += f" {alert.device.location}"
    value = f" {alert.last_value:g}{alert.unit}" if alert.last_value is not None else ""
    return _("【e智办告警·%(level)s】%(where)s %(title)s%(value)s, 请立即处置并在手机上确认。") % {
        "level": alert.get_severity_display(),
        "where": where,
        "title": alert.title,
        "value": value,
    }


def is_mobile(phone: str) -> bool:
    """A mainland mobile number (11 digits from 13x to 19x, with or without +86): one that can receive an SMS.
    Duty numbers of stations are often landlines (0571…), which can only be called."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    for prefix in ("0086", "86"):
        if len(digits) == 11 + len(prefix) and digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return len(digits) == 11 and digits[0] == "1" and digits[1] in "3456789"


def _address_missing(channel: str, r: Recipient) -> str:
    if channel in (Channel.SMS, Channel.VOICE) and not r.phone:
        return _("没有手机号")
    if channel == Channel.SMS and not is_mobile(r.phone):
        return _("固定电话收不到短信 (只能语音呼叫)")
    if channel in (Channel.DINGTALK, Channel.DING) and not r.dingtalk_userid:
        return _("没有钉钉账号")
    if channel == Channel.EMAIL and not r.email:
        return _("没有邮箱")
    if channel == Channel.WECOM and not r.key.startswith("wecom:"):
        return _("企业微信群机器人只发到群")
    if channel == Channel.WEBHOOK and not r.url:
        return _("不是对接系统")
    return ""


def channel_configured(channel: str) -> bool:
    """Whether the channel has its keys; an unconfigured channel is recorded as failed, never tried."""
    if channel in (Channel.SMS, Channel.VOICE):
        return bool(settings.ALIYUN_ACCESS_KEY_ID and settings.ALIYUN_ACCESS_KEY_SECRET)
    if channel in (Channel.DINGTALK, Channel.DING):
        return bool(settings.DINGTALK_APP_KEY and settings.DINGTALK_APP_SECRET)
    if channel == Channel.WECOM:
        return bool(settings.WECOM_ROBOT_KEY)
    if channel == Channel.WEBHOOK:
        return bool(settings.ALERTS_WEBHOOK_URLS)
    return True


def _create(rows: list[N]) -> list[int]:
    """Insert the rows not planned before; answer the ids of those that wait to be sent."""
    N.objects.bulk_create(rows, ignore_conflicts=True)
    keys = [row.idempotency_key for row in rows]
    return list(N.objects.filter(idempotency_key__in=keys, status=S.PENDING).values_list("id", flat=True))


def _rows(prefix: str, recipients: list[Recipient], channels: list[str], text: str, **links) -> list[N]:
    rows = []
    for r in recipients:
        for channel in channels:
            if channel in (Channel.PUSH, Channel.VIDEO):
                continue  # push goes to every end anyway; the video link is in the text
            if channel == Channel.WECOM and not r.key.startswith("wecom:"):
                continue
            if channel == Channel.WEBHOOK and not r.key.startswith("webhook:"):
                continue
            if r.key.startswith(("wecom:", "webhook:")) and channel not in (Channel.WECOM, Channel.WEBHOOK):
                continue
            missing = _address_missing(channel, r)
            if not missing and not channel_configured(channel):
                missing = _("渠道未配置 (见 docs/configuration.md)")
            rows.append(
                N(
                    idempotency_key=f"{prefix}:{channel}:{r.key}"[:191],
                    channel=channel,
                    recipient_key=r.key,
                    recipient_name=r.name[:128],
                    text=text,
                    status=S.FAILED if missing else S.PENDING,
                    last_error=missing,
                    **links,
                )
            )
    return rows


def _unique(recipients: list[Recipient]) -> list[Recipient]:
    seen: dict[str, Recipient] = {}
    for r in recipients:
        seen.setdefault(r.key, r)
    return list(seen.values())


def notify_alarm_step(*, alert: Alert, step: EscalationStep) -> tuple[list[int], list[str]]:
    """Plan the notifications of one escalation step; answers (ids to send, names reached)."""
    recipients = _unique(recipients_for(step.target, alert.apartment, step.contact_group))
    prefix, text = f"alarm:{alert.pk}:step:{step.pk}", alarm_text(alert)
    rows = _rows(prefix, recipients, list(step.channels), text, alert=alert)
    # ALERTS_WEBHOOK_URLS hear every step (docs/alerts.md), whether or not the step names them.
    hooks = recipients_for(Target.WEBHOOKS, alert.apartment)
    planned = {row.idempotency_key for row in rows}
    rows += [r for r in _rows(prefix, hooks, [Channel.WEBHOOK], text, alert=alert) if r.idempotency_key not in planned]
    return _create(rows), [r.name for r in recipients]


def notify_command(*, command: Command, recipients: list[Recipient], channels: list[str], text: str) -> list[int]:
    return _create(_rows(f"command:{command.pk}", _unique(recipients), channels, text, command=command))


# --- sending --------------------------------------------------------------------------------------


def deliver(notification_id: int, *, now: datetime | None = None, on_outcome: Outcome | None = None) -> N | None:
    """Send one notification if it is due and was never possibly sent; record the attempt and the outcome.

    ``on_outcome(notification, ok, now)`` runs in the transaction that records the attempt, so a caller above
    (the one-click command's participants) follows the outcome without this module knowing it.
    """
    now = now or timezone.now()
    with transaction.atomic():
        n = N.objects.select_for_update(skip_locked=True).filter(pk=notification_id).first()
        if n is None or n.status not in (S.PENDING, S.RETRYING):
            return n
        if n.status == S.RETRYING and n.next_attempt_at and n.next_attempt_at > now:
            return n
        if n.alert_id and n.attempts and _acknowledged(n):
            n.status, n.last_error = S.FAILED, _("告警已确认, 不再重试")
            n.save(update_fields=["status", "last_error"])
            return n
        n.status = S.SENDING
        n.attempts += 1
        n.next_attempt_at = now  # while sending: when this attempt started (see mark_stuck)
        n.save(update_fields=["status", "attempts", "next_attempt_at"])
    # Outside any transaction: the "sending" mark is committed before the provider is called.
    recipient = recipient_by_key(n.recipient_key)
    if recipient is None:
        result = SendResult(ok=False, code="NoRecipient", message=_("接收人已不存在"))
    else:
        try:
            result = send(n, recipient)
        except ValueError as exc:  # no address, unconfigured channel: trying again will not help
            result = SendResult(ok=False, code="Invalid", message=str(exc))
        except Exception as exc:  # an unexpected failure in a client must not leave the row "sending"
            log.exception("notification %s: %s failed", n.pk, n.channel)
            result = SendResult(ok=False, code="Error", message=str(exc)[:200], retryable=True)
    return _record(n, result, now, on_outcome)


def _acknowledged(n: N) -> bool:
    return Alert.objects.filter(pk=n.alert_id, acknowledged_at__isnull=False).exists()


def _record(n: N, result, now: datetime, on_outcome: Outcome | None) -> N:
    ref = getattr(result, "ref", "") or getattr(result, "biz_id", "") or getattr(result, "call_id", "")
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            notification=n,
            number=n.attempts,
            at=now,
            ok=result.ok,
            code=str(result.code)[:64],
            message=str(result.message)[:500],
            provider_ref=str(ref)[:128],
        )
        if result.ok:
            n.status, n.sent_at, n.provider_ref, n.last_error = S.SENT, now, str(ref)[:128], ""
            n.next_attempt_at = None
        elif result.retryable and n.attempts < settings.ALERTS_NOTIFY_MAX_ATTEMPTS:
            n.status = S.RETRYING
            n.next_attempt_at = now + timedelta(seconds=backoff_seconds(n.attempts))
            n.last_error = f"{result.code}: {result.message}"[:500]
        else:
            n.status, n.last_error = S.FAILED, f"{result.code}: {result.message}"[:500]
            n.next_attempt_at = None
        n.save(update_fields=["status", "sent_at", "provider_ref", "last_error", "next_attempt_at"])
        if on_outcome is not None:
            on_outcome(n, result.ok, now)
    return n


def backoff_seconds(attempts: int) -> int:
    """10 s, 20 s, 40 s... after the 1st, 2nd, 3rd failed attempt (ALERTS_NOTIFY_BACKOFF_SECONDS doubles)."""
    return settings.ALERTS_NOTIFY_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)


def _params(n: N) -> dict[str, str]:
    if n.alert_id:
        alert = n.alert
        value = f"{alert.last_value:g}{alert.unit}" if alert.last_value is not None else "-"
        return {"place": alert.apartment.name[:35], "alarm": alert.title[:35], "value": value[:35]}
    return {"place": "", "alarm": n.text[:35], "value": "-"}


def send(n: N, r: Recipient):
    """Call the channel's protocol client once."""
    channel = n.channel
    if channel == Channel.SMS:
        return sms.send_sms(
            phone_numbers=[r.phone], template_code=settings.ALERTS_SMS_TEMPLATE, template_param=_params(n),
            out_id=f"n{n.pk}",
        )  # fmt: skip
    if channel == Channel.VOICE:
        return voice.call_by_tts(
            called_number=r.phone, tts_code=settings.ALERTS_VOICE_TTS_CODE, tts_param=_params(n), out_id=f"n{n.pk}"
        )
    if channel == Channel.DINGTALK:
        return dingtalk.send_work_notice(userids=[r.dingtalk_userid], text=n.text)
    if channel == Channel.DING:
        return dingtalk.send_ding(
            userids=[r.dingtalk_userid], text=n.text, remind_type=settings.DINGTALK_DING_REMIND_TYPE
        )
    if channel == Channel.WECOM:
        return wecom.send_robot_text(text=n.text)
    if channel == Channel.WEBHOOK:
        return webhook.post_json(
            url=r.url,
            secret=settings.ALERTS_WEBHOOK_SECRET,
            payload=_webhook_payload(n),
            idempotency_key=n.idempotency_key,
        )
    if channel == Channel.EMAIL:
        return email.send_email(to=[r.email], subject=n.text[:60], body=n.text, idempotency_key=n.idempotency_key)
    raise ValueError(f"channel {channel} cannot be sent")


def _webhook_payload(n: N) -> dict:
    if n.alert_id:
        return alarm_message(n.alert, "notified")
    return {"type": "command.notice", "command_id": n.command_id, "text": n.text}


# --- periodic ------------------------------------------------------------------------------------


def due_retries(*, now: datetime | None = None) -> list[int]:
    """Rows whose back-off is over, plus pending rows that were never queued (broker was down)."""
    now = now or timezone.now()
    retry = N.objects.filter(status=S.RETRYING, next_attempt_at__lte=now)
    stale_pending = N.objects.filter(status=S.PENDING, created_at__lte=now - timedelta(seconds=30))
    return list(retry.values_list("id", flat=True)[:500]) + list(stale_pending.values_list("id", flat=True)[:500])


def mark_stuck(*, now: datetime | None = None) -> int:
    """A row left "sending" by a killed worker may have gone out: never resend it, say it is unknown."""
    now = now or timezone.now()
    return N.objects.filter(status=S.SENDING, next_attempt_at__lte=now - STUCK_AFTER).update(
        status=S.UNKNOWN, last_error=_("发送中断, 结果未知, 为避免重复不再重发")
    )


def command_text(command: Command) -> str:
    place = command.apartment.name if command.apartment_id else (command.grid or command.community or "")
    text = command.plan.message.format(place=place, what=command.what, plan=command.plan.name, video=command.video_url)
    if command.video_url and "{video}" not in command.plan.message:
        text += _(" 视频会商: %(url)s") % {"url": command.video_url}
    return text
