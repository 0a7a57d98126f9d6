"""What several benchmarks do the same way: publish ordinary telemetry, drop their scratch database."""

from __future__ import annotations

import json
import os
import time
from urllib.parse import urlsplit

PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
MQTT_URL = os.environ.get("MQTT_URL", "mqtt://127.0.0.1:1883")


def publish_normal(client, keys: list[str], first: int, count: int, last_ts: dict[str, int]) -> int:
    """Publish ``count`` messages of 5 ordinary data points (no rule fires), round-robin over ``keys`` starting at
    message number ``first``; each device's timestamps strictly increase (``last_ts`` remembers them).
    Answers the next message number."""
    now_ms = int(time.time() * 1000)
    i = first
    for _ in range(count):
        key = keys[i % len(keys)]
        ts = max(now_ms, last_ts.get(key, 0) + 1)
        last_ts[key] = ts
        values = {"wire_temp": 35 + i % 10, "current": 6 + i % 5, "residual_current": 120 + i % 40,
                  "voltage": 220 + i % 5, "power": 1200 + i % 300}  # fmt: skip
        client.publish(f"shijiao/{key}/telemetry", json.dumps({"ts": ts, "values": values}), qos=1)
        i += 1
    return i


def drop_database(dbname: str) -> None:
    """Drop a benchmark's scratch database, ending its sessions first (retried while it is still in use)."""
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as admin:
        for _ in range(30):
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [dbname])
            try:
                admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
                return
            except psycopg.errors.ObjectInUse:
                time.sleep(1)
        print(f"bench: could not drop {dbname}; drop it by hand", flush=True)


def forget(client_id: str) -> None:
    """End the consumer's persistent MQTT session so the broker keeps nothing for it."""
    import paho.mqtt.client as mqtt

    where = urlsplit(MQTT_URL)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    try:
        client.connect(where.hostname or "127.0.0.1", where.port or 1883, clean_start=True)
        client.disconnect()
    except OSError:
        pass
