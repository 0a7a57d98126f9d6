"""Notices reach people: the door's unknown face reaches the block's staff, reminders climb resident → property →
grid worker, and each notice is pushed by WeChat subscription message or, failing that, by SMS (local servers)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts.models import Role, WeChatIdentity
from accounts.tests.fakehttp import start_fake_server
from apartments.models import Apartment
from residents import doors, gaps, notices, registration
from residents.factories import ResidentFactory
from residents.models import Notice, Tenancy, TenancyRequest
from residents.tests.conftest import api

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake_http():
    state, server = start_fake_server()
    yield state
    server.shutdown()
    server.server_close()


def test_an_unknown_face_reaches_the_blocks_staff_and_the_door_shows_the_registration_code(door, district):
    outcome = doors.access_decide(door.device, doors.Identity(None, "face", snapshot=b"jpeg"))
    body = outcome.as_dict()
    assert body["decision"] == "deny_unknown"
    assert "扫码登记" in body["message"]
    assert body["registration_qr"]["link"].startswith("http") and "code=" in body["registration_qr"]["link"]
    assert body["registration_qr"]["svg"].startswith("data:image/svg+xml")
    assert body["registration_qr"]["hint"] == {"zh-hans": "请扫码登记", "en": "Scan to register"}
    manager = district.users[Role.PROPERTY_MANAGER]
    inbox = api(manager).get("/api/v1/me/notices/").json()["results"]
    assert [n["kind"] for n in inbox] == ["door_unknown"]
    assert inbox[0]["link"] == f"/admin/residents/accessevent/{outcome.event.pk}/change/"
    # A second stranger in the same minutes: logged, but the staff are not flooded.
    doors.access_decide(door.device, doors.Identity(None, "face"))
    assert Notice.objects.filter(recipient=manager, kind="door_unknown").count() == 1
    # Nobody outside the block is told.
    assert not Notice.objects.exclude(recipient=manager).exists()


def test_the_door_endpoint_answers_the_code_in_english_when_asked(door):
    from residents.tests.conftest import face

    response = door.client().post(
        "/api/v1/doors/entry/",
        {"method": "face", "snapshot": _upload(face("obama", "obama.jpg"))},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    body = response.json()
    assert body["decision"] == "deny_unknown", body
    assert "register" in body["message"] and body["registration_qr"]["link"]


def _upload(data: bytes):
    import io

    f = io.BytesIO(data)
    f.name = "snap.jpg"
    return f


def test_reminders_climb_from_resident_to_property_to_grid_worker_once_each(district, make_user, settings):
    settings.REGISTRATION_DEADLINE_DAYS = 3
    user = make_user(Role.RESIDENT, phone="13800000001")
    resident = ResidentFactory(user=user)
    today = timezone.localdate()
    tenancy = Tenancy.objects.create(resident=resident, room=district.mine.rooms.get(number="101"), bed="1",
                                     check_in=today - timedelta(days=2))  # fmt: skip
    assert registration.registration_remind(today=today) == {"resident": 1, "property": 0, "grid": 0}
    assert registration.registration_remind(today=today) == {"resident": 0, "property": 0, "grid": 0}
    late = tenancy.registration_due + timedelta(days=1)
    assert registration.registration_remind(today=late) == {"resident": 0, "property": 1, "grid": 0}
    later = tenancy.registration_due + timedelta(days=settings.REGISTRATION_GRID_AFTER_DAYS + 1)
    assert registration.registration_remind(today=later) == {"resident": 0, "property": 0, "grid": 1}
    assert api(district.users[Role.GRID_WORKER]).get("/api/v1/me/notices/").json()["results"][0]["kind"] == (
        "registration_overdue"
    )
    counts = gaps.registration_gap_counts(Apartment.objects.all(), today=later)
    assert counts["unregistered"] == 1 and counts["overdue"] == 1 and counts["pending_requests"] == 0


def test_the_overdue_list_is_in_the_admin(district, client):
    from residents.tests.conftest import admin_as

    resident = ResidentFactory(name="逾期人")
    Tenancy.objects.create(resident=resident, room=district.mine.rooms.get(number="101"), bed="1",
                           check_in=timezone.localdate() - timedelta(days=30))  # fmt: skip
    admin_as(client, district.users[Role.PROPERTY_MANAGER])
    page = client.get("/admin/residents/tenancy/?registration=overdue")
    assert page.status_code == 200 and "逾*" in page.content.decode()


def test_gap_counts_count_pending_requests(district):
    TenancyRequest.objects.create(resident=ResidentFactory(), room=district.mine.rooms.get(number="101"),
                                  arrival=timezone.localdate())  # fmt: skip
    assert gaps.registration_gap_counts(Apartment.objects.all())["pending_requests"] == 1


@pytest.fixture
def channels(settings, fake_http):
    """WeChat and Aliyun SMS both on one local server; answers are queued per test."""
    settings.WECHAT_APP_ID, settings.WECHAT_APP_SECRET = "wx-app", "secret"
    settings.WECHAT_API_BASE = fake_http.url
    settings.WECHAT_NOTICE_TEMPLATE_ID = "TPL-NOTICE"
    settings.ALIYUN_ACCESS_KEY_ID, settings.ALIYUN_ACCESS_KEY_SECRET = "ak", "sk"
    settings.ALIYUN_SMS_ENDPOINT = fake_http.url + "/"
    settings.NOTICE_SMS_TEMPLATE = "SMS_NOTICE_1"
    cache.delete("wechat:access_token")
    return fake_http


def _notice(user) -> Notice:
    return notices.notice_send(recipients=[user], key="n1", kind="tenancy_confirmed", title="物业已确认入住",
                               text="已入住", next_step="等待派出所确认")[0]  # fmt: skip


def test_a_notice_goes_out_as_a_wechat_subscription_message(channels, make_user):
    user = make_user(Role.RESIDENT, phone="13800000002")
    WeChatIdentity.objects.create(user=user, openid="oRES")
    channels.answers = [(200, {"access_token": "T", "expires_in": 7200}), (200, {"errcode": 0, "errmsg": "ok"})]
    notice = notices.notice_deliver(_notice(user).pk)
    assert notice.status == "sent" and notice.channel == "wechat"
    sent = json.loads(channels.requests[-1].body)
    assert sent["touser"] == "oRES" and sent["template_id"] == "TPL-NOTICE"
    assert sent["data"]["thing1"]["value"] == "物业已确认入住" and sent["data"]["thing2"]["value"] == "等待派出所确认"
    # Delivered once: a second call (a retried task) pushes nothing.
    count = len(channels.requests)
    notices.notice_deliver(notice.pk)
    assert len(channels.requests) == count


def test_when_the_resident_refused_the_subscription_it_falls_back_to_sms(channels, make_user):
    user = make_user(Role.RESIDENT, phone="13800000003")
    WeChatIdentity.objects.create(user=user, openid="oRES2")
    channels.answers = [
        (200, {"access_token": "T", "expires_in": 7200}),
        (200, {"errcode": 43101, "errmsg": "user refuse to accept the msg"}),
        (200, {"Code": "OK", "Message": "OK", "BizId": "biz-9", "RequestId": "r"}),
    ]
    notice = notices.notice_deliver(_notice(user).pk)
    assert notice.status == "sent" and notice.channel == "sms"
    sms_call = channels.requests[-1]
    params = {**sms_call.query}
    if sms_call.body:
        from urllib.parse import parse_qs

        params.update({k: v[-1] for k, v in parse_qs(sms_call.body.decode()).items()})
    assert params["Action"] == "SendSms" and params["PhoneNumbers"] == "13800000003"
    assert params["TemplateCode"] == "SMS_NOTICE_1" and params["Signature"]
    assert json.loads(params["TemplateParam"]) == {"what": "物业已确认入住", "next": "等待派出所确认"}


def test_when_both_fail_the_notice_says_failed_and_stays_in_the_inbox(channels, make_user):
    user = make_user(Role.RESIDENT, phone="13800000004")
    WeChatIdentity.objects.create(user=user, openid="oRES3")
    channels.answers = [
        (200, {"access_token": "T", "expires_in": 7200}),
        (200, {"errcode": 43101, "errmsg": "refused"}),
        (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "limit"}),
    ]
    notice = notices.notice_deliver(_notice(user).pk)
    assert notice.status == "failed" and "43101" in notice.error and "BUSINESS_LIMIT" in notice.error
    assert api(user).get("/api/v1/me/notices/").json()["results"][0]["status"] == "failed"


def test_without_any_channel_it_is_inbox_only_never_sent(settings, make_user):
    settings.WECHAT_APP_ID = settings.ALIYUN_ACCESS_KEY_ID = ""
    user = make_user(Role.RESIDENT, phone="13800000005")
    notice = notices.notice_deliver(_notice(user).pk)
    assert notice.status == "inbox_only" and notice.sent_at is None
    read = api(user).post(f"/api/v1/me/notices/{notice.pk}/read/")
    assert read.status_code == 200 and read.json()["read_at"]
    assert api(make_user(Role.RESIDENT)).post(f"/api/v1/me/notices/{notice.pk}/read/").status_code == 404
