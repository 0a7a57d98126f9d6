"""Fixtures shared by every app's tests: a small district with one user of each role."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from accounts.factories import UserFactory
from accounts.models import Department, Role, User
from apartments.factories import (
    ApartmentFactory,
    GridFactory,
    MicroFireStationFactory,
    PropertyCompanyFactory,
    RoomFactory,
)
from apartments.models import Apartment

IN_CI = os.environ.get("CI", "").lower() == "true"


# Hypothesis profiles: HYPOTHESIS_PROFILE=thorough (ten times the examples) before a release or after touching a
# parser; "ci" (the default: `make test`, CI) runs 600 of the payload and image cases where there were 1,500, and
# 150 of the slower HTTP ones where there were 300; "quick" while editing. The fuzz tests scale their counts with it
# (tests/fuzz/conftest.py).
for _name, _examples in {"quick": 20, "ci": 100, "thorough": 1000}.items():
    hypothesis_settings.register_profile(
        _name, max_examples=_examples, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def require_service(name: str, ok: bool) -> None:
    """Skip when a local server is missing, except under CI=true where that is a failure."""
    if ok:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {name} is not reachable: integration tests must run, not skip.")
    pytest.skip(f"{name} is not reachable")


def require_redis(url: str) -> None:
    """Skip (fail under CI=true) when the Redis at ``url`` does not answer."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        ok = True
    except redis.RedisError:
        ok = False
    require_service("Redis", ok)


@dataclass
class District:
    """Two blocks in two grids, with different companies and stations, and a user of each role.

    ``mine`` is the block every scoped user answers for; ``other`` is nobody's but the street's.
    """

    mine: Apartment
    other: Apartment
    users: dict[str, User]


@pytest.fixture
def make_user(db):
    def make(role: str = Role.RESIDENT, **kwargs) -> User:
        return UserFactory(role=role, **kwargs)

    return make


SMS_OUTBOX: list[dict] = []


def capture_sms(*, phone: str, code: str, out_id: str) -> str:
    """An SMS provider for tests (``OTP_SENDER``): keeps the login code the person would read on their phone."""
    SMS_OUTBOX.append({"phone": phone, "code": code, "out_id": out_id})
    return f"biz-{len(SMS_OUTBOX)}"


@pytest.fixture
def sms_outbox(settings) -> list[dict]:
    """The login codes sent during the test, newest last: ``{"phone", "code", "out_id"}``."""
    SMS_OUTBOX.clear()
    settings.OTP_SENDER = "conftest.capture_sms"
    return SMS_OUTBOX


def assert_cjk_font_embedded(pdf: bytes) -> None:
    """A PDF of the platform carries its CJK font (shijiao/pdf.py). Without a CJK TrueType font on the machine
    (CI installs fonts-wqy-microhei), only off CI, the PDF must at least name Adobe's STSong-Light."""
    from shijiao.pdf import cjk_font_path

    if not cjk_font_path():
        if IN_CI:
            pytest.fail("CI=true but no CJK TrueType font is installed (apt-get install fonts-wqy-microhei)")
        assert b"STSong-Light" in pdf
        return
    assert b"/FontFile2" in pdf, "the font's glyphs are embedded"
    assert b"STSong-Light" not in pdf, "no text is left in a font that is not embedded"


@pytest.fixture
def sms_gateway(monkeypatch):
    """A local Alibaba Cloud SMS endpoint (a real HTTP server); a server under test sends its login codes to it."""
    from accounts.tests.fakehttp import start_fake_server

    state, server = start_fake_server()
    state.answer({"Code": "OK", "Message": "OK", "RequestId": "r", "BizId": "b"})
    monkeypatch.setenv("OTP_SENDER", "accounts.otp.send_by_aliyun_sms")
    monkeypatch.setenv("ALIYUN_SMS_ENDPOINT", state.url + "/")
    monkeypatch.setenv("ALIYUN_ACCESS_KEY_ID", "h5-test")
    monkeypatch.setenv("ALIYUN_ACCESS_KEY_SECRET", "h5-secret")
    yield state
    server.shutdown()
    server.server_close()


