"""Demo data for residents: registrations, permits, door events with gaps to find, consents and synthetic faces.

Never real people: the residents come from demo.district (generated), and face encodings here are random
vectors (the real test photos are for tests and benchmarks only).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings

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

EVENT_DAYS = 35


def _at(day: date, rng: random.Random, hour_from: int = 6, hour_to: int = 23) -> datetime:
    moment = time(rng.randint(hour_from, hour_to - 1), rng.randint(0, 59), rng.randint(0, 59))
    return datetime.combine(day, moment, tzinfo=ZoneInfo(settings.TIME_ZONE))


def seed(rng: random.Random, today: date) -> None:
    tenancies = list(Tenancy.objects.select_related("room").order_by("id"))
    now = _at(today, rng, 8, 9)
    registrations, permits = [], []
    for tenancy in tenancies:
        roll = rng.random()
        overdue_ok = (today - tenancy.check_in).days > settings.REGISTRATION_DEADLINE_DAYS
        if tenancy.check_out is None and roll < 0.06 and overdue_ok:
            continue  # arrived, never registered: the overdue list has people on it
        submitted = _at(tenancy.check_in + timedelta(days=rng.randint(0, 2)), rng)
        reg = ResidenceRegistration(
            resident_id=tenancy.resident_id,
            tenancy=tenancy,
            purpose=rng.choice(["work"] * 8 + ["business", "family"]),
            status=ResidenceRegistration.Status.CONFIRMED,
            resides_since=tenancy.check_in,
            submitted_at=submitted,
            reviewed_at=submitted + timedelta(hours=rng.randint(2, 30)),
            confirmed_at=submitted + timedelta(hours=rng.randint(2, 30)),
        )
        if tenancy.check_out is None and roll < 0.09:
            reg.status, reg.reviewed_at, reg.confirmed_at = ResidenceRegistration.Status.SUBMITTED, None, None
        elif tenancy.check_out is not None:
            reg.deregistration_due = add_working_days(tenancy.check_out, settings.DEREGISTRATION_DEADLINE_WORKING_DAYS)
            if rng.random() < 0.85:
                reg.status = ResidenceRegistration.Status.ENDED
                reg.deregistered_at = _at(tenancy.check_out + timedelta(days=1), rng)
            else:
                reg.status = ResidenceRegistration.Status.DEREGISTERING
        registrations.append(reg)
        long_enough = (today - tenancy.check_in).days > settings.PERMIT_MIN_REGISTERED_DAYS
        if tenancy.check_out is None and reg.status == "confirmed" and long_enough and rng.random() < 0.4:
            issued = today - timedelta(days=rng.randint(0, 200))
            permit = ResidencePermit(
                resident_id=tenancy.resident_id,
                basis=rng.choice(["job", "job", "home"]),
                status=ResidencePermit.Status.ISSUED,
                applied_at=_at(issued - timedelta(days=3), rng),
                registered_since=tenancy.check_in,
                reviewed_at=_at(issued, rng),
                valid_from=issued,
                valid_until=issued + timedelta(days=settings.PERMIT_VALID_DAYS - 1),
            )
            if rng.random() < 0.15:
                permit.status, permit.valid_from, permit.valid_until = ResidencePermit.Status.APPLIED, None, None
                permit.reviewed_at = None
            permits.append(permit)
    ResidenceRegistration.objects.bulk_create(registrations, batch_size=2000)
    ResidencePermit.objects.bulk_create(permits, batch_size=2000)
    for permit in ResidencePermit.objects.filter(status="issued", number__isnull=True):
        permit.number = f"330105{permit.valid_from:%Y}{permit.pk:08d}"
        permit.save(update_fields=["number"])

    _seed_faces(rng, tenancies, now)
    _seed_door_events(rng, today, tenancies)


def _seed_faces(rng: random.Random, tenancies: list[Tenancy], now: datetime) -> None:
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


def _seed_door_events(rng: random.Random, today: date, tenancies: list[Tenancy]) -> None:
    doors = {d.apartment_id: d for d in Device.objects.filter(device_type__code="door_controller")}
    if not doors:
        return
    registered = set(
        ResidenceRegistration.objects.filter(status__in=["submitted", "confirmed"]).values_list("tenancy_id", flat=True)
    )
    events = []
    start = today - timedelta(days=EVENT_DAYS)
    for tenancy in tenancies:
        apartment_id = tenancy.room.apartment_id
        door = doors.get(apartment_id)
        if door is None or tenancy.check_out is not None and tenancy.check_out < start:
            continue
        # One in twenty registered residents left long ago without telling anyone: no events.
        if tenancy.check_out is None and rng.random() < 0.05 and (today - tenancy.check_in).days > 60:
            continue
        decision = "open" if tenancy.pk in registered else "open_remind"
        first = max(start, tenancy.check_in)
        last = min(tenancy.check_out or today, today - timedelta(days=1))  # today's events are still to come
        for offset in range((last - first).days + 1):
            if rng.random() < 0.4:
                day = first + timedelta(days=offset)
                events.append(
                    AccessEvent(
                        apartment_id=apartment_id,
                        device=door,
                        resident_id=tenancy.resident_id,
                        at=_at(day, rng),
                        method=rng.choice(["face", "face", "face", "card", "qr"]),
                        decision=decision,
                        reason="演示数据",
                    )
                )
    # A few people of other blocks come to the flagship block nearly every day (visiting a "friend").
    flagship = Apartment.objects.filter(code="SQ-006").first()
    if flagship is not None and flagship.pk in doors:
        elsewhere = [t for t in tenancies if t.check_out is None and t.room.apartment_id != flagship.pk][:3]
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
