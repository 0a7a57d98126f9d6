"""API tokens: opaque random strings handed to the client, stored only as SHA-256 hashes.

An access token is short-lived; its refresh token buys a new pair once (rotation). Presenting a refresh
token that was already used revokes every session of that user, since one of the two holders is a thief.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ApiToken, User
from shijiao.errors import DomainError


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    access: str
    refresh: str

    def as_dict(self) -> dict:
        return {
            "token_type": "Bearer",
            "access": self.access,
            "refresh": self.refresh,
            "access_expires_at": self.token.access_expires_at.isoformat(),
            "refresh_expires_at": self.token.refresh_expires_at.isoformat(),
        }


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def access_ttl() -> timedelta:
    return timedelta(seconds=settings.API_ACCESS_TOKEN_TTL)


def refresh_ttl() -> timedelta:
    return timedelta(seconds=settings.API_REFRESH_TOKEN_TTL)


def token_issue(*, user: User, method: str, user_agent: str = "", now: datetime | None = None) -> IssuedToken:
    """Start a new API session for ``user``."""
    now = now or timezone.now()
    access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        method=method,
        access_hash=hash_token(access),
        refresh_hash=hash_token(refresh),
        access_expires_at=now + access_ttl(),
        refresh_expires_at=now + refresh_ttl(),
        user_agent=user_agent[:255],
    )
    return IssuedToken(token=token, access=access, refresh=refresh)


def token_refresh(*, refresh: str, user_agent: str = "", now: datetime | None = None) -> IssuedToken:
    """Exchange a refresh token for a new access/refresh pair; the old pair stops working."""
    now = now or timezone.now()
    with transaction.atomic():
        token = (
            ApiToken.objects.select_for_update().select_related("user").filter(refresh_hash=hash_token(refresh)).first()
        )
        reused = token is not None and token.revoked_at is not None
        if reused:
            # A refresh token used twice: someone else holds a copy. End every session of this user
            # (committed before the error is raised, so the error does not roll it back).
            token_revoke_all(user=token.user, now=now)
        elif token is not None and token.refresh_expires_at > now and token.user.is_active:
            token.revoked_at = now
            token.save(update_fields=["revoked_at"])
            return token_issue(user=token.user, method=token.method, user_agent=user_agent or token.user_agent, now=now)
    if token is None:
        raise DomainError(_("刷新令牌无效, 请重新登录"), code="refresh_invalid", status_code=401)
    if reused:
        raise DomainError(
            _("刷新令牌已使用过, 为安全起见已退出所有登录, 请重新登录"), code="refresh_reused", status_code=401
        )
    if not token.user.is_active:
        raise DomainError(_("账号已停用"), code="account_disabled", status_code=401)
    raise DomainError(_("登录已过期, 请重新登录"), code="refresh_expired", status_code=401)


def token_revoke(*, token: ApiToken, now: datetime | None = None) -> None:
    """Log out one session."""
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        token.save(update_fields=["revoked_at"])


def token_revoke_all(*, user: User, now: datetime | None = None) -> int:
    """Log out every session of ``user`` (password change, lost phone, account disabled)."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now or timezone.now())
