"""Plans and coverage: how often each block must be inspected, and which inspections are missing.

A block needs each planned kind once every ``frequency_days`` days: by default the daily patrol
by its grid worker and the monthly fire check (settings.INSPECTION_DEFAULT_FREQUENCY_DAYS),
overridden by InspectionPlan rows for the whole district or for one block.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Max, QuerySet
from django.utils import timezone

from accounts.models import User
from apartments.inspectors import kinds_for
from apartments.models import Apartment, Inspection, InspectionKind, InspectionPlan
from apartments.scoping import apartments_for


@dataclass(frozen=True)
class MissingPatrol:
    """A block whose inspection of ``kind`` is due and not done."""

    apartment: Apartment
    kind: str
    frequency_days: int
    last_done: datetime | None  # when the last signed inspection of this kind was signed

    @property
    def kind_label(self) -> str:
        return str(InspectionKind(self.kind).label)

    @property
    def days_since(self) -> int | None:
        return None if self.last_done is None else (timezone.localdate() - timezone.localdate(self.last_done)).days


def end_of_day(day: date) -> datetime:
    """The first instant after ``day`` in the local time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def required_frequencies(apartment_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """For each block, kind → frequency in days (kinds a block need not have are left out)."""
    district: dict[str, int | None] = dict(settings.INSPECTION_DEFAULT_FREQUENCY_DAYS)
    own: dict[int, dict[str, int | None]] = defaultdict(dict)
    ids = list(apartment_ids)
    for plan in InspectionPlan.objects.filter(apartment__isnull=True):
        district[plan.kind] = plan.frequency_days if plan.is_active else None
    for plan in InspectionPlan.objects.filter(apartment_id__in=ids):
        own[plan.apartment_id][plan.kind] = plan.frequency_days if plan.is_active else None
    return {pk: {k: v for k, v in {**district, **own[pk]}.items() if v} for pk in ids}


def last_inspections(day: date, apartment_ids: Iterable[int], kinds: Iterable[str]) -> dict[tuple[int, str], datetime]:
    """(block, kind) → when its last signed inspection up to the end of ``day`` was signed."""
    rows = (
        Inspection.objects.filter(
            status=Inspection.Status.SIGNED,
            signed_at__lt=end_of_day(day),
            apartment_id__in=list(apartment_ids),
            kind__in=list(kinds),
        )
        .values("apartment_id", "kind")
        .annotate(last=Max("signed_at"))
    )
    return {(row["apartment_id"], row["kind"]): row["last"] for row in rows}


def missing_patrols(
    day: date | None = None, *, apartments: QuerySet[Apartment] | None = None, kinds: Iterable[str] | None = None
) -> list[MissingPatrol]:
    """Blocks (active ones, of ``apartments``) whose planned inspections are not done for ``day``.

    An inspection of frequency N days is missing on ``day`` when none was signed on ``day`` or
    the N-1 days before it: the daily patrol must be done each day, the 30-day fire check within
    the last 30 days.
    """
    day = day or timezone.localdate()
    blocks = list((Apartment.objects.all() if apartments is None else apartments).filter(is_active=True))
    blocks.sort(key=lambda a: a.code)
    frequencies = required_frequencies(a.pk for a in blocks)
    wanted = set(kinds) if kinds is not None else None
    all_kinds = {k for per_block in frequencies.values() for k in per_block}
    last = last_inspections(day, (a.pk for a in blocks), all_kinds)
    missing = []
    for apartment in blocks:
        for kind, every in sorted(frequencies[apartment.pk].items()):
            if wanted is not None and kind not in wanted:
                continue
            done = last.get((apartment.pk, kind))
            if done is None or timezone.localdate(done) <= day - timedelta(days=every):
                missing.append(MissingPatrol(apartment=apartment, kind=kind, frequency_days=every, last_done=done))
    return missing


def tasks_for(user: User, day: date | None = None) -> list[MissingPatrol]:
    """``user``'s due inspections: the kinds they do, in the blocks they cover."""
    kinds = kinds_for(user)
    if not kinds:
        return []
    return missing_patrols(day, apartments=apartments_for(user), kinds=kinds)


def coverage_summary(day: date | None = None, apartments: QuerySet[Apartment] | None = None) -> dict[str, dict]:
    """kind → {"required": blocks that need it, "missing": blocks where it is not done} for ``day``."""
    day = day or timezone.localdate()
    blocks = (Apartment.objects.all() if apartments is None else apartments).filter(is_active=True)
    frequencies = required_frequencies(blocks.values_list("pk", flat=True))
    summary: dict[str, dict] = {}
    for per_block in frequencies.values():
        for kind in per_block:
            summary.setdefault(kind, {"label": str(InspectionKind(kind).label), "required": 0, "missing": 0})
            summary[kind]["required"] += 1
    for gap in missing_patrols(day, apartments=blocks):
        summary[gap.kind]["missing"] += 1
    return summary
