"""Generated people for the demo: plausible, deterministic, never real persons.

ID numbers carry a valid GB 11643 check digit but use sequence codes 990-999,
which this project reserves for generated people; phone numbers use the
1990000xxxx-1990999xxxx block. Both ranges are documented in docs/demo-data.md.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from residents.idcard import make_id_number

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红文斌宇浩凯鑫鹏飞辉俊欣怡佳琪雪梅丹玲婷晨阳春林海波燕云峰亮成荣新利清飞"

# Hometowns of Shiqiao's migrant workers: (name, area code of the issuing county).
HOMETOWNS = [
    ("河南南阳", "411302"),
    ("河南周口", "411602"),
    ("河南信阳", "411502"),
    ("安徽阜阳", "341202"),
    ("安徽六安", "341502"),
    ("江西上饶", "361102"),
    ("四川南充", "511302"),
    ("四川达州", "511702"),
    ("贵州毕节", "520502"),
    ("湖南邵阳", "430502"),
    ("湖北黄冈", "421102"),
    ("云南昭通", "530602"),
    ("甘肃天水", "620502"),
    ("重庆万州", "500101"),
    ("浙江衢州", "330802"),
    ("山东临沂", "371302"),
]


def make_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def make_phone(rng: random.Random) -> str:
    return f"1990{rng.randint(0, 999):03d}{rng.randint(0, 9999):04d}"


def make_person(rng: random.Random, today: date) -> dict:
    female = rng.random() < 0.42
    hometown, area = rng.choice(HOMETOWNS)
    birth = today - timedelta(days=rng.randint(18 * 365, 55 * 365))
    return {
        "name": make_name(rng),
        "female": female,
        "hometown": hometown,
        "birth_date": birth,
        "id_number": make_id_number(rng, area, birth, female),
        "phone": make_phone(rng),
    }
