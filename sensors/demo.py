"""Demo devices: what a typical migrant apartment block has installed."""

from __future__ import annotations

import random
from datetime import date

from apartments.models import Apartment
from sensors.catalog import load_catalog
from sensors.models import Device, DeviceType, Metric, hash_token

# Demo devices share one well-known token per block so the simulator can publish; real devices get their own.
DEMO_TOKEN_PREFIX = "demo-token-"


def demo_token(device_key: str) -> str:
    return f"{DEMO_TOKEN_PREFIX}{device_key}"


def seed(rng: random.Random, today: date) -> None:
    load_catalog(DeviceType, Metric)  # a --reset flush empties the reference tables too
    types = {t.code: t for t in DeviceType.objects.all()}
    rows = []
    for apartment in Apartment.objects.order_by("code"):
        prefix = apartment.code.replace("-", "").lower()

        def add(
            kind: str,
            suffix: str,
            *,
            floor: int | None,
            location: str,
            interval: int,
            apartment: Apartment = apartment,
            prefix: str = prefix,
        ) -> None:
            key = f"{prefix}-{suffix}"
            rows.append(
                Device(
                    key=key,
                    device_type=types[kind],
                    apartment=apartment,
                    floor=floor,
                    location=location,
                    reporting_interval=interval,
                    token_hash=hash_token(demo_token(key)),
                )
            )

        for floor in range(1, apartment.floors + 1):
            add("smart_electricity", f"elec-{floor}", floor=floor, location=f"{floor}层配电箱", interval=30)
            add("smoke_detector", f"smoke-{floor}", floor=floor, location=f"{floor}层走廊", interval=60)
            add("radar", f"radar-{floor}", floor=floor, location=f"{floor}层走廊", interval=30)
        add("smart_electricity", "elec-ebike", floor=1, location="一楼电瓶车集中充电区", interval=15)
        add("hydrant_pressure", "hydrant-1", floor=1, location="一楼消火栓", interval=60)
        add("hydrant_pressure", "hydrant-top", floor=apartment.floors, location="顶层最不利点消火栓", interval=60)
        add("water_level", "roof-tank", floor=apartment.floors, location="屋顶消防水箱", interval=60)
        add("water_level", "fire-pool", floor=None, location="地下消防水池", interval=60)
        add("fire_exit", "exit-1", floor=1, location="一楼安全出口", interval=30)
        add("fire_exit", "exit-2", floor=1, location="北侧疏散通道", interval=30)
        add("door_controller", "door-main", floor=1, location="主入口人脸门禁", interval=60)
        add("elevator", "lift-1", floor=None, location="1号电梯", interval=60)
    Device.objects.bulk_create(rows, batch_size=2000)
