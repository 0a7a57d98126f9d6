"""Alibaba Cloud SMS (dysmsapi ``SendSms``, version 2017-05-25), used for alarms and login codes.

Settings: ALIYUN_SMS_ENDPOINT, ALIYUN_ACCESS_KEY_ID, ALIYUN_ACCESS_KEY_SECRET, ALIYUN_SMS_SIGN_NAME.
``send_sms`` never raises for a remote failure: it returns ``SmsResult(ok=False, ...)`` whose
``retryable`` says whether trying again later may help (network down, throttled, server error).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.conf import settings

from shijiao.notify import aliyun


@dataclass
class SmsResult(aliyun.Reply):
    biz_id: str = ""  # comes back in the delivery receipt


def send_sms(
    *,
    phone_numbers: list[str],
    template_code: str,
    template_param: dict,
    out_id: str,
    sign_name: str | None = None,
) -> SmsResult:
    """Send one templated SMS to up to 1,000 mainland numbers; ``out_id`` comes back in delivery receipts."""
    numbers = [n.strip() for n in phone_numbers if n and n.strip()]
    if not numbers:
        raise ValueError("send_sms: no phone number given")
    if len(numbers) > 1000:
        raise ValueError("send_sms: at most 1000 phone numbers per request")
    if not template_code:
        raise ValueError("send_sms: template_code is required")
    params = {
        "PhoneNumbers": ",".join(numbers),
        "SignName": sign_name or settings.ALIYUN_SMS_SIGN_NAME,
        "TemplateCode": template_code,
        "TemplateParam": json.dumps(template_param, ensure_ascii=False, separators=(",", ":")),
        "OutId": out_id,
    }
    reply, body = aliyun.perform(settings.ALIYUN_SMS_ENDPOINT, action="SendSms", params=params)
    return SmsResult(**reply.fields(), biz_id=str(body.get("BizId", "")))
