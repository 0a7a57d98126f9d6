from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import User


class MeSerializer(serializers.ModelSerializer):
    phone = serializers.CharField(source="phone_masked", read_only=True)
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    has_resident_record = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "role", "role_label", "department", "phone", "has_resident_record"]

    def get_has_resident_record(self, user: User) -> bool:
        # The residents app links its Resident through User.resident (reverse one-to-one).
        return getattr(user, "resident", None) is not None


class TokenPairSerializer(serializers.Serializer):
    token_type = serializers.CharField(default="Bearer")
    access = serializers.CharField()
    refresh = serializers.CharField()
    access_expires_at = serializers.DateTimeField()
    refresh_expires_at = serializers.DateTimeField()
    user = MeSerializer()


class WeChatLoginSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=128, help_text=_("wx.login() 返回的 code"))


class SmsCodeRequestSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=20, help_text=_("11 位手机号"))


class SmsCodeSentSerializer(serializers.Serializer):
    sent = serializers.BooleanField()
    expires_in = serializers.IntegerField(help_text=_("验证码有效秒数"))
    resend_after = serializers.IntegerField(help_text=_("多少秒后可再次获取"))


class SmsLoginSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=20)
    code = serializers.CharField(max_length=6, min_length=6)


class PasswordLoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=128)


class PhoneBindSerializer(serializers.Serializer):
    wechat_code = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=128, help_text="getPhoneNumber 按钮返回的 code"
    )
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)
    code = serializers.CharField(required=False, allow_blank=True, default="", max_length=8, help_text="短信验证码")
