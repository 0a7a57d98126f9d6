from __future__ import annotations

import random
from datetime import date, timedelta

import factory

from apartments.factories import RoomFactory
from residents.idcard import make_id_number
from residents.models import Resident, Tenancy

_rng = random.Random(2026)


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resident

    name = factory.Sequence(lambda n: f"居民{n}")
    # A different birth date per person keeps the generated ID numbers unique.
    id_number = factory.Sequence(
        lambda n: make_id_number(_rng, "411302", date(1980, 1, 1) + timedelta(days=n), female=False)
    )
    phone = factory.Sequence(lambda n: f"1990000{n:04d}")
    hometown = "河南南阳"


class TenancyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenancy

    resident = factory.SubFactory(ResidentFactory)
    room = factory.SubFactory(RoomFactory)
    bed = "1"
    check_in = factory.LazyFunction(date.today)
