"""Where the cockpit's figures come from: one function per lower app, grouped by block.

Each function takes the ids of the blocks to compute and answers
``{apartment_id: {figure: value}}`` with a few GROUP BY queries (never one query
per block). The imports below are everything the cockpit reads from the apps under it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate, TruncHour
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.models import Alert, ResponsePlan, Severity
from apartments import coverage, hazards
from apartments.models import Apartment, Inspection, Room
from residents import registration
from residents.models import AccessEvent, ResidencePermit, ResidenceRegistration, Tenancy
from sensors.models import Device, LatestValue, Metric, ReadingRollup
from services.models import Feedback

Figures = dict[int, dict[str, float]]
DayRow = tuple[int, date, str, float]  # (apartment id, day, figure, value)


def _grouped(rows: Iterable[dict], key: str = "apartment") -> Figures:
    out: Figures = defaultdict(dict)
    for row in rows:
        apartment_id = row.pop(key)
        out[apartment_id].update({k: v or 0 for k, v in row.items()})
    return out


# --- the place and its residents ----------------------------------------------------------------


def place_figures(ids: list[int]) -> Figures:
    rows = (
        Room.objects.filter(apartment_id__in=ids)
        .values("apartment")
        .annotate(rooms=Count("id"), beds=Sum("capacity"))
        .order_by()
    )
    return _grouped(rows)


def resident_figures(ids: list[int]) -> Figures:
    rows = (
        Tenancy.objects.active()
        .filter(room__apartment_id__in=ids)
        .values("room__apartment")
        .annotate(residents=Count("resident", distinct=True))
        .order_by()
    )
    return _grouped(rows, key="room__apartment")


def resident_days(ids: list[int], start: date, end: date) -> Iterator[DayRow]:
    """Check-ins and check-outs per block and day."""
    for field, figure in (("check_in", "check_ins"), ("check_out", "check_outs")):
        rows = (
            Tenancy.objects.filter(room__apartment_id__in=ids, **{f"{field}__gte": start, f"{field}__lte": end})
            .values("room__apartment", field)
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in rows:
            yield row["room__apartment"], row[field], figure, float(row["n"])


# --- devices ------------------------------------------------------------------------------------


def device_figures(ids: list[int]) -> Figures:
    rows = (
        Device.objects.filter(apartment_id__in=ids, is_enabled=True)
        .values("apartment")
        .annotate(devices=Count("id"), devices_online=Count("id", filter=Q(is_online=True)))
        .order_by()
    )
    return _grouped(rows)


# --- alarms, hazards, registration, feedback, door passages ------------------------------------------

OPEN_ALARM = tuple(s for s in Alert.Status.values if s != Alert.Status.CLOSED)


def alarm_kind(metric: str) -> str:
    """An alarm's kind on the cockpit: the metric that tripped its rule ("offline" for a silent device)."""
    return metric or "offline"


def registration_figures(ids: list[int], today: date) -> Figures:
    """Registered, overdue and permit-holding residents per block (residents' own rules decide)."""
    tenancies = Tenancy.objects.filter(room__apartment_id__in=ids)
    out: Figures = defaultdict(dict)
    active = dict(tenancies.active().values_list("room__apartment").annotate(n=Count("id")).order_by())
    unregistered = dict(
        registration.unregistered_tenancies(tenancies).values_list("room__apartment").annotate(n=Count("id")).order_by()
    )
    overdue = dict(
        registration.overdue_registrations(tenancies, today=today)
        .order_by()
        .values_list("room__apartment")
        .annotate(n=Count("id"))
        .order_by()
    )
    permits = dict(
        ResidencePermit.objects.filter(
            status=ResidencePermit.Status.ISSUED,
            resident__tenancies__check_out__isnull=True,
            resident__tenancies__room__apartment_id__in=ids,
        )
        .values_list("resident__tenancies__room__apartment")
        .annotate(n=Count("id", distinct=True))
        .order_by()
    )
    for pk in ids:
        out[pk] = {
            "registered": active.get(pk, 0) - unregistered.get(pk, 0),
            "registration_overdue": overdue.get(pk, 0),
            "permits": permits.get(pk, 0),
        }
    return out


