"""The broker's HTTP auth and ACL: a device gets in with its own credentials and reaches only its own topics."""

from __future__ import annotations

import pytest

from sensors.factories import DeviceFactory

pytestmark = pytest.mark.django_db

SECRET = "broker-secret-for-tests"


@pytest.fixture
def broker_env(monkeypatch):
    monkeypatch.setenv("MQTT_AUTH_SECRET", SECRET)
    monkeypatch.setenv("MQTT_INGEST_USERNAME", "shijiao-ingest")
    monkeypatch.setenv("MQTT_INGEST_PASSWORD", "ingest-pass")


def ask(client, what: str, secret: str = SECRET, **fields):
    return client.post(f"/api/v1/mqtt/{what}", fields, content_type="application/json", HTTP_X_BROKER_SECRET=secret)


def test_a_device_logs_in_with_its_key_and_token_only(client, broker_env, district):
    device = DeviceFactory(apartment=district.mine)
    token = device.issue_token()
    assert ask(client, "auth", username=device.key, password=token).json()["result"] == "allow"
    assert ask(client, "auth", username=device.key, password="wrong").status_code == 403
    assert ask(client, "auth", username="someone-else", password=token).status_code == 403
    assert ask(client, "auth", username=token, password="").status_code == 200  # ThingsBoard style
    assert ask(client, "auth", username=device.key, password=token, secret="guess").status_code == 403
    device.revoke_token()
    assert ask(client, "auth", username=device.key, password=token).status_code == 403


def test_the_service_account_needs_its_password(client, broker_env):
    assert ask(client, "auth", username="shijiao-ingest", password="ingest-pass").status_code == 200
    assert ask(client, "auth", username="shijiao-ingest", password="nope").status_code == 403
    assert (
        ask(client, "acl", username="shijiao-ingest", topic="shijiao/+/telemetry", action="subscribe").status_code
        == 200
    )


def test_a_device_reaches_only_its_own_topics(client, broker_env, district):
    device, other = DeviceFactory(apartment=district.mine), DeviceFactory(apartment=district.mine)
    device.issue_token()
    other.issue_token()
    key = device.key
    allowed = [
        (f"shijiao/{key}/telemetry", "publish"),
        (f"shijiao/{key}/command/result", "publish"),
        (f"shijiao/{key}/command", "subscribe"),
    ]
    denied = [
        (f"shijiao/{other.key}/telemetry", "publish"),
        (f"shijiao/{key}/command", "publish"),
        (f"shijiao/{key}/telemetry", "subscribe"),
        ("shijiao/+/telemetry", "subscribe"),
        ("#", "subscribe"),
        (f"shijiao/{other.key}/command", "subscribe"),
    ]
    for topic, action in allowed:
        assert ask(client, "acl", username=key, topic=topic, action=action).status_code == 200, (topic, action)
    for topic, action in denied:
        assert ask(client, "acl", username=key, topic=topic, action=action).status_code == 403, (topic, action)
    # mosquitto-go-auth's numeric access: 2 write, 4 subscribe
    assert ask(client, "acl", username=key, topic=f"shijiao/{key}/telemetry", acc="2").status_code == 200
    assert ask(client, "acl", username=key, topic=f"shijiao/{key}/telemetry", acc="4").status_code == 403


def test_a_thingsboard_device_uses_the_me_topics(client, broker_env, district):
    device = DeviceFactory(apartment=district.mine)
    token = device.issue_token()
    assert ask(client, "acl", username=token, topic="v1/devices/me/telemetry", action="publish").status_code == 200
    assert (
        ask(client, "acl", username=token, topic="v1/devices/me/rpc/request/+", action="subscribe").status_code == 200
    )
    assert (
        ask(client, "acl", username=token, topic=f"shijiao/{device.key}/telemetry", action="publish").status_code == 403
    )
    assert ask(client, "acl", username="unknown", topic="v1/devices/me/telemetry", action="publish").status_code == 403


def test_mosquitto_acl_file_gives_each_device_its_own_topics(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "acl"
    call_command("mosquitto_acl", str(target), service_account="ingest-svc")
    lines = target.read_text().splitlines()
    assert lines[1:3] == ["user ingest-svc", "topic readwrite #"]
    assert "pattern write shijiao/%u/telemetry" in lines
    assert "pattern read shijiao/%u/command" in lines
    assert not any(line.startswith("pattern") and "#" in line for line in lines)  # no device-wide wildcard


def test_a_thingsboard_device_must_use_its_key_as_client_id_when_the_broker_says_which(client, broker_env, district):
    device = DeviceFactory(apartment=district.mine, protocol="thingsboard")
    token = device.issue_token()
    assert ask(client, "auth", username=token, password="", clientid=device.key).status_code == 200
    assert ask(client, "auth", username=token, password="", clientid="random-client-7").status_code == 403
