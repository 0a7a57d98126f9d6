from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import quote

import pytest

from alerts.tests.fake_http import FakeService, running
from shijiao.notify.sms import send_sms

SECRET = "testsecret"


def expected_signature(query: dict[str, str]) -> str:
    """The signature recomputed independently from the documented algorithm."""
    params = {k: v for k, v in query.items() if k != "Signature"}

    def enc(s: str) -> str:
        return quote(s, safe="-_.~")

    canonical = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(params.items()))
    to_sign = "GET&%2F&" + enc(canonical)
    return base64.b64encode(hmac.new(f"{SECRET}&".encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


@pytest.fixture
def aliyun(settings):
    settings.ALIYUN_ACCESS_KEY_ID = "testid"
    settings.ALIYUN_ACCESS_KEY_SECRET = SECRET
    settings.ALIYUN_SMS_SIGN_NAME = "石桥街道"
    return settings


def test_it_sends_a_signed_send_sms_request(aliyun):
    service = FakeService(lambda seen: (200, {"Code": "OK", "Message": "OK", "RequestId": "r-1", "BizId": "b-1"}))
    with running(service):
        aliyun.ALIYUN_SMS_ENDPOINT = service.url + "/"
        result = send_sms(
            phone_numbers=["13800138000"],
            template_code="SMS_0001",
            template_param={"block": "新华工业园6号公寓", "what": "线缆温度 92.5 °C"},
            out_id="alarm-7",
        )
    assert result.ok and result.request_id == "r-1" and result.biz_id == "b-1"
    [seen] = service.seen
    assert seen.method == "GET" and seen.path == "/"
    q = seen.query
    assert q["Action"] == "SendSms" and q["Version"] == "2017-05-25"
    assert q["PhoneNumbers"] == "13800138000" and q["SignName"] == "石桥街道"
    assert q["TemplateCode"] == "SMS_0001" and q["OutId"] == "alarm-7"
    assert json.loads(q["TemplateParam"]) == {"block": "新华工业园6号公寓", "what": "线缆温度 92.5 °C"}
    assert q["AccessKeyId"] == "testid" and q["SignatureMethod"] == "HMAC-SHA1" and q["SignatureVersion"] == "1.0"
    assert q["Format"] == "JSON" and q["Timestamp"].endswith("Z") and q["SignatureNonce"]
    assert q["Signature"] == expected_signature(q)


def test_it_reports_a_refusal_without_raising(aliyun):
    service = FakeService(lambda seen: (200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}))
    with running(service):
        aliyun.ALIYUN_SMS_ENDPOINT = service.url
        result = send_sms(phone_numbers=["123"], template_code="SMS_1", template_param={}, out_id="x")
    assert not result.ok and result.code == "isv.MOBILE_NUMBER_ILLEGAL" and result.message == "非法手机号"
    assert not result.retryable


def test_it_marks_throttling_and_server_errors_retryable(aliyun):
    service = FakeService(lambda seen: (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发流控"}))
    with running(service):
        aliyun.ALIYUN_SMS_ENDPOINT = service.url
        throttled = send_sms(phone_numbers=["13800138000"], template_code="SMS_1", template_param={}, out_id="x")
        service.handler = lambda seen: (503, {"Code": "ServiceUnavailable"})
        down = send_sms(phone_numbers=["13800138000"], template_code="SMS_1", template_param={}, out_id="x")
    assert throttled.retryable and down.retryable and down.code == "NetworkError"


def test_it_reports_an_unreachable_service_as_retryable(aliyun):
    aliyun.ALIYUN_SMS_ENDPOINT = "http://127.0.0.1:9/"
    result = send_sms(phone_numbers=["13800138000"], template_code="SMS_1", template_param={}, out_id="x")
    assert not result.ok and result.retryable


def test_it_refuses_an_empty_recipient_list(aliyun):
    with pytest.raises(ValueError):
        send_sms(phone_numbers=[" "], template_code="SMS_1", template_param={}, out_id="x")
