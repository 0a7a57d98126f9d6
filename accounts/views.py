"""Login, refresh, logout and "who am I" for the mini-program API (/api/v1/auth/...)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import login
from accounts.authentication import BearerTokenAuthentication
from accounts.models import ApiToken
from accounts.otp import otp_request
from accounts.permissions import IsResident
from accounts.phone import phone_bind
from accounts.serializers import (
    MeSerializer,
    PasswordLoginSerializer,
    PhoneBindSerializer,
    RefreshSerializer,
    SmsCodeRequestSerializer,
    SmsCodeSentSerializer,
    SmsLoginSerializer,
    TokenPairSerializer,
    WeChatLoginSerializer,
)
from accounts.tokens import token_refresh, token_revoke
from shijiao.api import LOGIN_THROTTLES

TOKEN_EXAMPLE = OpenApiExample(
    "登录成功",
    value={
        "token_type": "Bearer",
        "access": "Jx3…(43 chars)",
        "refresh": "k9Q…(43 chars)",
        "access_expires_at": "2026-03-01T12:00:00+08:00",
        "refresh_expires_at": "2026-03-31T10:00:00+08:00",
        "user": {
            "id": 42,
            "username": "r_4f1c…",
            "display_name": "",
            "role": "resident",
            "role_label": "新市民",
            "department": "",
            "phone": "199****0001",
            "has_resident_record": False,
        },
    },
    response_only=True,
)


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")


def _token_response(user, issued) -> Response:
    body = {**issued.as_dict(), "user": MeSerializer(user).data}
    return Response(body, status=status.HTTP_200_OK)


class LoginView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_classes = LOGIN_THROTTLES
    throttle_scope = "login"


class WeChatLoginView(LoginView):
    @extend_schema(
        tags=["auth"],
        summary="微信小程序登录",
        description="用 wx.login() 的 code 登录; 服务器调用 jscode2session, session_key 不会返回给客户端。",
        request=WeChatLoginSerializer,
        responses={200: TokenPairSerializer},
        examples=[OpenApiExample("请求", value={"code": "0a1B2c3D4e"}, request_only=True), TOKEN_EXAMPLE],
    )
    def post(self, request):
        data = WeChatLoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, issued = login.login_wechat(js_code=data.validated_data["code"], user_agent=_agent(request))
        return _token_response(user, issued)


class SmsCodeView(LoginView):
    throttle_scope = "otp"

    @extend_schema(
        tags=["auth"],
        summary="获取短信验证码",
        request=SmsCodeRequestSerializer,
        responses={200: SmsCodeSentSerializer},
        examples=[
            OpenApiExample("请求", value={"phone": "19900000001"}, request_only=True),
            OpenApiExample("已发送", value={"sent": True, "expires_in": 300, "resend_after": 60}, response_only=True),
        ],
    )
    def post(self, request):
        data = SmsCodeRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sent = otp_request(phone=data.validated_data["phone"], ip=_client_ip(request))
        return Response({"sent": True, "expires_in": sent.expires_in, "resend_after": sent.resend_after})


class SmsLoginView(LoginView):
    @extend_schema(
        tags=["auth"],
        summary="手机号 + 验证码登录",
        request=SmsLoginSerializer,
        responses={200: TokenPairSerializer},
        examples=[
            OpenApiExample("请求", value={"phone": "19900000001", "code": "123456"}, request_only=True),
            TOKEN_EXAMPLE,
        ],
    )
    def post(self, request):
        data = SmsLoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, issued = login.login_phone(**data.validated_data, user_agent=_agent(request))
        return _token_response(user, issued)


class PasswordLoginView(LoginView):
    @extend_schema(
        tags=["auth"],
        summary="用户名密码登录 (工作人员)",
        request=PasswordLoginSerializer,
        responses={200: TokenPairSerializer},
        examples=[OpenApiExample("请求", value={"username": "wuye1", "password": "demo-2026"}, request_only=True)],
    )
    def post(self, request):
        data = PasswordLoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, issued = login.login_password(**data.validated_data, user_agent=_agent(request), request=request)
        return _token_response(user, issued)


class RefreshView(LoginView):
    @extend_schema(
        tags=["auth"],
        summary="刷新令牌",
        description="用刷新令牌换一对新令牌; 旧的一对随即失效。同一刷新令牌用两次会退出该用户的所有登录。",
        request=RefreshSerializer,
        responses={200: TokenPairSerializer},
    )
    def post(self, request):
        data = RefreshSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        issued = token_refresh(refresh=data.validated_data["refresh"], user_agent=_agent(request))
        return _token_response(issued.token.user, issued)


class LogoutView(APIView):
    authentication_classes = [BearerTokenAuthentication]

    @extend_schema(tags=["auth"], summary="退出登录 (吊销当前令牌)", request=None, responses={204: None})
    def post(self, request):
        if isinstance(request.auth, ApiToken):
            token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(tags=["auth"], summary="当前用户", responses={200: MeSerializer})
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class PhoneBindView(APIView):
    permission_classes = [IsResident]
    throttle_scope = "otp"
    throttle_classes = LOGIN_THROTTLES

    @extend_schema(
        tags=["auth"],
        summary="绑定手机号 (微信授权或短信验证码)",
        description="getPhoneNumber 按钮的 code 由服务器向微信换取手机号; 或用 /auth/sms/code/ 获取的验证码。",
        request=PhoneBindSerializer,
        responses={200: MeSerializer},
        examples=[
            OpenApiExample("微信授权", value={"wechat_code": "e31968a7f94cc5ee25fafc2aef2773f0"}, request_only=True),
            OpenApiExample("短信验证码", value={"phone": "19900000001", "code": "123456"}, request_only=True),
        ],
    )
    def post(self, request):
        data = PhoneBindSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = phone_bind(
            user=request.user,
            wechat_code=data.validated_data["wechat_code"],
            phone=data.validated_data["phone"],
            sms_code=data.validated_data["code"],
        )
        return Response(MeSerializer(user).data)
