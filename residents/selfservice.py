"""A new resident does it alone from the mini-program: real name, room QR, tenancy request, and what comes next.

The path: phone bound (accounts.phone) → real-name details (``resident_register_self``) → scan the room's QR
(``tenancy_request_create``) → the block's property staff confirm (``tenancy_request_confirm``: the check-in
and the residence registration are done in the same transaction) or refuse with a reason → the police confirm
the registration (residents.registration) → the e-residence permit (residents.permits). Each change tells the
people concerned (residents.notices); ``journey`` answers where the resident stands and what to do next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from apartments import qr
from apartments.models import Room
from residents import notices, registration, tenancies
from residents.idcard import birth_date_of, id_number_problem
from residents.models import IdentityDocument, ResidenceRegistration, Resident, Tenancy, TenancyRequest
from shijiao.errors import DomainError
from shijiao.images import clean_image
from shijiao.pii import blind_index, encrypt_bytes

R = TenancyRequest.Status
NAME_RE = re.compile(r"^[\u4e00-\u9fa5A-Za-z][\u4e00-\u9fa5A-Za-z·•. ]{0,30}[\u4e00-\u9fa5A-Za-z]$")
MAX_PAST_ARRIVAL_DAYS = 30


def FieldError(field: str, message: str, code: str) -> DomainError:
    """A domain refusal about one input: the error envelope lists it under ``errors[field]``."""
    return DomainError(message, code=code, field=field)


# --- real name ----------------------------------------------------------------------------------


def _check_birth_date(id_number: str) -> None:
    born = birth_date_of(id_number)
    today = timezone.localdate()
    if born > today:
        raise FieldError("id_number", _("身份证号中的出生日期晚于今天, 请核对"), "invalid_id_number")
    if born.year < 1900 or (today - born).days > 120 * 366:
        raise FieldError("id_number", _("身份证号中的出生日期不合理, 请核对"), "invalid_id_number")


@transaction.atomic
def resident_register_self(
    *, user: User, name: str, id_number: str, hometown: str, photos: dict[str, bytes] | None = None
) -> Resident:
    """The signed-in resident gives their real name; an existing record (same ID number) is theirs only if the
    name and phone on it agree, and nothing of it is ever shown to the requester before that."""
    if user.role != Role.RESIDENT:
        raise DomainError(_("只有新市民本人可以实名登记"), code="forbidden", status_code=403)
    if not user.phone:
        raise DomainError(_("请先绑定手机号"), code="phone_required")
    if Resident.objects.filter(user=user).exists():
        raise DomainError(_("您已完成实名登记, 无需重复提交"), code="already_registered", status_code=409)
    name = (name or "").strip()
    if not NAME_RE.match(name):
        raise FieldError("name", _("请填写身份证上的姓名 (2-32 个汉字或字母)"), "invalid_name")
    id_number = (id_number or "").strip().upper()
    problem = id_number_problem(id_number)
    if problem:
        raise FieldError("id_number", problem, "invalid_id_number")
    _check_birth_date(id_number)
    hometown = (hometown or "").strip()
    if not hometown or len(hometown) > 64:
        raise FieldError("hometown", _("请填写籍贯 (省市县, 最多 64 字)"), "invalid_hometown")
    cleaned = {}
    for side, raw in (photos or {}).items():
        if side not in IdentityDocument.Side.values:
            raise FieldError(side, _("身份证照片只有人像面和国徽面"), "invalid_side")
        try:
            cleaned[side] = clean_image(raw, name=side).content.read()
        except ValueError as exc:
            raise FieldError(f"id_card_{side}", str(exc), "invalid_image") from None
    existing = Resident.objects.select_for_update().filter(id_number_hash=blind_index(id_number)).first()
    if existing is not None:
        # Same wording whatever differs: the requester learns nothing about the record (or that it exists
        # under another account) beyond what they typed.
        same_person = (
            existing.user_id is None
            and existing.anonymised_at is None
            and existing.name == name
            and (not existing.phone or existing.phone == user.phone)
        )
        if not same_person:
            raise DomainError(
                _("该身份证号无法自助登记, 请携带身份证到公寓物业或派出所核验"),
                code="identity_check_needed",
                status_code=409,
            )
        resident = existing
        resident.user = user
        resident.phone = resident.phone or user.phone
        resident.hometown = resident.hometown or hometown
        resident.save()
    else:
        try:
            with transaction.atomic():
                resident = tenancies.resident_create(
                    name=name, id_number=id_number, phone=user.phone, hometown=hometown
                )
                resident.user = user
                resident.save(update_fields=["user"])
        except IntegrityError:  # the same ID number or account in a concurrent request
            raise DomainError(_("请勿重复提交"), code="conflict", status_code=409) from None
    for side, content in cleaned.items():
        IdentityDocument.objects.update_or_create(
            resident=resident, side=side, defaults={"photo_encrypted": encrypt_bytes(content)}
        )
    if not user.display_name:
        user.display_name = name[:64]
        user.save(update_fields=["display_name"])
    return resident


# --- scanning a room: the tenancy request -----------------------------------------------------------


@dataclass(frozen=True)
class ScanPreview:
    apartment_id: int
    apartment: str
    address: str
    room_id: int | None
    room: str | None
    vacancies: int | None


def scan_preview(code: str) -> ScanPreview:
    """What the scanned code stands for (public facts of the block and room), before asking to move in."""
    scanned = _scan(code)
    room = scanned.room
    vacancies = None
    if room is not None:
        vacancies = max(0, room.capacity - Tenancy.objects.active().filter(room=room).count())
    return ScanPreview(
        apartment_id=scanned.apartment.pk,
        apartment=scanned.apartment.name,
        address=scanned.apartment.address,
        room_id=room.pk if room else None,
        room=room.number if room else None,
        vacancies=vacancies,
    )


def _scan(code: str) -> qr.Scanned:
    try:
        return qr.parse(code)
    except qr.QrInvalid as exc:
        raise FieldError("code", str(exc), "invalid_qr") from None


@transaction.atomic
def tenancy_request_create(
    *, resident: Resident, code: str, room_number: str = "", arrival: date | None = None
) -> TenancyRequest:
    """The resident scanned a room's (or the block's) code: ask the block's staff to check them in."""
    scanned = _scan(code)
    room = scanned.room
    if room is None:
        room_number = (room_number or "").strip()
        if not room_number:
            raise FieldError("room_number", _("扫的是公寓大门的二维码, 请填写房号"), "room_required")
        room = Room.objects.filter(apartment=scanned.apartment, number=room_number).first()
        if room is None:
            raise FieldError(
                "room_number",
                _("%(block)s 没有 %(room)s 室, 请核对房号") % {"block": scanned.apartment.name, "room": room_number},
                "room_not_found",
            )
    today = timezone.localdate()
    arrival = arrival or today
    if arrival > today:
        raise FieldError("arrival", _("入住日期不能晚于今天, 到达后再扫码"), "arrival_in_future")
    if arrival < today - timedelta(days=MAX_PAST_ARRIVAL_DAYS):
        raise FieldError(
            "arrival",
            _("入住日期早于 %(n)d 天前, 请到物业现场办理") % {"n": MAX_PAST_ARRIVAL_DAYS},
            "arrival_too_old",
        )
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    active = Tenancy.objects.active().filter(resident=resident).select_related("room__apartment").first()
    if active is not None:
        raise DomainError(
            _("您已登记入住 %(room)s; 换房或退房请联系物业") % {"room": active.room},
            code="already_checked_in",
            status_code=409,
        )
    pending = TenancyRequest.objects.filter(resident=resident, status=R.PENDING).select_related("room").first()
    if pending is not None:
        raise DomainError(
            _("您已申请入住 %(room)s, 正在等待物业确认; 如需改房间请先撤回") % {"room": pending.room},
            code="request_pending",
            status_code=409,
        )
    if Tenancy.objects.active().filter(room=room).count() >= room.capacity:
        raise DomainError(_("%(room)s 已住满, 请联系物业") % {"room": room}, code="room_full")
    request = TenancyRequest.objects.create(resident=resident, room=room, arrival=arrival)
    apartment = room.apartment
    notices.notice_send(
        recipients=notices.property_staff(apartment),
        key=f"tenancy-request:{request.pk}:new",
        kind="tenancy_request",
        title=_("新的入住申请"),
        text=_("%(name)s 申请入住 %(room)s (入住日期 %(day)s)")
        % {"name": resident.name_masked, "room": room, "day": f"{arrival:%Y-%m-%d}"},
        next_step=_("请在管理后台或小程序确认或拒绝"),
        link=f"/admin/residents/tenancyrequest/{request.pk}/change/",
        apartment=apartment,
    )
    _tell_resident(
        request,
        "submitted",
        kind="tenancy_request_submitted",
        title=_("入住申请已提交"),
        text=_("已向 %(block)s 物业申请入住 %(room)s 室") % {"block": apartment.name, "room": room.number},
        next_step=_("等待物业确认, 确认后自动办理居住登记"),
    )
    return request


