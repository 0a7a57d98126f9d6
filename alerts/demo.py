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


def seed(rng: random.Random, today: date) -> None:
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
    _past_alarms(rng, today)


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


def _past_alarms(rng: random.Random, today: date) -> None:
    """Closed alarms of the last week, so the cockpit's figures and the admin history are not empty."""
    if Alert.objects.exists():
        return
    electricity = list(Device.objects.filter(device_type__code="smart_electricity").select_related("apartment")[:40])
    rule = AlertRule.objects.filter(code="wire_temp_critical", apartment=None, device=None).first()
    if not electricity or rule is None:
        return
    tz = timezone.get_current_timezone()
    dispositions = ["real_hazard", "false_alarm", "device_fault", "false_alarm"]
    for n in range(12):
        device = rng.choice(electricity)
        day = today - timedelta(days=rng.randint(1, 7))
        raised = datetime.combine(day, time(rng.randint(18, 23), rng.randint(0, 59)), tzinfo=tz)
        acked = raised + timedelta(seconds=rng.randint(20, 240))
        closed = acked + timedelta(minutes=rng.randint(5, 60))
        value = round(rng.uniform(91, 118), 1)
        alert = Alert.objects.create(
            rule=rule, device=device, apartment=device.apartment, severity=rule.severity, title=rule.name,
            status="closed", raised_at=raised, last_triggered_at=raised, metric="wire_temp", unit="°C",
            first_value=value, last_value=value, peak_value=value, cleared_at=acked, acknowledged_at=acked,
            acknowledged_via=rng.choice(["phone", "station"]), closed_at=closed, disposition=dispositions[n % 4],
        )  # fmt: skip
        events = [
            AlertEvent(alert=alert, kind="raised", at=raised),
            AlertEvent(alert=alert, kind="acknowledged", at=acked, end=alert.acknowledged_via),
            AlertEvent(alert=alert, kind="closed", at=closed, end=alert.acknowledged_via, note="演示数据"),
        ]
        AlertEvent.objects.bulk_create(events)
        Alert.objects.filter(pk=alert.pk).update(version=max(e.pk or 0 for e in events))
