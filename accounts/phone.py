"""Binding a phone number to a resident's account: WeChat's getPhoneNumber code, or an SMS code."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts import wechat
from accounts.models import Role, User
from accounts.otp import otp_verify
from shijiao.errors import DomainError
from shijiao.pii import blind_index


def phone_bind(*, user: User, wechat_code: str = "", phone: str = "", sms_code: str = "") -> User:
    """Bind the phone WeChat vouches for (``wechat_code``) or the one an SMS code proves (``phone`` + ``sms_code``).

    A phone already bound to another resident account is refused: that account logs in by SMS instead.
    """
    if user.role != Role.RESIDENT:
        raise DomainError(_("只有新市民账号在此绑定手机号"), code="forbidden", status_code=403)
    if wechat_code:
        number = wechat.phone_number(wechat_code)
    elif phone and sms_code:
        number = otp_verify(phone=phone, code=sms_code)  # outside the transaction: wrong guesses stay counted
    else:
        raise DomainError(_("请用微信授权手机号, 或填写手机号和短信验证码"), code="phone_code_required")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        other = User.objects.filter(phone_hash=blind_index(number), role=Role.RESIDENT).exclude(pk=user.pk)
        if other.exists():
            raise DomainError(
                _("该手机号已绑定另一个账号, 请用该手机号的短信验证码登录"), code="phone_taken", status_code=409
            )
        if user.phone and user.phone != number and hasattr(user, "resident"):
            raise DomainError(
                _("已实名登记的账号更换手机号请联系物业"), code="phone_change_needs_staff", status_code=409
            )
        user.phone = number
        user.save(update_fields=["phone", "phone_hash"])
    return user
