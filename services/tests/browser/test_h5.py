"""A resident walks the H5 client on a phone: SMS login, residence registration, a job, a question answered."""

from __future__ import annotations

import json

import pytest

from accounts.models import Role
from conftest import poll, screenshot_dir
from residents.factories import ResidentFactory, TenancyFactory
from services.factories import FeedbackCategoryFactory, JobPostingFactory
from services.feedback import feedback_reply
from services.models import Feedback, FeedbackCategory

pytestmark = pytest.mark.browser
SHOTS = screenshot_dir()
PHONE = "19900000088"


def test_a_resident_logs_in_registers_applies_and_gets_an_answer(sms_gateway, asgi_server, phone_page, district):
    resident = ResidentFactory(name="张小花", phone=PHONE)
    TenancyFactory(resident=resident, room=district.mine.rooms.first())
    FeedbackCategoryFactory(name="房屋与物业", route_to=FeedbackCategory.Route.PROPERTY_MANAGER)
    JobPostingFactory(title="电子装配工", benefits="五险一金, 包吃住", dormitory_provided=True)
    page = phone_page
    base = asgi_server.url

    # log in with the phone number the block registered: the code arrives through the SMS gateway
    page.goto(f"{base}/h5/")
    page.wait_for_selector("text=获取验证码")
    page.screenshot(path=str(SHOTS / "h5-login.png"))
    page.fill("#phone", PHONE)
    page.click("#send")
    sent = poll(lambda: sms_gateway.requests, "the SMS request")
    assert sent[0].query["PhoneNumbers"] == PHONE
    code = json.loads(sent[0].query["TemplateParam"])["code"]
    page.fill("#code", code)
    page.click("#sms button[type=submit]")
    page.wait_for_selector("text=找工作")
    page.wait_for_selector("text=通知公告")
    page.screenshot(path=str(SHOTS / "h5-home.png"))

    # residence registration (the residents API), one tap
    page.click("text=办证")
    page.wait_for_selector("text=一键办理居住登记")
    page.click("#reg button[type=submit]")
    page.wait_for_selector("#reg-state:has-text('已登记')")
    page.screenshot(path=str(SHOTS / "h5-residence.png"))

    # find a job and apply
    page.goto(f"{base}/h5/#/jobs")
    page.fill("input[name=search]", "装配")
    page.click("#filter button[type=submit]")
    page.click("text=电子装配工")
    page.wait_for_selector("#apply")
    page.fill("#a-phone", PHONE)
    page.click("#apply button[type=submit]")
    page.wait_for_selector("text=已投递")

    # ask a question, anonymously
    page.goto(f"{base}/h5/#/ask")
    page.wait_for_selector("#ask")
    page.fill("#title", "走廊灯坏了")
    page.fill("#body", "三楼走廊的灯一周没亮, 晚上看不见")
    page.check("input[name=is_anonymous]")
    page.click("#ask button[type=submit]")
    page.wait_for_selector("text=等待答复")
    thread = Feedback.objects.get()
    assert thread.apartment == district.mine and thread.is_anonymous

    # the block's property manager answers (as in the admin); the resident sees it and rates it
    feedback_reply(feedback=thread, by=district.users[Role.PROPERTY_MANAGER], body="已安排电工, 今晚修好")
    page.reload()
    page.wait_for_selector("text=已安排电工, 今晚修好")
    assert "已答复" in page.inner_text("main")
    page.screenshot(path=str(SHOTS / "h5-answered.png"), full_page=True)
    page.click("[data-star='4']")
    page.click("#rate button[type=submit]")
    page.wait_for_selector("text=你的评价")
    thread.refresh_from_db()
    assert thread.rating == 4 and thread.status == Feedback.Status.CLOSED
