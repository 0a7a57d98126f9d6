"""Checks on a mainland resident identity card number (GB 11643-1999)."""

from __future__ import annotations

import random
from datetime import date

from django.utils.translation import gettext as _

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def id_number_problem(value: str) -> str | None:
    """Why ``value`` is not a valid 18-digit ID number, in the active language; None when it is valid."""
    value = value.strip().upper()
    if len(value) != 18 or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return _("身份证号应为 18 位 (前 17 位数字, 末位数字或 X)")
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return _("身份证号中的出生日期无效")
    if check_digit(value[:17]) != value[17]:
        return _("身份证号校验位不正确, 请核对")
    return None


def check_digit(first17: str) -> str:
    """The GB 11643 check digit (0-9 or X) of the first 17 digits."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def make_id_number(rng: random.Random, area: str, birth: date, female: bool) -> str:
    """A valid ID number of a generated person (demo data, tests): sequence codes 990-999 are reserved for them."""
    seq = rng.randint(990, 999)
    # The last digit of the sequence code is odd for men, even for women.
    if (seq % 2 == 0) != female:
        seq = seq - 1 if seq > 990 else seq + 1
    first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)


def birth_date_of(value: str) -> date:
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def gender_of(value: str) -> str:
    return "F" if int(value[16]) % 2 == 0 else "M"
