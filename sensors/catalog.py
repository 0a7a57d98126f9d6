"""The device types the platform knows and what each measures (reference data, loaded by a migration)."""

from __future__ import annotations

# code -> (name, [(metric key, name, unit, kind, min, max, aliases)])
DEVICE_TYPES: dict[str, tuple[str, list[tuple[str, str, str, str, float | None, float | None, str]]]] = {
    "smart_electricity": (
        "智慧用电",
        [
            ("wire_temp", "线缆温度", "°C", "number", -40.0, 200.0, "WireTemp,temperature,temp"),
            ("current", "电流", "A", "number", 0.0, 630.0, "Current"),
            ("residual_current", "剩余电流", "mA", "number", 0.0, 3000.0, "ResidualCurrent,leakage"),
            ("voltage", "电压", "V", "number", 0.0, 450.0, "Voltage"),
            ("power", "功率", "W", "number", 0.0, 400000.0, "Power"),
        ],
    ),
    "hydrant_pressure": (
        "消火栓水压",
        [("pressure", "水压", "MPa", "number", 0.0, 2.5, "Pressure,WaterPressure")],
    ),
    "water_level": (
        "消防水池 / 屋顶水箱液位",
        [
            ("level", "液位", "m", "number", 0.0, 20.0, "Level,WaterLevel"),
            ("level_pct", "液位百分比", "%", "number", 0.0, 100.0, "LevelPercent"),
        ],
    ),
    "smoke_detector": (
        "烟感",
        [
            ("smoke", "烟雾报警", "", "boolean", 0.0, 1.0, "Smoke,SmokeAlarm"),
            ("battery", "电池电量", "%", "number", 0.0, 100.0, "Battery"),
        ],
    ),
    "fire_exit": (
        "消防通道占用监测",
        [("obstructed", "通道占用", "", "boolean", 0.0, 1.0, "Obstructed,Blocked")],
    ),
    "door_controller": (
        "智能门禁",
        [
            ("door_open", "门状态", "", "boolean", 0.0, 1.0, "DoorOpen"),
            ("entries", "通行人次", "次", "number", 0.0, 10000.0, "Entries"),
        ],
    ),
    "radar": (
        "毫米波雷达",
        [
            ("presence", "有人", "", "boolean", 0.0, 1.0, "Presence"),
            ("people_count", "人数", "人", "number", 0.0, 50.0, "PeopleCount"),
            ("dwell_seconds", "停留时长", "s", "number", 0.0, 86400.0, "DwellTime"),
        ],
    ),
    "elevator": (
        "梯控",
        [
            ("floor", "所在楼层", "层", "number", -5.0, 100.0, "Floor"),
            ("door_open", "梯门状态", "", "boolean", 0.0, 1.0, "DoorOpen"),
        ],
    ),
}


def load_catalog(device_type_model, metric_model) -> None:
    """Create or update the device types and metrics above (models passed in so migrations can use it)."""
    for code, (name, metrics) in DEVICE_TYPES.items():
        device_type, _ = device_type_model.objects.update_or_create(code=code, defaults={"name": name})
        for key, metric_name, unit, kind, low, high, aliases in metrics:
            metric_model.objects.update_or_create(
                device_type=device_type,
                key=key,
                defaults={
                    "name": metric_name,
                    "unit": unit,
                    "kind": kind,
                    "min_value": low,
                    "max_value": high,
                    "aliases": aliases,
                },
            )
