"""A deterministic Shiqiao: the place, staff of every role, residents, and each app's demo data."""

from __future__ import annotations

import random
from collections.abc import Callable
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
from shijiao.bulk import bulk_insert
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

# Other apps add "module.function" seeders here; each takes (rng, today, progress=callable(str), history_days=int).
EXTRA_SEEDERS: list[str] = [
    "sensors.demo.seed",
    "services.demo.seed",
    "apartments.inspection_demo.seed",
    "residents.demo.seed",
    "alerts.demo.seed",
]

# Centre of Shiqiao, for plausible coordinates.
CENTRE_LAT, CENTRE_LON = 30.3306, 120.1896


Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


@dataclass
class Seeded:
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (role, username, name)


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
def seed_district(
    *,
    seed: int = 6,
    residents: int = 3000,
    enterprises: int = 200,
    today: date,
    history_days: int = 2,
    progress: Progress = _quiet,
) -> Seeded:
    """The district; ``history_days`` of readings and alarms (the demo: 30; tests keep it short)."""
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
    progress(f"{len(apartments)} blocks, {len(rooms)} rooms, {sum(r.capacity for r in rooms)} beds")
    n_residents, n_tenancies = _seed_residents(rng, residents, rooms, enterprise_list, today, out, progress)

    for path in EXTRA_SEEDERS:
        progress(f"{path} ...")
        import_string(path)(rng, today, progress=progress, history_days=history_days)

    return out


# Three kinds of block in Shiqiao: big blue-collar dormitory blocks of the industrial parks, smaller talent
# apartments of singles and doubles, and villagers' rental houses. (kind, capacity, weight) per room.
BLOCK_PROFILES = {
    "dorm": (
        [("single", 1, 5), ("double", 2, 15), ("dorm", 4, 30), ("dorm", 6, 35), ("dorm", 8, 15)],
        (22, 30),
        (6, 9),
        ["新华工业园", "华丰工业园", "石桥工业区"],
    ),
    "talent": (
        [("single", 1, 45), ("double", 2, 35), ("suite", 3, 20)],
        (14, 20),
        (7, 12),
        ["石桥人才公寓", "华丰人才公寓"],
    ),
    "village": (
        [("single", 1, 50), ("double", 2, 35), ("dorm", 4, 15)],
        (8, 14),
        (4, 6),
        ["杨家村", "永丰村", "方家埭村"],
    ),
}


def _profile_of(n: int, rng: random.Random) -> str:
    if n == 6:
        return "dorm"  # the article's block: a dormitory block of Xinhua Industrial Park
    return rng.choices(["dorm", "talent", "village"], weights=[62, 15, 23])[0]


def _seed_apartments(rng, grids, companies, stations, out: Seeded) -> list[Apartment]:
    apartments = []
    for n in range(1, 96):
        profile = _profile_of(n, rng)
        _mix, _per_floor, floors, parks = BLOCK_PROFILES[profile]
        if n == 6:
            code, name, street = FLAGSHIP_CODE, FLAGSHIP_NAME, "新华路"
        else:
            street = rng.choice(STREETS)
            code, name = f"SQ-{n:03d}", f"{rng.choice(parks)}{n}号{'楼' if profile == 'village' else '公寓'}"
        fire_person = _user(f"fuze{n}", Role.FIRE_SAFETY_PERSON, make_name(rng), rng)
        grid = grids[(n - 1) % len(grids)]
        apartment = Apartment(
            code=code,
            name=name,
            address=f"杭州市拱墅区{street}{rng.randint(1, 400)}号",
            grid=grid,
            latitude=Decimal(f"{CENTRE_LAT + rng.uniform(-0.015, 0.015):.6f}"),
            longitude=Decimal(f"{CENTRE_LON + rng.uniform(-0.02, 0.02):.6f}"),
            floors=7 if n == 6 else rng.randint(*floors),
            property_company=companies[(n - 1) % len(companies)],
            fire_safety_person=fire_person,
            micro_fire_station=stations[(n - 1) % len(stations)],
        )
        apartment.profile = profile  # not stored: the rooms below follow it
        apartment.save()
        apartments.append(apartment)
        if n == 6:
            out.logins.append(
                (f"{Role.FIRE_SAFETY_PERSON.label} ({name})", fire_person.username, fire_person.display_name)
            )
    return apartments


def room_rent(rng: random.Random, kind: str, capacity: int, area: int, price_level: float) -> int:
    """Monthly rent in yuan, rounded to 10: a room's for singles, doubles and suites, a bed's in dormitories
    (dormitories are let by the bed). Shiqiao 2026: single rooms 600-1,300, doubles 1,200-2,000, beds 350-650."""
    if kind == "dorm":
        base = 300 + 12 * area / capacity + (8 - capacity) * 25
    elif kind == "single":
        base = 320 + 42 * area
    elif kind == "double":
        base = 560 + 46 * area
    else:
        base = 900 + 48 * area
    return int(round(base * price_level * rng.uniform(0.95, 1.05), -1))


