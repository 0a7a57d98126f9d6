"""Guessing SMS codes does not pay: per-code and per-phone locks, per-IP throttles that a header cannot dodge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import OneTimeCode
from shijiao.api import ScopedThrottle

pytestmark = pytest.mark.django_db
VICTIM = "19900000001"


@pytest.fixture(autouse=True)
def sent(sms_outbox, settings) -> list[dict]:
    settings.OTP_RESEND_SECONDS = 0  # so that a test can ask for a second code at once
    return sms_outbox


@pytest.fixture
def rates(monkeypatch):
    """Set the API's per-IP rates for login and code requests (per day: a test never straddles two windows)."""

    def set_rates(**scopes: str) -> None:
        monkeypatch.setattr(ScopedThrottle, "THROTTLE_RATES", {**ScopedThrottle.THROTTLE_RATES, **scopes})

    return set_rates


def ask(api, phone: str = VICTIM, **extra):
    return api.post("/api/v1/auth/sms/code/", {"phone": phone}, format="json", **extra)


def guess(api, code: str, phone: str = VICTIM, **extra):
    return api.post("/api/v1/auth/sms/login/", {"phone": phone, "code": code}, format="json", **extra)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_it_locks_the_phone_when_new_codes_are_asked_for_to_keep_guessing(api, sent, settings):
    assert settings.OTP_MAX_ATTEMPTS == 5 and settings.OTP_MAX_FAILURES_PER_PHONE_PER_DAY == 10
    ask(api)
    for _ in range(5):
        assert guess(api, wrong(sent[-1]["code"])).json()["code"] == "otp_invalid"
    assert guess(api, sent[-1]["code"]).json()["code"] == "otp_locked"  # the first code is spent

    assert ask(api).status_code == 200  # a second code: the last five guesses of the day
    answers = [guess(api, wrong(sent[-1]["code"])).json() for _ in range(5)]
    assert [a["message"] for a in answers] == [f"验证码错误, 还可尝试 {n} 次" for n in (4, 3, 2, 1, 0)]

    right = guess(api, sent[-1]["code"])  # even the right code no longer opens the account today
    assert right.status_code == 429
    assert right.json() == {
        "code": "otp_locked",
        "message": "该手机号验证码错误次数过多, 请 24 小时后再试",
        "errors": {},
    }
    third = ask(api)  # and no more codes are sent to be guessed at
    assert third.status_code == 429 and third.json()["code"] == "otp_locked"
    assert len(sent) == 2

    # Another phone is not affected.
    assert ask(api, phone="19900000002").status_code == 200
    assert guess(api, sent[-1]["code"], phone="19900000002").status_code == 200


def test_the_phone_lock_ends_after_24_hours(api, sent):
    ask(api)
    OneTimeCode.objects.update(attempts=10)
    assert ask(api).status_code == 429
    OneTimeCode.objects.update(created_at=timezone.now() - timedelta(hours=24, minutes=1))
    assert ask(api).status_code == 200
    response = guess(api, sent[-1]["code"])
    assert response.status_code == 200 and response.json()["user"]["phone"] == "199****0001"


def test_a_wrong_guess_stays_counted_when_the_request_fails(api, sent):
    ask(api)
    guess(api, wrong(sent[-1]["code"]))
    guess(api, wrong(sent[-1]["code"]))
    assert OneTimeCode.objects.get().attempts == 2  # the refusal did not roll the count back


def test_code_guesses_are_throttled_per_client_ip_across_phones(api, rates):
    rates(login="3/day")
    for n in range(3):
        ask(api, phone=f"1990000001{n}")
    answers = [guess(api, "000000", phone=f"1990000001{n}") for n in range(3)]
    assert [a.status_code for a in answers] == [400, 400, 400]
    refused = guess(api, "000000", phone="19900000013")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled" and "请求太频繁" in refused.json()["message"]
    assert int(refused["Retry-After"]) > 0
    # Another client address keeps its own count.
    assert guess(api, "000000", phone="19900000010", REMOTE_ADDR="198.51.100.20").status_code == 400


def test_a_forged_forwarded_for_header_does_not_dodge_the_login_throttle(api, rates):
    rates(login="3/day")
    ask(api)
    answers = [guess(api, "000000", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(5)]
    assert answers == [400, 400, 400, 429, 429]


def test_code_requests_are_throttled_per_client_ip_and_a_forged_header_does_not_help(api, sent, rates, settings):
    rates(otp="3/day")
    assert settings.OTP_MAX_PER_IP_PER_HOUR > 3  # it is the API's throttle that answers here
    answers = [ask(api, phone=f"1990000002{n}", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}") for n in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].json()["code"] == "throttled"
    assert len(sent) == 3
    assert ask(api, phone="19900000029", REMOTE_ADDR="198.51.100.21").status_code == 200
