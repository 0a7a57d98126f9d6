"""WeChat subscription messages (subscribeMessage.send) against a local server that checks the request."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache

from accounts import wechat

pytestmark = pytest.mark.django_db


@pytest.fixture
def server(settings, fake_http):
    settings.WECHAT_APP_ID = "wx-test-app"
    settings.WECHAT_APP_SECRET = "s3cret"
    settings.WECHAT_API_BASE = fake_http.url
    settings.WECHAT_MINIPROGRAM_STATE = "trial"
    cache.delete("wechat:access_token")
    return fake_http


def test_it_sends_the_template_fields_with_the_access_token(server):
    server.answers = [(200, {"access_token": "T1", "expires_in": 7200}), (200, {"errcode": 0, "errmsg": "ok"})]
    result = wechat.send_subscribe_message(
        openid="oRESIDENT", template_id="TPL-1", data={"thing1": "物业已确认入住", "thing2": "等待派出所确认"},
        page="pages/me/progress",
    )  # fmt: skip
    assert result.ok
    call = server.requests[-1]
    assert call.path == "/cgi-bin/message/subscribe/send" and call.query == {"access_token": "T1"}
    assert json.loads(call.body) == {
        "touser": "oRESIDENT",
        "template_id": "TPL-1",
        "data": {"thing1": {"value": "物业已确认入住"}, "thing2": {"value": "等待派出所确认"}},
        "miniprogram_state": "trial",
        "lang": "zh_CN",
        "page": "pages/me/progress",
    }


def test_thing_values_are_cut_to_wechats_20_characters(server):
    server.answers = [(200, {"access_token": "T1", "expires_in": 7200}), (200, {"errcode": 0})]
    wechat.send_subscribe_message(openid="o", template_id="TPL", data={"thing1": "字" * 30})
    assert json.loads(server.requests[-1].body)["data"]["thing1"]["value"] == "字" * 20


@pytest.mark.parametrize(("errcode", "retryable"), [(43101, False), (47003, False), (40003, False), (-1, True)])
def test_it_reports_wechats_refusals_and_which_may_pass(server, errcode, retryable):
    server.answers = [(200, {"access_token": "T1", "expires_in": 7200}), (200, {"errcode": errcode, "errmsg": "e"})]
    result = wechat.send_subscribe_message(openid="o", template_id="TPL", data={"thing1": "x"})
    assert not result.ok and result.code == str(errcode) and result.retryable is retryable


def test_an_unreachable_wechat_is_a_retryable_failure(settings):
    settings.WECHAT_APP_ID, settings.WECHAT_APP_SECRET = "wx", "s"
    settings.WECHAT_API_BASE = "http://127.0.0.1:9"  # nothing listens on the discard port
    cache.delete("wechat:access_token")
    result = wechat.send_subscribe_message(openid="o", template_id="TPL", data={"thing1": "x"})
    assert not result.ok and result.retryable and result.code == "wechat_unreachable"
