"""E-mail through Django's mail framework (EMAIL_BACKEND, EMAIL_HOST... are Django settings)."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage

from shijiao.notify.result import SendResult


def send_email(*, to: list[str], subject: str, body: str, idempotency_key: str = "") -> SendResult:
    if not to:
        raise ValueError("send_email: no recipient")
    message = EmailMessage(subject=subject[:200], body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=to)
    if idempotency_key:
        message.extra_headers["X-Ezhiban-Idempotency-Key"] = idempotency_key
    try:
        message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        return SendResult(ok=False, code="RecipientsRefused", message=str(exc)[:200])
    except (smtplib.SMTPException, OSError) as exc:
        return SendResult(ok=False, code="SMTPError", message=str(exc)[:200], retryable=True)
    return SendResult(ok=True, code="OK")
