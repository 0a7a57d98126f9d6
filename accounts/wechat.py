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
