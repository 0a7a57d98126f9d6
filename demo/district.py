"""A deterministic Shiqiao: the place, staff of every role, residents, and each app's demo data."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.module_loading import import_string

from accounts.models import Department, Role, User
from apartments.models import (
    Apartment,
    Community,
    Enterprise,
    Grid,
    MicroFireStation,
    PropertyCompany,
    Room,
    SubDistrict,
)
from demo.people import make_name, make_person, make_phone
from residents.models import Resident, Tenancy
from shijiao.pii import blind_index

DEMO_PASSWORD = "demo-2026"

COMMUNITIES = ["石桥社区", "华丰社区", "杨家社区", "永丰社区", "新华社区", "方家埭社区"]
STREETS = ["石桥路", "华丰路", "杨家路", "永华街", "新华路", "方家埭路", "华中南路", "石祥路"]
COMPANIES = [
    "杭州石桥安居物业有限公司",
    "杭州新华园区运营有限公司",
    "杭州华丰蓝领公寓管理有限公司",
    "杭州永丰物业服务有限公司",
    "杭州拱墅城投租赁有限公司",
    "杭州乐居公寓运营有限公司",
    "杭州安家物业管理有限公司",
    "杭州筑巢人才公寓有限公司",
]
STATIONS = ["石桥微型消防站", "华丰微型消防站", "新华园区微型消防站", "杨家微型消防站", "永丰微型消防站"]
INDUSTRIES = ["服装制造", "电子装配", "物流仓储", "餐饮", "汽配", "印刷包装", "建材", "电商"]

# Block 6 of Xinhua Industrial Park is where the article's e-bike wire overheated.
FLAGSHIP_CODE = "SQ-006"
FLAGSHIP_NAME = "新华工业园6号公寓"

# Other apps add "module.function" seeders here; each takes (rng, today).
EXTRA_SEEDERS: list[str] = [
    "sensors.demo.seed",
    "services.demo.seed",
    "apartments.inspection_demo.seed",
    "residents.demo.seed",
    "alerts.demo.seed",
]

# Centre of Shiqiao, for plausible coordinates.
CENTRE_LAT, CENTRE_LON = 30.3306, 120.1896


@dataclass
class Seeded:
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (role, username, name)
    counts: dict[str, int] = field(default_factory=dict)


@lru_cache(maxsize=1)
def _demo_password_hash() -> str:
    # Hashing once keeps seeding fast; every demo account shares the demo password anyway.
    return make_password(DEMO_PASSWORD)


def _user(username: str, role: str, name: str, rng: random.Random, **extra) -> User:
    user = User(
        username=username,
        role=role,
        display_name=name,
        phone=make_phone(rng),
        is_staff=role != Role.RESIDENT,
        **extra,
    )
    user.password = _demo_password_hash()
    user.save()
    return user


@transaction.atomic
def seed_district(*, seed: int = 6, residents: int = 3000, enterprises: int = 200, today: date) -> Seeded:
    rng = random.Random(seed)
    out = Seeded()
    sub = SubDistrict.objects.create(name="石桥街道", code="330105009")

    admin_user = _user("admin", Role.STREET_ADMIN, "街道管理员", rng, is_superuser=True)
    out.logins.append(("超级管理员 (street admin)", admin_user.username, admin_user.display_name))
    cockpit = _user("jiedao", Role.STREET_ADMIN, "驾驶舱值班员", rng)
    out.logins.append((Role.STREET_ADMIN.label, cockpit.username, cockpit.display_name))

    for i, dept in enumerate(Department):
        inspector = _user(f"jiancha{i + 1}", Role.INSPECTOR, make_name(rng), rng, department=dept.value)
        if i == 0:
            out.logins.append((f"{Role.INSPECTOR.label} ({dept.label})", inspector.username, inspector.display_name))

    grids: list[Grid] = []
    for c, cname in enumerate(COMMUNITIES):
        community = Community.objects.create(sub_district=sub, name=cname, code=f"SQ{c + 1:02d}")
        for g in range(3):
            grid = Grid.objects.create(community=community, name=f"第{g + 1}网格", code=f"SQ{c + 1:02d}-{g + 1}")
            worker = _user(f"wangge{len(grids) + 1}", Role.GRID_WORKER, make_name(rng), rng)
            grid.workers.add(worker)
            grids.append(grid)
    out.logins.append((Role.GRID_WORKER.label, "wangge1", User.objects.get(username="wangge1").display_name))

    companies = []
    for i, name in enumerate(COMPANIES):
        company = PropertyCompany.objects.create(name=name, contact_name=make_name(rng), contact_phone=make_phone(rng))
        company.managers.add(_user(f"wuye{i + 1}", Role.PROPERTY_MANAGER, make_name(rng), rng))
        companies.append(company)
    out.logins.append((Role.PROPERTY_MANAGER.label, "wuye1", User.objects.get(username="wuye1").display_name))

    stations = []
    for i, name in enumerate(STATIONS):
        station = MicroFireStation.objects.create(
            name=name,
            address=f"{STREETS[i]}{rng.randint(1, 300)}号",
            duty_phone=f"0571-8{rng.randint(1000000, 9999999)}",
            latitude=Decimal(f"{CENTRE_LAT + rng.uniform(-0.012, 0.012):.6f}"),
            longitude=Decimal(f"{CENTRE_LON + rng.uniform(-0.015, 0.015):.6f}"),
        )
        station.operators.add(_user(f"xiaofang{i + 1}", Role.STATION_OPERATOR, make_name(rng), rng))
        stations.append(station)
    out.logins.append((Role.STATION_OPERATOR.label, "xiaofang1", User.objects.get(username="xiaofang1").display_name))

    enterprise_rows = []
    for i in range(enterprises):
        enterprise_rows.append(
            Enterprise(
                name=f"杭州{make_name(rng)[1:]}{rng.choice(INDUSTRIES)}有限公司"[:60] if i else "杭州新华服饰有限公司",
                credit_code=f"91330105MA{i:07d}X"[:18],
                industry=rng.choice(INDUSTRIES),
                address=f"{rng.choice(STREETS)}{rng.randint(1, 500)}号",
                grid=rng.choice(grids),
            )
        )
    Enterprise.objects.bulk_create(enterprise_rows)
    enterprise_list = list(Enterprise.objects.order_by("id"))
    boss = _user("qiye1", Role.ENTERPRISE, make_name(rng), rng)
    enterprise_list[0].staff.add(boss)
    out.logins.append((Role.ENTERPRISE.label, boss.username, boss.display_name))

    apartments = _seed_apartments(rng, grids, companies, stations, out)
    rooms = _seed_rooms(rng, apartments)
    n_residents, n_tenancies = _seed_residents(rng, residents, rooms, enterprise_list, today, out)

    for path in EXTRA_SEEDERS:
        import_string(path)(rng, today)

    out.counts.update(
        {
            "communities": Community.objects.count(),
            "grids": len(grids),
            "apartments": len(apartments),
            "rooms": len(rooms),
            "enterprises": len(enterprise_list),
            "residents": n_residents,
            "active tenancies": n_tenancies,
        }
    )
    return out


def _seed_apartments(rng, grids, companies, stations, out: Seeded) -> list[Apartment]:
    apartments = []
    for n in range(1, 96):
        if n == 6:
            code, name, street = FLAGSHIP_CODE, FLAGSHIP_NAME, "新华路"
        else:
            street = rng.choice(STREETS)
            park = rng.choice(["新华工业园", "华丰工业园", "石桥工业区", "杨家村", "永丰村", "方家埭村"])
            code, name = f"SQ-{n:03d}", f"{park}{n}号公寓"
        fire_person = _user(f"fuze{n}", Role.FIRE_SAFETY_PERSON, make_name(rng), rng)
        grid = grids[(n - 1) % len(grids)]
        apartments.append(
            Apartment.objects.create(
                code=code,
                name=name,
                address=f"杭州市拱墅区{street}{rng.randint(1, 400)}号",
                grid=grid,
                latitude=Decimal(f"{CENTRE_LAT + rng.uniform(-0.015, 0.015):.6f}"),
                longitude=Decimal(f"{CENTRE_LON + rng.uniform(-0.02, 0.02):.6f}"),
                floors=rng.randint(5, 9),
                property_company=companies[(n - 1) % len(companies)],
                fire_safety_person=fire_person,
                micro_fire_station=stations[(n - 1) % len(stations)],
                monthly_rent_from=rng.choice([800, 900, 1000, 1200, 1500, 1800]),
            )
        )
        if n == 6:
            out.logins.append(
                (f"{Role.FIRE_SAFETY_PERSON.label} ({name})", fire_person.username, fire_person.display_name)
            )
    return apartments


def _seed_rooms(rng, apartments: list[Apartment]) -> list[Room]:
    rows = []
    for apartment in apartments:
        for floor in range(1, apartment.floors + 1):
            for r in range(1, 17):
                kind, capacity, rent = rng.choice(
                    [("single", 1, 1200), ("double", 2, 1500), ("dorm", 4, 1600), ("dorm", 6, 1800), ("dorm", 8, 1900)]
                )
                rows.append(
                    Room(
                        apartment=apartment,
                        floor=floor,
                        number=f"{floor}{r:02d}",
                        kind=kind,
                        capacity=capacity,
                        monthly_rent=rent,
                    )
                )
    Room.objects.bulk_create(rows, batch_size=2000)
    return list(Room.objects.order_by("id"))


def _seed_residents(rng, count: int, rooms: list[Room], enterprises, today: date, out: Seeded) -> tuple[int, int]:
    # Fill rooms in a shuffled order, never above capacity.
    beds = [(room, b) for room in rooms for b in range(room.capacity)]
    rng.shuffle(beds)
    people = []
    seen: set[str] = set()
    while len(people) < count:
        person = make_person(rng, today)
        if person["id_number"] in seen:
            continue
        seen.add(person["id_number"])
        people.append(person)
    residents = [
        Resident(
            name=p["name"],
            id_number=p["id_number"],
            id_number_hash=blind_index(p["id_number"]),
            phone=p["phone"],
            phone_hash=blind_index(p["phone"]),
            gender=Resident.Gender.FEMALE if p["female"] else Resident.Gender.MALE,
            birth_date=p["birth_date"],
            hometown=p["hometown"],
            employer=rng.choice(enterprises) if rng.random() < 0.85 else None,
        )
        for p in people
    ]
    Resident.objects.bulk_create(residents, batch_size=2000)
    residents = list(Resident.objects.order_by("id"))
    tenancies = []
    active = 0
    for i, resident in enumerate(residents):
        if i >= len(beds):
            break
        room, bed = beds[i]
        check_in = today - timedelta(days=int(rng.expovariate(1 / 200)))
        # One in ten has moved out already (their bed is taken again by the newest arrivals).
        moved_out = rng.random() < 0.1
        check_out = min(today, check_in + timedelta(days=rng.randint(10, 120))) if moved_out else None
        tenancies.append(
            Tenancy(resident=resident, room=room, bed=f"{bed + 1}", check_in=check_in, check_out=check_out)
        )
        active += check_out is None
    Tenancy.objects.bulk_create(tenancies, batch_size=2000)
    user = _user("xinshimin", Role.RESIDENT, residents[0].name, rng)
    residents[0].user = user
    residents[0].save(update_fields=["user"])
    out.logins.append((Role.RESIDENT.label, user.username, residents[0].name_masked))
    return len(residents), active