def _tell_resident(request: TenancyRequest, step: str, *, kind: str, title: str, text: str, next_step: str) -> None:
    """The requester hears of each step of the request (in-app notice, WeChat message or SMS: residents/notices.py),
    once per step however often it is retried."""
    user = request.resident.user
    notices.notice_send(
        recipients=[user] if user else [],
        key=f"tenancy-request:{request.pk}:{step}",
        kind=kind,
        title=title,
        text=text,
        next_step=next_step,
        apartment=request.room.apartment,
    )


def _decide(request: TenancyRequest, status: str, *, by: User | None = None, **fields) -> None:
    request.status = status
    request.decided_at = timezone.now()
    if by is not None:
        request.decided_by = by
    for name, value in fields.items():
        setattr(request, name, value)
    request.save()


def _locked_pending(request: TenancyRequest) -> TenancyRequest:
    request = (
        TenancyRequest.objects.select_for_update().select_related("resident", "room__apartment").get(pk=request.pk)
    )
    if request.status != R.PENDING:
        raise DomainError(
            _("该入住申请%(status)s, 不能再处理") % {"status": request.get_status_display()},
            code="request_closed",
            status_code=409,
        )
    return request


@transaction.atomic
def tenancy_request_confirm(*, request: TenancyRequest, by: User, bed: str = "") -> TenancyRequest:
    """The block's staff confirm: check-in and the residence registration are submitted at once."""
    request = _locked_pending(request)
    tenancy = tenancies.resident_check_in(
        resident=request.resident, room=request.room, check_in=request.arrival, bed=bed
    )
    reg = registration.registration_submit(tenancy=tenancy, by=by)
    _decide(request, R.CONFIRMED, by=by, tenancy=tenancy)
    _tell_resident(
        request,
        "confirmed",
        kind="tenancy_confirmed",
        title=_("物业已确认入住"),
        text=_("已入住 %(room)s 床位 %(bed)s; 居住登记已自动提交") % {"room": request.room, "bed": tenancy.bed},
        next_step=_("等待派出所确认居住登记 (登记期限 %(day)s)") % {"day": f"{tenancy.registration_due:%Y-%m-%d}"},
    )
    registration.notify_police_of_submission(reg)
    return request


