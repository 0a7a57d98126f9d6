"""What several benchmarks do the same way: publish ordinary telemetry, drop their scratch database."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
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


@contextmanager
def shipped_broker() -> Iterator[str]:
    """A Mosquitto of its own, configured as the platform ships it (deploy/mosquitto.conf: the queue a consumer may
    fall behind by is 100,000 messages; the machine's stock broker keeps 1,000 and drops the rest), on a free local
    port; answers its URL. A burst of telemetry then waits in the broker as it would in production."""
    exe = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")
    if exe is None:
        raise SystemExit("bench: mosquitto is not installed (apt install mosquitto), or pass --broker machine")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    shipped = (Path(__file__).resolve().parent.parent / "deploy" / "mosquitto.conf").read_text().splitlines()
    with tempfile.TemporaryDirectory(prefix="bench-mosquitto-") as tmp:
        kept = [line for line in shipped if not line.startswith(("listener", "persistence_location", "log_dest"))]
        conf = Path(tmp) / "mosquitto.conf"
        conf.write_text("\n".join([f"listener {port} 127.0.0.1", f"persistence_location {tmp}/", *kept, ""]))
        proc = subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise SystemExit(f"bench: mosquitto did not start on port {port}") from None
                    time.sleep(0.1)
            yield f"mqtt://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(10)


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


def forget(client_id: str, url: str | None = None) -> None:
    """End the consumer's persistent MQTT session so the broker keeps nothing for it."""
    import paho.mqtt.client as mqtt

    where = urlsplit(url or MQTT_URL)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    try:
        client.connect(where.hostname or "127.0.0.1", where.port or 1883, clean_start=True)
        client.disconnect()
    except OSError:
        pass


class FastPublisher:
    """A device fleet's side of MQTT 3.1.1 at QoS 1 over one plain socket, for benchmarks: PUBLISH packets are
    encoded by hand and written in chunks, PUBACKs counted by a reader thread. paho's client spends ~100 µs of
    Python per published message; on a 2-core machine the simulated devices then took a quarter of the CPU that
    the platform under test needed (in the field each device is its own hardware). At most ``window`` messages
    are unacknowledged at a time, as a device fleet's sessions would have."""

    def __init__(self, client_id: str, url: str | None = None, window: int = 2000) -> None:
        where = urlsplit(url or MQTT_URL)
        self.sock = socket.create_connection((where.hostname or "127.0.0.1", where.port or 1883))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        ident = client_id.encode()
        body = b"\x00\x04MQTT\x04\x02\x00\x3c" + len(ident).to_bytes(2, "big") + ident  # clean session, 60 s
        self.sock.sendall(b"\x10" + _remaining_length(len(body)) + body)
        connack = self._read_exact(4)
        if connack[0] != 0x20 or connack[3] != 0:
            raise ConnectionError(f"MQTT CONNACK refused: {connack!r}")
        self.window = window
        self.sent = 0
        self.acked = 0
        self._next_id = 0
        self._out: list[bytes] = []
        self._acks = threading.Condition()
        self._reader = threading.Thread(target=self._read_acks, daemon=True)
        self._reader.start()

    def _read_exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("MQTT broker closed the connection")
            data += chunk
        return data

    def _read_acks(self) -> None:
        pending = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            pending += chunk
            whole = len(pending) - len(pending) % 4  # PUBACK: 0x40 0x02 <id>
            if whole:
                count = whole // 4
                pending = pending[whole:]
                with self._acks:
                    self.acked += count
                    self._acks.notify_all()

    def publish(self, topic: str, payload: bytes | str, qos: int = 1) -> None:
        """Queue a QoS 1 PUBLISH (written in chunks of 200; ``flush`` writes the rest). paho's signature."""
        if qos != 1:
            raise ValueError("FastPublisher publishes with QoS 1 only")
        if isinstance(payload, str):
            payload = payload.encode()
        self._next_id = self._next_id % 65535 + 1
        name = topic.encode()
        variable = len(name).to_bytes(2, "big") + name + self._next_id.to_bytes(2, "big")
        self._out.append(b"\x32" + _remaining_length(len(variable) + len(payload)) + variable + payload)
        if len(self._out) >= 200:
            self.flush()

    def flush(self) -> None:
        if not self._out:
            return
        with self._acks:
            while self.sent - self.acked > self.window:
                self._acks.wait(5)
        data, count, self._out = b"".join(self._out), len(self._out), []
        self.sent += count
        self.sock.sendall(data)

    def wait_acked(self, timeout: float) -> bool:
        """Flush, then wait until the broker acknowledged every message published (answers whether it did)."""
        self.flush()
        deadline = time.monotonic() + timeout
        with self._acks:
            while self.acked < self.sent and time.monotonic() < deadline:
                self._acks.wait(0.5)
            return self.acked >= self.sent

    def close(self) -> None:
        self.sock.sendall(b"\xe0\x00")
        self.sock.close()


def _remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)
