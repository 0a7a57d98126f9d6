"""The three ways in: WeChat mini-program, phone + SMS code (residents), username + password (staff)."""

from __future__ import annotations

import uuid

from django.contrib.auth import authenticate
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import ApiToken, Role, User, WeChatIdentity
from accounts.otp import otp_verify
from accounts.signals import resident_signed_in
from accounts.tokens import IssuedToken, token_issue
from accounts.wechat import code_to_session
from shijiao.errors import DomainError
from shijiao.pii import blind_index


def _new_resident_user(*, phone: str = "") -> User:
    user = User(username=f"r_{uuid.uuid4().hex[:16]}", role=Role.RESIDENT, phone=phone)
    user.set_unusable_password()
    user.save()
    return user


def _check_active(user: User) -> None:
    if not user.is_active:
        raise DomainError(_("账号已停用, 请联系街道"), code="account_disabled", status_code=403)


@transaction.atomic
def login_wechat(*, js_code: str, user_agent: str = "") -> tuple[User, IssuedToken]:
    """Log a resident in with the code of ``wx.login()``; the first login creates the account."""
    session = code_to_session(js_code)
    identity = WeChatIdentity.objects.select_for_update().select_related("user").filter(openid=session.openid).first()
    created = identity is None
    if created:
        identity = WeChatIdentity(user=_new_resident_user(), openid=session.openid)
    identity.session_key = session.session_key
    identity.unionid = session.unionid or identity.unionid
    identity.save()
    user = identity.user
    _check_active(user)
    issued = token_issue(user=user, method=ApiToken.Method.WECHAT, user_agent=user_agent)
    resident_signed_in.send(sender=User, user=user, method="wechat", phone=user.phone, created=created)
    return user, issued


def login_phone(*, phone: str, code: str, user_agent: str = "") -> tuple[User, IssuedToken]:
    """Log a resident in with a phone number and the code sent to it; the first login creates the account."""
    phone = otp_verify(phone=phone, code=code)  # outside the transaction: wrong guesses stay counted
    with transaction.atomic():
        return _sign_in_phone(phone=phone, user_agent=user_agent)


def _sign_in_phone(*, phone: str, user_agent: str) -> tuple[User, IssuedToken]:
    user = User.objects.filter(phone_hash=blind_index(phone), role=Role.RESIDENT).order_by("id").first()
    created = user is None
    if created:
        user = _new_resident_user(phone=phone)
    _check_active(user)
    issued = token_issue(user=user, method=ApiToken.Method.SMS, user_agent=user_agent)
    resident_signed_in.send(sender=User, user=user, method="sms", phone=phone, created=created)
    return user, issued


def login_password(*, username: str, password: str, user_agent: str = "", request=None) -> tuple[User, IssuedToken]:
    """Username + password (staff, and demo residents that have a password)."""
    user = authenticate(request, username=username, password=password)
    if user is None:
        raise DomainError(_("用户名或密码错误"), code="bad_credentials", status_code=401)
    _check_active(user)
    return user, token_issue(user=user, method=ApiToken.Method.PASSWORD, user_agent=user_agent)
