"""Thousands of generated device payloads: each is stored or refused with a reason, never a crash or a 500.

Covers the three MQTT formats (native, ThingsBoard, Alink), HTTP ingest, and the door events
(our own door API and Hikvision ISAPI pushes).
"""

from __future__ import annotations

import json
import math

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from sensors.models import Device, DeviceType, RejectionReason
from sensors.parsers import RawMessage, parse_message
from sensors.registry import directory
from tests.fuzz.conftest import count, examples

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=examples(600),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
HTTP_FUZZ = settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)
metric_names = st.sampled_from(["wire_temp", "WireTemp", "temperature", "current", "voltage", "leakage", "bogus", ""])
timestamps = st.one_of(
    st.none(),
    st.integers(min_value=-(10**15), max_value=10**16),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=25),
    st.sampled_from(["2026-11-25T10:00:00+08:00", "2026-11-25 10:00:00", "1764036000000"]),
)
native_bodies = st.one_of(
    st.dictionaries(metric_names, scalars, max_size=4),
    st.fixed_dictionaries({"ts": timestamps, "values": st.dictionaries(metric_names, scalars, max_size=4)}),
    st.lists(st.fixed_dictionaries({"ts": timestamps, "values": st.dictionaries(metric_names, scalars)}), max_size=4),
    json_values,
)
alink_bodies = st.one_of(
    st.fixed_dictionaries(
        {
            "id": st.text(max_size=5),
            "version": st.just("1.0"),
            "method": st.sampled_from(["thing.event.property.post", "thing.service.trip", "x"]),
            "params": st.one_of(
                st.dictionaries(
                    metric_names,
                    st.one_of(scalars, st.fixed_dictionaries({"value": scalars, "time": timestamps})),
                    max_size=4,
                ),
                json_values,
            ),
        }
    ),
    json_values,
)


def encode(body, raw: bytes | None) -> bytes:
    if raw is not None:
        return raw
    return json.dumps(body, allow_nan=True).encode()


@pytest.fixture
def sensor(district):
    device = Device.objects.create(
        key="fuzz-elec-1",
        device_type=DeviceType.objects.get(code="smart_electricity"),
        apartment=district.mine,
        alink_product_key="a1FuZz",
    )
    token = device.issue_token()
    return device, token


def check(parsed) -> None:
    reasons = set(RejectionReason.values)
    for reason, detail in parsed.rejections:
        assert reason in reasons and isinstance(detail, str) and detail
    for point in parsed.points:
        assert math.isfinite(point.value)
    assert parsed.points or parsed.rejections or parsed.heard or parsed.reply is not None or not parsed.device


@FUZZ
@given(
    kind=st.sampled_from(["native", "tb", "tb-mapped", "alink", "heartbeat", "result", "unknown"]),
    body=native_bodies,
    raw=st.one_of(st.none(), st.binary(max_size=300)),
    alink=alink_bodies,
    key=st.sampled_from(["fuzz-elec-1", "nobody", "", "a/b", "+", "#"]),
)
def test_mqtt_messages_in_any_format_are_parsed_or_refused(sensor, kind, body, raw, alink, key):
    device, token = sensor
    current = directory()
    now = timezone.now()
    topics = {
        "native": (f"shijiao/{key}/telemetry", ""),
        "tb": ("v1/devices/me/telemetry", token if key == "fuzz-elec-1" else key),
        "tb-mapped": (f"tb/{token if key == 'fuzz-elec-1' else key}/v1/devices/me/telemetry", ""),
        "alink": (f"/sys/a1FuZz/{key}/thing/event/property/post", ""),
        "heartbeat": (f"shijiao/{key}/heartbeat", ""),
        "result": (f"shijiao/{key}/command/result", ""),
        "unknown": (f"{key}/x/y", ""),
    }
    topic, username = topics[kind]
    payload = encode(alink if kind == "alink" else body, raw)
    check(parse_message(RawMessage(topic, payload, username), current, now))
    count("MQTT payloads (native, ThingsBoard, Alink)")


@HTTP_FUZZ
@given(body=st.one_of(native_bodies, alink_bodies), raw=st.one_of(st.none(), st.binary(max_size=200)))
def test_http_ingest_answers_every_body_without_a_server_error(sensor, body, raw):
    _device, token = sensor
    client = APIClient()
    response = client.generic(
        "POST",
        "/api/v1/devices/telemetry",
        encode(body, raw),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code in (200, 400), response.content
    answer = response.json()
    assert "accepted" in answer and "rejected" in answer
    if response.status_code == 400:
        assert answer["message"]
    count("HTTP telemetry bodies")


@pytest.fixture
def door(district):
    device = Device.objects.create(
        key="fuzz-door-1", device_type=DeviceType.objects.get(code="door_controller"), apartment=district.mine
    )
    return device.issue_token()


door_bodies = st.one_of(
    st.fixed_dictionaries(
        {
            "method": st.one_of(st.sampled_from(["face", "card", "qr", "pin"]), st.text(max_size=8)),
            "credential": st.one_of(st.text(max_size=40), scalars),
            "room": st.one_of(st.text(max_size=6), scalars),
        },
        optional={"at": timestamps, "floor": scalars},
    ),
    json_values,
)


@HTTP_FUZZ
@given(body=door_bodies)
def test_door_entry_answers_every_request_without_a_server_error(door, body):
    client = APIClient()
    response = client.generic(
        "POST", "/api/v1/doors/entry/", encode(body, None), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {door}",
    )  # fmt: skip
    assert response.status_code in (200, 400, 409), response.content
    if response.status_code != 200:
        assert response.json()["message"]
    else:
        assert response.json()["decision"]
    count("door entry requests")


hikvision_events = st.one_of(
    st.fixed_dictionaries(
        {
            "eventType": st.one_of(st.just("AccessControllerEvent"), st.text(max_size=10)),
            "dateTime": st.one_of(st.just("2026-11-25T10:00:00+08:00"), st.text(max_size=30), scalars),
            "AccessControllerEvent": st.one_of(
                st.fixed_dictionaries(
                    {
                        "majorEventType": st.one_of(st.just(5), scalars),
                        "subEventType": st.one_of(st.sampled_from([75, 76]), scalars),
                        "employeeNoString": st.one_of(st.text(max_size=12), scalars),
                    },
                    optional={"currentVerifyMode": st.text(max_size=10), "serialNo": scalars},
                ),
                json_values,
            ),
        }
    ),
    json_values,
)


@HTTP_FUZZ
@given(event=hikvision_events, raw=st.one_of(st.none(), st.binary(max_size=200)))
def test_hikvision_pushes_are_answered_without_a_server_error(door, event, raw):
    client = APIClient()
    response = client.generic(
        "POST",
        "/api/v1/doors/hikvision/",
        encode(event, raw),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {door}",
    )
    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert response.json()["message"]
    count("Hikvision ISAPI event pushes")
