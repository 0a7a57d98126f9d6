"""WeChat mini-program login against a local server that checks the jscode2session request."""

from __future__ import annotations

import pytest

from accounts.models import ApiToken, Role, User, WeChatIdentity

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/wechat/"


@pytest.fixture
def wechat(settings, fake_http):
    settings.WECHAT_APP_ID = "wx-test-app"
    settings.WECHAT_APP_SECRET = "s3cret"
    settings.WECHAT_API_BASE = fake_http.url
    return fake_http


def test_it_creates_a_resident_and_returns_tokens_but_never_the_session_key(api, wechat):
    wechat.answer({"openid": "oABC123", "session_key": "SESSION-KEY-xyz", "unionid": "u1"})
    response = api.post(URL, {"code": "js-code-1"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["token_type"] == "Bearer" and body["access"] and body["refresh"]
    assert body["user"]["role"] == Role.RESIDENT
    assert "SESSION-KEY" not in response.content.decode()
    request = wechat.requests[0]
    assert request.path == "/sns/jscode2session"
    assert request.query == {
        "appid": "wx-test-app",
        "secret": "s3cret",
        "js_code": "js-code-1",
        "grant_type": "authorization_code",
    }
    identity = WeChatIdentity.objects.get(openid="oABC123")
    assert identity.session_key == "SESSION-KEY-xyz"
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("select session_key from accounts_wechatidentity where id = %s", [identity.pk])
        assert "SESSION-KEY" not in cursor.fetchone()[0]  # encrypted at rest
    me = api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert me.status_code == 200 and me.json()["id"] == identity.user_id


def test_it_logs_the_same_openid_into_the_same_account(api, wechat):
    wechat.answer({"openid": "oSAME", "session_key": "k1"})
    first = api.post(URL, {"code": "a"}, format="json").json()
    wechat.answer({"openid": "oSAME", "session_key": "k2"})
    second = api.post(URL, {"code": "b"}, format="json").json()
    assert first["user"]["id"] == second["user"]["id"]
    assert User.objects.filter(role=Role.RESIDENT).count() == 1
    assert ApiToken.objects.filter(user_id=first["user"]["id"]).count() == 2


@pytest.mark.parametrize(
    ("errcode", "status", "code"),
    [
        (40029, 400, "wechat_invalid_code"),
        (45011, 429, "wechat_rate_limited"),
        (40226, 403, "wechat_blocked"),
        (-1, 503, "wechat_busy"),
        (99999, 502, "wechat_error"),
    ],
)
def test_it_maps_wechat_error_codes_to_clear_errors(api, wechat, errcode, status, code):
    wechat.answer({"errcode": errcode, "errmsg": "whatever"})
    response = api.post(URL, {"code": "bad"}, format="json")
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert not User.objects.filter(role=Role.RESIDENT).exists()


def test_it_answers_in_english_when_asked(api, wechat):
    wechat.answer({"errcode": 40029, "errmsg": "invalid code"})
    response = api.post(URL, {"code": "bad"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["message"] == "The WeChat login code is invalid or expired; reopen the mini-program"


def test_it_says_when_wechat_is_unreachable(api, settings):
    settings.WECHAT_APP_ID, settings.WECHAT_APP_SECRET = "wx", "s"
    settings.WECHAT_API_BASE = "http://127.0.0.1:9"  # discard port: nothing listens
    response = api.post(URL, {"code": "x"}, format="json")
    assert response.status_code == 503
    assert response.json()["code"] == "wechat_unreachable"


def test_it_refuses_a_missing_code_with_a_field_error(api, wechat):
    response = api.post(URL, {}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "code" in response.json()["errors"]
