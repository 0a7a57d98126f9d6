"""Phone number + SMS one-time code: the login for residents outside WeChat.

Codes are six digits, kept only as a keyed hash, valid ``OTP_TTL_SECONDS`` (5 minutes), a few wrong guesses
allowed (``OTP_MAX_ATTEMPTS`` per code, ``OTP_MAX_FAILURES_PER_PHONE_PER_DAY`` over all codes of a phone, so asking
for new codes does not buy more guesses). Sending is rate-limited per phone (one per ``OTP_RESEND_SECONDS``,
``OTP_MAX_PER_PHONE_PER_DAY``) and per client IP (``OTP_MAX_PER_IP_PER_HOUR``). The views add the per-IP request
rates of ``shijiao.api.LOGIN_THROTTLES``. The SMS goes out through ``shijiao.notify.sms`` (Alibaba Cloud).
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from accounts.models import OneTimeCode
from shijiao.errors import DomainError
from shijiao.pii import blind_index

log = logging.getLogger(__name__)
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


@dataclass(frozen=True)
class CodeSent:
    expires_in: int
    resend_after: int


def normalise_phone(phone: str) -> str:
    phone = re.sub(r"[\s-]", "", phone or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not PHONE_RE.match(phone):
        raise DomainError(_("请输入 11 位中国大陆手机号"), code="invalid_phone")
    return phone


def _code_hash(phone: str, code: str) -> str:
    return blind_index(f"otp:{phone}:{code}")


def _failures_today(phone_hash: str, now: datetime) -> int:
    """Wrong guesses at all of this phone's codes of the last 24 hours."""
    since = now - timedelta(days=1)
    rows = OneTimeCode.objects.filter(phone_hash=phone_hash, created_at__gte=since)
    return rows.aggregate(n=Sum("attempts"))["n"] or 0


def _phone_locked() -> DomainError:
    return DomainError(_("该手机号验证码错误次数过多, 请 24 小时后再试"), code="otp_locked", status_code=429)


def otp_request(*, phone: str, ip: str | None, now: datetime | None = None) -> CodeSent:
    """Send a login code to ``phone`` unless a rate limit says no."""
    now = now or timezone.now()
    phone = normalise_phone(phone)
    phone_hash = blind_index(phone)
    recent = OneTimeCode.objects.filter(phone_hash=phone_hash)
    last = recent.order_by("-created_at").values_list("created_at", flat=True).first()
    if last and (now - last).total_seconds() < settings.OTP_RESEND_SECONDS:
        wait = settings.OTP_RESEND_SECONDS - int((now - last).total_seconds())
        raise DomainError(
            _("验证码发送太频繁, 请 %(s)d 秒后再试") % {"s": wait}, code="otp_rate_limited", status_code=429
        )
    if _failures_today(phone_hash, now) >= settings.OTP_MAX_FAILURES_PER_PHONE_PER_DAY:
        raise _phone_locked()  # a new code would only be more guesses for whoever is guessing
    if recent.filter(created_at__gte=now - timedelta(days=1)).count() >= settings.OTP_MAX_PER_PHONE_PER_DAY:
        raise DomainError(_("该手机号今天获取验证码次数已达上限"), code="otp_rate_limited", status_code=429)
    if ip and (
        OneTimeCode.objects.filter(ip=ip, created_at__gte=now - timedelta(hours=1)).count()
        >= settings.OTP_MAX_PER_IP_PER_HOUR
    ):
        raise DomainError(_("本网络获取验证码次数过多, 请稍后再试"), code="otp_rate_limited", status_code=429)

    code = f"{secrets.randbelow(1_000_000):06d}"
    row = OneTimeCode.objects.create(
        phone_hash=phone_hash,
        code_hash=_code_hash(phone, code),
        ip=ip,
        expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS),
    )
    sender = import_string(settings.OTP_SENDER)
    try:
        biz_id = sender(phone=phone, code=code, out_id=f"otp-{row.pk}")
    except DomainError:
        row.delete()  # a code that never left does not count against the limits
        raise
    if biz_id:
        row.sms_biz_id = str(biz_id)[:64]
        row.save(update_fields=["sms_biz_id"])
    return CodeSent(expires_in=settings.OTP_TTL_SECONDS, resend_after=settings.OTP_RESEND_SECONDS)


def otp_verify(*, phone: str, code: str, now: datetime | None = None) -> str:
    """Check ``code`` for ``phone``; return the normalised phone or raise DomainError. A code works once.

    Call it outside any transaction that the error would roll back: a wrong guess must stay counted.
    """
    now = now or timezone.now()
    phone = normalise_phone(phone)
    code = (code or "").strip()
    if not re.fullmatch(r"\d{6}", code):
        raise DomainError(_("验证码是 6 位数字"), code="otp_invalid")
    phone_hash = blind_index(phone)
    with transaction.atomic():
        row = (
            OneTimeCode.objects.select_for_update()
            .filter(phone_hash=phone_hash, used_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        if row is None:
            raise DomainError(_("验证码已过期或未获取, 请重新获取"), code="otp_expired")
        failures = _failures_today(phone_hash, now)
        if failures >= settings.OTP_MAX_FAILURES_PER_PHONE_PER_DAY:
            raise _phone_locked()  # first: a new code would not help, so do not suggest one
        if row.attempts >= settings.OTP_MAX_ATTEMPTS:
            raise DomainError(_("验证码错误次数过多, 请重新获取"), code="otp_locked", status_code=429)
        matches = hmac.compare_digest(row.code_hash, _code_hash(phone, code))
        if matches:
            row.used_at = now
        else:
            row.attempts += 1
        row.save(update_fields=["used_at", "attempts"])
    if not matches:
        left = min(settings.OTP_MAX_ATTEMPTS - row.attempts, settings.OTP_MAX_FAILURES_PER_PHONE_PER_DAY - failures - 1)
        raise DomainError(_("验证码错误, 还可尝试 %(n)d 次") % {"n": left}, code="otp_invalid")
    return phone


# --- senders: (phone, code, out_id) -> provider's id of the message ---------------------------------


def send_by_aliyun_sms(*, phone: str, code: str, out_id: str) -> str:
    """Send through the Alibaba Cloud SMS client of shijiao.notify (template with a ``code`` parameter)."""
    try:
        from shijiao.notify.sms import send_sms
    except ImportError:
        raise DomainError(_("短信服务暂不可用, 请稍后再试"), code="sms_unavailable", status_code=503) from None
    try:
        result = send_sms(
            phone_numbers=[phone],
            template_code=settings.OTP_SMS_TEMPLATE_CODE,
            template_param={"code": code},
            out_id=out_id,
        )
    except Exception as exc:
        log.warning("SMS code not sent: %s", exc)
        raise DomainError(_("短信发送失败, 请稍后再试"), code="sms_failed", status_code=503) from None
    if not result.ok:
        log.warning("SMS code refused by provider: %s %s", result.code, result.message)
        raise DomainError(_("短信发送失败, 请稍后再试"), code="sms_failed", status_code=503)
    return result.biz_id or ""


def send_to_log(*, phone: str, code: str, out_id: str) -> str:
    """Development only: write the code to the log instead of sending an SMS (refused when DEBUG is off)."""
    if not settings.DEBUG:
        raise DomainError(_("服务器未配置短信服务"), code="sms_unavailable", status_code=503)
    log.warning("DEV SMS to %s: login code %s (%s)", phone, code, out_id)
    return ""
