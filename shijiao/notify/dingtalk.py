"""DingTalk: access token (``GET /gettoken``, cached for its 7,200 s less a margin), work notices
(``POST /topapi/message/corpconversation/asyncsend_v2``) and DING reminders (``POST /v1.0/robot/ding/send``,
``remindType`` 1 in-app, 2 SMS, 3 phone call).

Settings: DINGTALK_API (oapi), DINGTALK_NEW_API (api.dingtalk.com), DINGTALK_APP_KEY, DINGTALK_APP_SECRET,
DINGTALK_AGENT_ID, DINGTALK_ROBOT_CODE.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache

from shijiao.notify.http import TransportError, request
from shijiao.notify.result import SendResult

TOKEN_CACHE_KEY = "notify:dingtalk:token"
# errcodes that mean "busy / too fast / token expired": try again later.
RETRYABLE_ERRCODES = {-1, 88, 90018, 43004, 40014, 42001}
TOKEN_ERRCODES = {40014, 42001}
REMIND_IN_APP, REMIND_SMS, REMIND_PHONE = 1, 2, 3


class DingTalkError(Exception):
    def __init__(self, code: str, message: str, retryable: bool) -> None:
        super().__init__(message)
        self.code, self.retryable = code, retryable


def access_token(*, refresh: bool = False) -> str:
    """The app's access token, from the cache unless ``refresh``; raises DingTalkError or TransportError."""
    key = f"{TOKEN_CACHE_KEY}:{settings.DINGTALK_APP_KEY}"
    if not refresh:
        token = cache.get(key)
        if token:
            return token
    query = urlencode({"appkey": settings.DINGTALK_APP_KEY, "appsecret": settings.DINGTALK_APP_SECRET})
    answer = request("GET", f"{settings.DINGTALK_API.rstrip('/')}/gettoken?{query}")
    body = answer.body
    if body.get("errcode", -1) != 0 or not body.get("access_token"):
        code = body.get("errcode", answer.status)
        raise DingTalkError(str(code), str(body.get("errmsg", answer.text[:200])), code in RETRYABLE_ERRCODES)
    cache.set(key, body["access_token"], timeout=max(60, int(body.get("expires_in", 7200)) - 300))
    return body["access_token"]


def _with_token(send) -> SendResult:
    """Run ``send(token)``; on an expired token fetch a new one and try once more."""
    try:
        result = send(access_token())
        if result.code in {str(c) for c in TOKEN_ERRCODES}:
            result = send(access_token(refresh=True))
        return result
    except TransportError as exc:
        return SendResult.unreachable(str(exc))
    except DingTalkError as exc:
        return SendResult(ok=False, code=exc.code, message=f"gettoken: {exc}", retryable=exc.retryable)


def send_work_notice(*, userids: list[str], text: str) -> SendResult:
    """A work notice from the app (agent) to the given users' DingTalk."""
    if not userids:
        raise ValueError("send_work_notice: no userid")

    def send(token: str) -> SendResult:
        body = {
            "agent_id": int(settings.DINGTALK_AGENT_ID or 0),
            "userid_list": ",".join(userids),
            "msg": {"msgtype": "text", "text": {"content": text}},
        }
        url = f"{settings.DINGTALK_API.rstrip('/')}/topapi/message/corpconversation/asyncsend_v2?"
        answer = request("POST", url + urlencode({"access_token": token}), json_body=body)
        code = answer.body.get("errcode", answer.status)
        if code == 0:
            return SendResult(ok=True, code="0", ref=str(answer.body.get("task_id", "")))
        return SendResult(
            ok=False, code=str(code), message=str(answer.body.get("errmsg", answer.text[:200])),
            retryable=code in RETRYABLE_ERRCODES,
        )  # fmt: skip

    return _with_token(send)


def send_ding(*, userids: list[str], text: str, remind_type: int = REMIND_IN_APP) -> SendResult:
    """A DING from the robot: in-app (1), by SMS (2) or by phone call (3)."""
    if not userids:
        raise ValueError("send_ding: no userid")
    if remind_type not in (REMIND_IN_APP, REMIND_SMS, REMIND_PHONE):
        raise ValueError("send_ding: remind_type is 1 (in-app), 2 (SMS) or 3 (phone)")

    def send(token: str) -> SendResult:
        body = {
            "robotCode": settings.DINGTALK_ROBOT_CODE,
            "remindType": remind_type,
            "receiverUserIdList": userids,
            "content": text,
        }
        answer = request(
            "POST",
            f"{settings.DINGTALK_NEW_API.rstrip('/')}/v1.0/robot/ding/send",
            json_body=body,
            headers={"x-acs-dingtalk-access-token": token},
        )
        if answer.status == 200 and answer.body.get("openDingId"):
            return SendResult(ok=True, code="OK", ref=str(answer.body["openDingId"]))
        code = str(answer.body.get("code", answer.status))
        token_expired = code in {"InvalidAuthentication", "Forbidden.AccessDenied.AccessTokenInvalid"}
        return SendResult(
            ok=False,
            code="42001" if token_expired else code,
            message=str(answer.body.get("message", answer.text[:200])),
            retryable=answer.status == 429 or code.startswith("Throttling"),
        )

    return _with_token(send)
