from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from alerts.rules import forget_process_state, rule_cache
from sensors.factories import DeviceFactory
from sensors.models import Device, DeviceType
from sensors.types import Point

T0 = datetime(2026, 3, 2, 21, 0, 0, tzinfo=timezone.get_fixed_timezone(480))


@dataclass
class Block:
    district: object
    electricity: Device
    hydrant: Device
    smoke: Device
    exit: Device

    def at(self, seconds: float) -> datetime:
        return T0 + timedelta(seconds=seconds)

    def point(self, device: Device, metric: str, value: float, seconds: float) -> Point:
        return Point(device.id, metric, self.at(seconds), float(value))


@pytest.fixture(autouse=True)
def _fresh_rules():
    forget_process_state()
    yield
    forget_process_state()


def load_reference_data() -> None:
    """Device catalog and default rules come from data migrations, which transactional tests flush."""
    from alerts.defaults import load_defaults
    from alerts.models import AlertRule, EscalationStep, RuleCondition
    from sensors.catalog import load_catalog
    from sensors.models import Metric

    load_catalog(DeviceType, Metric)
    load_defaults(DeviceType, AlertRule, RuleCondition, EscalationStep)
    rule_cache.invalidate()


@pytest.fixture
def block(district) -> Block:
    """The scoped test block with one device of each alarm-bearing kind; people with phones and DingTalk."""
    load_reference_data()
    apartment = district.mine
    for role, phone in [(Role.FIRE_SAFETY_PERSON, "13800000001"), (Role.STATION_OPERATOR, "13800000002"),
                        (Role.GRID_WORKER, "13800000003")]:  # fmt: skip
        user = district.users[role]
        user.phone = phone
        user.display_name = {"fire_safety_person": "王责任", "station_operator": "李值班", "grid_worker": "赵网格"}[
            role
        ]
        user.save()
    station = apartment.micro_fire_station
    station.duty_phone = "057188880119"
    station.save()

    def device(code: str, key: str, floor: int = 1, location: str = "") -> Device:
        return DeviceFactory(
            key=key, device_type=DeviceType.objects.get(code=code), apartment=apartment, floor=floor, location=location
        )

    return Block(
        district=district,
        electricity=device("smart_electricity", "elec-6-3", 3, "3层 302 室配电箱"),
        hydrant=device("hydrant_pressure", "hyd-6-1", 1, "1层消火栓"),
        smoke=device("smoke_detector", "smoke-6-2", 2, "2层走廊"),
        exit=device("fire_exit", "exit-6-1", 1, "1层东侧疏散通道"),
    )