def registration_days(ids: list[int], start: date, end: date) -> Iterator[DayRow]:
    rows = (
        ResidenceRegistration.objects.filter(
            tenancy__room__apartment_id__in=ids, submitted_at__gte=_start_of(start), submitted_at__lt=_start_of(end, 1)
        )
        .annotate(day=TruncDate("submitted_at", tzinfo=_tz()))
        .values("tenancy__room__apartment", "day")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        yield row["tenancy__room__apartment"], row["day"], "registrations", float(row["n"])


def alarm_figures(ids: list[int], now: datetime) -> Figures:
    """Open and open critical alarms per block, and the last seven days' alarms by kind."""
    out: Figures = {
        pk: {"alarms_open": 0, "alarms_critical_open": 0, "alarms_week": 0, "alarm_kinds_week": {}} for pk in ids
    }
    open_rows = (
        Alert.objects.filter(apartment_id__in=ids, status__in=OPEN_ALARM)
        .values("apartment")
        .annotate(n=Count("id"), critical=Count("id", filter=Q(severity=Severity.CRITICAL)))
        .order_by()
    )
    for row in open_rows:
        out[row["apartment"]].update(alarms_open=row["n"], alarms_critical_open=row["critical"])
    week = (
        Alert.objects.filter(apartment_id__in=ids, raised_at__gte=now - timedelta(days=7))
        .values("apartment", "metric")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in week:
        figures = out[row["apartment"]]
        kind = alarm_kind(row["metric"])
        figures["alarm_kinds_week"][kind] = figures["alarm_kinds_week"].get(kind, 0) + row["n"]
        figures["alarms_week"] += row["n"]
    return out


def alarm_days(ids: list[int], start: date, end: date) -> Iterator[DayRow]:
    """Alarms per block, day and kind (``alarms:<kind>``), and time to acknowledge (``ack_seconds``, ``ack_count``)."""
    rows = Alert.objects.filter(
        apartment_id__in=ids, raised_at__gte=_start_of(start), raised_at__lt=_start_of(end, 1)
    ).values_list("apartment_id", "metric", "raised_at", "acknowledged_at")
    for apartment_id, metric, raised_at, acknowledged_at in rows.iterator(chunk_size=5000):
        day = timezone.localdate(raised_at)
        yield apartment_id, day, f"alarms:{alarm_kind(metric)}", 1.0
        if acknowledged_at is not None:
            yield apartment_id, day, "ack_seconds", max((acknowledged_at - raised_at).total_seconds(), 0.0)
            yield apartment_id, day, "ack_count", 1.0


def hazard_figures(ids: list[int], today: date) -> Figures:
    """Open and overdue hazards per block and kind, and this week's patrol coverage."""
    base = hazards.open_hazards().filter(apartment_id__in=ids)
    out: Figures = {pk: {"hazards_open": 0, "hazards_overdue": 0, "hazard_kinds_open": {}} for pk in ids}
    for apartment_id, kind, n in base.values_list("apartment", "kind").annotate(n=Count("pk")).order_by():
        out[apartment_id]["hazards_open"] += n
        out[apartment_id]["hazard_kinds_open"][kind] = n
    overdue = hazards.overdue_hazards(today, base).values_list("apartment").annotate(n=Count("pk")).order_by()
    for apartment_id, n in overdue:
        out[apartment_id]["hazards_overdue"] = n
    blocks = Apartment.objects.filter(pk__in=ids)
    days = [today - timedelta(days=i) for i in range(7)]
    missed: dict[int, int] = defaultdict(int)
    for day in days:
        for gap in coverage.missing_patrols(day, apartments=blocks, kinds=["patrol"]):
            missed[gap.apartment.pk] += 1
    for pk in ids:
        out[pk]["patrol_coverage"] = round(1 - missed.get(pk, 0) / len(days), 3)
    return out


def feedback_figures(ids: list[int]) -> Figures:
    rows = (
        Feedback.objects.filter(apartment_id__in=ids, status=Feedback.Status.OPEN)
        .values("apartment")
        .annotate(feedback_open=Count("id"))
        .order_by()
    )
    return _grouped(rows)


def door_days(ids: list[int], start: date, end: date) -> Iterator[DayRow]:
    """Door passages per block, day and hour (``door:HH``), in local time."""
    rows = (
        AccessEvent.objects.filter(apartment_id__in=ids, at__gte=_start_of(start), at__lt=_start_of(end, 1))
        .annotate(hour=TruncHour("at", tzinfo=_tz()))
        .values("apartment", "hour")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        hour = timezone.localtime(row["hour"])
        yield row["apartment"], hour.date(), f"door:{hour.hour:02d}", float(row["n"])


# --- one block (the drill-down) ------------------------------------------------------------------


def metric_units() -> dict[tuple[str, str], tuple[str, str, bool]]:
    """(device type code, metric key) → (name, unit, whether it is a yes/no metric)."""
    return {
        (m.device_type.code, m.key): (m.name, m.unit, m.kind == Metric.Kind.BOOLEAN)
        for m in Metric.objects.select_related("device_type")
    }


def device_latest(device_ids: list[int]) -> dict[int, dict[str, float]]:
    out: dict[int, dict[str, float]] = defaultdict(dict)
    for device_id, metric, value in LatestValue.objects.filter(device_id__in=device_ids).values_list(
        "device_id", "metric", "value"
    ):
        out[device_id][metric] = value
    return out


SPARK_METRICS = {"wire_temp", "residual_current", "pressure", "level", "level_pct", "people_count", "entries"}


def device_sparklines(device_ids: list[int], now: datetime, hours: int = 24) -> dict[int, dict]:
    """Hourly averages of each device's main metric over the last ``hours`` hours, from sensors' roll-ups."""
    since = now - timedelta(hours=hours)
    series: dict[tuple[int, str], dict[datetime, float]] = defaultdict(dict)
    rows = ReadingRollup.objects.filter(
        period="hour", device_id__in=device_ids, metric__in=SPARK_METRICS, bucket__gte=since
    ).values_list("device_id", "metric", "bucket", "sum_value", "count")
    for device_id, metric, bucket, total, n in rows:
        if n:
            series[(device_id, metric)][bucket] = round(total / n, 2)
    out: dict[int, dict] = {}
    for (device_id, metric), points in sorted(series.items()):
        if device_id in out:
            continue  # one line per device: its first metric in alphabetical order
        out[device_id] = {"metric": metric, "points": [points[b] for b in sorted(points)]}
    return out


def block_alarms(apartment: Apartment, limit: int = 20) -> list[dict]:
    """The block's latest alarms, open ones first."""
    rows = list(Alert.objects.filter(apartment=apartment).order_by("-raised_at")[: limit * 2])
    rows.sort(key=lambda a: (a.status not in OPEN_ALARM, -a.raised_at.timestamp()))
    return [
        {
            "id": a.pk,
            "kind": a.get_severity_display(),
            "text": a.title,
            "status": a.get_status_display(),
            "raised_at": _local(a.raised_at),
            "open": a.status in OPEN_ALARM,
            "critical": a.severity == Severity.CRITICAL,
        }
        for a in rows[:limit]
    ]


def block_inspections(apartment: Apartment, limit: int = 10) -> list[dict]:
    rows = (
        Inspection.objects.filter(apartment=apartment)
        .select_related("inspector")
        .order_by(F("signed_at").desc(nulls_last=True), "-id")[:limit]
    )
    return [
        {
            "kind": i.get_kind_display(),
            "status": i.get_status_display(),
            "inspector": str(i.inspector),
            "signed_at": _local(i.signed_at),
            "summary": i.summary,
        }
        for i in rows
    ]


def block_hazards(apartment: Apartment, limit: int = 20) -> list[dict]:
    today = timezone.localdate()
    rows = hazards.open_hazards().filter(apartment=apartment).order_by("deadline", "-id")[:limit]
    return [
        {
            "id": h.pk,
            "title": h.title,
            "kind": h.get_kind_display(),
            "severity": h.get_severity_display(),
            "status": h.get_status_display(),
            "deadline": h.deadline.isoformat(),
            "overdue": h.status == "open" and h.deadline < today,
        }
        for h in rows
    ]


def block_feedback(apartment: Apartment, limit: int = 10) -> list[dict]:
    rows = (
        Feedback.objects.filter(apartment=apartment)
        .exclude(status=Feedback.Status.CLOSED)
        .order_by("-created_at")[:limit]
    )
    return [
        {
            "title": f.title,
            "status": f.get_status_display(),
            "created_at": _local(f.created_at),
            "overdue": f.is_overdue,
        }
        for f in rows
    ]


ALERTS_WS_PATH = "/ws/alerts/?end=cockpit"  # the alerts app's socket the big screen's alarm feed listens to
COMMANDS_URL = "/api/v1/commands/"


def command_entry(apartment: Apartment) -> dict | None:
    """How the drill-down's one-click command calls the alerts app (POST commands/ with a response plan).

    None while no response plan is active: there is nothing to command with.
    """
    plans = list(ResponsePlan.objects.filter(is_active=True).order_by("category", "name"))
    if not plans:
        return None
    return {
        "url": COMMANDS_URL,
        "choice_field": "plan",
        "choice_label": _("预案"),
        "choices": [{"value": p.pk, "label": f"{p.get_category_display()} · {p.name}"} for p in plans],
        "text_field": "what",
        "default_text": _("%(place)s：请按预案立即处置") % {"place": apartment.name},
        "payload": {"apartment": apartment.pk},
    }


# --- time helpers -----------------------------------------------------------------------------------


def _tz():
    return timezone.get_current_timezone()


def _start_of(day: date, plus_days: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=plus_days), time.min))


def _local(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
