"""Where the cockpit's figures come from: one function per lower app, grouped by block.

Each function takes the ids of the blocks to compute and answers
``{apartment_id: {figure: value}}`` with a few GROUP BY queries (never one query
per block). A source whose app has not shipped its data yet answers ``None`` and
the screen shows "待接入" for its figures instead of a misleading zero; that is
the only place where the cockpit knows which apps exist.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from importlib import import_module
from types import ModuleType

from django.apps import apps
from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate, TruncHour
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apartments.models import Apartment, Room
from residents.models import Tenancy
from sensors.models import Device, Metric

Figures = dict[int, dict[str, float]]
DayRow = tuple[int, date, str, float]  # (apartment id, day, figure, value)


def _optional(module: str) -> ModuleType | None:
    """The module when its app has shipped it, else None."""
    try:
        return import_module(module)
    except ImportError:
        return None


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


# --- what other apps ship (None until they do) -----------------------------------------------------

SOURCES: dict[str, Promise] = {
    "registration": gettext_lazy("居住登记 (居民模块)"),
    "alarms": gettext_lazy("报警 (预警处置模块)"),
    "hazards": gettext_lazy("隐患与巡查 (检查模块)"),
    "feedback": gettext_lazy("诉求反馈 (便民服务模块)"),
    "door": gettext_lazy("门禁通行 (居民模块)"),
    "latest_values": gettext_lazy("设备实时数据 (物联感知模块)"),
}


def _model(label: str, name: str, *fields: str):
    """The model ``label.name`` when its app has shipped it with ``fields``, else None."""
    try:
        model = apps.get_model(label, name)
    except LookupError:
        return None
    names = {f.name for f in model._meta.get_fields()}
    if not all(f in names for f in fields):
        return None
    # A model whose migration has not been applied yet has landed in the code only.
    return model if _has_table(model._meta.db_table) else None


_seen_tables: set[str] = set()


def _has_table(name: str) -> bool:
    """Whether the table exists; a table once seen is remembered (tables are never dropped at run time)."""
    if name not in _seen_tables:
        _seen_tables.update(connection.introspection.table_names())
    return name in _seen_tables


def _registration_models():
    registration = _model("residents", "ResidenceRegistration", "tenancy", "status", "submitted_at")
    permit = _model("residents", "ResidencePermit", "resident", "status")
    module = _optional("residents.registration")
    if registration is None or module is None or not hasattr(module, "overdue_registrations"):
        return None
    return registration, permit, module


def _hazard_modules():
    hazards = _optional("apartments.hazards")
    if hazards is None or not all(hasattr(hazards, f) for f in ("open_hazards", "overdue_hazards")):
        return None
    return hazards, _optional("apartments.coverage")


def _alarm_model():
    return _model("alerts", "Alert", "apartment", "metric", "severity", "status", "raised_at", "acknowledged_at")


OPEN_ALARM = ("raised", "acknowledged", "handling")  # alerts.models.Alert.Status other than closed
CRITICAL = "critical"  # alerts.models.Severity.CRITICAL


def alarm_kind(metric: str) -> str:
    """An alarm's kind on the cockpit: the metric that tripped its rule ("offline" for a silent device)."""
    return metric or "offline"


def _feedback_model():
    return _model("services", "Feedback", "apartment", "status", "created_at")


def _access_event_model():
    return _model("residents", "AccessEvent", "apartment", "at")


def _latest_value_model():
    return _model("sensors", "LatestValue", "device", "metric", "value", "ts")


def _rollup_model():
    return _model("sensors", "ReadingRollup", "period", "device", "metric", "bucket", "sum_value", "count")


def available() -> dict[str, bool]:
    """Which of the sources above have landed in this installation."""
    return {
        "registration": _registration_models() is not None,
        "alarms": _alarm_model() is not None,
        "hazards": _hazard_modules() is not None,
        "feedback": _feedback_model() is not None,
        "door": _access_event_model() is not None,
        "latest_values": _latest_value_model() is not None,
    }


