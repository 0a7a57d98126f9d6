"""Live video on the alarm ends: a real stream made by ffmpeg, served from a local HTTP server (the "video platform",
on another origin), played by hls.js / mpegts.js in Debian Chromium behind the pages' Content-Security-Policy."""

from __future__ import annotations

import functools
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from alerts.factories import CameraFactory
from alerts.models import Camera
from alerts.rules import evaluate_points
from conftest import login, require_service, screenshot_dir, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.integration]
SHOTS = screenshot_dir()


class _VideoPlatform(SimpleHTTPRequestHandler):
    """Serves the stream files with the CORS header a video platform sends to the pages that embed it."""

    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".m3u8": "application/vnd.apple.mpegurl",
        ".ts": "video/mp2t",
        ".flv": "video/x-flv",
    }

    def do_GET(self) -> None:
        if self.path.split("?")[0] == "/live.flv":
            self._live_flv()
        else:
            super().do_GET()

    def _live_flv(self) -> None:
        """HTTP-FLV as a live gateway sends it: one endless response, ffmpeg encoding the test pattern in real time."""
        ffmpeg = subprocess.Popen(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=15",
             "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p", "-g", "15",
             "-f", "flv", "pipe:1"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            self.send_response(200)
            self.send_header("Content-Type", "video/x-flv")
            self.end_headers()
            while chunk := ffmpeg.stdout.read1(65536):
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page stopped watching
        finally:
            ffmpeg.kill()
            ffmpeg.wait()

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def video_platform(tmp_path) -> Iterator[tuple[str, Path]]:
    """An HTTP server on its own port (its own origin) serving ``tmp_path``: (base URL, folder)."""
    require_service("ffmpeg (apt-get install ffmpeg)", shutil.which("ffmpeg") is not None)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_VideoPlatform, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    finally:
        server.shutdown()
        server.server_close()


def _wait_for_file(path: Path, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            pytest.fail(f"ffmpeg exited: {process.stderr.read().decode(errors='replace')[-2000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"ffmpeg made no {path.name} within {timeout} s")
        time.sleep(0.1)


@pytest.fixture
def live_hls(video_platform) -> Iterator[str]:
    """A live HLS stream (test pattern, 1 s segments, a sliding playlist) that ffmpeg keeps making in real time."""
    base, folder = video_platform
    ffmpeg = subprocess.Popen(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=15",
         "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p", "-g", "15",
         "-f", "hls", "-hls_time", "1", "-hls_list_size", "6", "-hls_flags", "delete_segments+omit_endlist",
         str(folder / "live.m3u8")],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _wait_for_file(folder / "live.m3u8", ffmpeg)
        yield f"{base}/live.m3u8"
    finally:
        ffmpeg.terminate()
        try:
            ffmpeg.wait(timeout=10)
        except subprocess.TimeoutExpired:
            ffmpeg.kill()


@pytest.fixture
def live_flv(video_platform) -> str:
    """A live HTTP-FLV stream (H.264 test pattern in real time)."""
    base, _folder = video_platform
    return f"{base}/live.flv"


def assert_video_plays(page, box: str) -> None:
    """The <video> in ``box`` has frames (readyState ≥ 2) and its clock moves on: the stream really plays."""
    wait_until(page, f"document.querySelector('{box}')?.dataset.state === 'playing'", timeout=30)
    video = f"document.querySelector('{box} video')"
    wait_until(page, f"{video}.readyState >= 2 && {video}.currentTime > 0", timeout=30)
    first = page.evaluate(f"{video}.currentTime")
    wait_until(page, f"{video}.currentTime > {first} + 1", timeout=30)
    assert page.evaluate(f"{video}.videoWidth") == 320


def watch_csp(page) -> list[str]:
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    return refused


def test_the_station_and_the_phone_play_the_nearest_cameras_live_hls_stream(
    asgi_server, block, live_hls, phone_page, screen_page
):
    # Registered before any page is served: the policy's camera origins are read when a page is first served.
    CameraFactory(apartment=block.district.mine, name="3层走廊", floor=3, stream_url=live_hls)
    station_refused, phone_refused = watch_csp(screen_page), watch_csp(phone_page)
    login(screen_page, asgi_server.url, "station")
    screen_page.goto(f"{asgi_server.url}/alerts/station/")
    screen_page.wait_for_selector("#conn.on")
    login(phone_page, asgi_server.url, "firesafety")
    phone_page.goto(f"{asgi_server.url}/alerts/m/")
    phone_page.wait_for_selector("#conn.on")

    evaluate_points([block.point(block.electricity, "wire_temp", 96.5, 0)])

    station_card = screen_page.locator(".alarm", has_text="线缆温度过高")
    station_card.wait_for(timeout=10000)
    station_card.locator(".title").click()
    assert_video_plays(screen_page, "#camera .video-player")
    assert "3层走廊 (3层) · HLS" in screen_page.inner_text("#camera")
    screen_page.screenshot(path=str(SHOTS / "alerts-station-video.png"))

    card = phone_page.locator(".alarm", has_text="线缆温度过高")
    card.wait_for(timeout=10000)
    assert card.locator(".card-video").is_hidden()
    card.locator(".video-btn").click()
    assert_video_plays(phone_page, ".alarm .card-video .video-player")
    phone_page.screenshot(path=str(SHOTS / "alerts-phone-video.png"))

    # The card is rebuilt when its alarm changes (acknowledged here): the open stream goes on playing.
    screen_page.locator(".alarm .ack").first.click()
    card.locator(".status", has_text="已确认").wait_for(timeout=10000)
    assert_video_plays(phone_page, ".alarm .card-video .video-player")
    card.locator(".video-btn").click()  # closed again: the stream stops
    assert card.locator(".card-video").is_hidden()
    assert phone_page.evaluate("document.querySelectorAll('video').length") == 0
    assert station_refused == [] and phone_refused == []


def test_the_station_plays_an_http_flv_camera(asgi_server, block, live_flv, screen_page):
    mine = block.district.mine
    CameraFactory(apartment=mine, name="1层大厅", floor=3, stream_url=live_flv, protocol=Camera.Protocol.FLV)
    refused = watch_csp(screen_page)
    login(screen_page, asgi_server.url, "station")
    screen_page.goto(f"{asgi_server.url}/alerts/station/")
    screen_page.wait_for_selector("#conn.on")

    evaluate_points([block.point(block.electricity, "wire_temp", 96.5, 0)])

    screen_page.locator(".alarm", has_text="线缆温度过高").locator(".title").click()
    assert_video_plays(screen_page, "#camera .video-player")
    assert "HTTP-FLV" not in screen_page.inner_text("#camera .video-status")
    assert refused == []


def test_a_stream_that_does_not_answer_says_so_instead_of_a_black_box(asgi_server, block, video_platform, screen_page):
    base, _folder = video_platform
    CameraFactory(apartment=block.district.mine, name="3层走廊", floor=3, stream_url=f"{base}/gone.m3u8")
    login(screen_page, asgi_server.url, "station")
    screen_page.goto(f"{asgi_server.url}/alerts/station/")
    screen_page.wait_for_selector("#conn.on")

    evaluate_points([block.point(block.electricity, "wire_temp", 96.5, 0)])

    screen_page.locator(".alarm", has_text="线缆温度过高").locator(".title").click()
    wait_until(screen_page, "document.querySelector('#camera .video-player')?.dataset.state === 'error'", timeout=30)
    assert "无法加载视频流" in screen_page.inner_text("#camera .video-status")
