"""Phone + SMS code login: codes hashed, 5-minute expiry, limited guesses, rate limits per phone and IP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import OneTimeCode, Role, User

pytestmark = pytest.mark.django_db
SENT: list[dict] = []


def capture(*, phone: str, code: str, out_id: str) -> str:
    """An SMS provider for tests: keeps what would have been sent."""
    SENT.append({"phone": phone, "code": code, "out_id": out_id})
    return f"biz-{len(SENT)}"


@pytest.fixture(autouse=True)
def sender(settings):
    SENT.clear()
    settings.OTP_SENDER = "accounts.tests.test_sms_login.capture"
    return SENT


def ask(api, phone="19900000001", **extra):
    return api.post("/api/v1/auth/sms/code/", {"phone": phone}, format="json", **extra)


def login(api, phone, code):
    return api.post("/api/v1/auth/sms/login/", {"phone": phone, "code": code}, format="json")


def test_it_sends_a_code_and_logs_in_with_it_once(api):
    assert ask(api).json() == {"sent": True, "expires_in": 300, "resend_after": 60}
    code = SENT[0]["code"]
    row = OneTimeCode.objects.get()
    assert code not in row.code_hash and row.sms_biz_id == "biz-1"
    response = login(api, "19900000001", code)
    assert response.status_code == 200
    user = User.objects.get(pk=response.json()["user"]["id"])
    assert user.role == Role.RESIDENT and user.phone == "19900000001"
    assert response.json()["user"]["phone"] == "199****0001"
    again = login(api, "19900000001", code)
    assert again.status_code == 400 and again.json()["code"] == "otp_expired"


def test_the_same_phone_comes_back_to_the_same_account(api):
    ask(api)
    first = login(api, "19900000001", SENT[-1]["code"]).json()
    OneTimeCode.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    ask(api)
    second = login(api, "19900000001", SENT[-1]["code"]).json()
    assert first["user"]["id"] == second["user"]["id"]


def test_a_code_expires_after_five_minutes(api):
    ask(api)
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = login(api, "19900000001", SENT[0]["code"])
    assert response.status_code == 400 and response.json()["code"] == "otp_expired"


def test_wrong_guesses_are_counted_and_then_locked(api, settings):
    ask(api)
    code = SENT[0]["code"]
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    for left in (4, 3, 2, 1, 0):
        response = login(api, "19900000001", wrong)
        assert response.json()["code"] == "otp_invalid"
        assert str(left) in response.json()["message"]
    locked = login(api, "19900000001", code)
    assert locked.status_code == 429 and locked.json()["code"] == "otp_locked"


def test_it_limits_codes_per_phone(api, settings):
    assert ask(api).status_code == 200
    second = ask(api)
    assert second.status_code == 429 and second.json()["code"] == "otp_rate_limited"
    settings.OTP_RESEND_SECONDS = 0
    settings.OTP_MAX_PER_PHONE_PER_DAY = 3
    assert [ask(api).status_code for _ in range(3)] == [200, 200, 429]
    assert len(SENT) == 3


def test_it_limits_codes_per_ip(api, settings):
    settings.OTP_MAX_PER_IP_PER_HOUR = 2
    codes = [ask(api, phone=f"1990000000{i}").status_code for i in range(3)]
    assert codes == [200, 200, 429]
    # Another network is not affected.
    assert ask(api, phone="19900000009", REMOTE_ADDR="10.0.0.9").status_code == 200


@pytest.mark.parametrize("phone", ["12345", "2990000000", "1990000000a", ""])
def test_it_refuses_a_malformed_phone(api, phone):
    response = ask(api, phone=phone)
    assert response.status_code == 400
    assert not SENT


def test_a_malformed_code_is_a_400(api):
    response = login(api, "19900000001", "12ab56")
    assert response.status_code == 400


def test_the_code_goes_out_through_alibaba_cloud_sms_with_a_valid_signature(api, settings, fake_http):
    from shijiao.notify.aliyun import signature

    settings.OTP_SENDER = "accounts.otp.send_by_aliyun_sms"
    settings.ALIYUN_SMS_ENDPOINT = fake_http.url + "/"
    settings.ALIYUN_ACCESS_KEY_ID, settings.ALIYUN_ACCESS_KEY_SECRET = "test-key", "test-secret"
    settings.OTP_SMS_TEMPLATE_CODE = "SMS_123"
    fake_http.answer({"Code": "OK", "Message": "OK", "RequestId": "r-1", "BizId": "b-42"})
    assert ask(api, phone="19900000077").status_code == 200
    sent = fake_http.requests[0]
    params = dict(sent.query)
    assert params["Action"] == "SendSms" and params["Version"] == "2017-05-25"
    assert params["PhoneNumbers"] == "19900000077" and params["TemplateCode"] == "SMS_123"
    assert params["AccessKeyId"] == "test-key"
    given = params.pop("Signature")
    assert given == signature(params, "test-secret")
    import json

    code = json.loads(params["TemplateParam"])["code"]
    assert OneTimeCode.objects.get().sms_biz_id == "b-42"
    assert login(api, "19900000077", code).status_code == 200


def test_a_refused_sms_is_a_clear_503_and_does_not_count(api, settings, fake_http):
    settings.OTP_SENDER = "accounts.otp.send_by_aliyun_sms"
    settings.ALIYUN_SMS_ENDPOINT = fake_http.url + "/"
    settings.ALIYUN_ACCESS_KEY_ID, settings.ALIYUN_ACCESS_KEY_SECRET = "k", "s"
    fake_http.answer({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发天级流控", "RequestId": "r"})
    response = ask(api)
    assert response.status_code == 503 and response.json()["code"] == "sms_failed"
    assert not OneTimeCode.objects.exists()