def poll(predicate, what: str, seconds: float = 30.0):
    """Wait until ``predicate()`` answers something true (a server's side effect, a request it sent); return it."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


@pytest.fixture
def district(db) -> District:
    users = {
        Role.STREET_ADMIN: UserFactory(role=Role.STREET_ADMIN, username="street"),
        Role.STATION_OPERATOR: UserFactory(role=Role.STATION_OPERATOR, username="station"),
        Role.GRID_WORKER: UserFactory(role=Role.GRID_WORKER, username="grid"),
        Role.INSPECTOR: UserFactory(role=Role.INSPECTOR, username="inspector", department=Department.FIRE),
        Role.PROPERTY_MANAGER: UserFactory(role=Role.PROPERTY_MANAGER, username="manager"),
        Role.ENTERPRISE: UserFactory(role=Role.ENTERPRISE, username="enterprise"),
        Role.FIRE_SAFETY_PERSON: UserFactory(role=Role.FIRE_SAFETY_PERSON, username="firesafety"),
        Role.RESIDENT: UserFactory(role=Role.RESIDENT, username="resident"),
    }
    grid = GridFactory()
    grid.workers.add(users[Role.GRID_WORKER])
    company = PropertyCompanyFactory()
    company.managers.add(users[Role.PROPERTY_MANAGER])
    station = MicroFireStationFactory()
    station.operators.add(users[Role.STATION_OPERATOR])
    mine = ApartmentFactory(
        grid=grid,
        property_company=company,
        micro_fire_station=station,
        fire_safety_person=users[Role.FIRE_SAFETY_PERSON],
        name="新华工业园6号公寓",
    )
    other = ApartmentFactory(name="华丰工业园9号公寓")
    RoomFactory(apartment=mine, number="101")
    RoomFactory(apartment=other, number="101")
    return District(mine=mine, other=other, users=users)


# --- a real ASGI server and a real browser -------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class AsgiServer:
    url: str
    channel_prefix: str


def process_env(redis_url: str) -> dict[str, str]:
    """The environment of a process a test starts (server, Celery worker, beat, ingest_mqtt): this test's
    database, the Redis at ``redis_url``, Celery in-process unless the caller says otherwise."""
    from django.db import connection

    db = connection.settings_dict
    user = db["USER"] or "postgres"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shijiao.settings_test",
        "SHIJIAO_TEST_SERVER": "1",
        "DATABASE_URL": f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "DEBUG": "true",
        "VAR_DIR": str(Path(__file__).resolve().parent / "var" / "test"),
    }


@contextmanager
def start_asgi_server(settings, redis_url: str, *, env: dict[str, str] | None = None) -> Iterator[AsgiServer]:
    """uvicorn serving the whole ASGI app (HTTP + WebSockets) on the test database and the Redis at ``redis_url``.

    The server and this test process share that Redis as channel layer (under a prefix of their own), so what
    the test pushes reaches the browser. ``settings`` is pytest-django's fixture: the channel layer it points
    this process at is undone with it. ``env`` adds to the server's environment. Stops the server on leaving.
    """
    import subprocess
    import sys
    import time
    import urllib.request
    import uuid

    from channels.layers import channel_layers
    from django.db import connection

    db = connection.settings_dict
    require_service("PostgreSQL", db["ENGINE"].endswith("postgresql"))
    prefix = f"test{uuid.uuid4().hex[:8]}"
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "shijiao.channel_layer.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url], "prefix": prefix},
        }
    }
    channel_layers.backends.clear()
    port = _free_port()
    root = Path(__file__).resolve().parent
    server_env = {**process_env(redis_url), "CHANNEL_LAYER_PREFIX": prefix, **(env or {})}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "shijiao.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "off",
            "--log-level",
            "warning",
        ],
        cwd=root,
        env=server_env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # generous: the machine may be busy (workers starting beside it)
        while True:
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=1)
                break
            except urllib.error.HTTPError:  # it answers (503: some other part is down)
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail("the ASGI server exited at start")
                if time.monotonic() > deadline:
                    pytest.fail("the ASGI server did not answer within 60 s")
                time.sleep(0.1)
        yield AsgiServer(url=url, channel_prefix=prefix)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        channel_layers.backends.clear()


@pytest.fixture
def asgi_server(transactional_db, settings):
    """The ASGI server (start_asgi_server) on the machine's Redis at TEST_REDIS_URL. Needs PostgreSQL and Redis."""
    require_redis(settings.TEST_REDIS_URL)
    with start_asgi_server(settings, settings.TEST_REDIS_URL) as server:
        yield server


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="module")
def chromium():
    """Debian's headless Chromium driven by Playwright (no browser download).

    Module-scoped: Playwright's sync API keeps an event loop running in this thread, which
    async_to_sync (WebsocketCommunicator tests) refuses to share, so it ends with the module.
    """
    require_service("Chromium (apt-get install chromium)", os.path.exists(CHROMIUM))
    # Playwright's sync API runs an event loop in this thread; the ORM calls tests make are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def phone_page(chromium):
    """A phone-sized page (390×844) in Chinese."""
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", device_scale_factor=2)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screen_page(chromium):
    """A 1920×1080 page, the size of the cockpit's big screen."""
    context = chromium.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def login(page, base_url: str, username: str, password: str = "pw-123456") -> None:
    """Log in through the admin login form, as a person would."""
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_load_state("networkidle")


def screenshot_dir() -> "Path":  # noqa: UP037
    """Where browser tests save what they saw: var/test/screenshots, or docs/screenshots with
    UPDATE_SCREENSHOTS=1 (to refresh the committed pictures on purpose)."""
    from pathlib import Path

    root = Path(__file__).resolve().parent
    target = (
        root / "docs" / "screenshots"
        if os.environ.get("UPDATE_SCREENSHOTS") == "1"
        else root / "var" / "test" / "screenshots"
    )
    target.mkdir(parents=True, exist_ok=True)
    return target


def wait_until(page, expression: str, timeout: float = 30.0) -> None:
    """Wait until a JavaScript expression is true in ``page``.

    Playwright's wait_for_function evaluates its string inside the page, which our Content-Security-Policy
    (no 'unsafe-eval') refuses; page.evaluate goes through the debugger protocol and is allowed.
    """
    import time

    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(50)
