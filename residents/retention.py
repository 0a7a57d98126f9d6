"""How long residents' personal data is kept (PIPL Art. 19, Art. 47): anonymise people who left long enough ago.

``RESIDENT_RETENTION_DAYS`` after the person's purpose ended (the later of their last check-out and the end of
their last permit's validity; for someone who never moved in, the day the record was made) the job
``residents.purge_personal_data`` erases in place what identifies them: name, ID number and its keyed hash,
phone and its hash, birth date, emergency contact, employer, the link to the mini-program account, face
encodings, door cards and PINs, the free-text reasons on their registrations and permits, the permit number.
The rows stay, so the counts built on them (residents per block and day, check-ins and check-outs,
registrations, permits, door events) do not change; gender and hometown stay for the same statistics.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import User
from residents import faces
from residents.models import AccessCredential, ResidencePermit, ResidenceRegistration, Resident, Tenancy
from shijiao.errors import DomainError


def residents_past_retention(*, now: datetime | None = None) -> QuerySet[Resident]:
    """Residents not yet anonymised whose purpose ended more than RESIDENT_RETENTION_DAYS ago."""
    now = now or timezone.now()
    days = settings.RESIDENT_RETENTION_DAYS
    cutoff = timezone.localdate(now) - timedelta(days=days)
    tenancies = Tenancy.objects.filter(resident=OuterRef("pk"))
    permit_in_use = ResidencePermit.objects.filter(resident=OuterRef("pk")).filter(
        Q(status=ResidencePermit.Status.APPLIED, applied_at__gt=now - timedelta(days=days))
        | Q(status=ResidencePermit.Status.ISSUED, valid_until__gt=cutoff)
    )
    return (
        Resident.objects.filter(anonymised_at__isnull=True)
        .exclude(Exists(tenancies.filter(check_out__isnull=True)))
        .exclude(Exists(tenancies.filter(check_out__gt=cutoff)))
        .exclude(Exists(permit_in_use))
        .filter(Exists(tenancies) | Q(created_at__lte=now - timedelta(days=days)))
    )


@transaction.atomic
def resident_anonymise(*, resident: Resident, reason: str, by: User | None = None, request=None) -> Resident:
    """Erase what identifies ``resident``, keep the rows that statistics count; audited (``resident.anonymised``)."""
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    if resident.anonymised_at is not None:
        return resident
    if Tenancy.objects.active().filter(resident=resident).exists():
        raise DomainError(_("该新市民仍在住, 退房后才能删除其个人信息"), code="still_resident")
    faces.face_data_delete(resident=resident)
    AccessCredential.objects.filter(resident=resident).delete()
    ResidenceRegistration.objects.filter(resident=resident).update(return_reason="")
    ResidencePermit.objects.filter(resident=resident).update(number=None, reject_reason="", revoke_reason="")
    # update(), not save(): save() would hash the empty ID number, and the hash column is unique.
    Resident.objects.filter(pk=resident.pk).update(
        name="",
        id_number="",
        id_number_hash=f"anonymised:{resident.pk}",
        phone="",
        phone_hash="",
        birth_date=None,
        emergency_contact_name="",
        emergency_contact_phone="",
        employer=None,
        user=None,
        anonymised_at=timezone.now(),
    )
    audit_record(actor=by, action="resident.anonymised", target=resident, reason=reason[:255], request=request)
    resident.refresh_from_db()
    return resident


def purge_expired_personal_data(*, now: datetime | None = None) -> dict[str, int]:
    """Anonymise every resident past the retention, one transaction each (a late check-in wins the race)."""
    reason = f"离开满 {settings.RESIDENT_RETENTION_DAYS} 天 (RESIDENT_RETENTION_DAYS), 个人信息已删除"
    done = 0
    for pk in residents_past_retention(now=now).values_list("pk", flat=True).order_by("pk").iterator():
        with transaction.atomic():
            resident = residents_past_retention(now=now).select_for_update().filter(pk=pk).first()
            if resident is not None:
                resident_anonymise(resident=resident, reason=reason)
                done += 1
    return {"residents": done}
