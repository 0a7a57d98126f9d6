"""A simulated district: every seeded device reports realistic values, scenarios make things go wrong,
and devices answer downlink commands (a tripped circuit's current drops to zero, its wire cools).

Transports: MQTT (native JSON on ``shijiao/<key>/telemetry``, commands on ``shijiao/+/command``) or
in-process (straight into ``ingest_messages``; commands through ``sensors.mqtt`` local listeners).
"""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from sensors.models import Device
from sensors.types import Point

log = logging.getLogger(__name__)

FLAGSHIP = "sq006"  # 新华工业园6号公寓, where the article's e-bike wire overheated

# scenario -> (device key suffix in the flagship block, what happens)
SCENARIOS: dict[str, tuple[str, str]] = {
    "ebike-overheat": ("elec-ebike", "6号公寓电瓶车充电线缆温度两分钟内从 35 °C 升到 90 °C"),
    "low-water-pressure": ("hydrant-top", "6号公寓顶层消火栓水压一分钟内从 0.32 MPa 降到 0.12 MPa"),
    "roof-tank-low": ("roof-tank", "6号公寓屋顶水箱液位一分半内从 90 % 降到 11 %"),
    "fire-exit-blocked": ("exit-1", "6号公寓一楼安全出口 10 秒后被堵塞"),
    "device-offline": ("smoke-3", "6号公寓 3 层烟感停止上报 (3 个周期后离线)"),
    "smoke": ("smoke-2", "6号公寓 2 层烟感 10 秒后报警"),
}
SCENARIO_INTERVAL = 5.0  # devices in a scenario report every 5 s so the story is visible


@dataclass
class SimDevice:
    id: int
    key: str
    type_code: str
    interval: float
    floors: int
    next_at: float = 0.0
    state: dict = field(default_factory=dict)


def load_devices(apartment_codes: Iterable[str] | None = None) -> list[SimDevice]:
    qs = Device.objects.filter(is_enabled=True).select_related("device_type", "apartment")
    if apartment_codes:
        qs = qs.filter(apartment__code__in=list(apartment_codes))
    return [
        SimDevice(d.pk, d.key, d.device_type.code, float(d.reporting_interval), d.apartment.floors)
        for d in qs.order_by("pk")
    ]


