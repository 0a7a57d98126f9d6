"""Tiny helpers that read settings from the environment.

Every setting has a working default, so a fresh checkout runs with no
environment at all (SQLite, in-memory channel layer, in-process Celery).
A malformed value stops the process with one clear sentence.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use true or false.")


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def envfloat(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_from_url(url: str, base_dir: Path) -> dict:
    """Turn ``postgres://user:pass@host:port/name`` or ``sqlite:///path`` into a Django DATABASES entry."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path
        path = unquote(url[len("sqlite://") :])
        if path.startswith("/") and not path.startswith("//"):
            path = path[1:]
        if not path:
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} names no SQLite file; use sqlite:///var/db.sqlite3.")
        name = Path(path) if Path(path).is_absolute() else base_dir / path
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(name)}
    if scheme in {"postgres", "postgresql", "pgsql"}:
        name = parts.path.lstrip("/")
        if not name:
            raise ImproperlyConfigured(
                f"DATABASE_URL={_redact(url)!r} names no database; use postgres://user:password@host:5432/dbname."
            )
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"DATABASE_URL={_redact(url)!r} has a port that is not a number.") from None
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(name),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "CONN_MAX_AGE": envint("DATABASE_CONN_MAX_AGE", 60),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL={_redact(url)!r} is not understood; use postgres://user:password@host:5432/dbname "
        "or sqlite:///var/db.sqlite3."
    )


def check_url(name: str, url: str, schemes: set[str], example: str) -> str:
    parts = urlsplit(url)
    try:
        _ = parts.port  # urlsplit parses the port lazily
    except ValueError:
        raise ImproperlyConfigured(f"{name}={_redact(url)!r} has a port that is not a number.") from None
    if parts.scheme.lower() not in schemes or not parts.hostname:
        raise ImproperlyConfigured(f"{name}={_redact(url)!r} is not understood; use something like {example}.")
    return url


def check_file(name: str, path: str, what: str) -> str:
    """``path`` (from the environment variable ``name``) when it names a readable file; refuses to start otherwise."""
    if path and not Path(path).is_file():
        raise ImproperlyConfigured(f"{name}={path!r} is not a file ({what}).")
    return path


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


PLACEHOLDERS = ("change-me", "generate-with", "changeme", "example")


def envsecret(name: str, *, debug: bool, dev_default: str = "", min_length: int = 32, how: str = "") -> str:
    """A secret from the environment. In development (``debug``) a missing one falls back to ``dev_default``;
    in production a missing, placeholder or short value stops the process, naming the variable."""
    raw = os.environ.get(name, "").strip()
    if debug:
        return raw or dev_default
    hint = f" Make one with: {how}" if how else ""
    if not raw:
        raise ImproperlyConfigured(
            f"{name} is not set. With DEBUG=false e智办 refuses to run on the public development key; "
            f"set {name} in the environment (docs/configuration.md).{hint}"
        )
    if any(p in raw.lower() for p in PLACEHOLDERS):
        raise ImproperlyConfigured(f"{name} still holds the placeholder of .env.example; set a real secret.{hint}")
    if len(raw) < min_length:
        raise ImproperlyConfigured(f"{name} is too short ({len(raw)} characters, at least {min_length}).{hint}")
    return raw


def check_fernet_keys(name: str, raw: str) -> str:
    """``raw`` is one or more comma-separated Fernet keys (urlsafe base64 of 32 bytes), or empty."""
    from cryptography.fernet import Fernet

    for key in (k.strip() for k in raw.split(",") if k.strip()):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"{name} is not a Fernet key (urlsafe base64 of 32 bytes); make one with: "
                'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
            ) from None
    return raw
