"""A block's risk score (0–100) with the reasons a street leader can act on, and its state on the plan.

Points per factor, each capped so that one noisy source cannot hide the others:

=============================  ==============================  =====
factor                         points                          cap
=============================  ==============================  =====
alarms not yet handled         12 each                         36
alarms in the last 7 days      4 each (critical kinds: 8)      24
hazards overdue for repair     8 each                          24
hazards open                   3 each                          12
residents not registered       1 per 2 % of residents          15
devices offline                1 per 5 % of devices            10
patrol coverage this week      (1 − coverage) × 10             10
open feedback                  1 each                          3
=============================  ==============================  =====
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from cockpit.models import BlockState

# Alarm kinds that count double and flash the plan; alerts' kind codes, plus plain Chinese labels.
CRITICAL_KINDS = frozenset({"fire", "smoke", "wire_temp", "residual_current", "fire_alarm"})

KIND_LABELS = {
    "wire_temp": "线缆温度",
    "residual_current": "剩余电流",
    "current": "电流",
    "voltage": "电压",
    "smoke": "烟感",
    "fire": "火警",
    "fire_alarm": "火警",
    "pressure": "消火栓水压",
    "hydrant_pressure": "消火栓水压",
    "level": "水箱液位",
    "level_pct": "水箱液位",
    "water_level": "水箱液位",
    "obstructed": "消防通道占用",
    "fire_exit": "消防通道占用",
    "offline": "设备离线",
    "device_offline": "设备离线",
    "battery": "电池电量低",
}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


@dataclass
class RiskInputs:
    """What the score looks at; ``None`` means that source has not landed and counts nothing."""

    residents: int = 0
    registered: int | None = None
    devices: int = 0
    devices_online: int = 0
    alarms_open: int | None = None
    alarm_kinds_week: dict[str, int] = field(default_factory=dict)
    hazards_open: int | None = None
    hazards_overdue: int | None = None
    patrol_coverage: float | None = None
    feedback_open: int | None = None


@dataclass
class Risk:
    score: int
    reasons: list[str]


def score(inputs: RiskInputs) -> Risk:
    """The block's score and its reasons, the heaviest first."""
    parts: list[tuple[float, str]] = []

    def add(points: float, cap: float, reason: str) -> None:
        points = min(points, cap)
        if points > 0:
            parts.append((points, reason))

    if inputs.alarms_open:
        add(12 * inputs.alarms_open, 36, f"{inputs.alarms_open}起报警尚未处置")
    week_points = 0.0
    week_reasons = []
    for kind, n in sorted(inputs.alarm_kinds_week.items(), key=lambda kv: (-kv[1], kv[0])):
        if n <= 0:
            continue
        week_points += n * (8 if kind in CRITICAL_KINDS else 4)
        week_reasons.append(f"本周{n}次{kind_label(kind)}报警")
    if week_reasons:
        add(week_points, 24, "，".join(week_reasons))
    if inputs.hazards_overdue:
        add(8 * inputs.hazards_overdue, 24, f"{inputs.hazards_overdue}项隐患逾期未整改")
    open_not_overdue = (inputs.hazards_open or 0) - (inputs.hazards_overdue or 0)
    if open_not_overdue > 0:
        add(3 * open_not_overdue, 12, f"{open_not_overdue}项隐患整改中")
    if inputs.registered is not None and inputs.residents:
        gaps = max(inputs.residents - inputs.registered, 0)
        if gaps:
            add(50 * gaps / inputs.residents, 15, f"{gaps}名住户未登记")
    offline = max(inputs.devices - inputs.devices_online, 0)
    if offline and inputs.devices:
        add(20 * offline / inputs.devices, 10, f"{offline}台设备离线")
    if inputs.patrol_coverage is not None and inputs.patrol_coverage < 1:
        add(10 * (1 - inputs.patrol_coverage), 10, f"本周巡查覆盖率{inputs.patrol_coverage:.0%}")
    if inputs.feedback_open:
        add(inputs.feedback_open, 3, f"{inputs.feedback_open}条诉求待回复")
    parts.sort(key=lambda p: -p[0])
    return Risk(score=min(round(sum(p for p, _ in parts)), 100), reasons=[r for _, r in parts])


def state(inputs: RiskInputs, *, critical_open: int | None) -> str:
    """The block's colour on the plan: alarm, warning, devices offline or normal."""
    if critical_open:
        return BlockState.ALARM
    if inputs.alarms_open or inputs.hazards_overdue:
        return BlockState.WARNING
    offline = max(inputs.devices - inputs.devices_online, 0)
    if inputs.devices and offline / inputs.devices > settings.COCKPIT_OFFLINE_SHARE:
        return BlockState.OFFLINE
    return BlockState.NORMAL
