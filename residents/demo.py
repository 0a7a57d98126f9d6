"""Demo data for residents: registrations, permits, door events with gaps to find, consents and synthetic faces.

Never real people: the residents come from demo.district (generated), and face encodings here are random
vectors (the real test photos are for tests and benchmarks only).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db import connection

from apartments.models import Apartment
from residents.faces import CONSENT_TEXT, CONSENT_VERSION, encoding_to_bytes
from residents.models import (
    AccessEvent,
    FaceConsent,
    FaceEnrolment,
    ResidencePermit,
    ResidenceRegistration,
    SuspiciousMovement,
    Tenancy,
)
from residents.registration import add_working_days
from sensors.models import Device
from shijiao.bulk import bulk_insert

EVENT_DAYS = 35
CONFIRMED, SUBMITTED = ResidenceRegistration.Status.CONFIRMED, ResidenceRegistration.Status.SUBMITTED
ENDED, DEREGISTERING = ResidenceRegistration.Status.ENDED, ResidenceRegistration.Status.DEREGISTERING


class Stay(NamedTuple):
    """What the seed needs of a tenancy (model instances for 60,000 of them cost seconds)."""

    id: int
    resident_id: int
    apartment_id: int
    check_in: date
    check_out: date | None


def _at(day: date, rng: random.Random, hour_from: int = 6, hour_to: int = 23) -> datetime:
    moment = time(rng.randint(hour_from, hour_to - 1), rng.randint(0, 59), rng.randint(0, 59))
    return datetime.combine(day, moment, tzinfo=ZoneInfo(settings.TIME_ZONE))


def seed(rng: random.Random, today: date, progress=lambda _m: None, history_days: int = 2) -> None:
    tenancies = [
        Stay(*row)
        for row in Tenancy.objects.order_by("id").values_list(
            "id", "resident_id", "room__apartment_id", "check_in", "check_out"
        )
    ]
    now = _at(today, rng, 8, 9)
    registrations, permits = [], []
    for tenancy in tenancies:
        roll = rng.random()
        overdue_ok = (today - tenancy.check_in).days > settings.REGISTRATION_DEADLINE_DAYS
        if tenancy.check_out is None and roll < 0.06 and overdue_ok:
            continue  # arrived, never registered: the overdue list has people on it
        submitted = _at(tenancy.check_in + timedelta(days=rng.randint(0, 2)), rng)
        status, reviewed, confirmed = CONFIRMED, submitted + timedelta(hours=rng.randint(2, 30)), None
        confirmed = reviewed
        due, deregistered = None, None
        if tenancy.check_out is None and roll < 0.09:
            status, reviewed, confirmed = SUBMITTED, None, None
        elif tenancy.check_out is not None:
            due = add_working_days(tenancy.check_out, settings.DEREGISTRATION_DEADLINE_WORKING_DAYS)
            if rng.random() < 0.85:
                status, deregistered = ENDED, _at(tenancy.check_out + timedelta(days=1), rng)
            else:
                status = DEREGISTERING
        purpose = rng.choice(["work"] * 8 + ["business", "family"])
        registrations.append(
            (tenancy.resident_id, tenancy.id, purpose, status, tenancy.check_in, submitted, reviewed, confirmed, due,
             deregistered)
        )  # fmt: skip
        long_enough = (today - tenancy.check_in).days > settings.PERMIT_MIN_REGISTERED_DAYS
        if tenancy.check_out is None and status == CONFIRMED and long_enough and rng.random() < 0.4:
            issued = today - timedelta(days=rng.randint(0, 200))
            basis = rng.choice(["job", "job", "home"])
            if rng.random() < 0.15:
                permits.append(
                    (tenancy.resident_id, basis, ResidencePermit.Status.APPLIED, _at(issued - timedelta(days=3), rng),
                     tenancy.check_in, None, None, None)
                )  # fmt: skip
            else:
                valid_until = issued + timedelta(days=settings.PERMIT_VALID_DAYS - 1)
                permits.append(
                    (tenancy.resident_id, basis, ResidencePermit.Status.ISSUED, _at(issued - timedelta(days=3), rng),
                     tenancy.check_in, _at(issued, rng), issued, valid_until)
                )  # fmt: skip
    bulk_insert(
        ResidenceRegistration,
        ["resident", "tenancy", "purpose", "status", "resides_since", "submitted_at", "reviewed_at", "confirmed_at",
         "deregistration_due", "deregistered_at"],
        registrations,
        progress=lambda done: progress(f"registrations {done}/{len(registrations)}"),
    )  # fmt: skip
    bulk_insert(
        ResidencePermit,
        ["resident", "basis", "status", "applied_at", "registered_since", "reviewed_at", "valid_from", "valid_until"],
        permits,
        progress=lambda done: progress(f"residence permits {done}/{len(permits)}"),
    )
    numbers = [
        (f"330105{valid_from:%Y}{pk:08d}", pk)
        for pk, valid_from in ResidencePermit.objects.filter(status="issued", number__isnull=True).values_list(
            "pk", "valid_from"
        )
    ]
    table = ResidencePermit._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET number = %s WHERE id = %s", numbers)

    _seed_faces(rng, tenancies, now)
    progress("face enrolments (random vectors, consent on paper)")
    _seed_door_events(rng, today, tenancies, progress)


def _seed_faces(rng: random.Random, tenancies: list[Stay], now: datetime) -> None:
    """About a third consented (on paper) and were enrolled; the encodings are random vectors."""
    chosen = [t.resident_id for t in tenancies if t.check_out is None and rng.random() < 0.35]
    FaceConsent.objects.bulk_create(
        [
            FaceConsent(
                resident_id=rid,
                purpose_version=CONSENT_VERSION,
                purpose_text=CONSENT_TEXT,
                channel=FaceConsent.Channel.PAPER,
                granted_at=now,
            )
            for rid in chosen
        ],
        batch_size=2000,
    )
    consents = dict(FaceConsent.objects.filter(resident_id__in=chosen).values_list("resident_id", "pk"))
    vectors = np.random.default_rng(rng.randint(0, 2**31)).normal(0.0, 0.09, size=(len(chosen), 128))
    FaceEnrolment.objects.bulk_create(
        [
            FaceEnrolment(resident_id=rid, consent_id=consents[rid], encoding_encrypted=encoding_to_bytes(vec))
            for rid, vec in zip(chosen, vectors, strict=True)
        ],
        batch_size=2000,
    )


def _seed_door_events(rng: random.Random, today: date, tenancies: list[Stay], progress) -> None:
    doors = {d.apartment_id: d for d in Device.objects.filter(device_type__code="door_controller")}
    if not doors:
        return
    registered = set(
        ResidenceRegistration.objects.filter(status__in=["submitted", "confirmed"]).values_list("tenancy_id", flat=True)
    )
    start = today - timedelta(days=EVENT_DAYS)
    methods = ["face", "face", "face", "card", "qr"]
    tz = ZoneInfo(settings.TIME_ZONE)

    def daily():
        for tenancy in tenancies:
            door = doors.get(tenancy.apartment_id)
            if door is None or tenancy.check_out is not None and tenancy.check_out < start:
                continue
            # One in twenty registered residents left long ago without telling anyone: no events.
            if tenancy.check_out is None and rng.random() < 0.05 and (today - tenancy.check_in).days > 60:
                continue
            decision = "open" if tenancy.id in registered else "open_remind"
            first = max(start, tenancy.check_in)
            last = min(tenancy.check_out or today, today - timedelta(days=1))  # today's events are still to come
            for offset in range((last - first).days + 1):
                if rng.random() < 0.4:
                    day = first + timedelta(days=offset)
                    at = datetime(day.year, day.month, day.day, rng.randint(6, 22), rng.randint(0, 59),
                                  rng.randint(0, 59), tzinfo=tz)  # fmt: skip
                    yield (tenancy.apartment_id, door.pk, tenancy.resident_id, at, rng.choice(methods), decision,
                           "演示数据")  # fmt: skip

    bulk_insert(
        AccessEvent,
        ["apartment", "device", "resident", "at", "method", "decision", "reason"],
        daily(),
        progress=lambda done: progress(f"door events {done}"),
    )
    events = []
    # A few people of other blocks come to the flagship block nearly every day (visiting a "friend").
    flagship = Apartment.objects.filter(code="SQ-006").first()
    if flagship is not None and flagship.pk in doors:
        elsewhere = [t for t in tenancies if t.check_out is None and t.apartment_id != flagship.pk][:3]
        for tenancy in elsewhere:
            for offset in range(1, 10, 2):
                events.append(
                    AccessEvent(
                        apartment_id=flagship.pk,
                        device=doors[flagship.pk],
                        resident_id=tenancy.resident_id,
                        at=_at(today - timedelta(days=offset), rng, 20, 23),
                        method="face",
                        decision="deny_not_resident",
                        reason="辖区其他公寓住户, 非本楼住户",
                        let_in_at=_at(today - timedelta(days=offset), rng, 23, 24),
                    )
                )
        SuspiciousMovement.objects.create(
            apartment=flagship,
            device=Device.objects.filter(apartment=flagship, device_type__code="radar", floor=1).first(),
            kind=SuspiciousMovement.Kind.TAILGATING,
            detail={"people": 3, "openings": 1, "location": "一楼门厅"},
            at=_at(today, rng, 0, 1),
        )
    AccessEvent.objects.bulk_create(events, batch_size=5000)
