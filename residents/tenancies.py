"""Residents arrive, move between rooms and leave: check-in, move, check-out, with room capacity enforced."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from apartments.models import Enterprise, Room
from residents import faces
from residents.idcard import birth_date_of, gender_of, id_number_problem
from residents.models import AccessCredential, ResidenceRegistration, Resident, Tenancy
from shijiao.errors import DomainError
from shijiao.pii import blind_index


@transaction.atomic
def resident_create(
    *,
    name: str,
    id_number: str,
    phone: str = "",
    hometown: str = "",
    employer: Enterprise | None = None,
    emergency_contact_name: str = "",
    emergency_contact_phone: str = "",
) -> Resident:
    """Record a new resident; the ID number is checked and must not exist yet (found by its keyed hash)."""
    id_number = id_number.strip().upper()
    problem = id_number_problem(id_number)
    if problem:
        raise DomainError(problem, code="invalid_id_number")
    if Resident.objects.filter(id_number_hash=blind_index(id_number)).exists():
        raise DomainError(_("该身份证号已登记为新市民, 请直接办理入住"), code="resident_exists")
    phone = phone.strip()
    if phone and not (len(phone) == 11 and phone.isdigit() and phone.startswith("1")):
        raise DomainError(_("手机号应为 11 位数字"), code="invalid_phone")
    emergency_contact_phone = emergency_contact_phone.strip()
    if emergency_contact_phone and not (len(emergency_contact_phone) == 11 and emergency_contact_phone.isdigit()):
        raise DomainError(_("紧急联系人电话应为 11 位手机号"), code="invalid_emergency_contact_phone")
    return Resident.objects.create(
        name=name.strip(),
        id_number=id_number,
        phone=phone,
        gender=gender_of(id_number),
        birth_date=birth_date_of(id_number),
        hometown=hometown.strip(),
        employer=employer,
        emergency_contact_name=emergency_contact_name.strip(),
        emergency_contact_phone=emergency_contact_phone.strip(),
    )


def resident_by_id_number(id_number: str) -> Resident:
    """The resident whose ID number the caller typed, found by its keyed hash (the clear value is never searched)."""
    id_number = id_number.strip().upper()
    problem = id_number_problem(id_number)
    if problem:
        raise DomainError(problem, code="invalid_id_number")
    resident = Resident.objects.filter(id_number_hash=blind_index(id_number), anonymised_at__isnull=True).first()
    if resident is None:
        raise DomainError(
            _("没有该身份证号的新市民登记, 请先登记 (POST /api/v1/residents/)"),
            code="resident_not_found",
            status_code=404,
        )
    return resident


def _take_bed(room: Room, bed: str, *, excluding: Tenancy | None = None) -> str:
    """Lock the room, check its capacity and the bed, and return the bed to use."""
    room = Room.objects.select_for_update().get(pk=room.pk)
    occupied = Tenancy.objects.active().filter(room=room)
    if excluding is not None:
        occupied = occupied.exclude(pk=excluding.pk)
    taken = set(occupied.values_list("bed", flat=True))
    if occupied.count() >= room.capacity:
        raise DomainError(_("%(room)s 已住满 (%(n)d 人)") % {"room": room, "n": room.capacity}, code="room_full")
    bed = bed.strip()
    if bed and bed in taken:
        raise DomainError(_("%(room)s 的 %(bed)s 号床已有人入住") % {"room": room, "bed": bed}, code="bed_taken")
    if not bed:
        # The first free bed number, so that every active tenancy holds a distinct bed.
        bed = next(str(n) for n in range(1, room.capacity + 1) if str(n) not in taken)
    return bed


@transaction.atomic
def resident_check_in(*, resident: Resident, room: Room, check_in: date, bed: str = "") -> Tenancy:
    """Check a resident into a room (bed); the room's capacity is never exceeded."""
    # Locked: the retention job (residents.retention) must not anonymise someone who is moving in right now.
    locked = Resident.objects.select_for_update().filter(pk=resident.pk)
    if locked.values_list("anonymised_at", flat=True).first() is not None:
        raise DomainError(_("该新市民的个人信息已按保存期限删除, 请重新登记后再办理入住"), code="anonymised")
    if Tenancy.objects.active().filter(resident=resident).exists():
        raise DomainError(_("该新市民已有在住记录, 请先退房或办理换房"), code="already_checked_in")
    if check_in > timezone.localdate():
        raise DomainError(_("入住日期不能晚于今天"), code="check_in_in_future")
    bed = _take_bed(room, bed)
    try:
        with transaction.atomic():
            tenancy = Tenancy.objects.create(resident=resident, room=room, bed=bed, check_in=check_in)
    except IntegrityError:
        raise DomainError(_("该床位或新市民刚刚被他人办理入住, 请刷新后重试"), code="conflict")
    faces.face_index_changed([room.apartment_id, None])
    return tenancy


