"""What the key-work panels (重点工作) count besides the precomputed block figures: the departments' checks and
their checklist results (治安, 卫生防疫, 垃圾分类, 消防), suspicious door, lift and radar events.

Each figure is counted over the viewer's blocks; a figure the platform does not record is ``None`` with a note
saying so (the screen shows the note, never a made-up 0).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apartments.models import Inspection, InspectionKind, InspectionResult, Outcome
from residents.models import AccessEvent, SuspiciousMovement

CHECK_DAYS = 30
EVENT_DAYS = 7
PANEL_KINDS = {
    "case_prevention": InspectionKind.POLICE,
    "fire_safety": InspectionKind.FIRE,
    "epidemic": InspectionKind.HEALTH,
    "garbage": InspectionKind.GARBAGE,
}


def checks(block_ids, now=None) -> dict[str, dict[str, int]]:
    """Per inspection kind: signed checks in the last CHECK_DAYS days, checklist items answered and failed."""
    now = now or timezone.now()
    since = now - timedelta(days=CHECK_DAYS)
    kinds = list(PANEL_KINDS.values())
    out = {k: {"checks": 0, "items": 0, "failed": 0} for k in kinds}
    rows = (
        Inspection.objects.filter(
            apartment__in=block_ids, kind__in=kinds, status=Inspection.Status.SIGNED, signed_at__gte=since
        )  # fmt: skip
        .values("kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        out[row["kind"]]["checks"] = row["n"]
    results = (
        InspectionResult.objects.filter(
            inspection__apartment__in=block_ids,
            inspection__kind__in=kinds,
            inspection__status=Inspection.Status.SIGNED,
            inspection__signed_at__gte=since,
        )
        .exclude(outcome__in=["", Outcome.NOT_APPLICABLE])
        .values("inspection__kind")
        .annotate(items=Count("id"), failed=Count("id", filter=Q(outcome=Outcome.FAIL)))
        .order_by()
    )
    for row in results:
        out[row["inspection__kind"]].update(items=row["items"], failed=row["failed"])
    return out


def suspicious(block_ids, now=None) -> dict[str, Any]:
    """Radar and lift evidence (尾随, 夜间逗留, 去往无关楼层) and doors refused, last EVENT_DAYS days, per block too."""
    now = now or timezone.now()
    since = now - timedelta(days=EVENT_DAYS)
    movements = dict(
        SuspiciousMovement.objects.filter(apartment__in=block_ids, at__gte=since)
        .values_list("apartment")
        .annotate(n=Count("id"))
        .order_by()
    )
    refused = dict(
        AccessEvent.objects.filter(apartment__in=block_ids, at__gte=since, decision__startswith="deny")
        .values_list("apartment")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {
        "movements": sum(movements.values()),
        "refused": sum(refused.values()),
        "per_block": {b: (movements.get(b, 0), refused.get(b, 0)) for b in set(movements) | set(refused)},
    }


def pass_rate(c: dict[str, int]) -> str | None:
    """Share of answered checklist items that passed, as text ("97.5%"); None before any answer."""
    if not c["items"]:
        return None
    return f"{100 * (c['items'] - c['failed']) / c['items']:.1f}%"


def check_figures(c: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {"label": _("30天检查"), "value": c["checks"]},
        {"label": _("合格率"), "value": pass_rate(c), "missing": _("无检查")},
    ]
