"""The device registry API and admin: scoping, registration, CSV import, rejections visible to operators."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import Role
from sensors.ingest import RawMessage, ingest_messages
from sensors.models import Device, hash_token

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_staff_see_only_the_devices_of_their_blocks(district, make_device):
    mine = make_device(key="mine-1", apartment=district.mine)
    make_device(key="other-1", apartment=district.other)
    ingest_messages([RawMessage("shijiao/mine-1/telemetry", '{"values": {"wire_temp": 33}}')])
    response = client_for(district.users[Role.FIRE_SAFETY_PERSON]).get("/api/v1/devices/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["key"] for row in rows] == ["mine-1"]
    assert rows[0]["latest_values"][0]["metric"] == "wire_temp"
    assert rows[0]["is_online"] is True
    assert client_for(district.users[Role.RESIDENT]).get("/api/v1/devices/").status_code == 403
    assert (
        client_for(district.users[Role.FIRE_SAFETY_PERSON])
        .get(f"/api/v1/devices/{mine.pk}/readings/")
        .json()["results"][0]["value"]
        == 33
    )


def test_a_property_manager_registers_a_device_and_gets_its_token_once(district):
    client = client_for(district.users[Role.PROPERTY_MANAGER])
    body = {"key": "sq-new-1", "device_type": "hydrant_pressure", "apartment": district.mine.pk, "floor": 6}
    created = client.post("/api/v1/devices/", body, format="json")
    assert created.status_code == 201, created.content
    token = client.post(f"/api/v1/devices/{created.json()['id']}/token/").json()["token"]
    assert Device.objects.get(key="sq-new-1").token_hash == hash_token(token)
    elsewhere = client.post("/api/v1/devices/", {**body, "key": "x", "apartment": district.other.pk}, format="json")
    assert elsewhere.status_code == 400
    assert elsewhere.json()["errors"]["apartment"] == ["该公寓不在您的管辖范围"]
    grid_worker = client_for(district.users[Role.GRID_WORKER])
    assert grid_worker.post("/api/v1/devices/", {**body, "key": "y"}, format="json").status_code == 403


def test_csv_import_is_all_or_nothing_with_the_line_of_each_problem(district):
    client = client_for(district.users[Role.PROPERTY_MANAGER])
    code = district.mine.code
    bad = (
        "key,type,apartment,floor,location,reporting_interval\n"
        f"imp-1,smart_electricity,{code},1,1层配电箱,30\n"
        f"imp-2,toaster,{code},2,2层,30\n"
        f"imp-3,smoke_detector,{district.other.code},x,3层,30\n"
    )
    response = client.post("/api/v1/devices/import/", {"file": SimpleUploadedFile("d.csv", bad.encode())})
    assert response.status_code == 400
    errors = response.json()["errors"]["file"]
    assert "第 3 行: 设备类型 toaster 不存在" in errors
    assert any(e.startswith("第 4 行: 公寓") for e in errors) and any("楼层 应为整数" in e for e in errors)
    assert not Device.objects.exists()
    good = "\ufeffkey,type,apartment,floor,location\n" + "".join(
        f"imp-{i},smoke_detector,{code},{i},{i}层走廊\n" for i in range(1, 6)
    )
    response = client.post("/api/v1/devices/import/", {"file": SimpleUploadedFile("d.csv", good.encode())})
    assert response.status_code == 201, response.content
    created = response.json()["created"]
    assert len(created) == 5 and all(row["token"] for row in created)
    assert Device.objects.filter(apartment=district.mine).count() == 5


def test_rejections_are_listed_for_operators_of_the_block(district, make_device):
    make_device(key="mine-2", apartment=district.mine)
    ingest_messages(
        [
            RawMessage("shijiao/mine-2/telemetry", '{"values": {"wire_temp": "hot"}}'),
            RawMessage("shijiao/ghost/telemetry", '{"values": {"wire_temp": 30}}'),
        ]
    )
    station = client_for(district.users[Role.STATION_OPERATOR]).get("/api/v1/device-rejections/").json()["results"]
    assert [(r["source"], r["reason_label"], r["count"]) for r in station] == [("mine-2", "数据类型错误", 1)]
    street = client_for(district.users[Role.STREET_ADMIN]).get("/api/v1/device-rejections/").json()["results"]
    assert {r["source"] for r in street} == {"mine-2", "ghost"}


def test_operators_send_commands_through_the_api(district, make_device):
    device = make_device(key="mine-3", apartment=district.mine)
    client = client_for(district.users[Role.STATION_OPERATOR])
    response = client.post(
        f"/api/v1/devices/{device.pk}/commands/", {"action": "trip", "reason": "过热"}, format="json"
    )
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "sent"
    refused = client.post(f"/api/v1/devices/{device.pk}/commands/", {"action": "unlock", "reason": "x"}, format="json")
    assert refused.status_code == 400
    assert client.get(f"/api/v1/devices/{device.pk}/commands/").json()[0]["action_label"] == "断电 (分闸)"


def test_the_admin_pages_show_devices_and_rejections(admin_client, make_device):
    device = make_device(key="adm-1")
    ingest_messages([RawMessage("shijiao/adm-1/telemetry", "{bad")])
    assert admin_client.get("/admin/sensors/device/").status_code == 200
    page = admin_client.get(f"/admin/sensors/device/{device.pk}/change/")
    assert page.status_code == 200 and "JSON 格式错误" in page.content.decode()
    assert "adm-1" in admin_client.get("/admin/sensors/rejection/").content.decode()
