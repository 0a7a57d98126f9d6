"""Binding a phone: WeChat's getPhoneNumber code exchanged server-side (a local server checks the calls), or SMS."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache

from accounts.models import Role, User

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/phone/"
PHONE_INFO = {
    "errcode": 0,
    "errmsg": "ok",
    "phone_info": {
        "phoneNumber": "13800138000",
        "purePhoneNumber": "13800138000",
        "countryCode": "86",
        "watermark": {"timestamp": 1700000000, "appid": "wx-test-app"},
    },
}


@pytest.fixture
def wechat(settings, fake_http):
    settings.WECHAT_APP_ID = "wx-test-app"
    settings.WECHAT_APP_SECRET = "s3cret"
    settings.WECHAT_API_BASE = fake_http.url
    cache.delete("wechat:access_token")
    return fake_http


@pytest.fixture
def resident(api, make_user):
    user = make_user(Role.RESIDENT, phone="")
    api.force_authenticate(user)
    return user


def test_it_exchanges_the_code_with_a_fresh_access_token_and_binds_the_number(api, wechat, resident):
    wechat.answers = [(200, {"access_token": "TOKEN-1", "expires_in": 7200}), (200, PHONE_INFO)]
    response = api.post(URL, {"wechat_code": "phone-code-1"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["phone"] == "138****8000"
    token_call, phone_call = wechat.requests
    assert token_call.method == "GET" and token_call.path == "/cgi-bin/token"
    assert token_call.query == {"grant_type": "client_credential", "appid": "wx-test-app", "secret": "s3cret"}
    assert phone_call.method == "POST" and phone_call.path == "/wxa/business/getuserphonenumber"
    assert phone_call.query == {"access_token": "TOKEN-1"}
    assert json.loads(phone_call.body) == {"code": "phone-code-1"}
    resident.refresh_from_db()
    assert resident.phone == "13800138000"


def test_it_reuses_the_cached_token_and_refreshes_it_once_when_wechat_says_it_expired(api, wechat, resident):
    cache.set("wechat:access_token", "OLD", 600)
    wechat.answers = [
        (200, {"errcode": 42001, "errmsg": "access_token expired"}),
        (200, {"access_token": "NEW", "expires_in": 7200}),
        (200, PHONE_INFO),
    ]
    response = api.post(URL, {"wechat_code": "c"}, format="json")
    assert response.status_code == 200, response.json()
    assert [r.query.get("access_token") for r in wechat.requests] == ["OLD", None, "NEW"]
    assert cache.get("wechat:access_token") == "NEW"


@pytest.mark.parametrize(
    ("errcode", "status", "code"),
    [(40029, 400, "wechat_invalid_code"), (-1, 503, "wechat_busy"), (45011, 429, "wechat_rate_limited"),
     (99999, 502, "wechat_error")],
)  # fmt: skip
def test_it_maps_the_phone_api_error_codes_and_binds_nothing(api, wechat, resident, errcode, status, code):
    wechat.answers = [(200, {"access_token": "T", "expires_in": 7200}), (200, {"errcode": errcode, "errmsg": "x"})]
    response = api.post(URL, {"wechat_code": "expired"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code and body["message"] and not any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])
    resident.refresh_from_db()
    assert resident.phone == ""


def test_it_refuses_a_number_from_another_mini_program(api, wechat, resident):
    info = json.loads(json.dumps(PHONE_INFO))
    info["phone_info"]["watermark"]["appid"] = "wx-someone-else"
    wechat.answers = [(200, {"access_token": "T", "expires_in": 7200}), (200, info)]
    assert api.post(URL, {"wechat_code": "c"}, format="json").json()["code"] == "wechat_invalid_code"


def test_it_binds_by_sms_code(api, resident, sms_outbox):
    assert api.post("/api/v1/auth/sms/code/", {"phone": "13900139000"}, format="json").status_code == 200
    wrong = api.post(URL, {"phone": "13900139000", "code": "000000"}, format="json")
    assert wrong.status_code == 400 and wrong.json()["code"] in ("otp_invalid", "otp_expired")
    response = api.post(URL, {"phone": "13900139000", "code": sms_outbox[-1]["code"]}, format="json")
    assert response.status_code == 200, response.json()
    resident.refresh_from_db()
    assert resident.phone == "13900139000"


def test_a_phone_of_another_account_is_refused(api, resident, make_user, sms_outbox):
    make_user(Role.RESIDENT, phone="13700137000")
    api.post("/api/v1/auth/sms/code/", {"phone": "13700137000"}, format="json")
    response = api.post(URL, {"phone": "13700137000", "code": sms_outbox[-1]["code"]}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "phone_taken"
    assert User.objects.get(pk=resident.pk).phone == ""


def test_it_asks_for_a_code(api, resident):
    response = api.post(URL, {}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "phone_code_required"


def test_staff_cannot_bind_here(api, make_user):
    api.force_authenticate(make_user(Role.PROPERTY_MANAGER))
    assert api.post(URL, {"wechat_code": "c"}, format="json").status_code == 403
