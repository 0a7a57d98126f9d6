"""Read side: what the big screen shows, from the precomputed tables only.

Every function takes the viewer and narrows to the blocks they may see
(``apartments.scoping.apartments_for``): the street sees the district, a micro
fire station its area. Nothing here reads readings, alarms or door events.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.db.models import Max, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from accounts.models import Role, User
from apartments.models import Apartment
from apartments.scoping import apartments_for
from cockpit import keywork
from cockpit.models import BlockDay, BlockFigures, BlockState
from cockpit.risk import CRITICAL_KINDS, kind_label, list_separator, reasons_of

COCKPIT_ROLES = frozenset({Role.STREET_ADMIN, Role.STATION_OPERATOR})


def may_use_cockpit(user: User) -> bool:
    """Street admins (cockpit operators, leaders) and micro fire station operators; superusers."""
    return bool(user.is_authenticated and user.is_active and (user.is_superuser or user.role in COCKPIT_ROLES))


def blocks_for(user: User) -> QuerySet[Apartment]:
    return apartments_for(user).filter(is_active=True)


def figures_for(user: User) -> QuerySet[BlockFigures]:
    return BlockFigures.objects.filter(apartment__in=blocks_for(user).values("pk"))


def area_name(user: User) -> str:
    if user.is_superuser or user.role == Role.STREET_ADMIN:
        from django.conf import settings

        return settings.DEMO_SUB_DISTRICT
    names = list(user.fire_stations.values_list("name", flat=True)[:2])
    if not names:
        return _("本辖区")
    return _("%(stations)s辖区") % {"stations": pgettext("between names", "、").join(names)}


def headline(user: User, today: date) -> dict[str, Any]:
    """The headline figures; ``None`` marks a figure not computed yet (no block figures, no acknowledged alarm)."""
    figs = figures_for(user)
    sums = figs.aggregate(
        residents=Sum("residents"),
        beds=Sum("beds"),
        registered=Sum("registered"),
        registration_overdue=Sum("registration_overdue"),
        permits=Sum("permits"),
        devices=Sum("devices"),
        devices_online=Sum("devices_online"),
        alarms_open=Sum("alarms_open"),
        alarms_critical_open=Sum("alarms_critical_open"),
        hazards_open=Sum("hazards_open"),
        hazards_overdue=Sum("hazards_overdue"),
        feedback_open=Sum("feedback_open"),
        computed_at=Max("computed_at"),
    )
    sums["blocks"] = figs.count()
    residents = sums["residents"] or 0
    sums["registration_rate"] = (
        round(sums["registered"] / residents, 4) if sums["registered"] is not None and residents else None
    )
    days = _day_sums(user, today - timedelta(days=6), today)
    today_kinds = {f[len("alarms:") :]: v for (d, f), v in days.items() if d == today and f.startswith("alarms:")}
    sums["alarms_today"] = int(sum(today_kinds.values()))
    sums["alarms_today_by_kind"] = [
        {"kind": k, "label": kind_label(k), "count": int(v), "critical": k in CRITICAL_KINDS}
        for k, v in sorted(today_kinds.items(), key=lambda kv: -kv[1])
    ]
    ack_seconds = sum(v for (_d, f), v in days.items() if f == "ack_seconds")
    ack_count = sum(v for (_d, f), v in days.items() if f == "ack_count")
    sums["ack_average_seconds"] = round(ack_seconds / ack_count) if ack_count else None
    states = defaultdict(int)
    for s in figs.values_list("state", flat=True):
        states[s] += 1
    sums["states"] = {s.value: states.get(s.value, 0) for s in BlockState}
    sums["computed_at"] = timezone.localtime(sums["computed_at"]).isoformat() if sums["computed_at"] else None
    return sums


def _day_sums(user: User, start: date, end: date, prefix: str | None = None) -> dict[tuple[date, str], float]:
    return day_sums(blocks_for(user).values("pk"), start, end, prefix)


def day_sums(blocks, start: date, end: date, prefix: str | None = None) -> dict[tuple[date, str], float]:
    """(day, figure) → total over ``blocks`` (ids or a values("pk") queryset) from the daily figures."""
    rows = BlockDay.objects.filter(apartment__in=blocks, day__gte=start, day__lte=end)
    if prefix:
        rows = rows.filter(figure__startswith=prefix)
    out: dict[tuple[date, str], float] = {}
    for row in rows.values("day", "figure").annotate(total=Sum("value")).order_by():
        out[(row["day"], row["figure"])] = row["total"]
    return out


def trends(user: User, today: date, days: int = 14) -> dict[str, Any]:
    """Series for the trend charts: alarms per day by kind, arrivals and departures, door traffic by hour."""
    start = today - timedelta(days=days - 1)
    sums = _day_sums(user, start, today)
    axis = [start + timedelta(days=i) for i in range(days)]
    kinds = sorted({f[len("alarms:") :] for (_d, f) in sums if f.startswith("alarms:")})

    def series(figure: str) -> list[int]:
        return [int(sums.get((d, figure), 0)) for d in axis]

    week = [d for d in axis if d > today - timedelta(days=7)]
    door_today = [int(sums.get((today, f"door:{h:02d}"), 0)) for h in range(24)]
    door_week = [round(sum(sums.get((d, f"door:{h:02d}"), 0) for d in week) / max(len(week), 1)) for h in range(24)]
    return {
        "days": [d.strftime("%m-%d") for d in axis],
        "alarms": [{"kind": k, "label": kind_label(k), "data": series(f"alarms:{k}")} for k in kinds],
        "check_ins": series("check_ins"),
        "check_outs": series("check_outs"),
        "registrations": series("registrations"),
        "door_today": door_today,
        "door_week_average": door_week,
    }


def block_rows(user: User) -> list[dict[str, Any]]:
    rows = figures_for(user).select_related("apartment").order_by("apartment__code")
    return [block_row(f) for f in rows]


def block_row(f: BlockFigures) -> dict[str, Any]:
    return {
        "id": f.apartment_id,
        "code": f.apartment.code,
        "name": f.apartment.name,
        "state": f.state,
        "state_label": str(BlockState(f.state).label),
        "risk_score": f.risk_score,
        "risk_reasons": reasons_of(f),
        "residents": f.residents,
        "unregistered": f.unregistered,
        "devices": f.devices,
        "devices_offline": f.devices_offline,
        "alarms_open": f.alarms_open,
        "hazards_open": f.hazards_open,
        "hazards_overdue": f.hazards_overdue,
    }


def top_risks(user: User, n: int = 10) -> list[dict[str, Any]]:
    rows = figures_for(user).select_related("apartment").filter(risk_score__gt=0).order_by("-risk_score", "apartment")
    return [block_row(f) for f in rows[:n]]


KEY_WORK = [
    # (key, title, hazard kinds of apartments.models.InspectionKind counted, what else the panel counts)
    ("personnel", gettext_lazy("人员信息"), ("rental",), "registration"),
    ("case_prevention", gettext_lazy("案件防范"), ("police",), None),
    ("fire_safety", gettext_lazy("消防安全"), ("fire", "patrol"), "alarms"),
    ("epidemic", gettext_lazy("疫情防控"), ("health",), None),
    ("garbage", gettext_lazy("垃圾分类"), ("garbage",), None),
]


def key_work(user: User) -> list[dict[str, Any]]:
    """The five key-work panels (重点工作): figures and the blocks to act on first."""
    figs = list(figures_for(user).select_related("apartment"))
    ids = [f.apartment_id for f in figs]
    checks = keywork.checks(ids)
    suspicious = keywork.suspicious(ids)
    panels = []
    for key, title, kinds, extra in KEY_WORK:
        per_block = []
        for f in figs:
            open_kind = sum(int((f.hazard_kinds_open or {}).get(k, 0)) for k in kinds)
            if extra == "registration":
                weight = (f.unregistered or 0) + (f.registration_overdue or 0) + open_kind
                detail = _personnel_detail(f, open_kind)
            elif extra == "alarms":
                weight = 3 * (f.alarms_open or 0) + (f.alarms_week or 0) + open_kind + f.devices_offline
                detail = _fire_detail(f, open_kind)
            elif key == "case_prevention":
                movements, refused = suspicious["per_block"].get(f.apartment_id, (0, 0))
                weight = open_kind + movements + refused
                detail = _case_detail(open_kind, movements, refused)
            else:
                weight = open_kind
                detail = _hazards_to_repair(open_kind) if open_kind else ""
            if weight > 0:
                per_block.append((weight, f, detail))
        per_block.sort(key=lambda t: (-t[0], t[1].apartment.code))
        figures = _panel_figures(key, figs, kinds)
        if key in keywork.PANEL_KINDS:
            figures += keywork.check_figures(checks[keywork.PANEL_KINDS[key]])
        if key == "case_prevention":
            figures += [
                {"label": _("7天可疑行为"), "value": suspicious["movements"]},
                {"label": _("7天拒绝开门"), "value": suspicious["refused"]},
            ]
        if key == "garbage":
            # The services module's garbage guide answers searches but keeps no count of them.
            figures.append({"label": _("指南查询"), "value": None, "missing": _("未记录")})
        panels.append(
            {
                "key": key,
                "title": str(title),
                "figures": figures,
                "to_act": [
                    {"id": f.apartment_id, "name": f.apartment.name, "detail": detail}
                    for _w, f, detail in per_block[:5]
                ],
            }
        )
    return panels


def _case_detail(open_kind: int, movements: int, refused: int) -> str:
    parts = []
    if open_kind:
        parts.append(ngettext("%(n)d项治安隐患", "%(n)d项治安隐患", open_kind) % {"n": open_kind})
    if movements:
        parts.append(ngettext("%(n)d次可疑行为", "%(n)d次可疑行为", movements) % {"n": movements})
    if refused:
        parts.append(ngettext("%(n)d次拒绝开门", "%(n)d次拒绝开门", refused) % {"n": refused})
    return list_separator().join(parts)


def _hazards_to_repair(n: int) -> str:
    return ngettext("%(n)d项隐患待整改", "%(n)d项隐患待整改", n) % {"n": n}


def _personnel_detail(f: BlockFigures, open_kind: int) -> str:
    parts = []
    if n := f.unregistered:
        parts.append(ngettext("%(n)d人未登记", "%(n)d人未登记", n) % {"n": n})
    if n := f.registration_overdue:
        parts.append(ngettext("%(n)d人逾期", "%(n)d人逾期", n) % {"n": n})
    if open_kind:
        parts.append(ngettext("%(n)d项出租房隐患", "%(n)d项出租房隐患", open_kind) % {"n": open_kind})
    return list_separator().join(parts)


def _fire_detail(f: BlockFigures, open_kind: int) -> str:
    parts = []
    if n := f.alarms_open:
        parts.append(ngettext("%(n)d起报警未处置", "%(n)d起报警未处置", n) % {"n": n})
    if n := f.alarms_week:
        parts.append(ngettext("本周%(n)d次报警", "本周%(n)d次报警", n) % {"n": n})
    if open_kind:
        parts.append(ngettext("%(n)d项消防隐患", "%(n)d项消防隐患", open_kind) % {"n": open_kind})
    if n := f.devices_offline:
        parts.append(ngettext("%(n)d台设备离线", "%(n)d台设备离线", n) % {"n": n})
    return list_separator().join(parts)


def _panel_figures(key: str, figs: list[BlockFigures], kinds) -> list[dict[str, Any]]:
    def total(attr: str) -> int | None:
        values = [getattr(f, attr) for f in figs]
        known = [v for v in values if v is not None]
        return sum(known) if known else None

    open_kind = sum(int((f.hazard_kinds_open or {}).get(k, 0)) for f in figs for k in kinds)
    if key == "personnel":
        residents = total("residents") or 0
        registered = total("registered")
        return [
            {"label": _("在住人数"), "value": residents},
            {"label": _("已登记"), "value": registered},
            {"label": _("未登记"), "value": None if registered is None else max(residents - registered, 0)},
            {"label": _("逾期未登记"), "value": total("registration_overdue")},
            {"label": _("已发居住证"), "value": total("permits")},
        ]
    if key == "fire_safety":
        devices = total("devices") or 0
        return [
            {"label": _("未处置报警"), "value": total("alarms_open")},
            {"label": _("近7天报警"), "value": total("alarms_week")},
            {"label": _("消防隐患"), "value": open_kind},
            {"label": _("离线设备"), "value": devices - (total("devices_online") or 0)},
        ]
    return [{"label": _("待整改隐患"), "value": open_kind}]  # the blocks concerned are listed under the figures


def overview(user: User) -> dict[str, Any]:
    """Everything the big screen's first view needs, in one answer."""
    today = timezone.localdate()
    return {
        "area": area_name(user),
        "today": today.isoformat(),
        "headline": headline(user, today),
        "trends": trends(user, today),
        "blocks": block_rows(user),
        "top_risks": top_risks(user),
        "key_work": key_work(user),
    }
