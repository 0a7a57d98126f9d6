"""Demo data for the alarms: default rules (again, after a reset), response plans, cameras, duty contacts,
a stricter hydrant rule for the high-rise blocks, and a few alarms of the past days with their outcome."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from alerts.defaults import load_defaults
from alerts.models import (
    Alert,
    AlertEvent,
    AlertRule,
    Camera,
    Contact,
    EscalationStep,
    PlanDeviceAction,
    PlanParticipant,
    ResponsePlan,
    RuleCondition,
)
from apartments.models import Apartment
from sensors.demo import DEMO_DEVICE_KEY
from sensors.models import Device, DeviceType

PLANS = [
    ("电气火灾隐患处置", "electrical", ["voice", "sms", "ding", "video"],
     ["fire_safety_person", "grid_workers", "station_operators", "contact_group:police"],
     [("smart_electricity", "trip", "on_confirm", True)]),
    ("火警疏散联动", "fire", ["voice", "sms", "ding", "video"],
     ["fire_safety_person", "station_operators", "station_duty_phone", "grid_workers", "contact_group:street_duty",
      "contact_group:police"],
     [("door_controller", "release_exits", "at_once", False), ("elevator", "elevator_ground", "at_once", False)]),
    ("治安防范协查", "public_order", ["sms", "ding"],
     ["grid_workers", "property_managers", "contact_group:police"], []),
    ("疫情防控排查", "epidemic", ["sms", "dingtalk"],
     ["grid_workers", "property_managers", "contact_group:health"], []),
    ("垃圾分类督导", "garbage", ["dingtalk"], ["grid_workers", "property_managers"], []),
    ("人员信息核查", "personnel", ["sms", "ding"], ["grid_workers", "property_managers", "contact_group:police"], []),
]  # fmt: skip

CONTACTS = [
    ("街道值班领导 周建国", "street_duty", "13900001001"),
    ("石桥派出所 值班室", "police", "057185001110"),
    ("石桥街道社区卫生服务中心", "health", "057185001120"),
]


def seed(rng: random.Random, today: date, progress=lambda _m: None, history_days: int = 2) -> None:
    load_defaults(DeviceType, AlertRule, RuleCondition, EscalationStep)
    for name, group, phone in CONTACTS:
        Contact.objects.get_or_create(name=name, group=group, defaults={"phone": phone})
    types = {t.code: t for t in DeviceType.objects.all()}
    for name, category, channels, targets, actions in PLANS:
        plan, created = ResponsePlan.objects.get_or_create(name=name, defaults={"category": category,
                                                                                 "channels": channels})  # fmt: skip
        if not created:
            continue
        for target in targets:
            target, _, group = target.partition(":")
            PlanParticipant.objects.create(plan=plan, target=target, contact_group=group)
        for type_code, action, when, only_alarm in actions:
            PlanDeviceAction.objects.create(plan=plan, device_type=types[type_code], action=action, when=when,
                                            only_alarm_device=only_alarm)  # fmt: skip
    apartments = list(Apartment.objects.order_by("code"))
    cameras = []
    for apartment in apartments:
        if Camera.objects.filter(apartment=apartment).exists():
            continue
        gb_base = f"3301050000132{apartment.pk:07d}"[:17]
        for i, floor in enumerate(sorted({1, max(1, apartment.floors // 2), apartment.floors})):
            cameras.append(Camera(
                apartment=apartment, name=f"{floor}层走廊", floor=floor, location=f"{floor}层楼梯口",
                stream_url=f"https://video.shiqiao.example.invalid/live/{apartment.code}-{floor}.m3u8",
                gb28181_id=f"{gb_base}{i:03d}",
            ))  # fmt: skip
    Camera.objects.bulk_create(cameras)
    _high_rise_override(apartments, types)
    _past_alarms(rng, today, history_days)
    progress(f"{Alert.objects.count()} alarms of {history_days} days")


def _high_rise_override(apartments: list[Apartment], types: dict) -> None:
    """GB 50974: high-rise blocks need 0.35 MPa at the hydrant outlet, not 0.25."""
    for apartment in apartments:
        if apartment.floors < 8:
            continue
        rule, created = AlertRule.objects.get_or_create(
            code="hydrant_pressure_low", device_type=types["hydrant_pressure"], apartment=apartment, device=None,
            defaults={"name": "消火栓水压不足 (高层 0.35 MPa)", "severity": "major", "duration_seconds": 60,
                      "description": "GB 50974: 高层建筑消火栓栓口动压不应小于 0.35 MPa"},
        )  # fmt: skip
        if created:
            RuleCondition.objects.create(rule=rule, metric="pressure", kind="below", threshold=0.35, clear_level=0.37)


# (rule code, metric, unit, how often, peak values, when: "evening" | "night" | "any", dispositions)
KINDS = [
    ("wire_temp_warning", "wire_temp", "°C", 30, (71, 86), "evening", ["real_hazard", "false_alarm", "real_hazard"]),
    ("wire_temp_critical", "wire_temp", "°C", 5, (91, 118), "night", ["real_hazard", "real_hazard", "device_fault"]),
    ("residual_current_high", "residual_current", "mA", 14, (310, 520), "any", ["real_hazard", "device_fault"]),
    ("overload_hot", "current", "A", 8, (33, 46), "evening", ["real_hazard", "false_alarm"]),
    ("hydrant_pressure_low", "pressure", "MPa", 8, (0.12, 0.24), "any", ["real_hazard", "device_fault"]),
    ("tank_level_low", "level_pct", "%", 3, (18, 29), "any", ["real_hazard"]),
    ("smoke", "smoke", "", 5, (1, 1), "evening", ["false_alarm", "false_alarm", "real_hazard"]),
    ("smoke_battery_low", "battery", "%", 8, (8, 19), "any", ["device_fault"]),
    ("fire_exit_blocked", "obstructed", "", 12, (1, 1), "any", ["real_hazard", "real_hazard", "false_alarm"]),
    ("electricity_offline", "", "", 3, (0, 0), "any", ["device_fault"]),
]
DEVICE_OF = {"wire_temp": "smart_electricity", "residual_current": "smart_electricity", "current": "smart_electricity",
             "pressure": "hydrant_pressure", "level_pct": "water_level", "smoke": "smoke_detector",
             "battery": "smoke_detector", "obstructed": "fire_exit", "": "smart_electricity"}  # fmt: skip
NOTES = {
    "real_hazard": ["已断电更换老化线缆", "已清理通道堆放杂物", "已劝离楼道内充电的电动车", "已联系维保单位修复"],
    "false_alarm": ["住户做饭油烟触发", "现场核查无异常", "短时负荷波动, 已恢复正常"],
    "device_fault": ["设备故障, 已报修更换", "更换电池后恢复", "网关断电, 已恢复供电"],
}
ALARMS_PER_BLOCK_MONTH = 4.5


def _hour(rng: random.Random, when: str) -> int:
    if when == "evening":
        return rng.choice([18, 19, 20, 21, 22, 23, 7, 12])
    if when == "night":
        return rng.choice([22, 23, 0, 1, 2, 3, 20, 21])
    return rng.randint(0, 23)


def _past_alarms(rng: random.Random, today: date, days: int) -> None:
    """A month of alarms of every kind across the blocks, closed with their outcome; the last day's still open."""
    if Alert.objects.exists():
        return
    tz = timezone.get_current_timezone()
    now = timezone.now() if today == timezone.localdate() else datetime.combine(today, time(9), tzinfo=tz)
    rules = {r.code: r for r in AlertRule.objects.filter(apartment=None, device=None)}
    by_type: dict[str, list[Device]] = {}
    for device in Device.objects.select_related("device_type", "apartment").order_by("pk"):
        if device.key == DEMO_DEVICE_KEY:
            continue  # its first alarm is the one the demo user raises
        by_type.setdefault(device.device_type.code, []).append(device)
    if not by_type or not rules:
        return
    apartments = {a.pk: a for a in Apartment.objects.select_related("micro_fire_station", "fire_safety_person")}
    stations = {a.micro_fire_station for a in apartments.values() if a.micro_fire_station}
    operators = {station.pk: station.operators.first() for station in stations}
    blocks = len(apartments)
    total = max(12, round(blocks * ALARMS_PER_BLOCK_MONTH * days / 30))
    weights = [k[3] for k in KINDS]
    plans = []
    for n in range(total):
        code, metric, unit, _often, (low, high), when, outcomes = rng.choices(KINDS, weights=weights)[0]
        rule = rules.get(code)
        devices = by_type.get(DEVICE_OF[metric])
        if rule is None or not devices:
            continue
        if metric in ("wire_temp", "current") and rng.random() < 0.4:  # the e-bike charging area, over and over
            devices = [d for d in devices if "ebike" in d.key] or devices
        device = rng.choice(devices)
        back = rng.uniform(0, days * 24 * 3600)
        raised = now - timedelta(seconds=back)
        raised = raised.astimezone(tz).replace(hour=_hour(rng, when), minute=rng.randint(0, 59))
        if raised >= now:
            raised -= timedelta(days=1)
        value = round(rng.uniform(low, high), 2 if metric == "pressure" else 1) if metric else None
        plans.append((n, rule, device, raised, metric, unit, value, outcomes))
    plans.sort(key=lambda p: p[3])
    alerts, stories = [], []
    still_open: set[tuple[int, str]] = set()  # one open alarm per device and incident (the alarms' constraint)
    for _n, rule, device, raised, metric, unit, value, outcomes in plans:
        apartment = apartments[device.apartment_id]
        operator = operators.get(apartment.micro_fire_station_id)
        person = apartment.fire_safety_person
        recent = now - raised < timedelta(hours=20)
        status = "closed"
        if recent:
            status = rng.choice(["raised", "acknowledged", "handling", "closed", "closed"])
        via = rng.choice(["phone", "phone", "station", "cockpit"])
        by = person if via == "phone" else operator
        acked = raised + timedelta(seconds=rng.randint(15, 300))
        handling = acked + timedelta(minutes=rng.randint(2, 20))
        closed = handling + timedelta(minutes=rng.randint(10, 180))
        if status == "closed" and closed > now or status != "raised" and acked > now:
            status = "raised"  # nothing happens in the future
        incident = rule.incident or rule.code
        if status != "closed":
            if (device.pk, incident) in still_open:
                continue  # the same hazard again on a device whose alarm is still open: that alarm is it
            still_open.add((device.pk, incident))
        disposition = rng.choice(outcomes)
        alert = Alert(
            rule=rule, device=device, apartment_id=device.apartment_id, incident=incident, severity=rule.severity,
            title=rule.name,
            status=status, raised_at=raised, last_triggered_at=raised, metric=metric, unit=unit,
            first_value=value, last_value=value, peak_value=value,
        )  # fmt: skip
        events = [("raised", raised, None, "system", "")]
        if status != "raised":
            alert.acknowledged_at, alert.acknowledged_by, alert.acknowledged_via = acked, by, via
            alert.cleared_at = acked + timedelta(minutes=rng.randint(1, 30)) if status == "closed" else None
            events.append(("acknowledged", acked, by, via, ""))
        if status in ("handling", "closed"):
            alert.handling_at = handling
            events.append(("handling", handling, by, via, ""))
        if status == "closed":
            alert.closed_at, alert.closed_by, alert.disposition = closed, by, disposition
            events.append(("closed", closed, by, via, rng.choice(NOTES[disposition])))
        alerts.append(alert)
        stories.append(events)
    Alert.objects.bulk_create(alerts, batch_size=1000)
    rows = [
        AlertEvent(alert=alert, kind=kind, at=at, actor=actor, end=end, note=note)
        for alert, events in zip(alerts, stories, strict=True)
        for kind, at, actor, end, note in events
    ]
    AlertEvent.objects.bulk_create(rows, batch_size=2000)
    latest: dict[int, int] = {}
    for event in rows:
        latest[event.alert_id] = max(latest.get(event.alert_id, 0), event.pk)
    for alert in alerts:
        alert.version = latest[alert.pk]
    Alert.objects.bulk_update(alerts, ["version"], batch_size=1000)
    _peaks_in_history(alerts)


def _peaks_in_history(alerts: list[Alert]) -> None:
    """The hour roll-up of an alarm's reading shows its peak (the seeded history is otherwise calm)."""
    from sensors.models import ReadingRollup

    for alert in alerts:
        if alert.peak_value is None or not alert.metric:
            continue
        bucket = alert.raised_at.replace(minute=0, second=0, microsecond=0)
        rows = ReadingRollup.objects.filter(period="hour", device=alert.device_id, metric=alert.metric, bucket=bucket)
        if alert.metric in ("pressure", "level_pct", "battery"):  # alarms on a value too low
            rows.filter(min_value__gt=alert.peak_value).update(min_value=alert.peak_value)
        else:
            rows.filter(max_value__lt=alert.peak_value).update(max_value=alert.peak_value)
