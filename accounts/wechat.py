"""WeChat mini-program login: ``jscode2session`` turns the ``wx.login()`` code into an openid.

The ``session_key`` WeChat returns is kept encrypted on the server and never sent to any client.
WeChat answers errors as ``{"errcode": n, "errmsg": "..."}`` with HTTP 200; each known code becomes a
clear error for the resident.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from shijiao.errors import DomainError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WeChatSession:
    openid: str
    session_key: str
    unionid: str = ""


def _error_for(errcode: int, errmsg: str) -> DomainError:
    known = {
        -1: (_("微信系统繁忙, 请稍后再试"), "wechat_busy", 503),
        40029: (_("微信登录凭证无效或已过期, 请重新进入小程序"), "wechat_invalid_code", 400),
        40163: (_("微信登录凭证已被使用, 请重新进入小程序"), "wechat_invalid_code", 400),
        45011: (_("微信登录太频繁, 请稍后再试"), "wechat_rate_limited", 429),
        40226: (_("该微信账号存在风险, 已被微信拦截"), "wechat_blocked", 403),
    }
    if errcode in known:
        message, code, status = known[errcode]
        return DomainError(message, code=code, status_code=status)
    log.warning("jscode2session errcode=%s errmsg=%s", errcode, errmsg)
    return DomainError(_("微信登录失败 (错误码 %(code)s)") % {"code": errcode}, code="wechat_error", status_code=502)


def code_to_session(js_code: str) -> WeChatSession:
    """Call ``GET {WECHAT_API_BASE}/sns/jscode2session`` and return the session, or raise DomainError."""
    if not settings.WECHAT_APP_ID or not settings.WECHAT_APP_SECRET:
        raise DomainError(
            _("服务器未配置微信小程序, 请用手机验证码登录"), code="wechat_not_configured", status_code=503
        )
    query = urllib.parse.urlencode(
        {
            "appid": settings.WECHAT_APP_ID,
            "secret": settings.WECHAT_APP_SECRET,
            "js_code": js_code,
            "grant_type": "authorization_code",
        }
    )
    url = f"{settings.WECHAT_API_BASE.rstrip('/')}/sns/jscode2session?{query}"
    try:
        with urllib.request.urlopen(url, timeout=settings.WECHAT_TIMEOUT) as response:
            body = json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        log.warning("jscode2session unreachable: %s", exc)
        raise DomainError(_("暂时无法连接微信服务器, 请稍后再试"), code="wechat_unreachable", status_code=503) from None
    errcode = int(body.get("errcode") or 0)
    if errcode:
        raise _error_for(errcode, str(body.get("errmsg", "")))
    if not body.get("openid") or not body.get("session_key"):
        raise DomainError(_("微信返回的数据不完整"), code="wechat_error", status_code=502)
    return WeChatSession(openid=body["openid"], session_key=body["session_key"], unionid=body.get("unionid", ""))


# --- server-side calls with the mini-program's access_token ----------------------------------------
# getAccessToken, getPhoneNumber and subscribeMessage.send share one token per AppID (valid 7,200 s);
# it is cached, and refreshed once when WeChat says it expired or was invalidated (40001 / 42001).

_TOKEN_CACHE_KEY = "wechat:access_token"
_TOKEN_ERRORS = {40001, 40014, 42001}


def _configured() -> None:
    if not settings.WECHAT_APP_ID or not settings.WECHAT_APP_SECRET:
        raise DomainError(_("服务器未配置微信小程序, 请用手机验证码"), code="wechat_not_configured", status_code=503)


def _call(method: str, path: str, *, query: dict[str, str], body: dict | None = None) -> dict:
    """One call to WeChat; network failures raise DomainError(wechat_unreachable)."""
    url = f"{settings.WECHAT_API_BASE.rstrip('/')}{path}?{urllib.parse.urlencode(query)}"
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=settings.WECHAT_TIMEOUT) as response:
            answer = json.loads(response.read().decode("utf-8") or "{}")
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        log.warning("wechat %s unreachable: %s", path, exc)
        raise DomainError(_("暂时无法连接微信服务器, 请稍后再试"), code="wechat_unreachable", status_code=503) from None
    return answer if isinstance(answer, dict) else {}


def access_token(*, refresh: bool = False) -> str:
    """The mini-program's access_token (``GET /cgi-bin/token``), cached until shortly before it expires."""
    from django.core.cache import cache

    _configured()
    if not refresh:
        cached = cache.get(_TOKEN_CACHE_KEY)
        if cached:
            return cached
    body = _call(
        "GET",
        "/cgi-bin/token",
        query={
            "grant_type": "client_credential",
            "appid": settings.WECHAT_APP_ID,
            "secret": settings.WECHAT_APP_SECRET,
        },
    )
    errcode = int(body.get("errcode") or 0)
    if errcode or not body.get("access_token"):
        log.warning("cgi-bin/token errcode=%s errmsg=%s", errcode, body.get("errmsg"))
        if errcode == -1:
            raise DomainError(_("微信系统繁忙, 请稍后再试"), code="wechat_busy", status_code=503)
        raise DomainError(
            _("微信接口凭证获取失败 (错误码 %(code)s), 请联系街道") % {"code": errcode},
            code="wechat_error",
            status_code=502,
        )
    token = str(body["access_token"])
    cache.set(_TOKEN_CACHE_KEY, token, timeout=max(60, int(body.get("expires_in") or 7200) - 300))
    return token


