"""Benchmark: sustained ingest through Mosquitto → ingest_mqtt → Celery worker → PostgreSQL.

    python bench/ingest.py [--messages 100000] [--devices 2000] [--publishers 2] [--workers 2] [--consumers 1]

Needs the machine's PostgreSQL and Redis (PG_URL, REDIS_URL override the defaults) and the mosquitto program:
the bench starts a Mosquitto of its own set up as the platform ships it (deploy/mosquitto.conf: a consumer may fall
100,000 messages behind; a stock broker keeps 1,000 and drops the rest of a burst); ``--broker machine`` uses
MQTT_URL instead. It creates a throw-away database, registers --devices smart-electricity devices (5 metrics
each), starts --consumers consumers (one shared-subscription group: the broker splits the messages among them)
and one Celery worker with --workers processes (on a queue of its own),
publishes --messages native JSON messages (5 data points each) from --publishers processes with QoS 1
(``common.FastPublisher``: packets encoded beforehand, as cheap as a device fleet's own hardware is to the
platform), and measures stored data points per second from the first publish to the last commit. In the same run
it measures the machine's limits on the same data: raw PostgreSQL COPY of the same rows into a table
shaped like sensors_reading, and raw Mosquitto publish→subscribe throughput. The last line reads:

    ingest: <N> data points/s stored, <R> of raw COPY, <M> MB peak RSS

(peak RSS: consumers plus worker processes, summed). Alarm rules of the alerts app are active when
that app ships them (the count is printed).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from common import PG_URL, drop_database, forget, shipped_broker
from production_keys import BENCH_KEYS

ROOT = Path(__file__).resolve().parent.parent
# Starts a Celery worker that hands stored readings to nobody (sensors/hooks.py; measures ingest alone).
WITHOUT_ALERTS = """
import sys, django
django.setup()
from sensors import hooks
hooks.clear_readings()
from celery.__main__ import main
sys.argv[0] = "celery"
sys.exit(main())
"""
METRICS = ("wire_temp", "current", "residual_current", "voltage", "power")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
MQTT_URL = os.environ.get("MQTT_URL", "mqtt://127.0.0.1:1883")


def say(text: str) -> None:
    print(text, flush=True)


def body(i: int, device: int, ts_ms: int) -> bytes:
    values = {
        "wire_temp": 30 + (i % 80) / 10,
        "current": 5 + (i % 50) / 10,
        "residual_current": 100 + i % 60,
        "voltage": 215 + i % 10,
        "power": 1000 + i % 900,
    }
    return json.dumps({"ts": ts_ms, "values": values}, separators=(",", ":")).encode()


def plan(messages: int, keys: list[str], base_ms: int, part: int, parts: int):
    """The messages of publisher ``part``: device i % n, one second apart per device (all unique)."""
    n = len(keys)
    for i in range(part, messages, parts):
        yield i, keys[i % n], base_ms + (i // n) * 1000


def publisher(
    url: str, part: int, parts: int, messages: int, keys: list[str], base_ms: int, topic_fmt: str, go
) -> None:
    from common import FastPublisher

    client = FastPublisher(f"bench-pub-{uuid.uuid4().hex[:8]}", url)
    ready = [(topic_fmt.format(key=key), body(i, i % len(keys), ts))
             for i, key, ts in plan(messages, keys, base_ms, part, parts)]  # fmt: skip
    go.wait()
    for topic, payload in ready:
        client.publish(topic, payload)
    if not client.wait_acked(600):
        print(f"bench: publisher {part}: {client.sent - client.acked} messages unacknowledged", flush=True)
    client.close()


def publish_all(args, keys: list[str], base_ms: int, topic_fmt: str) -> tuple[float, list]:
    go = mp.Event()
    procs = [
        mp.Process(
            target=publisher, args=(args.mqtt_url, p, args.publishers, args.messages, keys, base_ms, topic_fmt, go)
        )
        for p in range(args.publishers)
    ]
    for proc in procs:
        proc.start()
    time.sleep(1.0)  # connected
    start = time.monotonic()
    go.set()
    return start, procs


def rss_peak_mb(pid: int) -> float:
    """VmHWM of ``pid`` and its children, in MB."""
    total = 0
    pids = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    pids.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=100_000, help="messages to publish (5 data points each)")
    parser.add_argument("--devices", type=int, default=2000, help="devices registered and publishing")
    parser.add_argument("--publishers", type=int, default=2, help="publisher processes")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--consumers", type=int, default=1, help="MQTT consumers in one shared-subscription group")
    parser.add_argument(
        "--broker",
        choices=("shipped", "machine"),
        default="shipped",
        help="shipped: a Mosquitto of the bench's own set up as deploy/mosquitto.conf (default); machine: MQTT_URL",
    )
    parser.add_argument("--keep-db", action="store_true", help="leave the benchmark database for inspection")
    parser.add_argument(
        "--without-alerts",
        action="store_true",
        help="hand stored readings to no handler in the worker: ingest alone, no alarm rules",
    )
    args = parser.parse_args()
    if args.broker == "machine":
        args.mqtt_url = MQTT_URL
        run(args)
        return
    with shipped_broker() as url:
        args.mqtt_url = url
        say(f"bench: Mosquitto as deploy/mosquitto.conf configures it, on {url}")
        run(args)


def run(args) -> None:

    import psycopg

    tag = uuid.uuid4().hex[:8]
    dbname = f"shijiao_bench_{tag}"
    pg = urlsplit(PG_URL)
    db_url = f"{pg.scheme}://{pg.netloc}/{dbname}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shijiao.settings",
        "DATABASE_URL": db_url,
        "REDIS_URL": REDIS_URL,
        "MQTT_URL": args.mqtt_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "INGEST_QUEUE": f"bench-ingest-{tag}",
        "INGEST_ALARM_QUEUE": f"bench-ingest-{tag}",  # one worker for both: this bench measures throughput
        "CHANNEL_LAYER_PREFIX": f"bench{tag}",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",
        **BENCH_KEYS,
        "SECURE_SSL_REDIRECT": "false",
    }
    points = args.messages * len(METRICS)
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{dbname}"')
    consumers: list[subprocess.Popen] = []
    worker = None
    client_ids = [f"bench-ingest-{tag}-{n}" for n in range(max(1, args.consumers))]
    try:
        say(f"bench: database {dbname}: migrating")
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        keys = register_devices(env, args.devices, tag)
        with psycopg.connect(db_url, autocommit=True) as conn:
            rules = alert_rules(conn)
        if args.without_alerts:
            rules += " (disconnected: --without-alerts)"
        say(f"bench: {args.devices} devices, {args.messages} messages × 5 = {points} data points; alert rules: {rules}")

        # --- the platform: consumer + worker ------------------------------------------------------
        launcher = [sys.executable, "-c", WITHOUT_ALERTS] if args.without_alerts else [sys.executable, "-m", "celery"]
        worker = subprocess.Popen(
            [*launcher, "-A", "shijiao", "worker", "-Q", env["INGEST_QUEUE"], "-c",
             str(args.workers), "--loglevel", "WARNING", "-n", f"bench-{tag}@%h", "--without-gossip",
             "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        consumers = [subprocess.Popen(
            [sys.executable, "manage.py", "ingest_mqtt", "--client-id", client_id, "--group", f"bench{tag}"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        ) for client_id in client_ids]  # fmt: skip
        time.sleep(6 + 2 * len(consumers))  # worker and consumers up and subscribed
        base_ms = int(time.time() * 1000) - (args.messages // args.devices + 1) * 1000
        start, procs = publish_all(args, keys, base_ms, "shijiao/{key}/telemetry")
        with psycopg.connect(db_url, autocommit=True) as conn:
            stored, end = wait_stored(conn, points, start, timeout=max(120, points / 2000))
        for proc in procs:
            proc.join(60)
        elapsed = end - start
        rate = stored / elapsed
        rss = sum(rss_peak_mb(consumer.pid) for consumer in consumers) + rss_peak_mb(worker.pid)
        say(f"bench: stored {stored}/{points} data points in {elapsed:.1f} s end to end: {rate:,.0f} data points/s "
            f"({len(consumers)} consumer(s), {args.workers} worker process(es))")  # fmt: skip

        # --- the machine's limits on the same data ---------------------------------------------
        copy_rate = raw_copy(db_url, args, keys, base_ms)
        say(f"bench: raw PostgreSQL COPY of the same rows: {copy_rate:,.0f} rows/s")
        mqtt_msgs = raw_mqtt(args, keys, base_ms, tag)
        say(
            f"bench: raw Mosquitto publish→subscribe (QoS 1): {mqtt_msgs:,.0f} messages/s "
            f"= {mqtt_msgs * len(METRICS):,.0f} data points/s"
        )
        say(f"ingest: {rate:,.0f} data points/s stored, {rate / copy_rate:.0%} of raw COPY, {rss:.0f} MB peak RSS")
    finally:
        for proc in (*consumers, worker):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        for client_id in client_ids:
            forget(client_id, args.mqtt_url)
        if not args.keep_db:
            drop_database(dbname)


def register_devices(env: dict, count: int, tag: str) -> list[str]:
    script = f"""
