"""Benchmark: the cockpit's first view on a full district, and an MQTT alarm until its block flashes.

    python bench/cockpit_load.py [--residents 56300] [--history-days 30] [--history-step 3600]
                                 [--alarms-per-day 15] [--loads 5] [--samples 20]

Needs the machine's PostgreSQL, Redis, Mosquitto and Debian's chromium (PG_URL, REDIS_URL, MQTT_URL
override the defaults). It creates a throw-away database, seeds the full district (95 blocks,
--residents residents, every block's devices), writes --history-days of readings with the sensors
simulator's history generator (one per --history-step seconds per device, with roll-ups) and
--alarms-per-day closed alarms a day from the alerts app's default rules, precomputes the cockpit's
figures, then starts uvicorn (the whole ASGI app) and the MQTT consumer `ingest_mqtt` (rules run in
the consumer's process, pushes go through Redis), both on a channel prefix and MQTT group of their own.

Headless Chromium logs in as the street's cockpit operator and:
- opens /cockpit/ --loads times; "first view" is the median time from navigation start until the
  figures, plan and charts are drawn (the page marks body[data-ready]);
- --samples times publishes a wire temperature of 95 °C for another block's distribution-box device on
  ``shijiao/<key>/telemetry`` (QoS 1) and waits until that block flashes on the screen; "alarm on
  screen" is the 95th percentile of publish → flash.

The last line reads: ``cockpit: first view <A> ms, alarm on screen p95 <B> ms`` (goals: ≤ 1000, ≤ 500).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
MQTT_URL = os.environ.get("MQTT_URL", "mqtt://127.0.0.1:1883")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]


def say(text: str) -> None:
    print(text, flush=True)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def create_database(name: str) -> str:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(PG_URL)
    return parts._replace(path=f"/{name}").geturl()


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def seed_alarm_history(days: int, per_day: int, seed: int = 6) -> int:
    """Closed alarms of the default rules over the last ``days``, as the alerts app stores them."""
    from datetime import timedelta

    from django.utils import timezone

    from alerts.models import Alert, AlertRule
    from sensors.models import Device

    rng = random.Random(seed)
    rules = {r.code: r for r in AlertRule.objects.filter(apartment__isnull=True, device__isnull=True)}
    kinds = [
        ("wire_temp_warning", "wire_temp", "°C", 72.0),
        ("wire_temp_critical", "wire_temp", "°C", 93.0),
        ("residual_current_high", "residual_current", "mA", 340.0),
        ("hydrant_pressure_low", "pressure", "MPa", 0.2),
        ("smoke", "smoke", "", 1.0),
        ("fire_exit_blocked", "obstructed", "", 1.0),
    ]
    kinds = [k for k in kinds if k[0] in rules]
    devices: dict[str, list[Device]] = {}
    for d in Device.objects.select_related("device_type"):
        devices.setdefault(d.device_type.code, []).append(d)
    now = timezone.now()
    rows = []
    for day in range(days):
        for _ in range(per_day):
            code, metric, unit, value = rng.choice(kinds)
            rule = rules[code]
            device = rng.choice(devices[rule.device_type.code])
            raised = now - timedelta(days=day, seconds=rng.randint(0, 86_000))
            ack = raised + timedelta(seconds=rng.randint(20, 400))
            rows.append(
                Alert(
                    rule=rule,
                    device=device,
                    apartment_id=device.apartment_id,
                    severity=rule.severity,
                    title=rule.name,
                    status=Alert.Status.CLOSED,
                    raised_at=raised,
                    last_triggered_at=raised,
                    metric=metric,
                    unit=unit,
                    first_value=value,
                    last_value=value,
                    peak_value=value,
                    acknowledged_at=ack,
                    handling_at=ack,
                    closed_at=ack + timedelta(minutes=rng.randint(5, 90)),
                    disposition=Alert.Disposition.REAL_HAZARD,
                )
            )
    Alert.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=56_300)
    parser.add_argument("--history-days", type=int, default=30)
    parser.add_argument("--history-step", type=int, default=3600, help="seconds between history readings")
    parser.add_argument("--alarms-per-day", type=int, default=15)
    parser.add_argument("--loads", type=int, default=5, help="times the cockpit is opened")
    parser.add_argument("--samples", type=int, default=20, help="alarms published over MQTT")
    parser.add_argument("--keep", action="store_true", help="keep the throw-away database")
    args = parser.parse_args()

    run = uuid.uuid4().hex[:8]
    db_name = f"bench_cockpit_{run}"
    prefix = f"benchck{run}"
    database_url = create_database(db_name)
    say(f"database {db_name}")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shijiao.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "CHANNEL_LAYER_PREFIX": prefix,
        "MQTT_URL": MQTT_URL,
        "MQTT_CLIENT_ID": f"bench-cockpit-{run}",
        "MQTT_SHARED_GROUP": f"benchcockpit{run}",
        "CELERY_TASK_ALWAYS_EAGER": "true",  # rules, alarms and figure refreshes run in the consumer's process
        "DEBUG": "true",
        "VAR_DIR": f"/tmp/bench-cockpit-{run}",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    processes: list[subprocess.Popen] = []
    result = "cockpit: no result (the run failed)"
    try:
        t = time.perf_counter()
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "seed_demo", "--residents", str(args.residents), "--history-days", str(args.history_days))
        say(f"seeded in {time.perf_counter() - t:.0f} s")
        t = time.perf_counter()
        manage(env, "simulate", "--history-days", str(args.history_days), "--history-step", str(args.history_step))
        say(f"{args.history_days} days of readings (every {args.history_step} s) in {time.perf_counter() - t:.0f} s")

        import django

        django.setup()
        from django.db import connection

        from cockpit.aggregates import refresh_figures
        from sensors.models import Device

        n_alarms = seed_alarm_history(args.history_days, args.alarms_per_day)
        t = time.perf_counter()
        refresh_figures(days=args.history_days)
        say(f"{n_alarms} alarms of history; cockpit figures precomputed in {1000 * (time.perf_counter() - t):.0f} ms")
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM sensors_reading")
            say(f"readings stored: {cur.fetchone()[0]:,}")
        targets = list(
            Device.objects.filter(key__endswith="-elec-1")
            .order_by("apartment__code")
            .values_list("key", "apartment_id")
        )
        connection.close()

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "shijiao.asgi:application", "--port", str(port), "--log-level",
                 "warning", "--lifespan", "off"],
                cwd=ROOT,
                env=env,
            )
        )  # fmt: skip
        processes.append(subprocess.Popen([sys.executable, "manage.py", "ingest_mqtt"], cwd=ROOT, env=env))
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except urllib.error.HTTPError:  # it answers (503: some other part is down)
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(2)  # the consumer subscribes

        from playwright.sync_api import sync_playwright

        from sensors.mqtt import new_client

        client, connect = new_client(f"bench-cockpit-pub-{run}", url=MQTT_URL)
        client.connect(**connect)
        client.loop_start()

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
            page = context.new_page()
            page.goto(f"{base}/admin/login/?next=/admin/")
            page.fill("#id_username", "jiedao")
            page.fill("#id_password", "demo-2026")
            page.click("input[type=submit]")
            page.wait_for_load_state("networkidle")

            first_views = []
            for _ in range(args.loads):
                page.goto(f"{base}/cockpit/")
                page.wait_for_selector("body[data-ready='1']")
                first_views.append(page.evaluate("window.cockpit.firstViewMs"))
            say("first view (ms): " + ", ".join(f"{v:.0f}" for v in first_views))
            page.wait_for_selector("body[data-live='1']", timeout=20000)

            latencies = []
            # The first alarm warms the consumer's rule cache and the screen's code paths; it is not counted.
            for n, (key, apartment_id) in enumerate(targets[: args.samples + 1]):
                page.evaluate(
                    """(id) => { window.__flash = new Promise((resolve) => {
                        const g = document.querySelector(`#plan .block[data-block="${id}"]`);
                        const check = () => g.classList.contains("flash") && (resolve(Date.now()), true);
                        if (!check()) new MutationObserver(check).observe(g, { attributes: true });
                    }); }""",
                    apartment_id,
                )
                body = json.dumps({"ts": int(time.time() * 1000), "values": {"wire_temp": 95.0}})
                sent = time.time() * 1000
                client.publish(f"shijiao/{key}/telemetry", body, qos=1)
                shown = page.evaluate("window.__flash")
                if n:
                    latencies.append(shown - sent)
                time.sleep(0.3)
            say("alarm on screen (ms): " + ", ".join(f"{v:.0f}" for v in latencies))
            browser.close()
        client.loop_stop()
        client.disconnect()
        result = (
            f"cockpit: first view {statistics.median(first_views):.0f} ms, "
            f"alarm on screen p95 {percentile(latencies, 95):.0f} ms"
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        if not args.keep:
            from django.db import connections

            connections.close_all()
            drop_database(db_name)
    time.sleep(0.5)  # let the children's last words out before ours
    say(result)


if __name__ == "__main__":
    main()
