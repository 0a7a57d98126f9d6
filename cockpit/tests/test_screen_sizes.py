"""The big screen on the walls it is shown on (1366×768 laptop, 1920×1080 wall, 3840×2160 4K wall), in real
Chromium: it fills the screen with nothing cut off and no scrollbars, it is readable from 3 m, and every
open alarm is in its live list from the first response, unacknowledged critical first."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role
from cockpit.aggregates import refresh_figures
from cockpit.tests.factories import populate
from conftest import login, screenshot_dir

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SIZES = [(1366, 768), (1920, 1080), (3840, 2160)]

# Everything on the stage that is drawn: its visible part (after the clipping of lists that turn pages)
# must lie inside the viewport; boxes that clip must not hide what they hold (apart from the paged lists);
# and the rendered size of every text, to check the floors.
MEASURE = """() => {
  const W = innerWidth, H = innerHeight, scale = window.cockpit.scale;
  const doc = document.scrollingElement;
  const stage = document.getElementById("stage");
  const outside = [], clipped = [], truncated = [], texts = [];
  for (const el of stage.querySelectorAll("*")) {
    if (el.closest("svg, canvas, .leaflet-container")) continue;
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") continue;
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    let l = r.left, t = r.top, rr = r.right, b = r.bottom;
    for (let p = el.parentElement; p && p !== stage; p = p.parentElement) {
      if (getComputedStyle(p).overflow !== "visible") {
        const pr = p.getBoundingClientRect();
        l = Math.max(l, pr.left); t = Math.max(t, pr.top); rr = Math.min(rr, pr.right); b = Math.min(b, pr.bottom);
      }
    }
    if (rr - l <= 0.5 || b - t <= 0.5) continue;  // scrolled out of a paged list
    const name = `${el.tagName}#${el.id}.${el.className} ${(el.textContent || "").slice(0, 40)}`;
    if (l < -1 || t < -1 || rr > W + 1 || b > H + 1) outside.push(name);
    if (style.overflow !== "visible" && !el.dataset.pages && el !== stage &&
        (el.scrollHeight > el.clientHeight + 2 || el.scrollWidth > el.clientWidth + 2)) clipped.push(name);
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (own) {
      // Text stays inside its tile or panel (a long figure must not run into its neighbour).
      const box = el.parentElement.closest(".tile, .kw, .panel");
      if (box) {
        const br = box.getBoundingClientRect();
        if (r.left < br.left - 1 || r.right > br.right + 1 || r.top < br.top - 1 || r.bottom > br.bottom + 1) {
          outside.push("outside its box: " + name);
        }
      }
      texts.push({ size: parseFloat(style.fontSize) * scale, name, value: el.matches(".tile .value") });
      if (style.textOverflow === "ellipsis" && el.scrollWidth > el.clientWidth + 1) truncated.push(name);
    }
  }
  const sr = stage.getBoundingClientRect();
  return { W, H, scale, scrollW: doc.scrollWidth, scrollH: doc.scrollHeight, outside, clipped, truncated, texts,
           stage: [sr.left, sr.top, sr.right, sr.bottom] };
}"""


@pytest.fixture
def busy(district):
    """Both blocks placed and lived in, and twelve open alarms: the newest a minor one, nine critical (two of
    them acknowledged), two major."""
    from alerts.alarms import alarm_acknowledge
    from alerts.factories import raise_alarm
    from alerts.models import Alert, AlertRule
    from sensors.models import Device, DeviceType

    today = timezone.localdate()
    for apartment, lat, lon in ((district.mine, "30.3310", "120.1890"), (district.other, "30.3290", "120.1920")):
        apartment.latitude, apartment.longitude = Decimal(lat), Decimal(lon)
        apartment.save()
    populate(district.mine, residents=3, devices=9, online=9, check_in=today - timedelta(days=1))
    populate(district.other, residents=2, devices=3, online=1, check_in=today - timedelta(days=2))
    electricity = DeviceType.objects.get(code="smart_electricity")
    rule = AlertRule.objects.create
    critical = rule(code="t_wire", name="线缆温度过高", device_type=electricity, severity="critical")
    major = rule(code="t_leak", name="剩余电流超限", device_type=electricity, severity="major")
    minor = rule(code="t_off", name="设备离线", device_type=electricity, severity="minor")
    now = timezone.now()
    devices = list(Device.objects.order_by("pk"))
    opened = []
    for i, device in enumerate(devices[:9]):
        opened.append(
            raise_alarm(
                rule_id=critical.pk,
                device_id=device.pk,
                apartment_id=device.apartment_id,
                severity="critical",
                title=f"线缆温度过高 {80 + i}°C",
                metric="wire_temp",
                unit="°C",
                value=80.0 + i,
                at=now - timedelta(minutes=40 - i),
                reopen_after=0,
            )  # fmt: skip
        )
    for device in devices[9:11]:
        raise_alarm(rule_id=major.pk, device_id=device.pk, apartment_id=device.apartment_id, severity="major",
                      title="剩余电流 320 mA", metric="residual_current", unit="mA", value=320.0,
                      at=now - timedelta(minutes=20), reopen_after=0)  # fmt: skip
    last = devices[11]
    raise_alarm(rule_id=minor.pk, device_id=last.pk, apartment_id=last.apartment_id, severity="minor",
                  title="设备离线", metric="", unit="", value=None, at=now, reopen_after=0)  # fmt: skip
    for alert in opened[:2]:
        alarm_acknowledge(alert_id=alert.pk, by=district.users[Role.STREET_ADMIN], end="cockpit")
    refresh_figures(days=14)
    district.open_ids = set(Alert.objects.filter(closed_at=None).values_list("pk", flat=True))
    return district


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_screen_fills_any_wall_readably_with_every_open_alarm(asgi_server, chromium, busy, width, height):
    context = chromium.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    try:
        login(page, asgi_server.url, busy.users[Role.STREET_ADMIN].username)
        page.goto(f"{asgi_server.url}/cockpit/")
        page.wait_for_selector("body[data-ready='1']")
        # Filled from the first response, before any WebSocket has said a word.
        listed = page.eval_on_selector_all("#feed li[data-alarm]", "els => els.map(e => e.dataset.alarm)")
        ids = {int(x) for x in listed}
        assert ids == busy.open_ids and len(ids) == 12
        order = page.eval_on_selector_all(
            "#feed li[data-alarm]", "els => els.map(e => [e.dataset.severity, e.innerText])"
        )
        # Seven unacknowledged critical ones first, then the two acknowledged critical ones, then major, minor.
        assert [s for s, _t in order] == ["critical"] * 9 + ["major"] * 2 + ["minor"]
        assert all("无人确认" in t for _s, t in order[:7])
        assert all("已确认" in t for _s, t in order[7:9]), order[7:9]
        assert "线缆温度过高" in order[0][1] and "分钟" in order[0][1] and "级" in order[0][1]
        assert page.inner_text("#feed-count").startswith("共 12 条")
        page.wait_for_selector("#timeline[data-alarm]")

        page.screenshot(path=str(screenshot_dir() / f"cockpit-{width}x{height}.png"))
        m = page.evaluate(MEASURE)
        assert m["scrollW"] <= width and m["scrollH"] <= height, "the page scrolls"
        assert not m["outside"], f"outside the viewport: {m['outside'][:5]}"
        assert not m["clipped"], f"cut off inside its box: {m['clipped'][:5]}"
        assert not m["truncated"], f"truncated: {m['truncated'][:5]}"
        # The stage fills the wall: full width or full height.
        left, top, right, bottom = m["stage"]
        assert right - left >= width - 2 or bottom - top >= height - 2
        if height >= 1080:  # the floors are for a 1080p wall (and so for 4K), read from 3 m
            sizes = sorted(t["size"] for t in m["texts"])
            assert sizes[0] >= 16 * (height / 1080) - 0.01, [t for t in m["texts"] if t["size"] < 16][:5]
            assert sizes[len(sizes) // 2] >= 16 * (height / 1080)
            figures = [t["size"] for t in m["texts"] if t["value"]]
            assert figures and min(figures) >= 32 * (height / 1080)
    finally:
        context.close()


def test_the_english_screen_has_nothing_cut_off_either(asgi_server, chromium, busy):
    context = chromium.new_context(viewport={"width": 1920, "height": 1080}, locale="en-GB")
    page = context.new_page()
    try:
        login(page, asgi_server.url, busy.users[Role.STREET_ADMIN].username)
        context.add_cookies([{"name": "django_language", "value": "en", "url": asgi_server.url}])
        page.goto(f"{asgi_server.url}/cockpit/")
        page.wait_for_selector("html[lang='en'] body[data-ready='1']")
        page.wait_for_selector("#timeline[data-alarm]")
        page.screenshot(path=str(screenshot_dir() / "cockpit-1920x1080-en.png"))
        m = page.evaluate(MEASURE)
        assert m["scrollW"] <= 1920 and m["scrollH"] <= 1080
        assert not m["outside"], f"outside the viewport: {m['outside'][:5]}"
        assert not m["clipped"], f"cut off inside its box: {m['clipped'][:5]}"
        assert not m["truncated"], f"truncated: {m['truncated'][:5]}"
        assert min(t["size"] for t in m["texts"]) >= 16 - 0.01
    finally:
        context.close()
