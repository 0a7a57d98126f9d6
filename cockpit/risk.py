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
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from cockpit.models import BlockState

if TYPE_CHECKING:
    from cockpit.models import BlockFigures

# Alarm kinds that count double and flash the plan; alerts' kind codes, plus plain labels.
CRITICAL_KINDS = frozenset({"fire", "smoke", "wire_temp", "residual_current", "fire_alarm"})

KIND_LABELS = {
    "wire_temp": gettext_lazy("线缆温度"),
    "residual_current": gettext_lazy("剩余电流"),
    "current": gettext_lazy("电流"),
    "voltage": gettext_lazy("电压"),
    "smoke": gettext_lazy("烟感"),
    "fire": gettext_lazy("火警"),
    "fire_alarm": gettext_lazy("火警"),
    "pressure": gettext_lazy("消火栓水压"),
    "hydrant_pressure": gettext_lazy("消火栓水压"),
    "level": gettext_lazy("水箱液位"),
    "level_pct": gettext_lazy("水箱液位"),
    "water_level": gettext_lazy("水箱液位"),
    "obstructed": gettext_lazy("消防通道占用"),
    "fire_exit": gettext_lazy("消防通道占用"),
    "offline": gettext_lazy("设备离线"),
    "device_offline": gettext_lazy("设备离线"),
    "battery": gettext_lazy("电池电量低"),
}


def kind_label(kind: str) -> str:
    """The alarm kind in the active language (an unknown kind shows its code)."""
    return str(KIND_LABELS.get(kind, kind))


def list_separator() -> str:
    """What joins reasons in the active language (a Chinese comma, or "; ")."""
    return pgettext("between reasons", "，")


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
    """The block's score and its reasons (in the active language), the heaviest first."""
    parts: list[tuple[float, str]] = []

    def add(points: float, cap: float, reason: str) -> None:
        points = min(points, cap)
        if points > 0:
            parts.append((points, reason))

    if inputs.alarms_open:
        n = inputs.alarms_open
        add(12 * n, 36, ngettext("%(n)d起报警尚未处置", "%(n)d起报警尚未处置", n) % {"n": n})
    week_points = 0.0
    week_reasons = []
    for kind, n in sorted(inputs.alarm_kinds_week.items(), key=lambda kv: (-kv[1], kv[0])):
        if n <= 0:
            continue
        week_points += n * (8 if kind in CRITICAL_KINDS else 4)
        week_reasons.append(
            ngettext("本周%(n)d次%(kind)s报警", "本周%(n)d次%(kind)s报警", n) % {"n": n, "kind": kind_label(kind)}
        )
    if week_reasons:
        add(week_points, 24, list_separator().join(week_reasons))
    if inputs.hazards_overdue:
        n = inputs.hazards_overdue
        add(8 * n, 24, ngettext("%(n)d项隐患逾期未整改", "%(n)d项隐患逾期未整改", n) % {"n": n})
    open_not_overdue = (inputs.hazards_open or 0) - (inputs.hazards_overdue or 0)
    if open_not_overdue > 0:
        n = open_not_overdue
        add(3 * n, 12, ngettext("%(n)d项隐患整改中", "%(n)d项隐患整改中", n) % {"n": n})
    if inputs.registered is not None and inputs.residents:
        gaps = max(inputs.residents - inputs.registered, 0)
        if gaps:
            add(
                50 * gaps / inputs.residents, 15, ngettext("%(n)d名住户未登记", "%(n)d名住户未登记", gaps) % {"n": gaps}
            )
    offline = max(inputs.devices - inputs.devices_online, 0)
    if offline and inputs.devices:
        add(20 * offline / inputs.devices, 10, ngettext("%(n)d台设备离线", "%(n)d台设备离线", offline) % {"n": offline})
    if inputs.patrol_coverage is not None and inputs.patrol_coverage < 1:
        share = f"{inputs.patrol_coverage:.0%}"
        add(10 * (1 - inputs.patrol_coverage), 10, _("本周巡查覆盖率%(share)s") % {"share": share})
    if inputs.feedback_open:
        n = inputs.feedback_open
        add(n, 3, ngettext("%(n)d条诉求待回复", "%(n)d条诉求待回复", n) % {"n": n})
    parts.sort(key=lambda p: -p[0])
    return Risk(score=min(round(sum(p for p, _ in parts)), 100), reasons=[r for _, r in parts])


def inputs_of(figures: BlockFigures) -> RiskInputs:
    """What the score of a block's stored figures looked at."""
    return RiskInputs(
        residents=figures.residents,
        registered=figures.registered,
        devices=figures.devices,
        devices_online=figures.devices_online,
        alarms_open=figures.alarms_open,
        alarm_kinds_week=dict(figures.alarm_kinds_week or {}),
        hazards_open=figures.hazards_open,
        hazards_overdue=figures.hazards_overdue,
        patrol_coverage=figures.patrol_coverage,
        feedback_open=figures.feedback_open,
    )


def reasons_of(figures: BlockFigures) -> list[str]:
    """The stored block's reasons in the active language (stored ones are in the language of the refresh)."""
    return score(inputs_of(figures)).reasons


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
