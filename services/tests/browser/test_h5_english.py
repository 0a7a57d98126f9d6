"""A resident switches the H5 client to English: the script's words, the API's answers and the layout follow."""

from __future__ import annotations

import pytest

from conftest import screenshot_dir, wait_until
from residents.factories import ResidentFactory, TenancyFactory
from services.factories import JobPostingFactory

pytestmark = pytest.mark.browser
SHOTS = screenshot_dir()


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_a_resident_uses_the_h5_client_in_english(asgi_server, phone_page, district, make_user):
    user = make_user(username="xiaohua")
    TenancyFactory(resident=ResidentFactory(name="张小花", user=user), room=district.mine.rooms.first())
    JobPostingFactory(title="电子装配工", wage_min=4500, wage_max=6000, dormitory_provided=True)
    page = phone_page
    base = asgi_server.url

    page.goto(f"{base}/h5/")
    page.wait_for_selector("text=获取验证码")
    page.locator(".language-switch button").click()
    page.wait_for_selector("text=Get code")  # rendered by app.js from the JavaScript catalog
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#bar-title").inner_text() == "Log in to e-Zhiban"
    assert page.locator(".tabs").inner_text().split("\n") == ["SMS code", "Password"]
    page.screenshot(path=str(SHOTS / "h5-login-en.png"))
    assert _overflow(page) == 0

    page.click("[data-tab=pw]")
    page.fill("#username", "xiaohua")
    page.fill("#password", "wrong-password")
    page.click("#pw button[type=submit]")
    page.wait_for_selector("#toast:has-text('Wrong username or password')")  # the API answers in English too

    page.fill("#password", "pw-123456")
    page.click("#pw button[type=submit]")
    page.wait_for_selector("text=Notices")
    tiles = page.locator(".tile").all_inner_texts()
    assert [t.split("\n")[-1] for t in tiles] == [
        "Jobs", "Housing", "Doctors", "Permit", "Social insurance", "Schools", "Legal aid", "Daily life",
    ]  # fmt: skip
    assert page.locator(".hero b").inner_text().startswith("Hello")
    page.screenshot(path=str(SHOTS / "h5-home-en.png"), full_page=True)
    assert _overflow(page) == 0

    page.goto(f"{base}/h5/#/jobs")
    page.wait_for_selector("text=电子装配工")
    assert "¥4500-6000/month" in page.inner_text("#list") and "Accommodation" in page.inner_text("#list")
    page.screenshot(path=str(SHOTS / "h5-jobs-en.png"))
    assert _overflow(page) == 0

    page.goto(f"{base}/h5/#/residence")
    page.wait_for_selector("text=Register your residence")
    assert page.locator("#purpose option").all_inner_texts()[:2] == ["Work", "Business"]
    page.click("#reg button[type=submit]")
    wait_until(page, "(document.querySelector('#reg-state') || {}).textContent === 'Registered'")
    page.screenshot(path=str(SHOTS / "h5-residence-en.png"), full_page=True)
    assert _overflow(page) == 0

    # back to Chinese on the same screen: the switch keeps the client's route
    page.locator(".language-switch button").click()
    wait_until(page, "(document.querySelector('#reg-state') || {}).textContent === '已登记'")
    assert page.url.endswith("/h5/#/residence") and page.locator("#bar-title").inner_text() == "办证 · 居住登记"
