"""Demo data of the service modules: openings, rentals, clinics, guides, notices, and an answered board.

Called by ``seed_demo`` (demo.district.EXTRA_SEEDERS) with a seeded ``random.Random`` and the demo's day.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from accounts.models import Department, Role, User
from apartments.models import Apartment, Enterprise, Room
from services import models as m
from services.demo_content import ARTICLES, FEEDBACK, GENERAL_JOBS, JOBS_BY_INDUSTRY
from services.demo_photos import room_photos
from shijiao.pii import mask_name

TZ = ZoneInfo("Asia/Shanghai")
CENTRE_LAT, CENTRE_LON = 30.3306, 120.1896

# What the rooms of each kind of block come with (facility codes of services.models.Facility).
FACILITIES = {
    "dorm": ["ac", "water_heater", "wifi", "ebike", "face_door"],
    "talent": ["ac", "water_heater", "bathroom", "washer", "wifi", "kitchen", "ebike", "face_door"],
    "village": ["ac", "water_heater", "wifi"],
}
ROOM_TEXT = {
    "single": "独立单间, 床、衣柜、书桌齐全",
    "double": "双人间, 两张单人床, 适合夫妻或同事合住",
    "suite": "一室一厅套间, 独立厨卫, 适合带孩子的家庭",
    "dorm": "上床下桌宿舍, 按床位出租, 公共卫浴和洗衣房",
}
CLINICS = [
    ("石桥街道社区卫生服务中心", "health_centre", "石桥路279号", ["全科", "中医科", "口腔科", "预防接种", "妇女保健"]),
    ("华丰社区卫生服务站", "health_station", "华丰路88号", ["全科", "慢病管理"]),
    ("杨家社区卫生服务站", "health_station", "杨家路12号", ["全科", "康复理疗"]),
    ("永丰社区卫生服务站", "health_station", "永华街56号", ["全科"]),
    ("杭州市第三人民医院石桥分院", "hospital", "石祥路188号", ["内科", "外科", "急诊", "皮肤科", "儿科"]),
    ("新华工业园职工诊所", "clinic", "新华路6号", ["全科", "外伤处理"]),
]
GARBAGE = {
    "recyclable": [
        "塑料瓶",
        "易拉罐",
        "旧衣服",
        "纸箱",
        "报纸",
        "玻璃瓶",
        "旧书",
        "金属锅",
        "快递纸盒",
        "塑料盆",
        "旧手机",
        "电线",
    ],
    "hazardous": ["废电池", "过期药品", "荧光灯管", "水银温度计", "油漆桶", "杀虫剂罐", "指甲油", "电动车电池"],
    "kitchen": ["剩饭剩菜", "果皮", "菜叶", "骨头渣", "茶叶渣", "蛋壳", "过期食品", "瓜子壳"],
    "other": ["卫生纸", "尿不湿", "烟头", "陶瓷碗", "一次性餐盒", "大骨头", "口罩", "灰土"],
}
CATEGORIES = [
    ("房屋与物业", "property_manager", "", 24),
    ("用电与消防安全", "department", Department.FIRE, 12),
    ("治安与居住登记", "department", Department.POLICE, 24),
    ("卫生与健康", "department", Department.HEALTH, 48),
    ("市容与垃圾分类", "department", Department.URBAN, 48),
    ("就业与社保", "street", "", 48),
    ("子女入学", "street", "", 72),
    ("其他", "street", "", 72),
]


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TZ)


def seed(rng: random.Random, today: date, progress=lambda _m: None, history_days: int = 2) -> None:
    street = User.objects.filter(role=Role.STREET_ADMIN, is_superuser=False).first()
    categories = [
        m.FeedbackCategory.objects.create(name=n, route_to=r, department=d, response_hours=h, sort_order=i)
        for i, (n, r, d, h) in enumerate(CATEGORIES)
    ]
    for category, names in GARBAGE.items():
        m.GarbageItem.objects.bulk_create([m.GarbageItem(name=n, category=category) for n in names])
    for i, (module, title, summary, documents, kind, paragraphs) in enumerate(ARTICLES):
        m.Article.objects.create(
            module=module,
            title=title,
            summary=summary,
            body="\n\n".join(
                [*paragraphs, "详情请咨询石桥街道便民服务中心 (石桥路279号, 工作日 9:00-17:00, 电话 0571-85001100)。"]
            ),
            documents=documents,
            request_kind=kind,
            sort_order=i,
        )
    for name, kind, address, departments in CLINICS:
        clinic = m.Clinic.objects.create(
            name=name,
            kind=kind,
            address=f"杭州市拱墅区{address}",
            phone=f"0571-8{rng.randint(1000000, 9999999)}",
            latitude=Decimal(f"{CENTRE_LAT + rng.uniform(-0.015, 0.015):.6f}"),
            longitude=Decimal(f"{CENTRE_LON + rng.uniform(-0.02, 0.02):.6f}"),
            opening_hours="周一至周日 8:00-17:00" if kind != "hospital" else "24小时急诊",
            insurance=["hangzhou", "zhejiang", "cross_province"] if kind != "clinic" else ["hangzhou"],
        )
        m.ClinicDepartment.objects.bulk_create(
            [m.ClinicDepartment(clinic=clinic, name=d, hours="8:00-11:30, 13:30-17:00") for d in departments]
        )

    now = _at(today, 9)
    _seed_jobs(rng, now, street)
    progress(f"{m.JobPosting.objects.count()} job postings")
    _seed_rentals(rng)
    progress(f"{m.RentalListing.objects.count()} rental listings, {m.RentalPhoto.objects.count()} photos")

    flagship = Apartment.objects.filter(code="SQ-006").first()
    m.Notice.objects.create(
        title="石桥街道流动人口居住登记提醒",
        body="新入住人员请在3日内通过小程序完成居住登记。",
        is_pinned=True,
        published_at=now - timedelta(days=2),
        created_by=street,
    )
    m.Notice.objects.create(
        title="夏季用电安全提示",
        body="严禁私拉电线给电动车充电, 发现隐患请立即报修。",
        published_at=now - timedelta(days=5),
        created_by=street,
    )
    if flagship:
        m.Notice.objects.create(
            apartment=flagship,
            title="6号公寓本周六停水通知",
            body="周六 9:00-12:00 检修水管, 请提前储水。",
            published_at=now - timedelta(days=1),
        )

    _seed_feedback(rng, today, categories, street, history_days)
    progress(f"{m.Feedback.objects.count()} feedback threads")


def _seed_jobs(rng: random.Random, now: datetime, street: User | None) -> None:
    jobs = []
    for i, enterprise in enumerate(Enterprise.objects.order_by("id")):
        trade = JOBS_BY_INDUSTRY.get(enterprise.industry, [])
        openings = rng.sample(trade, k=min(len(trade), rng.choice([0, 1, 1, 2, 2, 3])))
        if rng.random() < 0.35:
            openings.append(rng.choice(GENERAL_JOBS))
        for title, low, high, hours, benefits, dormitory, duties in openings:
            status = m.JobPosting.Status.PENDING if rng.random() < 0.08 else m.JobPosting.Status.PUBLISHED
            if status == m.JobPosting.Status.PUBLISHED and rng.random() < 0.1:
                status = m.JobPosting.Status.CLOSED  # filled
            published = now - timedelta(days=rng.randint(0, 30), hours=rng.randint(0, 8))
            jobs.append(
                m.JobPosting(
                    enterprise=enterprise,
                    title=title,
                    description=f"{enterprise.name}招聘{title}。{duties}",
                    wage_min=round(rng.randint(*low), -2),
                    wage_max=round(rng.randint(*high), -2),
                    working_hours=hours,
                    location=enterprise.address or "石桥街道",
                    benefits=benefits,
                    dormitory_provided=dormitory,
                    headcount=rng.choice([1, 2, 3, 5, 5, 8, 10, 20]),
                    contact_name=rng.choice(["人事部", "王主管", "李经理", "张姐", "陈主任", "招聘专员"]),
                    contact_phone=f"0571-8{rng.randint(1000000, 9999999)}",
                    status=status,
                    published_at=published if status != "pending" else None,
                    reviewed_at=published if status != "pending" else None,
                    reviewed_by=street if status != "pending" else None,
                )
            )
        if i == 0 and not openings:  # the demo enterprise (qiye1) has an opening to manage
            title, low, high, hours, benefits, dormitory, duties = GENERAL_JOBS[0]
            jobs.append(m.JobPosting(enterprise=enterprise, title=title, description=duties, wage_min=low[0],
                                     wage_max=high[1], working_hours=hours, location=enterprise.address or "石桥街道",
                                     benefits=benefits, dormitory_provided=dormitory, contact_name="人事部",
                                     contact_phone="0571-85000000", status="pending"))  # fmt: skip
    m.JobPosting.objects.bulk_create(jobs, batch_size=1000)


def _seed_rentals(rng: random.Random) -> None:
    """A listing per block and room kind at the block's typical rent (dormitories: per bed), most with photos."""
    rooms = defaultdict(list)
    for apartment_id, kind, capacity, rent in Room.objects.values_list(
        "apartment_id", "kind", "capacity", "monthly_rent"
    ):
        rooms[(apartment_id, kind)].append((capacity, rent or 0))
    photos = room_photos(rng)
    rentals, pictures = [], []
    for apartment in Apartment.objects.order_by("id"):
        profile = "talent" if "人才" in apartment.name else "village" if apartment.name.endswith("楼") else "dorm"
        for kind in ("single", "double", "suite", "dorm"):
            found = rooms.get((apartment.pk, kind))
            if not found:
                continue
            rents = sorted(rent for _c, rent in found)
            rent = rents[len(rents) // 2]
            capacities = sorted({c for c, _r in found})
            label = Room.Kind(kind).label
            if kind == "dorm":
                label = f"{'/'.join(str(c) for c in capacities)}人间床位"
            area = {"single": rng.randint(10, 15), "double": rng.randint(15, 21), "suite": rng.randint(30, 38)}.get(
                kind, rng.randint(20, 34)
            )
            facilities = [f for f in FACILITIES[profile] if kind != "dorm" or f != "bathroom"]
            if kind == "single" and profile == "dorm" and rng.random() < 0.5:
                facilities = [f for f in facilities if f != "ac"]  # the cheapest singles: a fan, no air conditioner
            deposit = rent * (2 if profile == "talent" else 1)
            rentals.append(
                m.RentalListing(
                    apartment=apartment,
                    room_kind=kind,
                    title=f"{apartment.name} {label}"[:64],
                    description=(
                        f"{ROOM_TEXT[kind]}。{'押二付一' if deposit > rent else '押一付一'}, 水电按表计费 "
                        f"(电费0.6元/度), 无中介费。{apartment.address}, 步行10分钟到工业园, 楼下有公交站。"
                        "公寓24小时人脸门禁, 一楼电瓶车集中充电, 每层有烟感和智慧用电监测。"
                    ),
                    monthly_rent=rent,
                    deposit=deposit,
                    area_m2=area,
                    facilities=facilities,
                    contact_phone=f"0571-8{rng.randint(1000000, 9999999)}",
                    is_active=rng.random() < 0.93,
                )
            )
    m.RentalListing.objects.bulk_create(rentals, batch_size=1000)
    for listing in rentals:
        if photos and rng.random() < 0.75:
            for image, thumbnail, width, height in rng.sample(photos[listing.room_kind], k=rng.randint(2, 3)):
                pictures.append(m.RentalPhoto(listing=listing, image=image, thumbnail=thumbnail, width=width,
                                              height=height))  # fmt: skip
    m.RentalPhoto.objects.bulk_create(pictures, batch_size=1000)


def _seed_feedback(rng: random.Random, today: date, categories, street: User | None, days: int) -> None:
    """Residents' questions and reports of the month, most answered, some still waiting (a few past due)."""
    authors = [
        (user, apartment_id)
        for user, apartment_id in User.objects.filter(role=Role.RESIDENT, resident__isnull=False)
        .order_by("id")
        .values_list("id", "resident__tenancies__room__apartment_id")
    ]
    users = User.objects.in_bulk([u for u, _a in authors])
    authors = [(users[u], a) for u, a in dict(authors).items()]
    if not authors or street is None:
        return
    now = _at(today, 9)
    threads, answers = [], []
    total = max(len(FEEDBACK), round(len(authors) * 2.5 * days / 30))
    for n in range(total):
        index, kind, title, body, answer = FEEDBACK[n % len(FEEDBACK)] if n < len(FEEDBACK) else rng.choice(FEEDBACK)
        user, apartment_id = authors[0] if n == 0 else rng.choice(authors)
        start = now - timedelta(hours=rng.randint(1, days * 24))
        thread = m.Feedback(author=user, author_name=mask_name(user.display_name),
                            kind=kind, title=title, body=body, apartment_id=apartment_id,
                            is_anonymous=rng.random() < 0.4)  # fmt: skip
        thread.route(categories[index], start=start)
        thread.created_at = start
        answered = answer and (now - start > timedelta(hours=3))
        if answered:
            replied = start + timedelta(hours=rng.uniform(0.5, categories[index].response_hours * 0.9))
            replied = min(replied, now - timedelta(minutes=5))
            thread.status = "closed" if rng.random() < 0.6 else "answered"
            thread.first_response_at = replied
            if thread.status == "closed" and rng.random() < 0.7:
                thread.rating = rng.choice([5, 5, 5, 4, 4, 3])
            answers.append((thread, answer, replied))
        elif thread.due_at < now:
            thread.escalated_at = thread.due_at + timedelta(minutes=15)  # past due: the street sees it
        threads.append(thread)
    m.Feedback.objects.bulk_create(threads, batch_size=1000)
    m.Feedback.objects.bulk_update(threads, ["created_at"], batch_size=1000)  # auto_now_add stamped "now"
    replies = m.FeedbackReply.objects.bulk_create(
        [m.FeedbackReply(feedback=t, author=street, from_staff=True, body=a) for t, a, _at in answers], batch_size=1000
    )
    for reply, (_t, _a, at) in zip(replies, answers, strict=True):
        reply.created_at = at
    m.FeedbackReply.objects.bulk_update(replies, ["created_at"], batch_size=1000)
