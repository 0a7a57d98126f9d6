"""Demo data of the service modules: openings, rentals, clinics, guides, notices, and an answered board.

Called by ``seed_demo`` (demo.district.EXTRA_SEEDERS) with a seeded ``random.Random`` and the demo's day.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from accounts.models import Department, Role, User
from apartments.models import Apartment, Enterprise, Room
from services import models as m

TZ = ZoneInfo("Asia/Shanghai")
CENTRE_LAT, CENTRE_LON = 30.3306, 120.1896

JOBS = [
    ("缝纫工", 5500, 8500, "8:00-17:30, 做六休一", "五险, 包住, 计件工资"),
    ("电子装配工", 5000, 7000, "两班倒, 月休4天", "五险一金, 包吃住, 夜班补贴"),
    ("仓库分拣员", 5200, 7500, "9:00-18:00", "五险, 餐补, 全勤奖"),
    ("快递派送员", 6500, 11000, "8:00-19:00", "多劳多得, 提供电动车"),
    ("厨师", 6000, 9000, "10:00-14:00, 16:30-21:00", "包吃住, 月休4天"),
    ("服务员", 4500, 6000, "10:00-21:00 排班", "包吃住, 节日福利"),
    ("叉车司机", 6500, 8500, "8:00-17:00", "五险一金, 需叉车证"),
    ("质检员", 5000, 6500, "8:00-17:00, 双休", "五险一金, 带薪年假"),
    ("汽配机修工", 7000, 10000, "8:00-17:30", "五险一金, 包住, 技能补贴"),
    ("印刷机长", 7500, 11000, "两班倒", "五险一金, 包吃住"),
    ("电商客服", 4800, 6500, "9:00-18:00 轮休", "五险, 带薪培训"),
    ("保洁员", 3800, 4800, "7:00-16:00", "五险, 包午餐"),
]
RENTAL_FACILITIES = [["ac", "water_heater", "wifi", "ebike", "face_door"], ["ac", "water_heater", "bathroom", "washer"]]
CLINICS = [
    ("石桥街道社区卫生服务中心", "health_centre", "石桥路279号", ["全科", "中医科", "口腔科", "预防接种", "妇女保健"]),
    ("华丰社区卫生服务站", "health_station", "华丰路88号", ["全科", "慢病管理"]),
    ("杨家社区卫生服务站", "health_station", "杨家路12号", ["全科", "康复理疗"]),
    ("永丰社区卫生服务站", "health_station", "永华街56号", ["全科"]),
    ("杭州市第三人民医院石桥分院", "hospital", "石祥路188号", ["内科", "外科", "急诊", "皮肤科", "儿科"]),
    ("新华工业园职工诊所", "clinic", "新华路6号", ["全科", "外伤处理"]),
]
ARTICLES = [
    (
        "social_security",
        "灵活就业人员如何参加杭州社保",
        "外地户籍在杭灵活就业, 可按月缴纳职工养老和医疗保险。",
        ["身份证", "居住证或居住登记凭证", "银行卡"],
        "灵活就业参保登记",
    ),
    (
        "social_security",
        "异地就医直接结算备案",
        "在杭看病用老家医保, 先在国家医保服务平台备案。",
        ["身份证", "医保电子凭证"],
        "异地就医备案咨询",
    ),
    (
        "schooling",
        "随迁子女入学积分申请",
        "拱墅区随迁子女义务教育入学按积分安排, 每年4月网上报名。",
        ["父母身份证", "户口簿", "居住证", "劳动合同", "社保缴费证明", "房屋租赁合同"],
        "随迁子女入学申请",
    ),
    (
        "schooling",
        "幼儿园报名须知",
        "3-6周岁随迁子女可就近报名公办或普惠性幼儿园。",
        ["儿童出生证明", "父母身份证", "居住证"],
        "",
    ),
    (
        "legal_aid",
        "被拖欠工资怎么办",
        "先与企业协商; 协商不成可向劳动保障监察投诉或申请劳动仲裁, 街道法律援助工作站免费帮助。",
        ["身份证", "劳动合同或工作证明", "工资条或考勤记录"],
        "欠薪法律援助申请",
    ),
    (
        "legal_aid",
        "工伤认定与赔偿",
        "工伤发生后30日内由单位申请认定; 单位不申请的, 本人1年内可以申请。",
        ["身份证", "诊断证明", "劳动关系证明"],
        "工伤法律援助申请",
    ),
    (
        "convenience",
        "电动自行车安全充电须知",
        "严禁私拉电线、入户充电; 请到公寓集中充电桩充电。发现私拉电线请报修或举报。",
        [],
        "",
    ),
    (
        "convenience",
        "杭州生活垃圾分类指南",
        "杭州生活垃圾分为可回收物、有害垃圾、易腐垃圾、其他垃圾四类, 定时定点投放。",
        [],
        "",
    ),
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


def seed(rng: random.Random, today: date) -> None:
    street = User.objects.filter(role=Role.STREET_ADMIN, is_superuser=False).first()
    categories = [
        m.FeedbackCategory.objects.create(name=n, route_to=r, department=d, response_hours=h, sort_order=i)
        for i, (n, r, d, h) in enumerate(CATEGORIES)
    ]
    for category, names in GARBAGE.items():
        m.GarbageItem.objects.bulk_create([m.GarbageItem(name=n, category=category) for n in names])
    for i, (module, title, summary, documents, kind) in enumerate(ARTICLES):
        m.Article.objects.create(
            module=module,
            title=title,
            summary=summary,
            body=summary + "\n\n详情请咨询街道便民服务中心 (石桥路279号, 工作日 9:00-17:00)。",
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

    enterprises = list(Enterprise.objects.order_by("id")[:120])
    now = _at(today, 9)
    jobs = []
    for i, enterprise in enumerate(enterprises):
        title, low, high, hours, benefits = JOBS[i % len(JOBS)]
        status = m.JobPosting.Status.PENDING if i % 10 == 9 else m.JobPosting.Status.PUBLISHED
        jobs.append(
            m.JobPosting(
                enterprise=enterprise,
                title=title,
                description=f"{enterprise.name}招聘{title}, 吃苦耐劳, 有经验者优先。",
                wage_min=low,
                wage_max=high,
                working_hours=hours,
                location=enterprise.address or "石桥街道",
                benefits=benefits,
                dormitory_provided=rng.random() < 0.6,
                headcount=rng.randint(1, 20),
                contact_name="人事部",
                contact_phone=f"0571-8{rng.randint(1000000, 9999999)}",
                status=status,
                published_at=now - timedelta(days=rng.randint(0, 30)) if status == "published" else None,
                reviewed_by=street if status == "published" else None,
            )
        )
    m.JobPosting.objects.bulk_create(jobs)

    rentals = []
    for apartment in Apartment.objects.order_by("id"):
        kinds = sorted(set(Room.objects.filter(apartment=apartment).values_list("kind", flat=True)))
        for kind in kinds[:2]:
            rent = {"single": 1200, "double": 1500, "dorm": 1600, "suite": 2200}.get(kind, 1500)
            rentals.append(
                m.RentalListing(
                    apartment=apartment,
                    room_kind=kind,
                    title=f"{apartment.name} {Room.Kind(kind).label}",
                    description="拎包入住, 近工业园, 公寓有人脸门禁和集中充电桩。",
                    monthly_rent=rent,
                    deposit=rent,
                    area_m2={"single": 12, "double": 18, "dorm": 25}.get(kind, 20),
                    facilities=rng.choice(RENTAL_FACILITIES),
                    contact_phone=f"0571-8{rng.randint(1000000, 9999999)}",
                )
            )
    m.RentalListing.objects.bulk_create(rentals)

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

    resident_user = User.objects.filter(username="xinshimin").first()
    if resident_user and street:
        thread = m.Feedback(
            author=resident_user,
            author_name="居民",
            kind="question",
            title="孩子明年上小学需要准备什么?",
            body="我在石桥上班两年了, 孩子明年6岁。",
            is_anonymous=True,
        )
        thread.route(categories[6], start=now - timedelta(days=3))
        thread.save()
        m.FeedbackReply.objects.create(
            feedback=thread,
            author=street,
            from_staff=True,
            body="请准备父母身份证、户口簿、居住证、劳动合同和社保缴费证明, 4月在拱墅区教育局网站报名积分入学。",
        )
        m.Feedback.objects.filter(pk=thread.pk).update(status="answered", first_response_at=now - timedelta(days=2))
