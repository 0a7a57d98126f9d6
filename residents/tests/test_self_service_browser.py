"""A new resident does it alone on a phone (390×844) against the real ASGI server: the room's QR link, SMS login,
real name, move-in request; the block's property manager confirms in the admin, the police confirm the
registration in the admin; the resident sees it registered. Screenshots of each screen."""

from __future__ import annotations

import json

import pytest

from accounts.factories import UserFactory
from accounts.models import Department, Role
from apartments import qr
from conftest import login, poll, screenshot_dir, wait_until
from residents.models import ResidenceRegistration, TenancyRequest

pytestmark = pytest.mark.browser
SHOTS = screenshot_dir()
PHONE = "19900000777"
ID_NUMBER = "34122119950101123"


def _check(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


def _admin_action(page, base: str, path: str, action: str) -> None:
    page.goto(f"{base}{path}")
    page.check("input.action-select")
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")
    page.wait_for_load_state("networkidle")


def test_a_newcomer_registers_alone_and_the_property_and_police_confirm(
    sms_gateway, asgi_server, phone_page, chromium, district
):
    base = asgi_server.url
    room = district.mine.rooms.get(number="101")
    manager = district.users[Role.PROPERTY_MANAGER]
    police = UserFactory(role=Role.INSPECTOR, department=Department.POLICE, username="police1", is_staff=True)
    manager.is_staff = True
    manager.save()
    page = phone_page

    # The phone's camera opens the room's QR link; not signed in yet, so the login comes first.
    page.goto(qr.link_for(room).replace("http://127.0.0.1:8000", base))
    page.wait_for_selector("text=获取验证码")
    page.fill("#phone", PHONE)
    page.click("#send")
    sent = poll(lambda: sms_gateway.requests, "the SMS request")
    page.fill("#code", json.loads(sent[0].query["TemplateParam"])["code"])
    page.click("#sms button[type=submit]")

    # Real name: a wrong check digit is named under its field, nothing is written.
    page.wait_for_selector("#realname")
    page.screenshot(path=str(SHOTS / "h5-selfservice-1-real-name.png"))
    good = _check(ID_NUMBER)
    page.fill("#rn-name", "王小明")
    page.fill("#rn-id", good[:-1] + ("0" if good[-1] != "0" else "1"))
    page.fill("#rn-home", "安徽省阜阳市临泉县")
    page.click("#realname button[type=submit]")
    page.wait_for_selector("#realname .error")
    page.screenshot(path=str(SHOTS / "h5-selfservice-2-checksum-error.png"))
    page.fill("#rn-id", good)
    page.click("#realname button[type=submit]")

    # Scan: the code from the link is filled in and previewed; ask to move in.
    page.wait_for_selector("#scan")
    page.wait_for_selector("#sc-preview:has-text('101')")
    page.screenshot(path=str(SHOTS / "h5-selfservice-3-scan.png"))
    page.click("#scan button[type=submit]")
    page.wait_for_selector("#waiting")
    page.screenshot(path=str(SHOTS / "h5-selfservice-4-waiting.png"), full_page=True)
    request = TenancyRequest.objects.get(status="pending")

    # The block's property manager confirms in the admin: check-in and registration in one go.
    staff = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    desk = staff.new_page()
    login(desk, base, manager.username)
    desk.goto(f"{base}/admin/residents/notice/")
    desk.wait_for_selector("text=新的入住申请")
    _admin_action(desk, base, "/admin/residents/tenancyrequest/", "confirm")
    desk.screenshot(path=str(SHOTS / "admin-tenancy-request-confirmed.png"))
    request.refresh_from_db()
    assert request.status == "confirmed"
    registration = ResidenceRegistration.objects.get(tenancy=request.tenancy)
    assert registration.status == "submitted"

    page.reload()
    wait_until(page, "!!document.querySelector('#journey') && document.body.innerText.includes('等待派出所确认')")
    page.screenshot(path=str(SHOTS / "h5-selfservice-5-waiting-police.png"), full_page=True)

    # The police station confirms the registration in the admin.
    staff.clear_cookies()
    login(desk, base, police.username)
    _admin_action(desk, base, "/admin/residents/residenceregistration/", "confirm")
    registration.refresh_from_db()
    assert registration.status == "confirmed"
    staff.close()

    page.reload()
    wait_until(page, "(document.querySelector('#reg-state') || {}).textContent === '已登记'")
    wait_until(page, "document.body.innerText.includes('居住登记已确认')")
    page.screenshot(path=str(SHOTS / "h5-selfservice-6-registered.png"), full_page=True)


def test_lists_load_more_as_the_resident_scrolls_and_a_repair_needs_no_photo(asgi_server, phone_page, district):
    from rest_framework.test import APIClient  # noqa: F401 - the server is a separate process; tokens go by storage

    from accounts.models import ApiToken
    from accounts.tokens import token_issue
    from residents.factories import ResidentFactory, TenancyFactory
    from services.factories import JobPostingFactory
    from services.models import RepairRequest

    JobPostingFactory.create_batch(45)
    user = UserFactory(role=Role.RESIDENT, phone="19900000555")
    TenancyFactory(resident=ResidentFactory(user=user, phone="19900000555"), room=district.mine.rooms.first())
    issued = token_issue(user=user, method=ApiToken.Method.PASSWORD)
    page = phone_page
    base = asgi_server.url
    page.goto(f"{base}/h5/")
    page.evaluate(
        "t => localStorage.setItem('h5.tokens', JSON.stringify(t))",
        {"access": issued.access, "refresh": issued.refresh, "user": {"display_name": ""}},
    )
    page.goto(f"{base}/h5/#/jobs")
    wait_until(page, "document.querySelectorAll('#list a.card').length === 20")
    for _ in range(10):
        page.mouse.wheel(0, 4000)
        if page.evaluate("document.querySelectorAll('#list a.card').length") == 45:
            break
        page.wait_for_timeout(300)
    wait_until(page, "document.querySelectorAll('#list a.card').length === 45")
    wait_until(page, "document.body.innerText.includes('没有更多了')")
    page.screenshot(path=str(SHOTS / "h5-jobs-load-more.png"))

    page.goto(f"{base}/h5/#/convenience")
    page.wait_for_selector("#repair")
    page.fill("#desc", "卫生间水龙头一直滴水")
    page.fill("#rp", "19900000555")
    page.click("#repair button[type=submit]")
    wait_until(page, "document.body.innerText.includes('已报修')")
    assert RepairRequest.objects.filter(user=user, description="卫生间水龙头一直滴水").exists()
