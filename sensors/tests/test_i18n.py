"""Sensors in English: rejections told to an HTTP sender and shown to staff, Chinese by default and in the consumer."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from sensors.ingest import RawMessage, ingest_messages
from sensors.models import Rejection
from tests.untranslated import ROOT, catalog_problems

pytestmark = pytest.mark.django_db


def post(body, **headers):
    return APIClient().post(
        "/api/v1/devices/telemetry",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer gw-token",
        **headers,
    )


def test_it_tells_an_english_http_sender_why_a_reading_was_rejected(make_device):
    make_device(token="gw-token")
    response = post([{"values": {"wire_temp": 40.5, "current": "many"}}], HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.json()["rejected"] == [
        {"reason": "wrong_type", "label": "Wrong data type", "detail": "current must be a number, got 'many'"}
    ]


def test_a_wholly_rejected_message_answers_in_english(make_device):
    make_device(token="gw-token")
    response = post({"wire_temp": 999}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["message"] == "wire_temp=999 is outside the physical range [-40, 200]"
    response = post({"wire_temp": 999})
    assert response.json()["message"] == "wire_temp=999 超出物理范围 [-40, 200]"


def test_the_consumer_records_rejections_in_the_default_language(make_device):
    device = make_device()
    ingest_messages([RawMessage(topic=f"shijiao/{device.key}/telemetry", payload=b"{not json")])
    assert Rejection.objects.get().last_detail.startswith("JSON 无法解析")


def test_staff_see_the_rejection_list_in_english(admin_client, make_device):
    device = make_device()
    ingest_messages([RawMessage(topic=f"shijiao/{device.key}/telemetry", payload=json.dumps({"current": True}))])
    body = admin_client.get("/admin/sensors/rejection/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Rejection" in body and "Wrong data type" in body and "Last detail" in body and "数据类型错误" not in body
    body = admin_client.get("/admin/sensors/rejection/").content.decode()
    assert "数据类型错误" in body and "最近说明" in body


def test_every_sensors_message_has_an_english_translation():
    assert catalog_problems(ROOT / "sensors" / "locale" / "en" / "LC_MESSAGES" / "django.po") == []
