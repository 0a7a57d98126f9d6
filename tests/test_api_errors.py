"""Issue #13 item 8: every error under /api/ answers in the API's JSON envelope ({"code", "message", "errors"}),
also those Django raises before or outside a DRF view: unknown paths, oversized bodies, server errors. Pages
outside /api/ keep their HTML error pages."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import include, path
from rest_framework.test import APIClient

from accounts.models import Role
from sensors.factories import DeviceFactory, device_type

pytestmark = pytest.mark.django_db

TWENTY_THREE_MB = 23 * 1024 * 1024


def _boom(request):
    raise RuntimeError("secret internal detail 7f3a")


# The real URL conf plus one API view that fails, to see what a client gets from an unexpected exception.
urlpatterns = [path("api/v1/test-boom/", _boom), path("", include("shijiao.urls"))]


def assert_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) >= {"code", "message", "errors"} and body["code"] == code, body
    assert body["message"] and "<html" not in response.content.decode(errors="replace").lower()
    return body


@pytest.mark.parametrize("url", ["/api/v1/no-such-thing/", "/api/nothing-here", "/api/v1/residents/abc/def/"])
def test_an_unknown_api_path_is_a_json_404(url):
    assert_envelope(Client().get(url), 404, "not_found")


def test_a_23_mb_raw_snapshot_is_a_json_413_and_nothing_is_recorded(district):
    from residents.models import AccessEvent

    door = DeviceFactory(device_type=device_type("door_controller"), apartment=district.mine)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {door.issue_token()}")
    response = client.post(
        "/api/v1/doors/entry/", data=b"\xff\xd8" + b"\0" * TWENTY_THREE_MB, content_type="image/jpeg"
    )
    body = assert_envelope(response, 413, "payload_too_large")
    assert "MB" in body["message"]
    assert not AccessEvent.objects.exists()


def test_a_23_mb_json_body_is_a_json_413():
    response = Client().post(
        "/api/v1/auth/password/",
        data=b'{"username": "' + b"a" * TWENTY_THREE_MB + b'"}',
        content_type="application/json",
    )
    assert_envelope(response, 413, "payload_too_large")


def test_a_23_mb_photo_upload_is_a_clear_json_error_and_nothing_is_written(district, make_user):
    from residents.factories import ResidentFactory
    from residents.models import FaceConsent, FaceEnrolment

    user = make_user(role=Role.RESIDENT)
    ResidentFactory(user=user)
    client = APIClient()
    client.force_authenticate(user)
    photo = SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"\0" * TWENTY_THREE_MB, content_type="image/jpeg")
    response = client.post("/api/v1/me/face/enrolment/", {"photo": photo}, format="multipart")
    assert response.status_code in (400, 413)
    assert response["Content-Type"].startswith("application/json") and response.json()["message"]
    assert not FaceEnrolment.objects.exists() and not FaceConsent.objects.exists()


def test_too_many_form_fields_is_a_json_400(settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = "&".join(f"f{i}=1" for i in range(50))
    response = Client().post("/api/v1/auth/password/", data=body, content_type="application/x-www-form-urlencoded")
    assert_envelope(response, 400, "bad_request")


@pytest.mark.urls("tests.test_api_errors")
def test_a_server_error_is_a_json_500_that_hides_the_detail(caplog):
    response = Client(raise_request_exception=False).get("/api/v1/test-boom/")
    body = assert_envelope(response, 500, "server_error")
    assert "7f3a" not in str(body)
    assert any("7f3a" in str(r.exc_info) for r in caplog.records if r.exc_info)  # logged with the traceback


def test_english_clients_get_english_error_messages():
    response = Client().get("/api/v1/no-such-thing/", HTTP_ACCEPT_LANGUAGE="en")
    assert assert_envelope(response, 404, "not_found")["message"] == "No such endpoint or object"


def test_pages_outside_the_api_keep_their_html_error_pages():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404 and not response["Content-Type"].startswith("application/json")