def registration_figures(ids: list[int], today: date) -> Figures | None:
    """Registered, overdue and permit-holding residents per block (residents' own rules decide)."""
    found = _registration_models()
    if found is None:
        return None
    _registration, permit, module = found
    tenancies = Tenancy.objects.filter(room__apartment_id__in=ids)
    out: Figures = defaultdict(dict)
    active = dict(tenancies.active().values_list("room__apartment").annotate(n=Count("id")).order_by())
    unregistered = dict(
        module.unregistered_tenancies(tenancies).values_list("room__apartment").annotate(n=Count("id")).order_by()
    )
    overdue = dict(
        module.overdue_registrations(tenancies, today=today)
        .order_by()
        .values_list("room__apartment")
        .annotate(n=Count("id"))
        .order_by()
    )
    permits: dict[int, int] = {}
    if permit is not None:
        permits = dict(
            permit.objects.filter(
                status="issued",
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
    found = _registration_models()
    if found is None:
        return
    registration = found[0]
    rows = (
        registration.objects.filter(
            tenancy__room__apartment_id__in=ids, submitted_at__gte=_start_of(start), submitted_at__lt=_start_of(end, 1)
        )
        .annotate(day=TruncDate("submitted_at", tzinfo=_tz()))
        .values("tenancy__room__apartment", "day")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        yield row["tenancy__room__apartment"], row["day"], "registrations", float(row["n"])


def alarm_figures(ids: list[int], now: datetime) -> Figures | None:
    """Open and open critical alarms per block, and the last seven days' alarms by kind."""
    model = _alarm_model()
    if model is None:
        return None
    out: Figures = {
        pk: {"alarms_open": 0, "alarms_critical_open": 0, "alarms_week": 0, "alarm_kinds_week": {}} for pk in ids
    }
    open_rows = (
        model.objects.filter(apartment_id__in=ids, status__in=OPEN_ALARM)
        .values("apartment")
        .annotate(n=Count("id"), critical=Count("id", filter=Q(severity=CRITICAL)))
        .order_by()
    )
    for row in open_rows:
        out[row["apartment"]].update(alarms_open=row["n"], alarms_critical_open=row["critical"])
    week = (
        model.objects.filter(apartment_id__in=ids, raised_at__gte=now - timedelta(days=7))
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
    model = _alarm_model()
    if model is None:
        return
    rows = model.objects.filter(
        apartment_id__in=ids, raised_at__gte=_start_of(start), raised_at__lt=_start_of(end, 1)
    ).values_list("apartment_id", "metric", "raised_at", "acknowledged_at")
    for apartment_id, metric, raised_at, acknowledged_at in rows.iterator(chunk_size=5000):
        day = timezone.localdate(raised_at)
        yield apartment_id, day, f"alarms:{alarm_kind(metric)}", 1.0
        if acknowledged_at is not None:
            yield apartment_id, day, "ack_seconds", max((acknowledged_at - raised_at).total_seconds(), 0.0)
            yield apartment_id, day, "ack_count", 1.0


def hazard_figures(ids: list[int], today: date) -> Figures | None:
    """Open and overdue hazards per block and kind, and this week's patrol coverage."""
    found = _hazard_modules()
    if found is None:
        return None
    hazards, coverage = found
    base = hazards.open_hazards().filter(apartment_id__in=ids)
    out: Figures = {pk: {"hazards_open": 0, "hazards_overdue": 0, "hazard_kinds_open": {}} for pk in ids}
    for apartment_id, kind, n in base.values_list("apartment", "kind").annotate(n=Count("pk")).order_by():
        out[apartment_id]["hazards_open"] += n
        out[apartment_id]["hazard_kinds_open"][kind] = n
    overdue = hazards.overdue_hazards(today, base).values_list("apartment").annotate(n=Count("pk")).order_by()
    for apartment_id, n in overdue:
        out[apartment_id]["hazards_overdue"] = n
    if coverage is not None and hasattr(coverage, "missing_patrols"):
        blocks = Apartment.objects.filter(pk__in=ids)
        days = [today - timedelta(days=i) for i in range(7)]
        missed: dict[int, int] = defaultdict(int)
        for day in days:
            for gap in coverage.missing_patrols(day, apartments=blocks, kinds=["patrol"]):
                missed[gap.apartment.pk] += 1
        for pk in ids:
            out[pk]["patrol_coverage"] = round(1 - missed.get(pk, 0) / len(days), 3)
    return out


def feedback_figures(ids: list[int]) -> Figures | None:
    model = _feedback_model()
    if model is None:
        return None
    rows = (
        model.objects.filter(apartment_id__in=ids, status="open")
        .values("apartment")
        .annotate(feedback_open=Count("id"))
        .order_by()
    )
    return _grouped(rows)


def door_days(ids: list[int], start: date, end: date) -> Iterator[DayRow]:
    """Door passages per block, day and hour (``door:HH``), in local time."""
    model = _access_event_model()
    if model is None:
        return
    rows = (
        model.objects.filter(apartment_id__in=ids, at__gte=_start_of(start), at__lt=_start_of(end, 1))
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
    model = _latest_value_model()
    if model is None:
        return {}
    out: dict[int, dict[str, float]] = defaultdict(dict)
    for device_id, metric, value in model.objects.filter(device_id__in=device_ids).values_list(
        "device_id", "metric", "value"
    ):
        out[device_id][metric] = value
    return out


SPARK_METRICS = {"wire_temp", "residual_current", "pressure", "level", "level_pct", "people_count", "entries"}


def device_sparklines(device_ids: list[int], now: datetime, hours: int = 24) -> dict[int, dict]:
    """Hourly averages of each device's main metric over the last ``hours`` hours, from sensors' roll-ups."""
    model = _rollup_model()
    if model is None:
        return {}
    since = now - timedelta(hours=hours)
    series: dict[tuple[int, str], dict[datetime, float]] = defaultdict(dict)
    rows = model.objects.filter(
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


def block_alarms(apartment: Apartment, limit: int = 20) -> list[dict] | None:
    """The block's latest alarms, open ones first."""
    model = _alarm_model()
    if model is None:
        return None
    rows = list(model.objects.filter(apartment=apartment).order_by("-raised_at")[: limit * 2])
    rows.sort(key=lambda a: (a.status not in OPEN_ALARM, -a.raised_at.timestamp()))
    return [
        {
            "id": a.pk,
            "kind": a.get_severity_display(),
            "text": a.title,
            "status": a.get_status_display(),
            "raised_at": _local(a.raised_at),
            "open": a.status in OPEN_ALARM,
            "critical": a.severity == CRITICAL,
        }
        for a in rows[:limit]
    ]


def block_inspections(apartment: Apartment, limit: int = 10) -> list[dict] | None:
    model = _model("apartments", "Inspection", "apartment", "kind", "status", "signed_at", "inspector")
    if model is None:
        return None
    rows = (
        model.objects.filter(apartment=apartment)
        .select_related("inspector")
        .order_by(F("signed_at").desc(nulls_last=True), "-id")[:limit]
    )
    return [
        {
            "kind": i.get_kind_display(),
            "status": i.get_status_display(),
            "inspector": str(i.inspector),
            "signed_at": _local(i.signed_at),
            "summary": getattr(i, "summary", ""),
        }
        for i in rows
    ]


def block_hazards(apartment: Apartment, limit: int = 20) -> list[dict] | None:
    found = _hazard_modules()
    if found is None:
        return None
    hazards = found[0]
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


def block_feedback(apartment: Apartment, limit: int = 10) -> list[dict] | None:
    model = _feedback_model()
    if model is None:
        return None
    rows = model.objects.filter(apartment=apartment).exclude(status="closed").order_by("-created_at")[:limit]
    return [
        {
            "title": f.title,
            "status": f.get_status_display(),
            "created_at": _local(f.created_at),
            "overdue": bool(getattr(f, "is_overdue", False)),
        }
        for f in rows
    ]


def alerts_ws_path() -> str:
    """The alerts app's WebSocket the big screen's alarm feed listens to ("" until it exists); see docs/alerts.md."""
    routing = _optional("alerts.routing")
    if routing is None or not getattr(routing, "websocket_urlpatterns", None) or _alarm_model() is None:
        return ""
    return "/ws/alerts/?end=cockpit"


COMMANDS_URL = "/api/v1/commands/"


def command_entry(apartment: Apartment) -> dict | None:
    """How the drill-down's one-click command calls the alerts app (POST commands/ with a response plan)."""
    plan = _model("alerts", "ResponsePlan", "name", "category", "is_active")
    if plan is None:
        return None
    try:
        resolve(COMMANDS_URL)
    except Resolver404:
        return None
    plans = list(plan.objects.filter(is_active=True).order_by("category", "name"))
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
