"""Each protocol client against a local HTTP server that checks method, path, parameters and signature."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.core import mail
from django.core.cache import cache

from alerts.tests.fake_http import FakeService, running
from alerts.tests.notify.test_sms import SECRET, expected_signature
from shijiao.notify import dingtalk, email, voice, webhook, wecom


@pytest.fixture
def keys(settings):
    settings.ALIYUN_ACCESS_KEY_ID, settings.ALIYUN_ACCESS_KEY_SECRET = "testid", SECRET
    settings.ALIYUN_VOICE_SHOW_NUMBER = "057100000000"
    settings.DINGTALK_APP_KEY, settings.DINGTALK_APP_SECRET = "appkey-1", "appsecret-1"
    settings.DINGTALK_AGENT_ID, settings.DINGTALK_ROBOT_CODE = "123456", "robot-1"
    settings.WECOM_ROBOT_KEY = "wecom-key-1"
    cache.clear()
    return settings


def test_voice_places_a_signed_single_call_by_tts(keys):
    service = FakeService(lambda seen: (200, {"Code": "OK", "CallId": "call-9", "RequestId": "r-9"}))
    with running(service):
        keys.ALIYUN_VOICE_ENDPOINT = service.url
        result = voice.call_by_tts(
            called_number="13800000001", tts_code="TTS_1", tts_param={"place": "6号公寓"}, out_id="n5"
        )
    assert result.ok and result.call_id == "call-9"
    [seen] = service.seen
    q = seen.query
    assert seen.method == "GET" and seen.path == "/"
    assert q["Action"] == "SingleCallByTts" and q["Version"] == "2017-05-25"
    assert q["CalledNumber"] == "13800000001" and q["CalledShowNumber"] == "057100000000"
    assert q["TtsCode"] == "TTS_1" and json.loads(q["TtsParam"]) == {"place": "6号公寓"} and q["OutId"] == "n5"
    assert q["Signature"] == expected_signature(q)


def dingtalk_service(token: str = "tok-1"):
    def handle(seen):
        if seen.path == "/gettoken":
            ok = seen.query == {"appkey": "appkey-1", "appsecret": "appsecret-1"}
            return 200, {"errcode": 0, "access_token": token, "expires_in": 7200} if ok else {"errcode": 40089}
        if seen.path == "/topapi/message/corpconversation/asyncsend_v2":
            if seen.query.get("access_token") != token:
                return 200, {"errcode": 42001, "errmsg": "access_token expired"}
            return 200, {"errcode": 0, "task_id": 777, "request_id": "rq"}
        if seen.path == "/v1.0/robot/ding/send":
            if seen.headers.get("x-acs-dingtalk-access-token") != token:
                return 401, {"code": "InvalidAuthentication", "message": "token invalid"}
            return 200, {"openDingId": "ding-42"}
        return 404, {}

    return FakeService(handle)


def test_dingtalk_work_notice_gets_a_token_once_and_sends_asyncsend_v2(keys):
    service = dingtalk_service()
    with running(service):
        keys.DINGTALK_API = keys.DINGTALK_NEW_API = service.url
        first = dingtalk.send_work_notice(userids=["u1", "u2"], text="告警: 线缆温度过高")
        second = dingtalk.send_work_notice(userids=["u3"], text="再次")
    assert first.ok and first.ref == "777" and second.ok
    assert len(service.requests_to("/gettoken")) == 1, "the token is cached for its lifetime"
    sent = service.requests_to("/topapi/message/corpconversation/asyncsend_v2")[0]
    assert sent.method == "POST" and sent.query == {"access_token": "tok-1"}
    assert sent.json == {"agent_id": 123456, "userid_list": "u1,u2",
                         "msg": {"msgtype": "text", "text": {"content": "告警: 线缆温度过高"}}}  # fmt: skip


def test_dingtalk_refreshes_an_expired_token_once(keys):
    cache.set(f"{dingtalk.TOKEN_CACHE_KEY}:appkey-1", "stale", 60)
    service = dingtalk_service()
    with running(service):
        keys.DINGTALK_API = service.url
        result = dingtalk.send_work_notice(userids=["u1"], text="x")
    assert result.ok
    tokens = [s.query["access_token"] for s in service.requests_to("/topapi/message/corpconversation/asyncsend_v2")]
    assert tokens == ["stale", "tok-1"]


def test_ding_sends_a_phone_reminder_with_the_token_header(keys):
    service = dingtalk_service()
    with running(service):
        keys.DINGTALK_API = keys.DINGTALK_NEW_API = service.url
        result = dingtalk.send_ding(userids=["u1"], text="请立即处置", remind_type=dingtalk.REMIND_PHONE)
    assert result.ok and result.ref == "ding-42"
    [sent] = service.requests_to("/v1.0/robot/ding/send")
    assert sent.method == "POST"
    assert sent.json == {"robotCode": "robot-1", "remindType": 3, "receiverUserIdList": ["u1"], "content": "请立即处置"}


def test_wecom_robot_posts_text_with_mentions(keys):
    service = FakeService(lambda seen: (200, {"errcode": 0, "errmsg": "ok"}))
    with running(service):
        keys.WECOM_ROBOT_URL = service.url
        result = wecom.send_robot_text(text="6号公寓 烟感报警", mentioned_mobiles=["13800000001"])
    assert result.ok
    [sent] = service.seen
    assert sent.method == "POST" and sent.path == "/cgi-bin/webhook/send" and sent.query == {"key": "wecom-key-1"}
    assert sent.json == {"msgtype": "text",
                         "text": {"content": "6号公寓 烟感报警", "mentioned_mobile_list": ["13800000001"]}}  # fmt: skip


def test_wecom_rate_limit_is_retryable(keys):
    service = FakeService(lambda seen: (200, {"errcode": 45009, "errmsg": "api freq out of limit"}))
    with running(service):
        keys.WECOM_ROBOT_URL = service.url
        result = wecom.send_robot_text(text="x")
    assert not result.ok and result.retryable


def test_webhook_is_signed_so_the_receiver_can_verify_it():
    service = FakeService(lambda seen: (204, b""))
    with running(service):
        result = webhook.post_json(url=f"{service.url}/hook", secret="s3cret", payload={"alarm": 1, "名": "值"},
                                   idempotency_key="alarm:1:step:2:webhook:webhook:0")  # fmt: skip
    assert result.ok
    [sent] = service.seen
    timestamp = sent.headers["x-ezhiban-timestamp"]
    expected = hmac.new(b"s3cret", timestamp.encode() + b"." + sent.body, hashlib.sha256).hexdigest()
    assert sent.headers["x-ezhiban-signature"] == f"sha256={expected}"
    assert sent.headers["idempotency-key"] == "alarm:1:step:2:webhook:webhook:0"
    assert json.loads(sent.body) == {"alarm": 1, "名": "值"}


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (429, True), (400, False)])
def test_webhook_retries_only_what_may_pass(status, retryable):
    with running(FakeService(lambda seen: (status, {}))) as service:
        result = webhook.post_json(url=service.url, secret="s", payload={}, idempotency_key="k")
    assert not result.ok and result.retryable is retryable


def test_email_goes_through_django_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    result = email.send_email(to=["duty@example.org"], subject="告警", body="6号公寓 烟感报警", idempotency_key="k1")
    assert result.ok
    [message] = mail.outbox
    assert message.to == ["duty@example.org"] and message.extra_headers["X-Ezhiban-Idempotency-Key"] == "k1"
