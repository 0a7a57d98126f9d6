"""Who the retention job anonymises, who it leaves alone, and what an anonymised record still allows."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import Role
from apartments.factories import RoomFactory
from residents.idcard import make_id_number
from residents.models import ResidencePermit, ResidenceRegistration, Resident, Tenancy
from residents.retention import purge_expired_personal_data, resident_anonymise, residents_past_retention
from residents.tenancies import resident_check_in, resident_check_out
from residents.tests.conftest import api, days_ago
from shijiao.errors import DomainError

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _a_year(settings):
    settings.RESIDENT_RETENTION_DAYS = 365


def left(resident: Resident, on) -> Resident:
    resident_check_out(tenancy=Tenancy.objects.get(resident=resident, check_out__isnull=True), check_out=on)
    return resident


def test_it_anonymises_who_left_as_long_ago_as_the_retention_only(housed):
    a_year_ago = left(housed(days_ago=900), days_ago(365))
    a_day_less = left(housed(days_ago=900), days_ago(364))
    staying = housed(days_ago=900)
    assert list(residents_past_retention()) == [a_year_ago]
    assert purge_expired_personal_data() == {"residents": 1}
    assert {r.pk for r in Resident.objects.filter(anonymised_at__isnull=True)} == {a_day_less.pk, staying.pk}


def test_the_last_check_out_counts_not_an_older_one(housed, district):
    mover = left(housed(days_ago=900), days_ago(700))  # left one block long ago ...
    room = RoomFactory(apartment=district.other, capacity=2)
    Tenancy.objects.create(resident=mover, room=room, check_in=days_ago(600), check_out=days_ago(100))  # ... came back
    came_back = left(housed(days_ago=900), days_ago(800))
    resident_check_in(resident=came_back, room=room, check_in=days_ago(10))  # lives here again
    assert purge_expired_personal_data() == {"residents": 0}


def test_a_permit_still_valid_keeps_the_record_until_the_retention_after_its_end(housed):
    holder = left(housed(days_ago=900), days_ago(400))
    permit = ResidencePermit.objects.create(
        resident=holder,
        basis="job",
        status=ResidencePermit.Status.ISSUED,
        number="33010520250000001",
        applied_at=timezone.now() - timedelta(days=700),
        registered_since=days_ago(900),
        valid_from=days_ago(450),
        valid_until=days_ago(100),
        revoke_reason="",
    )
    assert purge_expired_personal_data() == {"residents": 0}
    ResidencePermit.objects.filter(pk=permit.pk).update(valid_until=days_ago(366), reject_reason="照片不清晰: 张三")
    assert purge_expired_personal_data() == {"residents": 1}
    permit.refresh_from_db()
    assert permit.number is None and permit.reject_reason == "" and permit.status == "issued"  # counted, not named


def test_a_record_of_someone_who_never_moved_in_goes_after_the_retention(make_user):
    from residents.factories import ResidentFactory

    fresh, stale = ResidentFactory(), ResidentFactory()
    Resident.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(days=366))
    assert purge_expired_personal_data() == {"residents": 1}
    assert Resident.objects.get(pk=stale.pk).anonymised_at is not None
    assert Resident.objects.get(pk=fresh.pk).anonymised_at is None


def test_free_text_on_registrations_is_cleared_and_the_registration_counted(housed):
    resident = housed(registered=True, days_ago=900)
    ResidenceRegistration.objects.filter(resident=resident).update(return_reason="身份证 330102199001011234 不清晰")
    left(resident, days_ago(400))
    purge_expired_personal_data()
    registration = ResidenceRegistration.objects.get(resident=resident)
    assert registration.return_reason == "" and registration.status == ResidenceRegistration.Status.DEREGISTERING


def test_a_current_resident_cannot_be_anonymised(housed):
    with pytest.raises(DomainError, match="仍在住"):
        resident_anonymise(resident=housed(), reason="test")


def test_an_anonymised_record_is_nobody_and_the_person_can_register_again(housed, district):
    manager = api(district.users[Role.PROPERTY_MANAGER])
    number = make_id_number(random.Random(5), "411302", date(1993, 3, 3), female=True)
    gone = left(housed(days_ago=900, id_number=number, phone="19900005555"), days_ago(400))
    purge_expired_personal_data()
    gone.refresh_from_db()
    assert gone.name_masked == "已匿名" and gone.id_number_masked == "" and gone.phone_masked == ""
    gone.save()  # saving again keeps the placeholder hash (the column is unique)
    assert gone.id_number_hash == f"anonymised:{gone.pk}"

    room = RoomFactory(apartment=district.mine, capacity=2)
    refused = api(district.users[Role.STREET_ADMIN]).post(
        "/api/v1/tenancies/", {"resident": gone.pk, "room": room.pk, "check_in": str(days_ago(0))}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json()["message"] == "该新市民的个人信息已按保存期限删除, 请重新登记后再办理入住"
    again = manager.post(
        "/api/v1/residents/", {"name": "王小红", "id_number": number, "phone": "19900005555"}, format="json"
    )
    assert again.status_code == 201, again.json()
    street = api(district.users[Role.STREET_ADMIN])  # sees every record, and the anonymised one is not among them
    assert [r["id"] for r in street.get("/api/v1/residents/").json()["results"]] == [again.json()["id"]]


def test_production_runs_the_job_every_day():
    assert settings.CELERY_BEAT_SCHEDULE["residents-purge-personal-data"] == {
        "task": "residents.purge_personal_data",
        "schedule": 86400.0,
    }
