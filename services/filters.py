from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from apartments.models import Room
from services.models import Clinic, Facility, Insurance, JobPosting, RentalListing


class JobFilter(django_filters.FilterSet):
    wage_from = django_filters.NumberFilter(field_name="wage_max", lookup_expr="gte", label=_("月薪不低于 (元)"))
    dormitory = django_filters.BooleanFilter(field_name="dormitory_provided", label=_("提供宿舍"))

    class Meta:
        model = JobPosting
        fields = ["enterprise"]


class RentalFilter(django_filters.FilterSet):
    room_kind = django_filters.ChoiceFilter(choices=Room.Kind.choices, label=_("房型"))
    rent_min = django_filters.NumberFilter(field_name="monthly_rent", lookup_expr="gte", label=_("租金不低于"))
    rent_max = django_filters.NumberFilter(field_name="monthly_rent", lookup_expr="lte", label=_("租金不高于"))
    facility = django_filters.ChoiceFilter(choices=Facility.choices, method="with_facility", label=_("设施"))
    has_vacancy = django_filters.BooleanFilter(method="vacancy", label=_("只看有空床位"))

    class Meta:
        model = RentalListing
        fields = ["apartment"]

    def with_facility(self, queryset, name, value):
        # Textual match on the JSON list: works on PostgreSQL and on the SQLite demo alike.
        return queryset.filter(facilities__icontains=f'"{value}"')

    def vacancy(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(vacant_beds__gt=0) if value else queryset.filter(vacant_beds__lte=0)


class ClinicFilter(django_filters.FilterSet):
    insurance = django_filters.ChoiceFilter(choices=Insurance.choices, method="accepts", label=_("可用医保"))

    class Meta:
        model = Clinic
        fields = ["kind"]

    def accepts(self, queryset, name, value):
        return queryset.filter(insurance__icontains=f'"{value}"')