import django; django.setup()
from apartments.factories import ApartmentFactory
from sensors.factories import device_type
from sensors.models import Device
apartment = ApartmentFactory(code="BENCH-1", name="基准测试公寓")
kind = device_type("smart_electricity")
Device.objects.bulk_create([Device(key=f"bench-{tag}-{{i:05d}}", device_type=kind, apartment=apartment,
                             reporting_interval=30) for i in range({count})])
"""
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True)
    return [f"bench-{tag}-{i:05d}" for i in range(count)]


def alert_rules(conn) -> str:
    try:
        return str(conn.execute("SELECT count(*) FROM alerts_alertrule").fetchone()[0])
    except Exception:
        return "none yet (alerts app has no rules table)"


def wait_stored(conn, expected: int, start: float, timeout: float) -> tuple[int, float]:
    last, last_change = -1, time.monotonic()
    while True:
        count = conn.execute("SELECT count(*) FROM sensors_reading").fetchone()[0]
        now = time.monotonic()
        if count != last:
            last, last_change = count, now
        if count >= expected or now - start > timeout or now - last_change > 30:
            return count, last_change
        time.sleep(0.2)


def raw_copy(db_url: str, args, keys: list[str], base_ms: int) -> float:
    import psycopg

    with psycopg.connect(db_url) as conn:
        ids = dict(conn.execute("SELECT key, id FROM sensors_device").fetchall())
        rows = []
        for i, key, ts in plan(args.messages, keys, base_ms, 0, 1):
            values = json.loads(body(i, 0, ts))["values"]
            at = datetime.fromtimestamp(ts / 1000, tz=UTC)
            rows.extend((ids[key], metric, at, float(values[metric])) for metric in METRICS)
        conn.execute("CREATE TEMP TABLE bench_copy (LIKE sensors_reading INCLUDING ALL)")
        start = time.monotonic()
        with conn.cursor() as cur, cur.copy("COPY bench_copy (device_id, metric, ts, value) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return len(rows) / (time.monotonic() - start)


def raw_mqtt(args, keys: list[str], base_ms: int, tag: str) -> float:
    import threading

    import paho.mqtt.client as mqtt

    where = urlsplit(args.mqtt_url)
    received = [0]
    done = threading.Event()
    last = [time.monotonic()]

    def on_message(_c, _u, _m) -> None:
        received[0] += 1
        last[0] = time.monotonic()
        if received[0] >= args.messages:
            done.set()

    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-raw-{tag}", protocol=mqtt.MQTTv5)
    sub.on_message = on_message
    sub.connect(where.hostname or "127.0.0.1", where.port or 1883)
    sub.loop_start()
    sub.subscribe(f"bench/{tag}/+/telemetry", qos=1)
    time.sleep(0.5)
    start, procs = publish_all(args, keys, base_ms, f"bench/{tag}/{{key}}/telemetry")
    done.wait(max(60, args.messages / 2000))
    for proc in procs:
        proc.join(60)
    sub.disconnect()
    sub.loop_stop()
    return received[0] / (last[0] - start)


if __name__ == "__main__":
    main()