class Simulator:
    def __init__(
        self,
        devices: list[SimDevice],
        *,
        send: Callable[[list[tuple[str, bytes]]], None],
        scenarios: Iterable[str] = (),
        rate: float | None = None,
        seed: int = 6,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        unknown = set(scenarios) - set(SCENARIOS)
        if unknown:
            raise ValueError(f"unknown scenario(s): {', '.join(sorted(unknown))}; choose from {', '.join(SCENARIOS)}")
        self.devices = devices
        self.send = send
        self.scenarios = set(scenarios)
        self.rng = random.Random(seed)
        self.clock = clock
        self.started = clock()
        self.sent = 0
        self._replies: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self.by_key = {d.key: d for d in devices}
        self.actors = {f"{FLAGSHIP}-{SCENARIOS[s][0]}": s for s in self.scenarios}
        spread = len(devices) / rate if rate else None
        for device in devices:
            if spread:
                device.interval = spread
            if device.key in self.actors:
                device.interval = min(device.interval, SCENARIO_INTERVAL)
            device.next_at = self.started + self.rng.uniform(0, device.interval)  # devices are not in step

    # --- one step ---------------------------------------------------------------------------

    def step(self) -> int:
        """Send what is due now (readings and answers to commands); answer how many messages."""
        now = self.clock()
        wall = time.time()
        out: list[tuple[str, bytes]] = []
        with self._lock:
            out.extend(self._replies)
            self._replies.clear()
        for device in self.devices:
            if device.next_at > now:
                continue
            device.next_at = max(device.next_at + device.interval, now - device.interval)
            if self.actors.get(device.key) == "device-offline" and now - self.started > SCENARIO_INTERVAL:
                continue
            values = self.values(device, now - self.started)
            body = {"ts": int(wall * 1000), "values": values}
            out.append((f"shijiao/{device.key}/telemetry", json.dumps(body, separators=(",", ":")).encode()))
        if out:
            self.send(out)
            self.sent += len(out)
        return len(out)

    def run(self, stop: threading.Event, duration: float | None = None, tick: float = 0.1) -> None:
        end = None if duration is None else self.clock() + duration
        while not stop.is_set() and (end is None or self.clock() < end):
            try:
                self.step()
            except Exception:
                log.exception("simulator step failed")
            stop.wait(tick)

    # --- values -----------------------------------------------------------------------------

    def values(self, device: SimDevice, elapsed: float) -> dict:
        rng, state = self.rng, device.state
        scenario = self.actors.get(device.key)
        code = device.type_code
        if code == "smart_electricity":
            if state.get("tripped"):
                temp = state.get("temp", 35.0)
                state["temp"] = max(28.0, temp - 0.15 * (temp - 28.0))
                return {"wire_temp": round(state["temp"], 1), "current": 0.0, "power": 0.0, "voltage": 0.0}
            if scenario == "ebike-overheat":
                progress = min(1.0, elapsed / 120.0)
                temp = 35.0 + 55.0 * progress + rng.uniform(-0.3, 0.3)
                current = 8.0 + 20.0 * progress
            else:
                temp = 32.0 + 4.0 * math.sin(elapsed / 600 + device.id) + rng.uniform(-0.5, 0.5)
                current = max(0.5, 6.0 + 4.0 * math.sin(elapsed / 300 + device.id) + rng.uniform(-0.5, 0.5))
            state["temp"] = temp
            voltage = 220.0 + rng.uniform(-4, 4)
            return {
                "wire_temp": round(temp, 1),
                "current": round(current, 2),
                "residual_current": round(120 + rng.uniform(-30, 40), 1),
                "voltage": round(voltage, 1),
                "power": round(voltage * current * 0.92, 1),
            }
        if code == "hydrant_pressure":
            # A healthy system: ≥ 0.35 MPa even at the worst (top) outlet, ≤ 0.50 MPa at the bottom (GB 50974).
            base = 0.38 if device.key.endswith("top") else 0.45
            if scenario == "low-water-pressure":
                base = 0.38 - 0.26 * min(1.0, elapsed / 60.0)
            return {"pressure": round(base + rng.uniform(-0.005, 0.005), 3)}
        if code == "water_level":
            pct = 90.0 if device.key.endswith("roof-tank") else 92.0
            if scenario == "roof-tank-low":
                pct = 90.0 - 79.0 * min(1.0, elapsed / 90.0)
            pct += rng.uniform(-0.4, 0.4)
            full = 3.5 if device.key.endswith("roof-tank") else 5.0
            return {"level": round(full * pct / 100, 2), "level_pct": round(pct, 1)}
        if code == "smoke_detector":
            # Silencing mutes the sounder; the detector still reports smoke while there is smoke.
            battery = state.setdefault("battery", rng.uniform(70, 100))
            return {"smoke": scenario == "smoke" and elapsed > 10, "battery": round(battery)}
        if code == "fire_exit":
            return {"obstructed": scenario == "fire-exit-blocked" and elapsed > 10}
        if code == "door_controller":
            state["entries"] = state.get("entries", 0) + rng.randint(0, 3)
            opened = not state.get("locked", False) and (state.get("released") or rng.random() < 0.2)
            return {"door_open": bool(opened), "entries": state["entries"] % 10000}
        if code == "radar":
            people = rng.choice([0, 0, 0, 1, 1, 2, 3])
            return {"presence": people > 0, "people_count": people, "dwell_seconds": rng.randint(0, 120) * (people > 0)}
        if code == "elevator":
            floor = 1 if state.get("grounded") else rng.randint(1, max(1, device.floors))
            return {"floor": floor, "door_open": rng.random() < 0.3}
        return {}

    # --- commands ---------------------------------------------------------------------------

    def on_command(self, topic: str, payload: bytes) -> None:
        """A command for one of our devices: act on it and queue the answer for the next step."""
        parts = topic.split("/")
        if len(parts) != 3 or parts[0] != "shijiao" or parts[2] != "command":
            return
        device = self.by_key.get(parts[1])
        if device is None:
            return
        try:
            body = json.loads(payload)
            command_id, method = str(body["id"]), body["method"]
        except (ValueError, KeyError, TypeError):
            return
        ok, message = self._apply(device, method)
        reply = {"id": command_id, "ok": ok, "message": message}
        with self._lock:
            self._replies.append(
                (f"shijiao/{device.key}/command/result", json.dumps(reply, ensure_ascii=False).encode())
            )

    @staticmethod
    def _apply(device: SimDevice, method: str) -> tuple[bool, str]:
        state = device.state
        effects = {
            "trip": ("tripped", True, "已分闸断电"),
            "restore": ("tripped", False, "已合闸恢复供电"),
            "unlock": ("locked", False, "门已打开"),
            "lock": ("locked", True, "门已锁闭"),
            "release_exits": ("released", True, "疏散门已全部释放"),
            "elevator_ground": ("grounded", True, "电梯已迫降首层"),
            "silence": ("silenced", True, "已消音"),
        }
        if method not in effects:
            return False, f"不支持的指令 {method}"
        key, value, message = effects[method]
        state[key] = value
        return True, message


def history(
    devices: list[SimDevice], *, days: int, step_seconds: int, seed: int = 6, chunk: int = 50_000
) -> Iterable[list[Point]]:
    """Readings for the last ``days`` at one per ``step_seconds`` per device, in chunks, oldest first."""
    sim = Simulator(devices, send=lambda _msgs: None, seed=seed)
    end = timezone.now().replace(second=0, microsecond=0)
    start = end - timedelta(days=days)
    out: list[Point] = []
    at: datetime = start
    while at < end:
        elapsed = (at - start).total_seconds() + 3600.0  # keep scenario ramps out of history
        for device in devices:
            for metric, value in sim.values(device, elapsed).items():
                out.append(Point(device.id, metric, at, float(value)))
        if len(out) >= chunk:
            yield out
            out = []
        at += timedelta(seconds=step_seconds)
    if out:
        yield out
