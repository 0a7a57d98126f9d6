"""Default alarm rules and escalation chains, from the standards in docs (GB 14287, GB 50116, GB 50974).

Loaded by a data migration (models passed in, so the migration keeps working when models change).
Figures marked *(check)* in DOMAIN.md are defaults the street may change per block or device in the admin.
"""

from __future__ import annotations

# code: (device type, name, severity, duration s, reopen after s, combine, [(metric, kind, threshold,
#        threshold_high, clear, clear_high)], basis)
RULES: dict[str, tuple] = {
    "residual_current_high": (
        "smart_electricity",
        "剩余电流超限",
        "major",
        0,
        300,
        "all",
        [("residual_current", "above", 300.0, None, 250.0, None)],
        "GB 14287 / GB 50116: 剩余电流报警设定值 300–500 mA; 正常泄漏 100–200 mA",
    ),
    "wire_temp_warning": (
        "smart_electricity",
        "线缆温度偏高",
        "warning",
        30,
        300,
        "all",
        [("wire_temp", "above", 70.0, None, 65.0, None)],
        "线缆温度报警设定 55–140 °C (待核实): 70 °C 预警, 回落到 65 °C 恢复",
    ),
    "wire_temp_critical": (
        "smart_electricity",
        "线缆温度过高",
        "critical",
        0,
        120,
        "all",
        [("wire_temp", "above", 90.0, None, 80.0, None)],
        "线缆温度报警设定 55–140 °C (待核实): 90 °C 紧急, 回落到 80 °C 恢复",
    ),
    "wire_temp_rising": (
        "smart_electricity",
        "线缆温度快速上升",
        "major",
        0,
        300,
        "all",
        [("wire_temp", "rise_rate", 10.0, None, 5.0, None)],
        "每分钟升温超过 10 °C: 私拉电线充电等过载的早期征兆",
    ),
    "overload_hot": (
        "smart_electricity",
        "过载且线缆发热",
        "major",
        10,
        300,
        "all",
        [("current", "above", 32.0, None, 28.0, None), ("wire_temp", "above", 60.0, None, 55.0, None)],
        "电流超过 32 A 且线缆温度超过 60 °C 同时出现",
    ),
    "electricity_offline": (
        "smart_electricity",
        "智慧用电设备离线",
        "minor",
        0,
        600,
        "all",
        [(None, "offline", None, None, None, None)],
        "设备离线后无法监测; 连续多个上报周期无数据即离线",
    ),
    "hydrant_pressure_low": (
        "hydrant_pressure",
        "消火栓水压不足",
        "major",
        60,
        600,
        "all",
        [("pressure", "below", 0.25, None, 0.27, None)],
        "GB 50974: 消火栓栓口动压不应小于 0.25 MPa (高层、厂房、仓库 0.35 MPa, 可按公寓覆盖)",
    ),
    "static_pressure_low": (
        "hydrant_pressure",
        "最不利点静压不足",
        "critical",
        30,
        600,
        "all",
        [("pressure", "below", 0.07, None, 0.08, None)],
        "GB 50974: 高位消防水箱最不利点静压不应低于 0.07 MPa (高层住宅)",
    ),
    "hydrant_pressure_high": (
        "hydrant_pressure",
        "消火栓水压过高",
        "minor",
        60,
        600,
        "all",
        [("pressure", "above", 0.70, None, 0.65, None)],
        "GB 50974: 栓口动压大于 0.70 MPa 应设减压",
    ),
    "tank_level_low": (
        "water_level",
        "消防水池 / 水箱低液位",
        "major",
        60,
        600,
        "all",
        [("level_pct", "below", 30.0, None, 35.0, None)],
        "消防水池、水箱应设低液位报警",
    ),
    "tank_level_high": (
        "water_level",
        "消防水池 / 水箱高液位",
        "warning",
        60,
        600,
        "all",
        [("level_pct", "above", 98.0, None, 95.0, None)],
        "消防水池、水箱应设高液位报警 (溢流)",
    ),
    "smoke": (
        "smoke_detector",
        "烟感报警",
        "critical",
        0,
        0,
        "all",
        [("smoke", "is_true", None, None, None, None)],
        "烟感报警一律按紧急处理",
    ),
    "smoke_battery_low": (
        "smoke_detector",
        "烟感电量低",
        "warning",
        0,
        3600,
        "all",
        [("battery", "below", 20.0, None, 25.0, None)],
        "电池低于 20% 需更换",
    ),
    "fire_exit_blocked": (
        "fire_exit",
        "消防通道占用",
        "major",
        60,
        300,
        "all",
        [("obstructed", "is_true", None, None, None, None)],
        "疏散通道被占用持续 60 秒",
    ),
    # Raised by residents' suspicious_movement signal (radar / door / elevator evidence), not by readings.
    "movement_loitering": ("radar", "夜间可疑徘徊", "minor", 0, 600, "all", [], "毫米波雷达: 夜间长时间停留"),
    "movement_tailgating": ("door_controller", "尾随进入", "minor", 0, 300, "all", [], "一次开门多人进入"),
    "movement_wrong_floor": ("elevator", "异常楼层停靠", "warning", 0, 600, "all", [], "梯控: 前往无权限楼层"),
    "movement_pin_guessing": (
        "door_controller",
        "门禁密码被反复试错",
        "minor",
        0,
        600,
        "all",
        [],
        "门禁: 密码连续错误, 已锁定",
    ),
}

