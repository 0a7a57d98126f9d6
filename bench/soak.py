"""Soak run (not in CI): hours of steady load with alarms; memory must stay flat and the queues must not grow.

    python bench/soak.py [--minutes 30] [--rate 2000] [--workers 2]

Needs the machine's PostgreSQL, Redis and Mosquitto (PG_URL, REDIS_URL, MQTT_URL override the defaults; Redis
database 12 by default, so the soak's Celery queues stay apart from everyone else's). Like
bench/alarm_latency.py it creates a throw-away database with devices and starts the real ingest path:
``manage.py ingest_mqtt`` and Celery workers (ingest: --workers processes; escalations and notifications: 1,
notifications pointed at a dead local port). It only publishes: it restarts nothing. A publisher sends --rate
readings/s (messages of 5 data points); every 10 s one device's wire overheats (95 °C), which raises alarms.
Every 10 s it samples the resident memory (RSS, summed over each process and its children) of the consumer
and the workers and the Redis queue lengths. Growth is measured from the first sample after warm-up (the first
minute, or a third of a short run) to the mean of the last three samples. The last line reads:

    soak: <minutes> min, <N> readings, RSS growth <x> MB, max queue <q>
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
from pathlib import Path
from urllib.parse import urlsplit

os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/12")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import alarm_latency as al  # (same setup, publisher client and clean-up as the latency bench)
from common import publish_normal
from production_keys import BENCH_KEYS

POINTS = 5
SAMPLE_EVERY = 10.0


def say(text: str) -> None:
    print(text, flush=True)


def publisher(keys: list[str], hot: list[str], per_second: int, stop, tag: str, sent) -> None:
    """``per_second`` readings a second in messages of 5 points; every 10 s one hot device overheats."""
    client = al.mqtt_client(f"soak-pub-{tag}")
    tick, messages_per_second = 0.05, max(1, per_second // POINTS)
    per_tick = max(1, round(messages_per_second * tick))
    i = alarm = 0
    next_at = started = time.monotonic()
    last_ts: dict[str, int] = {}
    while not stop.is_set():
        now_ms = int(time.time() * 1000)
        i = publish_normal(client, keys, i, per_tick, last_ts)
        if time.monotonic() - started >= (alarm + 1) * 10 and hot:
            key = hot[alarm % len(hot)]
            client.publish(f"shijiao/{key}/telemetry", json.dumps({"ts": now_ms, "values": {"wire_temp": 95}}), qos=1)
            alarm += 1
        sent.value = i * POINTS + alarm
        next_at += tick
        time.sleep(max(0.0, next_at - time.monotonic()))
    client.disconnect()
    client.loop_stop()


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (a prefork worker's pool), in MB."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
            with open(f"/proc/{current}/task/{current}/children") as children:
                todo.extend(int(c) for c in children.read().split())
        except (OSError, StopIteration):
            continue
    return total / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0, help="how long to keep the load on")
    parser.add_argument("--rate", type=int, default=2000, help="readings per second")
    parser.add_argument("--workers", type=int, default=2, help="ingest Celery worker processes")
    parser.add_argument("--alarm-devices", type=int, default=500, help="devices that take turns overheating")
    args = parser.parse_args()
    if args.minutes <= 0 or args.rate < POINTS:
        parser.error(f"--minutes must be positive and --rate at least {POINTS}")

    import psycopg
    import redis

    tag = uuid.uuid4().hex[:8]
    dbname = f"shijiao_soak_{tag}"
    pg = urlsplit(al.PG_URL)
    db_url = f"{pg.scheme}://{pg.netloc}/{dbname}"
    queue = f"soak-ingest-{tag}"
    alarm_queue = f"soak-alarms-{tag}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shijiao.settings",
        "DATABASE_URL": db_url,
        "REDIS_URL": al.REDIS_URL,
        "MQTT_URL": al.MQTT_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "INGEST_QUEUE": queue,
        "INGEST_ALARM_QUEUE": alarm_queue,
        "CHANNEL_LAYER_PREFIX": f"soak{tag}",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",
        **BENCH_KEYS,
        "ALIYUN_SMS_ENDPOINT": "http://127.0.0.1:9/",
        "ALIYUN_VOICE_ENDPOINT": "http://127.0.0.1:9/",
        "DINGTALK_API": "http://127.0.0.1:9",
        "DINGTALK_NEW_API": "http://127.0.0.1:9",
        "WECOM_ROBOT_URL": "http://127.0.0.1:9",
    }
    with psycopg.connect(al.PG_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{dbname}"')
    procs: dict[str, subprocess.Popen] = {}
    stop, sent = mp.Event(), mp.Value("q", 0)
    pub = None
    client_id = f"soak-consumer-{tag}"
    try:
        say(f"soak: database {dbname}: migrating")
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=al.ROOT, env=env, check=True
        )
        keys, hot, _session = al.setup(env, tag, max(1, args.rate // POINTS), args.alarm_devices)
        workers = [("ingest", queue, args.workers), ("alarms", alarm_queue, 1), ("alerts", "celery", 1)]
        for name, queues, concurrency in workers:
            procs[f"worker-{name}"] = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "shijiao", "worker", "-Q", queues, "-c", str(concurrency),
                 "--loglevel", "WARNING", "-n", f"soak-{name}-{tag}@%h", "--without-gossip", "--without-mingle",
                 "--without-heartbeat", "-O", "fair"], cwd=al.ROOT, env=env,
            )  # fmt: skip
        procs["consumer"] = subprocess.Popen(
            [sys.executable, "manage.py", "ingest_mqtt", "--client-id", client_id, "--group", f"soak{tag}"],
            cwd=al.ROOT, env=env, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(5)  # the consumer subscribes before the load starts
        broker = redis.Redis.from_url(al.REDIS_URL)
        pub = mp.Process(target=publisher, args=(keys, hot, args.rate, stop, tag, sent), daemon=True)
        pub.start()
        say(f"soak: {args.rate} readings/s into {len(keys)} devices, one alarm every 10 s, for {args.minutes} min")
        started, samples, max_queue = time.monotonic(), [], 0
        warmup = min(60.0, args.minutes * 60 / 3)
        while time.monotonic() - started < args.minutes * 60:
            time.sleep(SAMPLE_EVERY)
            for name, proc in procs.items():
                if proc.poll() is not None:
                    raise SystemExit(f"soak: {name} died (exit {proc.returncode})")
            rss = {name: rss_mb(proc.pid) for name, proc in procs.items()}
            queues = {q: broker.llen(q) for q in (queue, alarm_queue, "celery")}
            max_queue = max(max_queue, *queues.values())
            elapsed = time.monotonic() - started
            samples.append((elapsed, rss))
            say(f"soak: {elapsed:5.0f} s  sent {sent.value}  RSS "
                + ", ".join(f"{n} {v:.0f} MB" for n, v in rss.items())
                + "  queues " + ", ".join(f"{q} {n}" for q, n in queues.items()))  # fmt: skip
        stop.set()
        pub.join(10)
        time.sleep(5)  # let the last batches land
        with psycopg.connect(db_url, autocommit=True) as conn:
            stored = conn.execute("SELECT count(*) FROM sensors_reading").fetchone()[0]
            alarms = conn.execute("SELECT count(*) FROM alerts_alert").fetchone()[0]
        baseline = next((rss for t, rss in samples if t >= warmup), samples[0][1])
        tail = samples[-3:]
        growth = {n: sum(r[n] for _, r in tail) / len(tail) - baseline[n] for n in baseline}
        pending = broker.zcard("shijiao:ingest:since")  # batches handed over and not struck off (sensors/handover.py)
        say(f"soak: published {sent.value} readings, stored {stored}, alarms {alarms}, hand-over ledger {pending} "
            "pending; RSS growth per process "
            + ", ".join(f"{n} {g:+.1f} MB" for n, g in growth.items()))  # fmt: skip
        say(f"soak: {args.minutes:g} min, {stored} readings, RSS growth {sum(growth.values()):.1f} MB, "
            f"max queue {max_queue}")  # fmt: skip
    finally:
        stop.set()
        if pub is not None and pub.is_alive():
            pub.terminate()
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        al.forget(client_id)
        al.clean_redis(tag, queue)  # the alarm queue's name has the tag too
        al.drop_database(dbname)


if __name__ == "__main__":
    main()
