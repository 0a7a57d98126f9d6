"""Notices about a resident's case: to the resident, the block's property staff, the grid worker.

``notice_send`` writes one ``Notice`` per recipient (its unique key makes sending twice a no-op) and, after
commit, queues its delivery. ``notice_deliver`` pushes it: a WeChat subscription message first (when the user
has a WeChat login and the template is configured), an SMS (Alibaba Cloud) when WeChat cannot deliver. Every
notice also stays in the recipient's inbox (``GET /api/v1/me/notices/``), so nothing depends on a push.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import wechat
from accounts.models import Role, User, WeChatIdentity
from apartments.models import Apartment
from residents.models import Notice
from shijiao.notify import sms

log = logging.getLogger(__name__)
S = Notice.Status


def property_staff(apartment: Apartment) -> list[User]:
    """The active property managers of the block's property company."""
    return list(
        User.objects.filter(
            role=Role.PROPERTY_MANAGER, is_active=True, property_companies__apartments=apartment
        ).distinct()
    )


def grid_workers(apartment: Apartment) -> list[User]:
    return list(User.objects.filter(role=Role.GRID_WORKER, is_active=True, grids__apartments=apartment).distinct())


def notice_send(
    *,
    recipients: list[User],
    key: str,
    kind: str,
    title: str,
    text: str,
    next_step: str = "",
    link: str = "",
    apartment: Apartment | None = None,
) -> list[Notice]:
    """Record one notice per recipient (once per ``key``) and queue the push after commit."""
    rows = [
        Notice(
            key=f"{key}:u{user.pk}"[:191],
            recipient=user,
            kind=kind,
            title=title[:64],
            text=text[:500],
            next_step=next_step[:255],
            link=link[:255],
            apartment=apartment,
        )
        for user in {u.pk: u for u in recipients}.values()
    ]
    if not rows:
        return []
    keys = [row.key for row in rows]
    existing = set(Notice.objects.filter(key__in=keys).values_list("key", flat=True))
    new = [row for row in rows if row.key not in existing]
    Notice.objects.bulk_create(new, ignore_conflicts=True)
    created = list(Notice.objects.filter(key__in=[row.key for row in new], status=S.PENDING))
    ids = [n.pk for n in created]
    if ids:
        transaction.on_commit(lambda: _enqueue(ids), robust=True)
    return created


def _enqueue(ids: list[int]) -> None:
    from residents import tasks

    for pk in ids:
        try:
            tasks.deliver_notice.delay(pk)
        except Exception:  # broker down: the reminder sweep picks pending notices up again
            log.exception("could not queue notice %s", pk)


def notice_deliver(notice_id: int) -> Notice | None:
    """Push one pending notice: WeChat subscription message, else SMS, else it stays in the inbox only."""
    with transaction.atomic():
        notice = Notice.objects.select_for_update(skip_locked=True).select_related("recipient").filter(pk=notice_id)
        notice = notice.first()
        if notice is None or notice.status != S.PENDING:
            return notice
        # Marked before calling out: a second worker or a retry never pushes the same notice twice.
        notice.status = S.FAILED
        notice.error = "sending"
        notice.save(update_fields=["status", "error"])
    errors: list[str] = []
    channel = ""
    identity = WeChatIdentity.objects.filter(user=notice.recipient).first()
    if identity is not None and settings.WECHAT_APP_ID and settings.WECHAT_NOTICE_TEMPLATE_ID:
        result = wechat.send_subscribe_message(
            openid=identity.openid,
            template_id=settings.WECHAT_NOTICE_TEMPLATE_ID,
            data={
                "thing1": notice.title,
                "thing2": notice.next_step or notice.text,
                "time3": f"{timezone.localtime(notice.created_at):%Y-%m-%d %H:%M}",
            },
            page=_page(notice),
        )
        if result.ok:
            channel = Notice.Channel.WECHAT
        else:
            errors.append(f"wechat {result.code}: {result.message}")
    phone = notice.recipient.phone
    if not channel and phone and settings.ALIYUN_ACCESS_KEY_ID and settings.ALIYUN_ACCESS_KEY_SECRET:
        result = sms.send_sms(
            phone_numbers=[phone],
            template_code=settings.NOTICE_SMS_TEMPLATE,
            template_param={"what": notice.title[:35], "next": (notice.next_step or notice.text)[:35]},
            out_id=f"notice{notice.pk}",
        )
        if result.ok:
            channel = Notice.Channel.SMS
        else:
            errors.append(f"sms {result.code}: {result.message}")
    if channel:
        notice.status, notice.channel, notice.sent_at, notice.error = S.SENT, channel, timezone.now(), ""
    elif errors:
        notice.status, notice.error = S.FAILED, "; ".join(errors)[:500]
    else:
        notice.status, notice.error = S.INBOX_ONLY, ""
    notice.save(update_fields=["status", "channel", "sent_at", "error"])
    return notice


def _page(notice: Notice) -> str:
    return "pages/me/progress" if notice.recipient.role == Role.RESIDENT else "pages/staff/inbox"


@transaction.atomic
def notice_mark_read(*, notice: Notice) -> Notice:
    if notice.read_at is None:
        notice.read_at = timezone.now()
        notice.save(update_fields=["read_at"])
    return notice


def deliver_pending(*, limit: int = 200) -> int:
    """Push pending notices whose queued task was lost (broker down); run by the reminder job."""
    ids = list(Notice.objects.filter(status=S.PENDING).order_by("id").values_list("id", flat=True)[:limit])
    for pk in ids:
        notice_deliver(pk)
    return len(ids)