@transaction.atomic
def tenancy_request_refuse(*, request: TenancyRequest, by: User, reason: str) -> TenancyRequest:
    reason = (reason or "").strip()
    if not reason:
        raise FieldError("reason", _("拒绝时请填写原因, 新市民会看到"), "reason_required")
    request = _locked_pending(request)
    _decide(request, R.REFUSED, by=by, reason=reason[:255])
    _tell_resident(
        request,
        "refused",
        kind="tenancy_refused",
        title=_("物业未同意入住申请"),
        text=_("%(room)s: %(reason)s") % {"room": request.room, "reason": request.reason},
        next_step=_("如有疑问请联系物业, 或扫描正确房间的二维码重新申请"),
    )
    return request


@transaction.atomic
def tenancy_request_cancel(*, request: TenancyRequest) -> TenancyRequest:
    request = _locked_pending(request)
    _decide(request, R.CANCELLED)
    return request


# --- where the resident stands ----------------------------------------------------------------------


def journey(user: User) -> dict:
    """The resident's steps, each done or not, the one to do next and its deadline."""
    # Only what the steps show: the other personal fields would each be decrypted for nothing.
    resident = Resident.objects.filter(user=user).only("id", "name", "anonymised_at").first()
    steps: list[dict] = []
    next_step = ""
    deadline: date | None = None
    state = "phone"

    def step(key: str, label: str, done: bool, detail: str = "") -> None:
        steps.append({"key": key, "label": label, "done": done, "detail": detail})

    step("phone", _("绑定手机号"), bool(user.phone), user.phone_masked if user.phone else "")
    if not user.phone:
        next_step = _("用微信授权或短信验证码绑定手机号")
    step("real_name", _("实名信息"), resident is not None, resident.name_masked if resident else "")
    if user.phone and resident is None:
        state, next_step = "real_name", _("填写姓名、身份证号和籍贯")
    tenancy = request = reg = None
    if resident is not None:
        tenancy = (
            Tenancy.objects.active().filter(resident=resident).select_related("room__apartment", "registration").first()
        )
        request = TenancyRequest.objects.filter(resident=resident).select_related("room__apartment").first()
        if tenancy is not None:
            reg = getattr(tenancy, "registration", None)
    request_detail = ""
    if request is not None:
        request_detail = f"{request.room} · {request.get_status_display()}"
        if request.status == R.REFUSED:
            request_detail += f": {request.reason}"
    step("tenancy", _("扫码申请入住, 物业确认"), tenancy is not None, str(tenancy.room) if tenancy else request_detail)
    if resident is not None and tenancy is None:
        if request is not None and request.status == R.PENDING:
            state, next_step = "waiting_property", _("等待 %(block)s 物业确认入住") % {"block": request.room.apartment}
        else:
            state, next_step = "scan", _("扫描所住房间门上的二维码, 申请入住")
    reg_done = reg is not None and reg.status == ResidenceRegistration.Status.CONFIRMED
    step(
        "registration",
        _("居住登记, 派出所确认"),
        reg_done,
        reg.get_status_display() if reg else "",
    )
    if tenancy is not None and not reg_done:
        deadline = tenancy.registration_due
        if reg is None or reg.status == ResidenceRegistration.Status.RETURNED:
            state = "register"
            next_step = _("提交居住登记 (期限 %(day)s)") % {"day": f"{deadline:%Y-%m-%d}"}
            if reg is not None:
                next_step = _("居住登记被退回: %(reason)s; 请修改后重新提交") % {"reason": reg.return_reason}
        else:
            state, next_step = "waiting_police", _("等待派出所确认居住登记")
    permit = resident.permits.order_by("-applied_at").first() if resident is not None else None
    step("permit", _("电子居住证"), bool(permit and permit.status == permit.Status.ISSUED),
         permit.get_status_display() if permit else "")  # fmt: skip
    if reg_done:
        state = "registered"
        if permit is None:
            next_step = _("居住登记已确认; 登记满 6 个月可申领电子居住证")
        elif permit.status == permit.Status.APPLIED:
            next_step = _("居住证申请审核中")
        else:
            next_step = _("办理完成")
    return {
        "state": state,
        "next_step": next_step,
        "deadline": deadline,
        "deadline_days_left": (deadline - timezone.localdate()).days if deadline else None,
        "steps": steps,
        "tenancy_request": request,
        "registration_deadline_days": settings.REGISTRATION_DEADLINE_DAYS,
    }
