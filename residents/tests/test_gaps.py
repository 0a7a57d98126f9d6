"""The gap lists on seeded door-event histories: regulars without registration, silent residents, tailgating."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import Role
from residents import gaps
from residents.models import AccessEvent, ResidenceRegistration, Tenancy
from residents.tests.conftest import admin_as, api

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def entries(resident, apartment, door, days: list[int], decision="open", hour: int = 19) -> None:
    today = timezone.localdate()
    for d in days:
        day = today - timedelta(days=d)
        AccessEvent.objects.create(
            apartment=apartment,
            device=door.device,
            resident=resident,
            at=datetime(day.year, day.month, day.day, hour, 5, tzinfo=SHANGHAI),
            method="face",
            decision=decision,
            reason="seeded",
        )


def test_regular_visitors_without_tenancy_or_registration_are_listed(housed, district, door):
    unregistered = housed(registered=False, days_ago=20)
    entries(unregistered, district.mine, door, [1, 2, 4, 6], decision="open_remind")
    lives_elsewhere = housed(apartment=district.other)
    entries(lives_elsewhere, district.mine, door, [1, 3, 5], decision="deny_not_resident")
    registered = housed()
    entries(registered, district.mine, door, [1, 2, 3, 4, 5])
    occasional = housed(registered=False, days_ago=20)
    entries(occasional, district.mine, door, [1, 2])  # two days: not regular
    old_habit = housed(apartment=district.other)
    entries(old_habit, district.mine, door, [20, 21, 22, 23])  # outside the 14-day window
    moved_out = housed(days_ago=60)
    entries(moved_out, district.mine, door, [5, 6, 7, 8])  # while they still lived here
    Tenancy.objects.filter(resident=moved_out).update(check_out=timezone.localdate() - timedelta(days=4))

    rows = gaps.unregistered_regulars(_blocks(district))
    assert [(r.resident, r.days, r.problem) for r in rows] == [
        (unregistered, 4, "unregistered"),
        (lives_elsewhere, 3, "no_tenancy"),
    ]


def _blocks(district):
    from apartments.models import Apartment

    return Apartment.objects.filter(pk__in=[district.mine.pk, district.other.pk])


def test_registered_residents_silent_for_thirty_days_are_listed_with_one_click_check_out(housed, district, door):
    gone = housed(days_ago=90)
    entries(gone, district.mine, door, [45, 50])
    present = housed(days_ago=90)
    entries(present, district.mine, door, [2])
    newcomer = housed(days_ago=10)  # no events yet, but arrived recently
    unregistered = housed(days_ago=90, registered=False)  # listed elsewhere (overdue), not here
    body = api(district.users[Role.GRID_WORKER]).get("/api/v1/gaps/").json()
    assert [t["resident_id"] for t in body["silent_residents"]] == [gone.pk]
    assert body["silent_residents"][0]["last_seen"].startswith(str(timezone.localdate() - timedelta(days=45)))
    assert {newcomer.pk, unregistered.pk}.isdisjoint(t["resident_id"] for t in body["silent_residents"])

    tenancy_id = body["silent_residents"][0]["id"]
    manager = api(district.users[Role.PROPERTY_MANAGER])
    assert manager.post(f"/api/v1/tenancies/{tenancy_id}/check-out/", {}).status_code == 200
    assert ResidenceRegistration.objects.get(tenancy_id=tenancy_id).status == "deregistering"
    assert api(district.users[Role.GRID_WORKER]).get("/api/v1/gaps/").json()["silent_residents"] == []


def test_the_gap_page_in_the_admin_lists_and_checks_out(housed, district, door, client):
    gone = housed(days_ago=90)
    admin_as(client, district.users[Role.PROPERTY_MANAGER])
    assert "今日核查清单" in client.get("/admin/residents/resident/").content.decode()
    page = client.get("/admin/residents/resident/gaps/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "今日核查清单" in html and gone.name_masked in html and "一键退房" in html
    tenancy = Tenancy.objects.get(resident=gone)
    client.post("/admin/residents/resident/gaps/", {"check_out": tenancy.pk})
    tenancy.refresh_from_db()
    assert tenancy.check_out == timezone.localdate()
