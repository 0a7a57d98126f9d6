from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from apartments.factories import ApartmentFactory, EnterpriseFactory
from services import models as m


class JobPostingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.JobPosting

    enterprise = factory.SubFactory(EnterpriseFactory)
    title = factory.Sequence(lambda n: f"缝纫工{n}")
    wage_min = 5000
    wage_max = 8000
    working_hours = "8:00-17:30"
    location = "石桥路1号"
    contact_name = "人事部"
    contact_phone = "0571-88880000"
    status = m.JobPosting.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)


class RentalListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.RentalListing

    apartment = factory.SubFactory(ApartmentFactory)
    room_kind = "double"
    title = factory.Sequence(lambda n: f"双人间{n}")
    monthly_rent = 1500
    deposit = 1500
    contact_phone = "0571-88881111"


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Clinic

    name = factory.Sequence(lambda n: f"社区卫生服务站{n}")
    kind = m.Clinic.Kind.HEALTH_STATION
    address = "石桥路2号"
    latitude = Decimal("30.330000")
    longitude = Decimal("120.190000")
    phone = "0571-88882222"
    opening_hours = "8:00-17:00"
    insurance = ["hangzhou"]


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Article

    module = m.Module.LEGAL_AID
    title = "被拖欠工资怎么办"
    body = "先协商, 再投诉或仲裁。"
    documents = ["身份证", "劳动合同"]
    request_kind = "欠薪法律援助申请"


class FeedbackCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.FeedbackCategory

    name = factory.Sequence(lambda n: f"类别{n}")
    route_to = m.FeedbackCategory.Route.PROPERTY_MANAGER
    response_hours = 24


def overdue_by(hours: int):
    return timezone.now() - timedelta(hours=hours)
