"""Finding the gaps between door events and tenancies (人来不登记、人走不注销), for managers and grid workers.

* regulars without registration: people who entered a block on GAP_REGULAR_MIN_DAYS or more days within
  GAP_REGULAR_WINDOW_DAYS but have no tenancy there, or one without a registration;
* silent residents: registered tenants with no door event for GAP_SILENT_DAYS (left, never deregistered);
* tailgating: a door opened once while the entrance radar counted several people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Exists, Max, OuterRef, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from apartments.models import Apartment
from residents.models import AccessEvent, ResidenceRegistration, Resident, SuspiciousMovement, Tenancy


@dataclass
class Regular:
    resident: Resident
    apartment: Apartment
    days: int
    last_seen: datetime
    problem: str  # "no_tenancy" / "unregistered"
    tenancy: Tenancy | None

    @property
    def problem_display(self) -> str:
        return _("无入住记录") if self.problem == "no_tenancy" else _("未办理居住登记")


def _start_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(settings.TIME_ZONE))


def unregistered_regulars(apartments: QuerySet[Apartment], *, today: date | None = None) -> list[Regular]:
    """People entering a block on GAP_REGULAR_MIN_DAYS+ days of the window while not living there (no tenancy
    covering those days), or living there without a residence registration."""
    today = today or timezone.localdate()
    since = _start_of(today - timedelta(days=settings.GAP_REGULAR_WINDOW_DAYS))
    events = AccessEvent.objects.filter(apartment__in=apartments, resident__isnull=False, at__gte=since)
    candidates = list(
        events.annotate(day=TruncDate("at", tzinfo=ZoneInfo(settings.TIME_ZONE)))
        .values("apartment_id", "resident_id")
        .annotate(days=Count("day", distinct=True), last_seen=Max("at"))
        .filter(days__gte=settings.GAP_REGULAR_MIN_DAYS)
    )
    if not candidates:
        return []
    resident_ids = {c["resident_id"] for c in candidates}
    days: dict[tuple[int, int], set[date]] = {}
    for row in (
        events.filter(resident_id__in=resident_ids)
        .annotate(day=TruncDate("at", tzinfo=ZoneInfo(settings.TIME_ZONE)))
        .values_list("apartment_id", "resident_id", "day")
        .distinct()
    ):
        days.setdefault((row[0], row[1]), set()).add(row[2])
    stays: dict[tuple[int, int], list[Tenancy]] = {}
    registered = _registered_tenancy_ids(resident_ids)
    for tenancy in Tenancy.objects.filter(resident_id__in=resident_ids).select_related("room"):
        stays.setdefault((tenancy.room.apartment_id, tenancy.resident_id), []).append(tenancy)
    residents = Resident.objects.only("pk", "name").in_bulk(resident_ids)
    blocks = Apartment.objects.in_bulk({c["apartment_id"] for c in candidates})
    out = []
    for row in candidates:
        key = (row["apartment_id"], row["resident_id"])
        tenancies_here = stays.get(key, [])
        active = next((t for t in tenancies_here if t.check_out is None), None)
        if active is not None:
            if active.pk in registered:
                continue
            problem, counted = "unregistered", len(days.get(key, ()))
        else:
            # Days on which no tenancy of theirs covered this block (a past stay explains its own days).
            counted = sum(
                1
                for day in days.get(key, ())
                if not any(t.check_in <= day <= (t.check_out or today) for t in tenancies_here)
            )
            problem = "no_tenancy"
        if counted < settings.GAP_REGULAR_MIN_DAYS:
            continue
        out.append(
            Regular(
                resident=residents[row["resident_id"]],
                apartment=blocks[row["apartment_id"]],
                days=counted,
                last_seen=row["last_seen"],
                problem=problem,
                tenancy=active,
            )
        )
    return sorted(out, key=lambda r: (-r.days, r.apartment.code))


def _registered_tenancy_ids(resident_ids) -> set[int]:
    return set(
        ResidenceRegistration.objects.filter(
            resident_id__in=resident_ids,
            status__in=[ResidenceRegistration.Status.SUBMITTED, ResidenceRegistration.Status.CONFIRMED],
        ).values_list("tenancy_id", flat=True)
    )


def silent_residents(apartments: QuerySet[Apartment], *, today: date | None = None) -> QuerySet[Tenancy]:
    """Registered, active tenancies with no door event at their block for GAP_SILENT_DAYS days."""
    today = today or timezone.localdate()
    cutoff = today - timedelta(days=settings.GAP_SILENT_DAYS)
    recent = AccessEvent.objects.filter(
        resident=OuterRef("resident"), apartment=OuterRef("room__apartment"), at__gte=_start_of(cutoff)
    )
    last = AccessEvent.objects.filter(resident=OuterRef("resident"), apartment=OuterRef("room__apartment"))
    return (
        Tenancy.objects.active()
        .filter(room__apartment__in=apartments, check_in__lte=cutoff)
        .filter(
            registration__status__in=[ResidenceRegistration.Status.CONFIRMED, ResidenceRegistration.Status.SUBMITTED]
        )
        .annotate(seen=Exists(recent))
        .filter(seen=False)
        .annotate(last_seen=last.order_by("-at").values("at")[:1])
        .select_related("resident", "room__apartment", "registration")
        .order_by("room__apartment__code", "room__number")
    )


def tailgating_incidents(apartments: QuerySet[Apartment], *, today: date | None = None) -> QuerySet:
    """Tailgating seen by the entrance radars during ``today`` (local day)."""
    today = today or timezone.localdate()
    start = _start_of(today)
    return (
        SuspiciousMovement.objects.filter(
            apartment__in=apartments,
            kind=SuspiciousMovement.Kind.TAILGATING,
            at__gte=start,
            at__lt=start + timedelta(days=1),
        )
        .select_related("apartment", "device")
        .order_by("-at")
    )


def registration_gap_counts(apartments: QuerySet[Apartment], *, today: date | None = None) -> dict[str, int]:
    """人来不登记、人走不注销, counted for the cockpit: tenancies without registration (``unregistered``, of which
    ``overdue`` past the deadline), check-outs not deregistered by their deadline (``deregistration_overdue``),
    and tenancy requests waiting for the property (``pending_requests``)."""
    from residents.models import TenancyRequest
    from residents.registration import overdue_deregistrations, overdue_registrations, unregistered_tenancies

    today = today or timezone.localdate()
    tenancies = Tenancy.objects.filter(room__apartment__in=apartments)
    return {
        "unregistered": unregistered_tenancies(tenancies).count(),
        "overdue": overdue_registrations(tenancies, today=today).count(),
        "deregistration_overdue": overdue_deregistrations(
            ResidenceRegistration.objects.filter(tenancy__room__apartment__in=apartments), today=today
        ).count(),
        "pending_requests": TenancyRequest.objects.filter(
            room__apartment__in=apartments, status=TenancyRequest.Status.PENDING
        ).count(),
    }