# Rules that watch one hazard at rising levels: on one device they share one alarm, whose severity climbs with
# the worst rule that fired (an overheating wire is one incident, not a rising, a warning and a critical alarm).
INCIDENTS: dict[str, str] = {
    "wire_temp_rising": "wire_overheat",
    "wire_temp_warning": "wire_overheat",
    "wire_temp_critical": "wire_overheat",
    "hydrant_pressure_low": "pressure_low",
    "static_pressure_low": "pressure_low",
}

# severity: [(delay s, target, contact group, [channels])]
ESCALATION: dict[str, list[tuple]] = {
    "critical": [
        (0, "fire_safety_person", "", ["sms", "voice", "dingtalk"]),
        (0, "station_operators", "", ["sms", "ding"]),
        (0, "wecom_group", "", ["wecom"]),
        (60, "station_duty_phone", "", ["voice"]),
        (180, "contact_group", "street_duty", ["voice", "sms"]),
        (180, "grid_workers", "", ["sms", "ding"]),
    ],
    "major": [
        (0, "fire_safety_person", "", ["sms", "dingtalk"]),
        (120, "station_operators", "", ["sms", "ding"]),
        (600, "grid_workers", "", ["sms"]),
    ],
    "minor": [
        (0, "fire_safety_person", "", ["dingtalk"]),
        (1800, "grid_workers", "", ["dingtalk"]),
    ],
    "warning": [(0, "fire_safety_person", "", ["dingtalk"])],
}


def set_incidents(rule_model) -> None:
    """Group the default rules of one hazard into one incident where the street has not chosen otherwise."""
    for code, incident in INCIDENTS.items():
        rule_model.objects.filter(code=code, apartment__isnull=True, device__isnull=True, incident="").update(
            incident=incident
        )


def load_defaults(device_type_model, rule_model, condition_model, step_model) -> None:
    """Create the default rules and chains that do not exist yet (never overwrites the street's edits)."""
    types = {t.code: t for t in device_type_model.objects.all()}
    has_incident = any(f.name == "incident" for f in rule_model._meta.get_fields())  # not in older migrations
    for code, (type_code, name, severity, duration, reopen, combine, conditions, basis) in RULES.items():
        device_type = types.get(type_code)
        if device_type is None:
            continue
        rule, created = rule_model.objects.get_or_create(
            code=code,
            device_type=device_type,
            apartment=None,
            device=None,
            defaults={
                "name": name,
                "severity": severity,
                "duration_seconds": duration,
                "reopen_after_seconds": reopen,
                "combine": combine,
                "description": basis,
                **({"incident": INCIDENTS.get(code, "")} if has_incident else {}),
            },
        )
        if created:
            for metric, kind, threshold, high, clear, clear_high in conditions:
                condition_model.objects.create(
                    rule=rule,
                    metric=metric or "",
                    kind=kind,
                    threshold=threshold,
                    threshold_high=high,
                    clear_level=clear,
                    clear_level_high=clear_high,
                )
    if not step_model.objects.exists():
        for severity, steps in ESCALATION.items():
            for order, (delay, target, group, channels) in enumerate(steps):
                step_model.objects.create(
                    severity=severity,
                    order=order,
                    delay_seconds=delay,
                    target=target,
                    contact_group=group,
                    channels=channels,
                )
