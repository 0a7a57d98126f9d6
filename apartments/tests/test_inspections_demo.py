"""The demo's inspections: three weeks of patrols, hazards at every stage, a report that has something to say."""

from __future__ import annotations

import random

import pytest
from django.utils import timezone

from apartments.coverage import missing_patrols
from apartments.inspection_demo import seed
from apartments.models import Hazard, Inspection
from apartments.reports import monthly_report

pytestmark = pytest.mark.django_db


def test_the_demo_leaves_today_to_do_and_hazards_at_every_stage(district, checklists):
    for _ in range(3):  # more blocks, so that every stage shows up
        district.mine.pk = None
        district.mine.code = f"{district.mine.code}x"
        district.mine.save()
    seed(random.Random(6), timezone.localdate())
    assert Inspection.objects.filter(status="signed").count() > 40
    assert not Inspection.objects.filter(signed_at__date=timezone.localdate()).exists()
    assert {g.kind for g in missing_patrols()} >= {"patrol"}
    assert {h.status for h in Hazard.objects.all()} == {"open", "submitted", "closed"}
    assert all(h.events.exists() for h in Hazard.objects.all())
    today = timezone.localdate()
    report = monthly_report(today.year, today.month)
    assert report.total.inspections > 0
