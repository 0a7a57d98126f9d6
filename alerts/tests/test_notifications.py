"""Delivery: one record per attempt, retries with back-off, never a second SMS, a dead channel blocks nobody."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.models import Role
from alerts.escalation import run_due
from alerts.models import Contact, DeliveryAttempt, Notification
from alerts.notifications import deliver, due_retries, mark_stuck
from alerts.rules import evaluate_points
from alerts.tests.fake_http import FakeService, running
from alerts.tests.notify.test_sms import SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def alarm(block, settings):
    settings.ALIYUN_ACCESS_KEY_ID, settings.ALIYUN_ACCESS_KEY_SECRET = "id", SECRET
    settings.DINGTALK_APP_KEY, settings.DINGTALK_APP_SECRET, settings.DINGTALK_AGENT_ID = "k", "s", "1"
    settings.ALERTS_NOTIFY_BACKOFF_SECONDS = 10
    Contact.objects.create(name="王责任", group="people", user=block.district.users[Role.FIRE_SAFETY_PERSON],
                           dingtalk_userid="ding-wang")  # fmt: skip
    [alarm_id] = evaluate_points([block.point(block.electricity, "residual_current", 450, 0)], now=block.at(0))  # major
    run_due(now=block.at(0))
    return alarm_id


def sms_row(alarm_id: int) -> Notification:
    return Notification.objects.get(alert_id=alarm_id, channel="sms", recipient_name="王责任")


def test_it_sends_the_alarm_sms_to_the_person_in_charge(alarm, block, settings):
    service = FakeService(lambda seen: (200, {"Code": "OK", "BizId": "biz-1", "RequestId": "r"}))
    with running(service):
        settings.ALIYUN_SMS_ENDPOINT = service.url
        n = deliver(sms_row(alarm).pk, now=block.at(1))
    assert n.status == "sent" and n.provider_ref == "biz-1" and n.attempts == 1
    [seen] = service.seen
    assert seen.query["PhoneNumbers"] == "13800000001" and seen.query["TemplateCode"] == settings.ALERTS_SMS_TEMPLATE
    assert '"place":"新华工业园6号公寓"' in seen.query["TemplateParam"]
    assert '"value":"450mA"' in seen.query["TemplateParam"]
    [attempt] = DeliveryAttempt.objects.filter(notification=n)
    assert attempt.ok and attempt.code == "OK"


def test_a_failed_send_is_retried_after_the_back_off_and_never_sent_twice(alarm, block, settings):
    answers = iter([(503, {"Code": "ServiceUnavailable"}), (200, {"Code": "OK", "BizId": "biz-2"})])
    service = FakeService(lambda seen: next(answers))
    pk = sms_row(alarm).pk
    with running(service):
        settings.ALIYUN_SMS_ENDPOINT = service.url
        n = deliver(pk, now=block.at(1))
        assert n.status == "retrying" and n.next_attempt_at == block.at(11)
        assert deliver(pk, now=block.at(5)).status == "retrying"  # back-off not over: nothing sent
        assert len(service.seen) == 1
        assert pk in due_retries(now=block.at(11))
        n = deliver(pk, now=block.at(11))
        assert n.status == "sent"
        deliver(pk, now=block.at(30))  # a duplicate task, or the sweep, finds it sent
    assert len(service.seen) == 2
    attempts = list(DeliveryAttempt.objects.filter(notification_id=pk).values_list("number", "ok", "code"))
    assert attempts == [(1, False, "NetworkError"), (2, True, "OK")]


def test_it_gives_up_after_the_last_attempt(alarm, block, settings):
    settings.ALERTS_NOTIFY_MAX_ATTEMPTS = 2
    settings.ALIYUN_SMS_ENDPOINT = "http://127.0.0.1:9/"
    pk = sms_row(alarm).pk
    deliver(pk, now=block.at(1))
    n = deliver(pk, now=block.at(20))
    assert n.status == "failed" and n.attempts == 2 and "NetworkError" in n.last_error


def test_a_refusal_is_not_retried(alarm, block, settings):
    with running(FakeService(lambda seen: (200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法"}))) as svc:
        settings.ALIYUN_SMS_ENDPOINT = svc.url
        n = deliver(sms_row(alarm).pk, now=block.at(1))
    assert n.status == "failed" and n.attempts == 1


def test_a_message_that_may_have_gone_out_is_never_resent(alarm, block, settings):
    pk = sms_row(alarm).pk
    # A worker marked it "sending" and died before recording the outcome.
    Notification.objects.filter(pk=pk).update(status="sending", attempts=1, next_attempt_at=block.at(1))
    with running(FakeService(lambda seen: (200, {"Code": "OK"}))) as service:
        settings.ALIYUN_SMS_ENDPOINT = service.url
        deliver(pk, now=block.at(2))
        assert pk not in due_retries(now=block.at(700))
        assert mark_stuck(now=block.at(1) + timedelta(minutes=11)) == 1
        deliver(pk, now=block.at(800))
    assert service.seen == [] and Notification.objects.get(pk=pk).status == "unknown"


def test_a_channel_that_is_down_does_not_hold_up_the_others(alarm, block, settings):
    settings.ALIYUN_SMS_ENDPOINT = "http://127.0.0.1:9/"  # nothing listens there

    def dingtalk(seen):
        if seen.path == "/gettoken":
            return 200, {"errcode": 0, "access_token": "t", "expires_in": 7200}
        return 200, {"errcode": 0, "task_id": 5}

    with running(FakeService(dingtalk)) as service:
        settings.DINGTALK_API = service.url
        sms = deliver(sms_row(alarm).pk, now=block.at(1))
        ding = Notification.objects.get(alert_id=alarm, channel="dingtalk", recipient_name="王责任")
        ding = deliver(ding.pk, now=block.at(1))
    assert sms.status == "retrying" and ding.status == "sent"


def test_an_unconfigured_channel_or_a_missing_address_is_recorded_and_never_tried(alarm, block, settings):
    settings.DINGTALK_APP_KEY = ""
    [smoke] = evaluate_points([block.point(block.smoke, "smoke", 1, 0)], now=block.at(0))
    run_due(now=block.at(0))
    rows = Notification.objects.filter(alert_id=smoke)
    ding = rows.get(recipient_name="王责任", channel="dingtalk")
    assert ding.status == "failed" and "渠道未配置" in ding.last_error and ding.attempts == 0
    # The station operator has no DingTalk account: the DING is recorded as impossible, the SMS goes.
    assert rows.get(recipient_name="李值班", channel="ding").status == "failed"
    assert rows.get(recipient_name="李值班", channel="sms").status == "pending"


def test_the_configured_webhooks_hear_every_step_even_one_that_does_not_name_them(block, settings):
    from alerts.models import Alert, EscalationStep

    service = FakeService(lambda seen: (200, {"ok": True}))
    with running(service):
        settings.ALERTS_WEBHOOK_URLS = [f"{service.url}/hook"]
        [smoke] = evaluate_points([block.point(block.smoke, "smoke", 1, 0)], now=block.at(0))
        run_due(now=block.at(0))
        severity = Alert.objects.get(pk=smoke).severity
        first_steps = EscalationStep.objects.filter(severity=severity, delay_seconds=0, is_enabled=True)
        assert first_steps and not any("webhook" in s.channels for s in first_steps)  # none names webhooks
        hooks = Notification.objects.filter(alert_id=smoke, channel="webhook")
        assert hooks.count() == first_steps.count() and {h.status for h in hooks} == {"pending"}
        sent = deliver(hooks.first().pk, now=block.at(1))
    assert sent.status == "sent" and service.seen[0].path == "/hook"


def test_no_sms_goes_to_a_landline_duty_number_only_the_call(block, settings):
    from alerts.models import EscalationStep
    from alerts.notifications import is_mobile, notify_alarm_step

    settings.ALIYUN_ACCESS_KEY_ID, settings.ALIYUN_ACCESS_KEY_SECRET = "id", SECRET
    assert block.district.mine.micro_fire_station.duty_phone == "057188880119"
    [smoke] = evaluate_points([block.point(block.smoke, "smoke", 1, 0)])
    from alerts.models import Alert

    alert = Alert.objects.get(pk=smoke)
    step = EscalationStep.objects.create(severity=alert.severity, order=9, delay_seconds=0,
                                         target="station_duty_phone", channels=["sms", "voice"])  # fmt: skip
    notify_alarm_step(alert=alert, step=step)
    rows = Notification.objects.filter(alert=alert, recipient_key__startswith="station:")
    sms, call = rows.get(channel="sms"), rows.get(channel="voice")
    assert sms.status == "failed" and "固定电话" in sms.last_error and sms.attempts == 0
    assert call.status == "pending"
    assert is_mobile("+86 138-0000-0001") and is_mobile("13800000001") and not is_mobile("0571-88880119")
