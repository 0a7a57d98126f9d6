"""Access tokens expire, refresh tokens rotate once, logout revokes, staff log in with a password."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ApiToken, Role
from accounts.tokens import hash_token, token_for_access, token_issue

pytestmark = pytest.mark.django_db


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_it_stores_only_hashes_of_tokens(make_user):
    issued = token_issue(user=make_user(), method=ApiToken.Method.SMS)
    row = ApiToken.objects.get()
    assert row.access_hash == hash_token(issued.access) and issued.access not in row.access_hash
    assert row.refresh_hash == hash_token(issued.refresh)


def test_an_access_token_loads_its_session_and_user_in_one_query(make_user, django_assert_num_queries):
    user = make_user(role=Role.RESIDENT, phone="13800138000")  # stored encrypted: read back in clear
    issued = token_issue(user=user, method=ApiToken.Method.WECHAT, user_agent="MicroMessenger")
    with django_assert_num_queries(1):
        token = token_for_access(issued.access)
        assert token.user.role == Role.RESIDENT and token.user.is_active and token.user.phone == "13800138000"
    expected = ApiToken.objects.select_related("user").get(pk=issued.token.pk)
    for field in ApiToken._meta.concrete_fields:
        assert getattr(token, field.attname) == getattr(expected, field.attname), field.name
    for field in type(user)._meta.concrete_fields:
        assert getattr(token.user, field.attname) == getattr(expected.user, field.attname), field.name
    assert token.user.get_role_display() == expected.user.get_role_display()
    assert token_for_access(issued.refresh) is None and token_for_access("nope") is None


def test_a_disabled_account_is_refused_with_its_token(api, make_user):
    user = make_user()
    issued = token_issue(user=user, method=ApiToken.Method.SMS)
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = api.get("/api/v1/me/", **bearer(issued.access))
    assert response.status_code == 401 and response.json()["code"] == "account_disabled"


def test_it_refuses_an_expired_access_token_and_refresh_renews_it(api, make_user):
    issued = token_issue(user=make_user(), method=ApiToken.Method.SMS, now=timezone.now() - timedelta(hours=3))
    response = api.get("/api/v1/me/", **bearer(issued.access))
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    assert response["WWW-Authenticate"] == "Bearer"
    renewed = api.post("/api/v1/auth/refresh/", {"refresh": issued.refresh}, format="json")
    assert renewed.status_code == 200
    assert api.get("/api/v1/me/", **bearer(renewed.json()["access"])).status_code == 200


def test_a_refresh_token_works_once_and_reuse_ends_every_session(api, make_user):
    user = make_user()
    issued = token_issue(user=user, method=ApiToken.Method.SMS)
    other = token_issue(user=user, method=ApiToken.Method.WECHAT)
    new = api.post("/api/v1/auth/refresh/", {"refresh": issued.refresh}, format="json").json()
    again = api.post("/api/v1/auth/refresh/", {"refresh": issued.refresh}, format="json")
    assert again.status_code == 401 and again.json()["code"] == "refresh_reused"
    assert api.get("/api/v1/me/", **bearer(new["access"])).status_code == 401
    assert api.get("/api/v1/me/", **bearer(other.access)).status_code == 401


def test_it_refuses_an_expired_refresh_token(api, make_user):
    issued = token_issue(user=make_user(), method=ApiToken.Method.SMS, now=timezone.now() - timedelta(days=31))
    response = api.post("/api/v1/auth/refresh/", {"refresh": issued.refresh}, format="json")
    assert response.status_code == 401 and response.json()["code"] == "refresh_expired"


def test_logout_revokes_the_token(api, make_user):
    issued = token_issue(user=make_user(), method=ApiToken.Method.SMS)
    assert api.post("/api/v1/auth/logout/", **bearer(issued.access)).status_code == 204
    response = api.get("/api/v1/me/", **bearer(issued.access))
    assert response.status_code == 401 and response.json()["code"] == "token_invalid"


def test_a_garbage_token_gets_401_not_500(api):
    assert api.get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    assert api.get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer a b").status_code == 401
    assert api.get("/api/v1/me/").status_code in (401, 403)


def test_staff_log_in_with_username_and_password(api, make_user):
    make_user(Role.PROPERTY_MANAGER, username="wuye9")
    response = api.post("/api/v1/auth/password/", {"username": "wuye9", "password": "pw-123456"}, format="json")
    assert response.status_code == 200
    assert response.json()["user"]["role"] == Role.PROPERTY_MANAGER
    wrong = api.post("/api/v1/auth/password/", {"username": "wuye9", "password": "nope"}, format="json")
    assert wrong.status_code == 401 and wrong.json()["code"] == "bad_credentials"


def test_login_attempts_are_throttled_per_client(api, settings, make_user):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK}
    from rest_framework.throttling import ScopedRateThrottle

    ScopedRateThrottle.THROTTLE_RATES = {**ScopedRateThrottle.THROTTLE_RATES, "login": "3/min"}
    try:
        codes = [
            api.post("/api/v1/auth/password/", {"username": "x", "password": "y"}, format="json").status_code
            for _ in range(4)
        ]
    finally:
        from rest_framework.settings import api_settings

        ScopedRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert codes == [401, 401, 401, 429]
    last = api.post("/api/v1/auth/password/", {"username": "x", "password": "y"}, format="json")
    assert last.json()["code"] in ("throttled", "bad_credentials")
