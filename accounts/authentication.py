"""DRF authentication by ``Authorization: Bearer <access token>`` (the mini-program and the H5 client)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts.tokens import token_for_access


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Authorization 头格式应为: Bearer <令牌>"), code="token_invalid")
        try:
            raw = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("令牌无效"), code="token_invalid")
        token = token_for_access(raw)
        if token is None or token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("令牌无效或已退出登录"), code="token_invalid")
        if token.access_expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed(_("令牌已过期, 请用刷新令牌续期"), code="token_expired")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("账号已停用"), code="account_disabled")
        return token.user, token

    def authenticate_header(self, request) -> str:
        return self.keyword


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Names the mini-program's bearer token in the OpenAPI schema (and silences drf-spectacular's warning)."""

    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "登录后获得的访问令牌 (POST /api/v1/auth/...)"}