def _with_token(method: str, path: str, body: dict) -> dict:
    """Call ``path`` with the access token; a token WeChat no longer accepts is refreshed once."""
    answer = _call(method, path, query={"access_token": access_token()}, body=body)
    if int(answer.get("errcode") or 0) in _TOKEN_ERRORS:
        answer = _call(method, path, query={"access_token": access_token(refresh=True)}, body=body)
    return answer


def phone_number(code: str) -> str:
    """Exchange the code of ``<button open-type="getPhoneNumber">`` for the user's phone number.

    ``POST /wxa/business/getuserphonenumber`` with ``{"code": ...}``; answers the mainland number (no +86).
    """
    _configured()
    body = _with_token("POST", "/wxa/business/getuserphonenumber", {"code": code})
    errcode = int(body.get("errcode") or 0)
    if errcode:
        known = {
            -1: (_("微信系统繁忙, 请稍后再试"), "wechat_busy", 503),
            40029: (_("手机号授权码无效或已过期, 请重新点击授权"), "wechat_invalid_code", 400),
            40013: (_("微信小程序配置有误 (AppID 无效), 请联系街道"), "wechat_error", 502),
            45011: (_("操作太频繁, 请稍后再试"), "wechat_rate_limited", 429),
        }
        if errcode in known:
            message, code_, status = known[errcode]
            raise DomainError(message, code=code_, status_code=status)
        log.warning("getuserphonenumber errcode=%s errmsg=%s", errcode, body.get("errmsg"))
        raise DomainError(
            _("微信手机号获取失败 (错误码 %(code)s)") % {"code": errcode}, code="wechat_error", status_code=502
        )
    info = body.get("phone_info") or {}
    number = str(info.get("purePhoneNumber") or "")
    if info.get("countryCode") not in (None, "86", 86) or not number:
        raise DomainError(_("只支持中国大陆手机号, 请用短信验证码绑定"), code="phone_not_mainland")
    watermark = info.get("watermark") or {}
    if watermark.get("appid") and watermark["appid"] != settings.WECHAT_APP_ID:
        raise DomainError(_("手机号授权不属于本小程序"), code="wechat_invalid_code")
    return number


@dataclass(frozen=True)
class SubscribeResult:
    """The outcome of one subscription message: sent (accepted by WeChat), or why not, and whether SMS should try."""

    ok: bool
    code: str = ""
    message: str = ""
    retryable: bool = False


# 43101: the user did not accept (or used up) this template's subscription; 47003: a field does not fit its
# template type; 40003: openid unknown; 40037: template id unknown.
_SUBSCRIBE_FINAL = {43101, 47003, 40003, 40037, 41030}


def send_subscribe_message(*, openid: str, template_id: str, data: dict[str, str], page: str = "") -> SubscribeResult:
    """``POST /cgi-bin/message/subscribe/send``: one subscription message; never raises for WeChat's answers."""
    if not template_id:
        return SubscribeResult(ok=False, code="no_template", message="no subscription template configured")
    payload = {
        "touser": openid,
        "template_id": template_id,
        "data": {key: {"value": str(value)[:20]} for key, value in data.items()},
        "miniprogram_state": settings.WECHAT_MINIPROGRAM_STATE,
        "lang": "zh_CN",
    }
    if page:
        payload["page"] = page
    try:
        body = _with_token("POST", "/cgi-bin/message/subscribe/send", payload)
    except DomainError as exc:
        return SubscribeResult(ok=False, code=exc.code, message=exc.message, retryable=True)
    errcode = int(body.get("errcode") or 0)
    if not errcode:
        return SubscribeResult(ok=True, code="0", message=str(body.get("errmsg", "ok")))
    return SubscribeResult(
        ok=False,
        code=str(errcode),
        message=str(body.get("errmsg", ""))[:200],
        retryable=errcode not in _SUBSCRIBE_FINAL,
    )
