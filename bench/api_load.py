"""Benchmark: the mini-program API under a resident's browsing mix, 20 connections, closed loop.

    python bench/api_load.py [--server granian|gunicorn|uvicorn] [--workers 2] [--threads 2] [--connections 20]
                             [--duration 20] [--residents 56300] [--fresh]

Builds (once; --fresh rebuilds) a PostgreSQL database ``shijiao_bench_api`` seeded with the full district
(``seed_demo --residents 56300``), signs in --connections residents (each with a tenancy, a residence
registration and a question), then serves the project with production settings (DEBUG=false, PostgreSQL,
Redis cache on REDIS_URL, behind a TLS proxy: requests carry X-Forwarded-Proto: https) and runs a closed-loop
load generator in this process (asyncio + httptools, keep-alive, one signed-in resident per connection)
replaying: job lists with filters and searches, a job's detail, rental lists with filters, a rental's detail,
notices, the resident's own registration (``me/resident/``) and own questions (``my/feedback/``), and the
self-service path: ``me/journey/``, the inbox ``me/notices/`` and ``tenancy-requests/``.
Throttles stay active with rates raised (API_THROTTLE_*), so their cost is measured but they do not refuse.
Per-endpoint p50/p95 are printed, and the last line reads:

    api load: <R> req/s, p95 <P> ms, <E> errors
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

from production_keys import BENCH_KEYS

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
DB_NAME = "shijiao_bench_api"

# (weight, name, path template); {job}, {rental} are filled per request from the seeded ids.
MIX = [
    (14, "jobs list", "/api/v1/jobs/"),
    (6, "jobs dormitory", "/api/v1/jobs/?dormitory=true"),
    (5, "jobs search", "/api/v1/jobs/?search={word}"),
    (5, "jobs wage", "/api/v1/jobs/?wage_from={wage}"),
    (15, "job detail", "/api/v1/jobs/{job}/"),
    (10, "rentals list", "/api/v1/rentals/"),
    (6, "rentals filtered", "/api/v1/rentals/?room_kind={kind}&has_vacancy=true"),
    (4, "rentals rent", "/api/v1/rentals/?rent_max={rent}"),
    (5, "rental detail", "/api/v1/rentals/{rental}/"),
    (10, "notices", "/api/v1/notices/"),
    (7, "my registration", "/api/v1/me/resident/"),
    (7, "my feedback", "/api/v1/my/feedback/"),
    # the self-service path (issue #16): where do I stand, my notices, my move-in requests
    (5, "my journey", "/api/v1/me/journey/"),
    (4, "my inbox", "/api/v1/me/notices/"),
    (2, "my tenancy requests", "/api/v1/tenancy-requests/"),
]
WORDS = ["装配", "缝纫", "仓库", "厨师", "客服", "司机", "质检", "保洁"]


def say(text: str) -> None:
    print(text, flush=True)


def db_url(name: str) -> str:
    parts = urlsplit(PG_URL)
    return parts._replace(path=f"/{name}").geturl()


def run(cmd: list[str], env: dict) -> None:
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)


def prepare(args, env: dict) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", [DB_NAME]).fetchone()
        if exists and args.fresh:
            conn.execute(f'drop database "{DB_NAME}" with (force)')
            exists = None
        if not exists:
            conn.execute(f'create database "{DB_NAME}"')
    say(f"database {DB_NAME}: {'reused' if exists else 'created'}")
    run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env)  # a reused one may be behind
    if not exists:
        start = time.monotonic()
        run([sys.executable, "manage.py", "seed_demo", "--residents", str(args.residents)], env)
        say(f"seeded the district with {args.residents} residents in {time.monotonic() - start:.0f} s")


def sign_in_residents(count: int, env: dict) -> dict:
    """Residents with tenancy, registration and a question; returns their tokens and the ids to browse."""
    os.environ.update(env)
    import django

    django.setup()
    from django.db import transaction

    from accounts.models import ApiToken, Role, User
    from accounts.tokens import token_issue
    from residents.models import Notice, Resident
    from services.feedback import feedback_submit
    from services.models import FeedbackCategory, JobPosting, RentalListing

    try:
        from residents.registration import registration_submit
    except ImportError:  # pragma: no cover - the residents app ships it
        registration_submit = None

    tokens = []
    with transaction.atomic():
        residents = list(
            Resident.objects.filter(tenancies__check_out__isnull=True).select_related("user").order_by("id")[:count]
        )
        category = FeedbackCategory.objects.order_by("id").first()
        for i, resident in enumerate(residents):
            user = resident.user
            if user is None:
                user = User.objects.create(username=f"bench_resident_{i}", role=Role.RESIDENT, phone=resident.phone)
                resident.user = user
                resident.save(update_fields=["user"])
                tenancy = resident.tenancies.filter(check_out__isnull=True).first()
                if registration_submit is not None:
                    try:
                        registration_submit(tenancy=tenancy, by=user)
                    except Exception:
                        pass
                feedback_submit(by=user, category=category, kind="question", title=f"压测留言{i}", body="压测用")
            Notice.objects.get_or_create(
                key=f"bench:{user.pk}",
                defaults={"recipient": user, "kind": "registration_confirmed", "title": "居住登记已确认",
                          "text": "压测用", "status": Notice.Status.INBOX_ONLY},
            )  # fmt: skip
            tokens.append(token_issue(user=user, method=ApiToken.Method.PASSWORD).access)
    jobs = list(JobPosting.objects.filter(status="published").values_list("id", flat=True))
    rentals = list(RentalListing.objects.filter(is_active=True).values_list("id", flat=True))
    return {"tokens": tokens, "jobs": jobs, "rentals": rentals}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(args, env: dict, port: int) -> subprocess.Popen:
    if args.server == "gunicorn":
        if not shutil.which("gunicorn", path=str(Path(sys.executable).parent)):
            sys.exit("gunicorn is not installed in this environment (pip install gunicorn)")
        cmd = [
            str(Path(sys.executable).parent / "gunicorn"),
            "shijiao.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            args.worker_class,
            "--threads",
            str(args.threads),
            "--log-level",
            "warning",
        ]
    elif args.server == "granian":
        cmd = [
            sys.executable, "-m", "granian", "--interface", "wsgi", "shijiao.wsgi:application",
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers),
            "--blocking-threads", str(args.threads), "--log-level", "warning", "--no-ws",
        ]  # fmt: skip
    else:
        cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            "shijiao.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--no-access-log",
            "--log-level",
            "warning",
            "--lifespan",
            "off",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
        ]
    return subprocess.Popen(cmd, cwd=ROOT, env=env)


class Stats:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = {name: [] for _, name, _ in MIX}
        self.errors = 0
        self.error_samples: list[str] = []
        self.recording = False


async def connection_loop(port: int, token: str, plan, stats: Stats, stop: asyncio.Event, rng: random.Random):
    import httptools

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    auth = f"Authorization: Bearer {token}\r\n"
    state: dict = {}

    class Proto:
        def on_message_begin(self):
            state["done"] = False

        def on_message_complete(self):
            state["done"] = True

    while not stop.is_set():
        name, path = plan(rng)
        request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n{auth}"
            "Accept: application/json\r\nAccept-Language: zh-hans\r\n\r\n"
        ).encode()
        parser = httptools.HttpResponseParser(Proto())
        state["done"] = False
        started = time.perf_counter()
        try:
            writer.write(request)
            while not state["done"]:
                chunk = await reader.read(65536)
                if not chunk:
                    raise ConnectionError("server closed the connection")
                parser.feed_data(chunk)
        except Exception as exc:
            if stats.recording:
                stats.errors += 1
                stats.error_samples.append(f"{name}: {exc}")
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            continue
        elapsed = time.perf_counter() - started
        if not parser.should_keep_alive():  # e.g. gunicorn's sync workers close after each response
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        if stats.recording:
            stats.latencies[name].append(elapsed)
            if parser.get_status_code() >= 400:
                stats.errors += 1
                if len(stats.error_samples) < 5:
                    stats.error_samples.append(f"{name} {path}: HTTP {parser.get_status_code()}")
    writer.close()


def make_plan(ids: dict):
    weights = [w for w, _, _ in MIX]

    def plan(rng: random.Random) -> tuple[str, str]:
        _, name, template = rng.choices(MIX, weights=weights)[0]
        return name, template.format(
            job=rng.choice(ids["jobs"]),
            rental=rng.choice(ids["rentals"]),
            word=quote(WORDS[rng.randrange(len(WORDS))]),
            wage=rng.choice([5000, 6000, 7000, 8000]),
            kind=rng.choice(["single", "double", "dorm"]),
            rent=rng.choice([1200, 1500, 1800]),
        )

    return plan


async def load(port: int, ids: dict, args) -> Stats:
    stats = Stats()
    stop = asyncio.Event()
    plan = make_plan(ids)
    tasks = [
        asyncio.create_task(
            connection_loop(port, ids["tokens"][i % len(ids["tokens"])], plan, stats, stop, random.Random(i))
        )
        for i in range(args.connections)
    ]
    await asyncio.sleep(args.warmup)
    stats.recording = True
    started = time.perf_counter()
    await asyncio.sleep(args.duration)
    stats.recording = False
    stats.elapsed = time.perf_counter() - started
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return stats


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", choices=["uvicorn", "gunicorn", "granian"], default="granian")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (default 2)")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class (sync, gthread)")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker (granian: blocking threads)")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds (default 20)")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before measuring (default 5)")
    parser.add_argument("--residents", type=int, default=56300, help="residents seeded (full district: 56300)")
    parser.add_argument("--fresh", action="store_true", help="drop and re-seed the benchmark database")
    args = parser.parse_args()

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shijiao.settings",
        "DATABASE_URL": db_url(DB_NAME),
        "REDIS_URL": REDIS_URL,
        "DEBUG": "false",
        **BENCH_KEYS,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "API_THROTTLE_ANON": "1000000/min",
        "API_THROTTLE_USER": "1000000/min",
        "LOG_LEVEL": "WARNING",
        "VAR_DIR": str(ROOT / "var" / "bench"),
    }
    prepare(args, env)
    ids = sign_in_residents(args.connections, env)
    say(f"{len(ids['tokens'])} residents signed in; {len(ids['jobs'])} published jobs, {len(ids['rentals'])} rentals")
    port = free_port()
    server = start_server(args, env, port)
    try:
        import urllib.request

        for _ in range(200):
            try:
                urllib.request.urlopen(
                    urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"X-Forwarded-Proto": "https"}),
                    timeout=1,
                )
                break
            except urllib.error.HTTPError:  # it answers (503: some other part is down)
                break
            except OSError:
                if server.poll() is not None:
                    sys.exit("the server exited at start")
                time.sleep(0.1)
        try:
            import uvloop

            uvloop.install()
        except ImportError:
            pass
        say(
            f"{args.server} {args.workers} workers"
            + (f" ({args.worker_class}, {args.threads} threads)" if args.server == "gunicorn" else "")
            + f"; {args.connections} connections; warm-up {args.warmup:.0f} s, measuring {args.duration:.0f} s"
        )
        stats = asyncio.run(load(port, ids, args))
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
    every = [v for values in stats.latencies.values() for v in values]
    for name, values in stats.latencies.items():
        p50, p95 = percentile(values, 0.5) * 1000, percentile(values, 0.95) * 1000
        say(f"  {name:<18} {len(values):>6} req  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms")
    for sample in stats.error_samples[:5]:
        say(f"  error: {sample}")
    rate = len(every) / stats.elapsed
    say(f"api load: {rate:.0f} req/s, p95 {percentile(every, 0.95) * 1000:.1f} ms, {stats.errors} errors")


if __name__ == "__main__":
    main()
