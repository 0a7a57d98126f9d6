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
from django.db import connection, transaction
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


class _AccessLookup:
    """One SQL statement from an access token's hash to its ApiToken and User, built once per database vendor.

    Every authenticated API request asks this; the ORM's version of the same join (select_related, first)
    costs about four times the CPU of the query itself to compile, and ``first`` sorts one unique row.
    Values pass through the same converters as in the ORM (SQLite's dates, the encrypted phone).
    """

    def __init__(self) -> None:
        self.models = [(ApiToken, "t"), (User, "u")]
        columns = [f'{alias}."{f.column}"' for model, alias in self.models for f in model._meta.concrete_fields]
        self.sql = (
            f'SELECT {", ".join(columns)} FROM "{ApiToken._meta.db_table}" t'
            f' JOIN "{User._meta.db_table}" u ON u."id" = t."user_id" WHERE t."access_hash" = %s'
        )
        self.converters: dict[str, list] = {}

    def _converters(self) -> list:
        """Per column: its attribute, its expression and the functions the ORM would apply to its value."""
        if connection.vendor not in self.converters:
            columns = [(f, f.get_col(alias)) for model, alias in self.models for f in model._meta.concrete_fields]
            self.converters[connection.vendor] = [
                (field.attname, col, connection.ops.get_db_converters(col) + field.get_db_converters(connection))
                for field, col in columns
            ]
        return self.converters[connection.vendor]

    def _load(self, model, fields: list, values) -> object:
        converted = []
        for (_attname, col, converters), value in zip(fields, values, strict=True):
            for convert in converters:
                value = convert(value, col, connection)
            converted.append(value)
        return model.from_db(connection.alias, [attname for attname, _col, _converters in fields], converted)

    def __call__(self, digest: str) -> ApiToken | None:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [digest])
            row = cursor.fetchone()
        if row is None:
            return None
        fields = self._converters()
        split = len(ApiToken._meta.concrete_fields)
        token = self._load(ApiToken, fields[:split], row[:split])
        token.user = self._load(User, fields[split:], row[split:])
        return token


_access_lookup: _AccessLookup | None = None


def token_for_access(raw: str) -> ApiToken | None:
    """The session an access token belongs to (revoked or expired ones too: the caller says which), its user loaded."""
    global _access_lookup
    if _access_lookup is None:
        _access_lookup = _AccessLookup()
    return _access_lookup(hash_token(raw))


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
