"""找医生: clinics nearest first, and appointment requests."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, QuerySet, Value
from django.db.models.functions import Power
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from services.models import Appointment, Clinic, ClinicDepartment
from services.residence import display_name_of
from shijiao.errors import DomainError

EARTH_RADIUS_M = 6_371_000


def nearest_first(clinics: QuerySet[Clinic], lat: float, lon: float) -> QuerySet[Clinic]:
    """Order by an equirectangular distance (exact enough within a city, and index-free SQL)."""
    k = Value(Decimal(f"{math.cos(math.radians(lat)):.6f}"))
    d_lat = ExpressionWrapper(F("latitude") - Value(Decimal(f"{lat:.6f}")), output_field=DecimalField())
    d_lon = ExpressionWrapper((F("longitude") - Value(Decimal(f"{lon:.6f}"))) * k, output_field=DecimalField())
    return clinics.annotate(_d2=Power(d_lat, 2) + Power(d_lon, 2)).order_by("_d2", "id")


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> int:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * EARTH_RADIUS_M * math.asin(math.sqrt(a)))


def appointment_request(
    *,
    clinic: Clinic,
    by: User,
    day: date,
    period: str,
    phone: str,
    department: ClinicDepartment | None = None,
    symptoms: str = "",
    name: str = "",
) -> Appointment:
    if by.role != Role.RESIDENT:
        raise DomainError(_("请使用居民账号预约"), code="residents_only", status_code=403)
    if not clinic.is_active or not clinic.accepts_appointments:
        raise DomainError(_("该机构暂不接受线上预约, 请电话联系"), code="no_appointments", status_code=409)
    if department is not None and department.clinic_id != clinic.pk:
        raise DomainError(_("科室不属于该机构"), code="invalid_department")
    if day < timezone.localdate():
        raise DomainError(_("就诊日期不能早于今天"), code="date_in_past")
    name = (name or display_name_of(by)).strip()
    if not name:
        raise DomainError(_("请填写姓名"), code="name_required")
    return Appointment.objects.create(
        clinic=clinic,
        department=department,
        user=by,
        name=name,
        date=day,
        period=period,
        phone=phone,
        symptoms=symptoms,
    )


def appointment_cancel(*, appointment: Appointment, by: User) -> Appointment:
    if appointment.user_id != by.pk:
        raise DomainError(_("只能取消自己的预约"), code="forbidden", status_code=403)
    if appointment.status in (Appointment.Status.DONE, Appointment.Status.CANCELLED):
        raise DomainError(_("该预约已结束"), code="finished", status_code=409)
    appointment.status = Appointment.Status.CANCELLED
    appointment.save(update_fields=["status"])
    return appointment
