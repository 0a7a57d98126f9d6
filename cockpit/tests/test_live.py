"""The big screen's live list and incident timeline through the API: every open alarm in handling order, the
escalation step reached, who acknowledged, the timeline's entries; other roles and other areas are refused."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role


@pytest.fixture
def alarms(figures):
    from alerts.alarms import alarm_acknowledge
    from alerts.factories import raise_alarm
    from alerts.models import AlertRule
    from sensors.models import DeviceType

    electricity = DeviceType.objects.get(code="smart_electricity")
    rule = AlertRule.objects.create
    critical = rule(code="t_wire", name="线缆温度过高", device_type=electricity, severity="critical")
    minor = rule(code="t_off", name="设备离线", device_type=electricity, severity="minor")
    now = timezone.now()
    mine = list(figures.mine.devices.order_by("pk"))
    other = list(figures.other.devices.order_by("pk"))

    def trigger(rule, device, title, minutes):
        return raise_alarm(rule_id=rule.pk, device_id=device.pk, apartment_id=device.apartment_id,
                             severity=rule.severity, title=title, metric="wire_temp", unit="°C", value=90.0,
                             at=now - timedelta(minutes=minutes), reopen_after=0)  # fmt: skip

    figures.minor = trigger(minor, mine[0], "设备离线", 1)  # the newest, but minor
    figures.acked = trigger(critical, mine[1], "线缆温度过高 91°C", 30)
    figures.critical = trigger(critical, other[0], "线缆温度过高 95°C", 10)
    alarm_acknowledge(alert_id=figures.acked.pk, by=figures.users[Role.STREET_ADMIN], end="cockpit")
    return figures


def test_the_street_gets_every_open_alarm_unacknowledged_critical_first(client, alarms):
    client.force_login(alarms.users[Role.STREET_ADMIN])
    data = client.get("/api/v1/cockpit/alarms").json()
    assert data["total"] == 3
    assert [a["id"] for a in data["alarms"]] == [alarms.critical.pk, alarms.acked.pk, alarms.minor.pk]
    acked = data["alarms"][1]
    assert acked["acknowledged_by"] and acked["acknowledged_via"] == "cockpit"
    assert {"escalation_done", "escalation_planned"} <= set(acked)
    # The page carries the same list, so it is filled before any WebSocket connects.
    html = client.get("/cockpit/").content.decode()
    embedded = json.loads(re.search(r'<script id="alarms-data" type="application/json">(.*?)</script>', html).group(1))
    assert [a["id"] for a in embedded["alarms"]] == [a["id"] for a in data["alarms"]]


def test_the_timeline_says_what_happened_when(client, alarms):
    client.force_login(alarms.users[Role.STREET_ADMIN])
    data = client.get(f"/api/v1/cockpit/alarms/{alarms.acked.pk}/timeline").json()
    assert data["alarm"]["id"] == alarms.acked.pk
    kinds = [e["kind"] for e in data["entries"]]
    assert kinds[0] == "raised" and "acknowledged" in kinds
    ack = next(e for e in data["entries"] if e["kind"] == "acknowledged")
    assert ack["who"] == str(alarms.users[Role.STREET_ADMIN])
    for entry in data["entries"]:
        if entry["kind"] == "notification":  # a notification says its channel and its true status
            assert entry["what"] and entry["status"] in {"pending", "sending", "retrying", "sent", "failed", "unknown"}
    assert data["commands"] == []


def test_a_fire_station_operator_sees_only_its_areas_alarms(client, alarms):
    client.force_login(alarms.users[Role.STATION_OPERATOR])
    ids = [a["id"] for a in client.get("/api/v1/cockpit/alarms").json()["alarms"]]
    assert alarms.critical.pk not in ids and alarms.acked.pk in ids
    response = client.get(f"/api/v1/cockpit/alarms/{alarms.critical.pk}/timeline")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.PROPERTY_MANAGER, Role.RESIDENT, Role.FIRE_SAFETY_PERSON])
def test_other_roles_are_refused(client, alarms, role):
    client.force_login(alarms.users[role])
    assert client.get("/api/v1/cockpit/alarms").status_code == 403
    assert client.get(f"/api/v1/cockpit/alarms/{alarms.acked.pk}/timeline").status_code == 403