AREA = {"single": (9, 16), "double": (14, 22), "suite": (28, 40)}
DORM_AREA = {4: (18, 24), 6: (24, 32), 8: (30, 40)}


def _seed_rooms(rng, apartments: list[Apartment]) -> list[Room]:
    rows = []
    for apartment in apartments:
        mix, per_floor, _floors, _parks = BLOCK_PROFILES[apartment.profile]
        price_level = rng.uniform(0.85, 1.25)  # location, age and upkeep of the block
        rooms_per_floor = rng.randint(*per_floor)
        kinds = [(k, c) for k, c, _w in mix]
        weights = [w for _k, _c, w in mix]
        for floor in range(1, apartment.floors + 1):
            for r in range(1, rooms_per_floor + 1):
                kind, capacity = rng.choices(kinds, weights=weights)[0]
                area = rng.randint(*(DORM_AREA[capacity] if kind == "dorm" else AREA[kind]))
                rows.append(
                    Room(
                        apartment=apartment,
                        floor=floor,
                        number=f"{floor}{r:02d}",
                        kind=kind,
                        capacity=capacity,
                        monthly_rent=room_rent(rng, kind, capacity, area, price_level),
                    )
                )
    Room.objects.bulk_create(rows, batch_size=5000)
    lowest: dict[int, int] = {}
    for room in rows:
        lowest[room.apartment_id] = min(lowest.get(room.apartment_id, room.monthly_rent), room.monthly_rent)
    for apartment in apartments:
        apartment.monthly_rent_from = lowest.get(apartment.pk)
    Apartment.objects.bulk_update(apartments, ["monthly_rent_from"])
    return rows


def _seed_residents(
    rng, count: int, rooms: list[Room], enterprises, today: date, out: Seeded, progress: Progress
) -> tuple[int, int]:
    """``count`` people live in the district now; about one in twelve more lived here and moved out.

    Blocks fill unevenly (some nearly full, some half empty), never above a room's capacity.
    """
    beds = [(room, b) for room in rooms for b in range(room.capacity)]
    fullness = {room.apartment_id: rng.uniform(0.35, 1.0) for room in rooms}
    # Weighted sampling without replacement (Efraimidis-Spirakis): fuller blocks give their beds first.
    keyed = sorted(((rng.random() ** (1 / fullness[room.apartment_id]), room, b) for room, b in beds), reverse=True)
    living = min(count, len(beds))
    former = max(1, count // 12) if count >= 12 else 0
    total = living + former
    seen: set[str] = set()
    people = []
    while len(people) < total:
        person = make_person(rng, today)
        if person["id_number"] in seen:
            continue
        seen.add(person["id_number"])
        people.append(person)
    enterprise_ids = [e.pk for e in enterprises]
    female, male = Resident.Gender.FEMALE, Resident.Gender.MALE
    n = bulk_insert(
        Resident,
        ["name", "id_number", "id_number_hash", "phone", "phone_hash", "gender", "birth_date", "hometown", "employer"],
        (
            (
                p["name"],
                p["id_number"],
                blind_index(p["id_number"]),
                p["phone"],
                blind_index(p["phone"]),
                female if p["female"] else male,
                p["birth_date"],
                p["hometown"],
                rng.choice(enterprise_ids) if rng.random() < 0.85 else None,
            )
            for p in people
        ),
        progress=lambda done: progress(f"residents {done}/{total} (encrypted)"),
    )
    resident_ids = list(Resident.objects.order_by("id").values_list("id", flat=True))[-n:]
    rows = []
    occupied: dict[tuple[int, int], date] = {}
    for i, (_key, room, bed) in enumerate(keyed[:living]):
        check_in = today - timedelta(days=min(int(rng.expovariate(1 / 260)), 5 * 365))
        occupied[(room.pk, bed)] = check_in
        rows.append((resident_ids[i], room.pk, f"{bed + 1}", check_in, None))
    for i in range(living, total):
        # Moved out: their bed (any bed) was free again before its current occupant came.
        _key, room, bed = keyed[rng.randrange(len(keyed))]
        check_out = min(occupied.get((room.pk, bed), today), today - timedelta(days=rng.randint(1, 300)))
        check_in = check_out - timedelta(days=rng.randint(20, 400))
        rows.append((resident_ids[i], room.pk, f"{bed + 1}", check_in, check_out))
    bulk_insert(
        Tenancy,
        ["resident", "room", "bed", "check_in", "check_out"],
        rows,
        progress=lambda done: progress(f"tenancies {done}/{total}"),
    )
    # Some residents use the mini program (the board's questions come from them); xinshimin is the demo login.
    with_account = [resident_ids[0], *rng.sample(resident_ids[1:living], k=min(living - 1, max(0, living // 900)))]
    for n, resident in enumerate(Resident.objects.filter(pk__in=with_account).order_by("pk")):
        user = _user("xinshimin" if n == 0 else f"jumin{n}", Role.RESIDENT, resident.name, rng)
        resident.user = user
        resident.save(update_fields=["user"])
        if n == 0:
            out.logins.append((Role.RESIDENT.label, user.username, resident.name_masked))
    return total, living
