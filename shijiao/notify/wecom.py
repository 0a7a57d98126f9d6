"""WeCom (企业微信) group robot: ``POST {WECOM_ROBOT_URL}/cgi-bin/webhook/send?key=<key>`` with a text message.

Settings: WECOM_ROBOT_URL (https://qyapi.weixin.qq.com), WECOM_ROBOT_KEY.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings

from shijiao.notify.http import TransportError, request
from shijiao.notify.result import SendResult

RETRYABLE_ERRCODES = {-1, 45009, 45033}  # busy, over the rate limit (20 messages a minute per robot)


def send_robot_text(*, text: str, mentioned_mobiles: list[str] | None = None, key: str | None = None) -> SendResult:
    """Post ``text`` to the group; ``mentioned_mobiles`` are @-mentioned (``"@all"`` for everyone)."""
    robot_key = key or settings.WECOM_ROBOT_KEY
    if not robot_key:
        raise ValueError("send_robot_text: no robot key configured (WECOM_ROBOT_KEY)")
    body: dict = {"msgtype": "text", "text": {"content": text[:2048]}}
    if mentioned_mobiles:
        body["text"]["mentioned_mobile_list"] = mentioned_mobiles
    url = f"{settings.WECOM_ROBOT_URL.rstrip('/')}/cgi-bin/webhook/send?{urlencode({'key': robot_key})}"
    try:
        answer = request("POST", url, json_body=body)
    except TransportError as exc:
        return SendResult.unreachable(str(exc))
    code = answer.body.get("errcode", answer.status)
    if code == 0:
        return SendResult(ok=True, code="0")
    return SendResult(
        ok=False, code=str(code), message=str(answer.body.get("errmsg", answer.text[:200])),
        retryable=code in RETRYABLE_ERRCODES,
    )  # fmt: skip
