"""A grid worker completes a patrol with a photo on a phone-sized screen (real server, real Chromium)."""

from __future__ import annotations

import pytest

from accounts.models import Role
from apartments.models import Hazard, Inspection, InspectionPhoto
from conftest import login, screenshot_dir, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SCREENSHOTS = screenshot_dir()


def test_a_grid_worker_completes_a_patrol_with_a_photo_on_a_phone(asgi_server, phone_page, district, checklists, jpeg):
    page = phone_page
    page.context.grant_permissions(["geolocation"], origin=asgi_server.url)
    page.context.set_geolocation({"latitude": 30.330612, "longitude": 120.189655, "accuracy": 12})
    login(page, asgi_server.url, district.users[Role.GRID_WORKER].username)

    page.goto(f"{asgi_server.url}/inspections/")
    assert page.locator("h1").inner_text() == "我的今日任务"
    task = page.locator("#tasks form.card", has_text="新华工业园6号公寓")
    assert task.count() == 1 and "网格员日常巡查" in task.inner_text()
    assert page.locator("#tasks", has_text="华丰工业园9号公寓").count() == 0
    wait_until(page, "document.querySelector('input[name=latitude]').value !== ''")
    page.screenshot(path=str(SCREENSHOTS / "inspections-today.png"))
    task.get_by_role("button", name="开始检查").click()
    page.wait_for_load_state("networkidle")

    items = page.locator("fieldset[data-item]")
    assert items.count() == 8
    for i in range(8):
        items.nth(i).locator("label.seg-pass").click()
    failed = items.nth(2)  # 无私拉乱接电线、飞线充电
    assert "私拉乱接" in failed.locator("legend").inner_text()
    failed.locator("label.seg-fail").click()
    assert failed.locator(".fail-extra select").is_visible()  # the severity appears for a failed item
    failed.locator("select").select_option("high")
    failed.locator("input.note").fill("3楼窗外飞线给电瓶车充电")
    failed.locator("input[type=file]").set_input_files(
        files=[{"name": "IMG_0412.jpg", "mimeType": "image/jpeg", "buffer": jpeg(1600, 1200, exif=True)}]
    )
    assert "已选择 1 张照片" in failed.locator(".picked").inner_text()
    assert page.locator("#answered").inner_text() == "8"
    page.evaluate(
        "el => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 140)", failed.element_handle()
    )
    page.screenshot(path=str(SCREENSHOTS / "inspections-checklist.png"))
    page.locator("label.confirm input").check()
    page.get_by_role("button", name="签字提交").click()
    page.wait_for_load_state("networkidle")

    assert "检查已签字提交, 发现 1 处隐患" in page.locator(".messages").inner_text()
    assert "今日检查任务已全部完成" in page.locator("#tasks").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "inspections-signed.png"))

    inspection = Inspection.objects.get()
    assert inspection.is_signed and inspection.position_accuracy_m == 12
    assert str(inspection.latitude) == "30.330612"
    hazard = Hazard.objects.get()
    assert hazard.title.startswith("不合格: 无私拉乱接") and hazard.severity == "high"
    photo = InspectionPhoto.objects.get()
    assert photo.hazard == hazard and (photo.width, photo.height) == (1600, 1200)

    page.goto(f"{asgi_server.url}/inspections/hazards/{hazard.pk}/")
    assert page.locator("h1").inner_text() == hazard.title
    thumb = page.locator(".thumbs img").first
    thumb.wait_for()
    assert page.evaluate("img => img.naturalWidth", thumb.element_handle()) == 320
    page.screenshot(path=str(SCREENSHOTS / "inspections-hazard.png"), full_page=True)
    for stored in InspectionPhoto.objects.all():
        stored.image.delete(save=False)
        stored.thumbnail.delete(save=False)