@transaction.atomic
def resident_check_out(*, tenancy: Tenancy, check_out: date, by: User | None = None) -> Tenancy:
    """End a tenancy; its residence registration moves to deregistration with its own deadline."""
    from residents.registration import registration_end_for_check_out

    tenancy = Tenancy.objects.select_for_update().get(pk=tenancy.pk)
    if tenancy.check_out is not None:
        raise DomainError(_("该入住记录已退房"), code="already_checked_out")
    if check_out < tenancy.check_in:
        raise DomainError(_("退房日期不能早于入住日期"), code="check_out_before_check_in")
    if check_out > timezone.localdate():
        raise DomainError(_("退房日期不能晚于今天"), code="check_out_in_future")
    tenancy.check_out = check_out
    tenancy.save(update_fields=["check_out"])
    registration_end_for_check_out(tenancy=tenancy, by=by)
    credentials_end_at_check_out(resident=tenancy.resident)
    faces.face_index_changed([tenancy.room.apartment_id, None])
    return tenancy


def credentials_end_at_check_out(*, resident: Resident) -> None:
    """The purpose of the ways in ends with the tenancy: door cards and PINs are revoked, QR codes die with the
    tenancy they were made for (``doors.identify_qr``), and the face is no door's any more at once (matching
    looks only at the people living in a block); with FACE_RETENTION_DAYS = 0 the encodings are deleted now."""
    from django.conf import settings

    AccessCredential.objects.filter(resident=resident, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if settings.FACE_RETENTION_DAYS == 0:
        faces.face_data_delete(resident=resident)


@transaction.atomic
def resident_move(*, tenancy: Tenancy, room: Room, on: date, bed: str = "", by: User | None = None) -> Tenancy:
    """Move to another room: within the same block the registration follows; to another block it is a new one."""
    tenancy = Tenancy.objects.select_for_update().select_related("room").get(pk=tenancy.pk)
    if tenancy.check_out is not None:
        raise DomainError(_("该入住记录已退房, 不能换房"), code="already_checked_out")
    if room.pk == tenancy.room_id:
        raise DomainError(_("新房间与当前房间相同"), code="same_room")
    if on < tenancy.check_in or on > timezone.localdate():
        raise DomainError(_("换房日期应在入住日期与今天之间"), code="invalid_move_date")
    same_block = room.apartment_id == tenancy.room.apartment_id
    bed = _take_bed(room, bed)
    registration = ResidenceRegistration.objects.filter(tenancy=tenancy).first()
    tenancy.check_out = on
    tenancy.save(update_fields=["check_out"])
    new = Tenancy.objects.create(resident=tenancy.resident, room=room, bed=bed, check_in=on)
    if registration is not None and same_block:
        # Same address (block): the registration simply follows the person to the new room.
        registration.tenancy = new
        registration.save(update_fields=["tenancy"])
    elif registration is not None:
        from residents.registration import registration_end_for_check_out

        registration_end_for_check_out(tenancy=tenancy, by=by)
    faces.face_index_changed([tenancy.room.apartment_id, room.apartment_id])
    return new
