"""HTTP ingest: POST /api/v1/devices/telemetry with a device token."""

from __future__ import annotations

import json
import time

import pytest
from rest_framework.test import APIClient

from sensors.models import Reading, Rejection

pytestmark = pytest.mark.django_db
URL = "/api/v1/devices/telemetry"


def post(body, token: str | None = "gw-token", **headers):
    client = APIClient()
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    data = body if isinstance(body, bytes) else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", **headers)


def test_it_stores_a_batch_body_and_reports_the_bad_readings(make_device):
    device = make_device(token="gw-token")
    now = int(time.time() * 1000)
    response = post(
        [
            {"ts": now - 2000, "values": {"wire_temp": 40.5, "current": 7}},
            {"ts": now - 1000, "values": {"wire_temp": 41.0, "current": "many"}},
        ]
    )
    assert response.status_code == 200, response.content
    assert response.json()["stored"] == 3
    assert response.json()["rejected"] == [
        {"reason": "wrong_type", "label": "数据类型错误", "detail": "current 应为数值, 收到 'many'"}
    ]
    assert Reading.objects.filter(device=device).count() == 3


def test_it_accepts_alink_bodies_and_the_x_device_token_header(make_device):
    device = make_device(token="alink-token")
    body = {"id": "1", "version": "1.0", "method": "thing.event.property.post", "params": {"WireTemp": 52}}
    response = post(body, token=None, HTTP_X_DEVICE_TOKEN="alink-token")
    assert response.status_code == 200
    assert Reading.objects.get(device=device).value == 52


def test_a_wrong_token_is_refused_and_counted(make_device):
    make_device(token="gw-token")
    response = post({"wire_temp": 40}, token="not-the-token")
    assert response.status_code == 401
    assert response.json()["code"] == "bad_token"
    assert Rejection.objects.get(reason="bad_token").count == 1
    assert Reading.objects.count() == 0


def test_malformed_json_is_a_400_with_the_reason(make_device):
    make_device(token="gw-token")
    response = post(b"{broken")
    assert response.status_code == 400
    assert response.json()["code"] == "malformed"
    assert response.json()["message"].startswith("JSON 无法解析")


def test_an_oversized_body_is_refused(make_device, settings):
    settings.INGEST_HTTP_MAX_BODY_BYTES = 100
    make_device(token="gw-token")
    response = post({"values": {"wire_temp": 40}, "pad": "x" * 200})
    assert response.status_code == 413
    assert Reading.objects.count() == 0


def test_thingsboard_devices_post_to_their_own_http_path_with_the_token_in_it(make_device):
    """ThingsBoard's HTTP device API as it is: POST /api/v1/<token>/telemetry, any of its three body shapes."""
    device = make_device(token="tb-http-token")
    now = int(time.time() * 1000)
    client = APIClient()
    url = "/api/v1/tb-http-token/telemetry"
    for body in (
        {"wire_temp": 40},
        {"ts": now - 1000, "values": {"current": 6.5}},
        [{"ts": now, "values": {"voltage": 221}}],
    ):
        response = client.post(url, data=json.dumps(body), content_type="application/json")
        assert response.status_code == 200, response.content
    assert dict(Reading.objects.filter(device=device).values_list("metric", "value")) == {
        "wire_temp": 40,
        "current": 6.5,
        "voltage": 221,
    }
    refused = client.post(
        "/api/v1/not-a-token/telemetry", data=json.dumps({"wire_temp": 40}), content_type="application/json"
    )
    assert refused.status_code == 401 and refused.json()["code"] == "bad_token"
    # the platform's own routes still win over the token path
    assert client.post(URL, data=json.dumps({"wire_temp": 40}), content_type="application/json").status_code == 401
