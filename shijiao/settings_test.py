"""Settings for the test suite.

Runs on the real PostgreSQL of this machine when it answers (required under
CI=true); otherwise on SQLite. Unit tests keep the in-memory channel layer and
in-process Celery; integration tests reach Redis and Mosquitto at TEST_REDIS_URL
and TEST_MQTT_URL.
"""

from __future__ import annotations

import os
import socket

from django.core.exceptions import ImproperlyConfigured


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


IN_CI = os.environ.get("CI", "").lower() == "true"

if not os.environ.get("DATABASE_URL"):
    if _answers("127.0.0.1", 5432):
        os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/shijiao"
    elif IN_CI:
        raise ImproperlyConfigured("CI=true but PostgreSQL does not answer on 127.0.0.1:5432.")
# The unit suite never needs production Redis; integration tests read TEST_REDIS_URL.
# A server a test starts (SHIJIAO_TEST_SERVER=1) keeps the Redis it was given.
if not os.environ.get("SHIJIAO_TEST_SERVER"):
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("CELERY_BROKER_URL", None)
os.environ.setdefault("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("TEST_MQTT_URL", "mqtt://127.0.0.1:1883")
os.environ.setdefault("VAR_DIR", os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "test"))

from shijiao.settings import *  # noqa: E402, F403

TEST_REDIS_URL = os.environ["TEST_REDIS_URL"]
TEST_MQTT_URL = os.environ["TEST_MQTT_URL"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
