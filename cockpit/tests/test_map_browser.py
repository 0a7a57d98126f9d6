"""The big screen on a real base map: tiles from a tile server this test starts (generated PNGs over HTTP),
block markers coloured by state that never overlap, even for blocks at the same address; without a tile
service the screen keeps its own plan (test_screen_browser.py)."""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from accounts.models import Role
from apartments.factories import ApartmentFactory
from cockpit.aggregates import refresh_figures
from cockpit.tests.factories import populate
from conftest import login, require_redis, screenshot_dir, start_asgi_server, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def tile_png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (256, 256), (226, 232, 240))
    draw = ImageDraw.Draw(image)
    draw.line([(0, 128), (256, 128)], fill=(250, 250, 250), width=9)  # a street
    draw.rectangle([0, 0, 255, 255], outline=(180, 190, 200))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def tile_server():
    """A local XYZ tile server: /tiles/<z>/<x>/<y>.png answers a PNG; it remembers what was asked."""
    png = tile_png()
    asked: list[str] = []

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self):
            parts = self.path.strip("/").split("/")
            ok = len(parts) == 4 and parts[0] == "tiles" and parts[3].endswith(".png")
            ok = ok and all(p.isdigit() for p in (parts[1], parts[2], parts[3][:-4]))
            if not ok:
                self.send_error(404)
                return
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.asked = asked
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def crowded(district):
    """Eight blocks, six of them at the same corner (one address, several buildings)."""
    today = timezone.localdate()
    district.mine.latitude, district.mine.longitude = Decimal("30.3310"), Decimal("120.1890")
    district.mine.save()
    district.other.latitude, district.other.longitude = Decimal("30.3290"), Decimal("120.1920")
    district.other.save()
    for i in range(6):
        ApartmentFactory(name=f"同址公寓{i + 1}", latitude=Decimal("30.3300"), longitude=Decimal(f"120.19{i % 2}0"))
    populate(district.mine, residents=3, devices=2, online=2, check_in=today - timedelta(days=1))
    populate(district.other, residents=2, devices=4, online=0, check_in=today - timedelta(days=2))
    refresh_figures(days=14)
    return district


# The markers are discs: two overlap when their centres are closer than a diameter.
OVERLAPS = """() => {
  const r = [...document.querySelectorAll("#plan .leaflet-marker-icon.block")].map((e) => e.getBoundingClientRect());
  const hits = [];
  for (let i = 0; i < r.length; i++) for (let j = i + 1; j < r.length; j++) {
    const a = r[i], b = r[j];
    const d = Math.hypot(a.left + a.width / 2 - b.left - b.width / 2, a.top + a.height / 2 - b.top - b.height / 2);
    if (d < (a.width + b.width) / 2 - 0.5) hits.push([i, j, d]);
  }
  return { n: r.length, hits };
}"""


def test_the_blocks_are_drawn_on_the_configured_tiles_without_overlapping(
    transactional_db, settings, chromium, crowded, tile_server
):
    require_redis(settings.TEST_REDIS_URL)
    env = {"COCKPIT_TILE_URL": f"{tile_server.url}/tiles/{{z}}/{{x}}/{{y}}.png", "COCKPIT_TILE_ATTRIBUTION": "测试底图"}
    with start_asgi_server(settings, settings.TEST_REDIS_URL, env=env) as server:
        context = chromium.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
        page = context.new_page()
        try:
            login(page, server.url, crowded.users[Role.STREET_ADMIN].username)
            page.goto(f"{server.url}/cockpit/")
            page.wait_for_selector("body[data-ready='1']")
            page.wait_for_selector("#plan img.leaflet-tile-loaded", timeout=15000)
            assert tile_server.asked, "no tile was asked of the tile server"
            assert all(p.startswith("/tiles/") for p in tile_server.asked)
            assert "测试底图" in page.inner_text("#plan .leaflet-control-attribution")
            assert page.locator("#plan svg.plan").count() == 0  # the map replaces the fallback plan

            other = page.locator(f'#plan .block[data-block="{crowded.other.pk}"]')
            assert other.get_attribute("data-state") == "offline"
            assert "state-offline" in other.get_attribute("class")
            result = page.evaluate(OVERLAPS)
            page.screenshot(path=str(screenshot_dir() / "cockpit-map.png"))
            assert result["n"] == 8 and result["hits"] == []

            # Zoomed out, the markers still keep apart.
            page.evaluate("window.cockpitMap.map.setZoom(window.cockpitMap.map.getZoom() - 3, { animate: false })")
            wait_until(page, "true")
            result = page.evaluate(OVERLAPS)
            assert result["n"] == 8 and result["hits"] == []

            other.click()
            page.frame_locator("#drill-frame").locator("body[data-ready='1']").wait_for()
            assert page.frame_locator("#drill-frame").locator("#block-name").inner_text() == "华丰工业园9号公寓"
        finally:
            context.close()
