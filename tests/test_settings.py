"""Settings switch with the environment, and bad configuration stops with one clear sentence."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRINT_SETTINGS = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']), "
    "'layer': s.CHANNEL_LAYERS['default']['BACKEND'], 'eager': s.CELERY_TASK_ALWAYS_EAGER, "
    "'broker': s.CELERY_BROKER_URL, 'lang': s.LANGUAGE_CODE, 'tz': s.TIME_ZONE}))"
)

CLEAN = {
    k: v
    for k, v in os.environ.items()
    if k not in {"DATABASE_URL", "REDIS_URL", "MQTT_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
}


def run(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**CLEAN, "DJANGO_SETTINGS_MODULE": "shijiao.settings", "VAR_DIR": str(ROOT / "var" / "test"), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_runs_on_embedded_defaults_with_no_environment():
    result = run(PRINT_SETTINGS)
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert got["engine"] == "django.db.backends.sqlite3"
    assert got["name"].endswith("db.sqlite3")
    assert got["layer"] == "channels.layers.InMemoryChannelLayer"
    assert got["eager"] is True
    assert got["lang"] == "zh-hans" and got["tz"] == "Asia/Shanghai"


def test_it_switches_to_postgresql_and_redis_from_the_environment():
    result = run(
        PRINT_SETTINGS,
        DATABASE_URL="postgres://app:secret@db.example:5433/shijiao",
        REDIS_URL="redis://cache.example:6379/2",
    )
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert got["engine"] == "django.db.backends.postgresql"
    assert got["name"] == "shijiao"
    assert got["layer"] == "shijiao.channel_layer.RedisChannelLayer"
    assert got["eager"] is False
    assert got["broker"] == "redis://cache.example:6379/2"


def manage_check(**env: str) -> subprocess.CompletedProcess:
    """``manage.py check`` with nothing of the caller's environment but ``env``."""
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**CLEAN, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_malformed_database_url_stops_manage_py_with_one_sentence():
    result = manage_check(DATABASE_URL="mysql//oops")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "DATABASE_URL" in lines[0] and "Traceback" not in result.stderr


def test_an_unreachable_redis_stops_the_server_with_one_sentence():
    result = run("import shijiao.asgi", REDIS_URL="redis://127.0.0.1:1/0")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Redis" in lines[0] and "REDIS_URL" in lines[0]


def test_a_non_numeric_setting_is_named_in_the_error():
    result = manage_check(REGISTRATION_DEADLINE_DAYS="three")
    assert result.returncode == 1
    assert "REGISTRATION_DEADLINE_DAYS" in result.stderr and "Traceback" not in result.stderr


def test_check_deploy_is_clean_with_production_variables():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **CLEAN,
            "DEBUG": "false",
            "SECRET_KEY": "x7#kq2!vd9@pl4$wz8^mn3&rt6*yb1(hs5)gj0-cf+ue=ai_oe[LONGKEY]",
            "ALLOWED_HOSTS": "ezhiban.example.cn",
            "PII_ENCRYPTION_KEY": "2cvNHfT3QGyO1Hc8D9yM0uGZ8I7h0Z8rA9B2c3D4e5E=",
            "PII_HASH_KEY": "another-long-random-secret-for-the-keyed-hash",
            "VAR_DIR": str(ROOT / "var" / "test"),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


PRODUCTION_KEYS = {
    "SECRET_KEY": "x7#kq2!vd9@pl4$wz8^mn3&rt6*yb1(hs5)gj0-cf+ue=ai_oe[LONGKEY]",
    "PII_ENCRYPTION_KEY": "2cvNHfT3QGyO1Hc8D9yM0uGZ8I7h0Z8rA9B2c3D4e5E=",
    "PII_HASH_KEY": "another-long-random-secret-for-the-keyed-hash",
}


def _production(command: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        command,
        cwd=ROOT,
        env={**CLEAN, "DEBUG": "false", "ALLOWED_HOSTS": "ezhiban.example.cn", "VAR_DIR": str(ROOT / "var" / "test"),
             **env},
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("missing", sorted(PRODUCTION_KEYS))
def test_production_refuses_to_start_without_each_key_and_names_it(missing):
    """Issue #13 item 7: no public development key, no personal-data keys derived from it."""
    keys = {k: v for k, v in PRODUCTION_KEYS.items() if k != missing}
    for command in ([sys.executable, "manage.py", "check"], [sys.executable, "-c", "import shijiao.wsgi"]):
        result = _production(command, **keys)
        assert result.returncode == 1, result.stdout + result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
        assert f"{missing} is not set" in lines[0]


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("SECRET_KEY", "change-me-to-a-long-random-string", "placeholder"),
        ("SECRET_KEY", "short-but-not-a-placeholder-0123", "too short"),
        ("PII_ENCRYPTION_KEY", "generate-with-cryptography-Fernet.generate_key", "placeholder"),
        ("PII_ENCRYPTION_KEY", "not-a-fernet-key-but-long-enough-to-pass-0123456", "not a Fernet key"),
        ("PII_HASH_KEY", "abc", "too short"),
    ],
)
def test_production_refuses_placeholder_or_weak_keys(name, value, says):
    result = _production([sys.executable, "manage.py", "check"], **{**PRODUCTION_KEYS, name: value})
    assert result.returncode == 1 and name in result.stderr and says in result.stderr, result.stderr


def test_development_still_runs_with_no_keys_at_all():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env={**CLEAN, "VAR_DIR": str(ROOT / "var" / "test")},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_a_missing_mqtt_ca_file_stops_manage_py_with_one_sentence():
    result = manage_check(MQTT_URL="mqtts://broker.example:8883", MQTT_CA_FILE="/nowhere/ca.pem")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "MQTT_CA_FILE='/nowhere/ca.pem' is not a file" in lines[0]
