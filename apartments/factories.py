from __future__ import annotations

import factory

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


class SubDistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubDistrict
        django_get_or_create = ("code",)

    name = "石桥街道"
    code = "330105009"


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    sub_district = factory.SubFactory(SubDistrictFactory)
    name = factory.Sequence(lambda n: f"社区{n}")
    code = factory.Sequence(lambda n: f"C{n:03d}")


class GridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grid

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"第{n}网格")
    code = factory.Sequence(lambda n: f"G{n:03d}")


class PropertyCompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PropertyCompany

    name = factory.Sequence(lambda n: f"物业公司{n}")


class MicroFireStationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MicroFireStation

    name = factory.Sequence(lambda n: f"微型消防站{n}")


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"企业{n}")
    credit_code = factory.Sequence(lambda n: f"91330105T{n:08d}X"[:18])
    grid = factory.SubFactory(GridFactory)


class ApartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Apartment

    code = factory.Sequence(lambda n: f"T-{n:03d}")
    name = factory.Sequence(lambda n: f"测试公寓{n}")
    address = "杭州市拱墅区石桥路1号"
    grid = factory.SubFactory(GridFactory)
    floors = 6
    property_company = factory.SubFactory(PropertyCompanyFactory)
    micro_fire_station = factory.SubFactory(MicroFireStationFactory)


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    apartment = factory.SubFactory(ApartmentFactory)
    floor = 1
    number = factory.Sequence(lambda n: f"{100 + n}")
    capacity = 2
