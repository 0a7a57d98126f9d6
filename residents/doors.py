"""The decision at the door and the elevator: who is this, do they live here, are they registered.

Face, card, QR code and PIN all end in ``access_decide`` (face is never the only way in, SPC 2021/15
Art. 10). Every decision and its reason is an AccessEvent.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from apartments import qr
from residents import faces, notices
from residents.models import (
    AccessCredential,
    AccessEvent,
    DoorQrUse,
    FaceConsent,
    FaceDoorGrant,
    PinLockout,
    Resident,
    SuspiciousMovement,
    Tenancy,
)
from residents.registration import registration_state
from residents.signals import access_decided, registration_reminder, suspicious_movement
from sensors.models import Device
from shijiao.errors import DomainError
from shijiao.images import ImageRejected
from shijiao.pii import blind_index, encrypt_bytes, mask_name

QR_SALT = "residents.door-qr.v1"
Decision = AccessEvent.Decision
Method = AccessEvent.Method

MESSAGES = {  # what the door's screen says, in the terminal's language (lazy: read per request)
    Decision.OPEN: gettext_lazy("欢迎回家"),
    Decision.OPEN_REMIND: gettext_lazy("请尽快办理居住登记: 扫码或在小程序一键办理"),
    Decision.DENY_UNKNOWN: gettext_lazy("未识别到登记住户, 已通知物业。新住户请扫码登记"),
    Decision.DENY_CHECKED_OUT: gettext_lazy("您已办理退租, 如需进入请联系物业"),
    Decision.DENY_NOT_RESIDENT: gettext_lazy("非本楼住户, 已通知物业, 请稍候"),
    Decision.DENY_INVALID: gettext_lazy("凭证无效"),
}


OTHER_WAYS_IN = gettext_lazy("也可刷门禁卡、扫小程序开门码或输入房号和密码开门")


@dataclass
class Identity:
    resident: Resident | None
    method: str
    distance: float | None = None
    problem: str = ""  # why nobody could be identified (no face, bad card...)
    snapshot: bytes | None = None


@dataclass
class Outcome:
    event: AccessEvent
    message: str
    register_link: str = ""
    floors: list[int] = field(default_factory=list)
    registration_qr: dict | None = None  # an unknown face: the block's registration code for the door screen

    @property
    def opened(self) -> bool:
        return self.event.decision in (Decision.OPEN, Decision.OPEN_REMIND)

    def as_dict(self) -> dict:
        resident = self.event.resident
        return {
            "event_id": self.event.pk,
            "decision": self.event.decision,
            "open": self.opened,
            "message": self.message,
            "reason": self.event.reason,
            "resident": mask_name(resident.name) if resident else None,
            "register_link": self.register_link or None,
            "floors": self.floors,
            "registration_qr": self.registration_qr,
        }


# --- identifying the person -------------------------------------------------------------------------


def identify_face(device: Device, snapshot: bytes) -> Identity:
    try:
        rgb = faces.load_rgb(snapshot)
    except ImageRejected as exc:
        raise DomainError(str(exc), code="bad_image")
    boxes = faces.detect_faces(rgb)
    if not boxes:
        return Identity(None, Method.FACE, problem=_("未检测到人脸, 请正对摄像头"))
    if len(boxes) > 1:
        # Tailgating: never open for the largest face with someone else in the picture.
        return Identity(None, Method.FACE, problem=_("画面中有 %(n)d 张人脸, 不予开门: 请逐人刷脸") % {"n": len(boxes)})
    encoding = faces.encode_largest_face(rgb, boxes)
    match = faces.face_index.match(encoding, apartment_id=device.apartment_id)
    if match is None:
        return Identity(None, Method.FACE, snapshot=snapshot)
    # Only the name: loading the whole row would decrypt the ID number and phones for nothing.
    resident = Resident.objects.only("pk", "name").filter(pk=match.resident_id).first()
    return Identity(resident, Method.FACE, distance=match.distance)


def card_hash(card_number: str) -> str:
    return blind_index(f"card:{card_number.strip()}")


def pin_hash(resident_id: int, pin: str) -> str:
    return blind_index(f"pin:{resident_id}:{pin.strip()}")


def identify_card(card_number: str) -> Identity:
    credential = (
        AccessCredential.objects.select_related("resident")
        .filter(kind=AccessCredential.Kind.CARD, secret_hash=card_hash(card_number), revoked_at__isnull=True)
        .first()
    )
    if credential is None:
        return Identity(None, Method.CARD, problem=_("门禁卡未登记或已注销"))
    return Identity(credential.resident, Method.CARD)


PIN_LOCK_MAX_SECONDS = 86400


def _pin_locks(device: Device, resident_ids: list[int]) -> list[PinLockout]:
    keys = [f"door:{device.pk}", *(f"resident:{r}" for r in resident_ids)]
    for key in keys:
        PinLockout.objects.get_or_create(key=key)
    return list(PinLockout.objects.select_for_update().filter(key__in=keys).order_by("key"))


def _pin_failed(device: Device, locks: list[PinLockout], now: datetime) -> bool:
    """Count a wrong PIN on the door and on each person of the room; True when this failure locks anything."""
    locked_now = False
    for lock in locks:
        lock.failures += 1
        lock.last_failure_at = now
        over = lock.failures - settings.PIN_MAX_FAILURES
        if over >= 0:
            delay = min(settings.PIN_LOCK_SECONDS * 2**over, PIN_LOCK_MAX_SECONDS)
            lock.locked_until = now + timedelta(seconds=delay)
            locked_now = locked_now or over == 0
        lock.save(update_fields=["failures", "last_failure_at", "locked_until"])
    return locked_now


@transaction.atomic
def identify_pin(device: Device, room_number: str, pin: str) -> Identity:
    """A PIN is typed with the room number: it is checked against the people living in that room.

    Guessing meets resistance: after PIN_MAX_FAILURES wrong PINs at this door, or for a person of the room, the PIN
    is locked (no PIN is checked at all) for a delay that doubles with each further try; the block's staff are
    alerted when it locks. Card, QR code and the face keep working."""
    if not room_number or not pin:
        return Identity(None, Method.PIN, problem=_("请输入房号和密码"))
    now = timezone.now()
    occupants = Tenancy.objects.active().filter(room__apartment_id=device.apartment_id, room__number=room_number)
    resident_ids = list(occupants.values_list("resident_id", flat=True))
    locks = _pin_locks(device, resident_ids)
    locked = [lock for lock in locks if lock.locked_until and lock.locked_until > now]
    if locked:
        wait = max(int((lock.locked_until - now).total_seconds()) + 1 for lock in locked)
        _pin_failed(device, locks, now)  # trying while locked makes the lock longer
        return Identity(
            None,
            Method.PIN,
            problem=_("密码错误次数过多, 已锁定 %(s)d 秒; 请刷卡、扫码或联系物业") % {"s": wait},
        )
    hashes = {pin_hash(rid, pin): rid for rid in resident_ids}
    credential = (
        AccessCredential.objects.select_related("resident")
        .filter(kind=AccessCredential.Kind.PIN, secret_hash__in=list(hashes), revoked_at__isnull=True)
        .first()
    )
    if credential is None:
        if _pin_failed(device, locks, now):
            detail = {"room": room_number, "failures": max(lock.failures for lock in locks)}
            _record_suspicious(device, SuspiciousMovement.Kind.PIN_GUESSING, detail, now)
        return Identity(None, Method.PIN, problem=_("房号或密码错误"))
    PinLockout.objects.filter(pk__in=[lock.pk for lock in locks]).update(failures=0, locked_until=None)
    return Identity(credential.resident, Method.PIN)


def door_qr_token(resident: Resident) -> str:
    """A short-lived door QR code for the resident's phone (valid DOOR_QR_MAX_AGE_SECONDS), for one opening,
    tied to the tenancy it was made for (a check-out voids it)."""
    tenancy_id = Tenancy.objects.active().filter(resident=resident).values_list("pk", flat=True).first()
    if tenancy_id is None:
        raise DomainError(_("没有在住记录, 不能生成开门码"), code="no_tenancy")
    return signing.dumps({"r": resident.pk, "t": tenancy_id, "n": uuid.uuid4().hex}, salt=QR_SALT)


def identify_qr(token: str) -> Identity:
    try:
        payload = signing.loads(token, salt=QR_SALT, max_age=settings.DOOR_QR_MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        return Identity(None, Method.QR, problem=_("二维码已过期, 请刷新后再扫"))
    except signing.BadSignature:
        return Identity(None, Method.QR, problem=_("二维码无效"))
    resident = Resident.objects.filter(pk=payload.get("r")).first()
    nonce = str(payload.get("n") or "")
    if resident is None or not nonce:
        return Identity(None, Method.QR, problem=_("二维码无效"))
    if not Tenancy.objects.active().filter(pk=payload.get("t"), resident=resident).exists():
        return Identity(None, Method.QR, problem=_("二维码已失效 (已退房或换房), 请在小程序刷新"))
    try:
        with transaction.atomic():
            DoorQrUse.objects.create(nonce=nonce, resident=resident, used_at=timezone.now())
    except IntegrityError:
        return Identity(None, Method.QR, problem=_("二维码已使用过, 每个码只能开门一次, 请在小程序刷新"))
    return Identity(resident, Method.QR)


def entitled_to(resident_id: int, device: Device) -> bool:
    """Whether the person may be recognised by face at ``device``: they live in its block now, or are staff
    explicitly granted its doors."""
    lives_here = Tenancy.objects.active().filter(resident_id=resident_id, room__apartment_id=device.apartment_id)
    granted = FaceDoorGrant.objects.filter(
        resident_id=resident_id, apartment_id=device.apartment_id, revoked_at__isnull=True
    )
    return lives_here.exists() or granted.exists()


def identify_employee_no(employee_no: str, device: Device) -> Identity:
    """A terminal that matched the face itself reports the person number we synced to it (the resident id).

    It counts only while the person's separate consent is active: a face left on a terminal after the
    withdrawal must not open the door (PIPL Art. 47).
    """
    resident = Resident.objects.filter(pk=int(employee_no)).first() if employee_no.isdigit() else None
    if resident is None or not entitled_to(resident.pk, device):
        # Someone not entitled to this door is nobody here (not written into this block's log).
        return Identity(None, Method.FACE, problem=_("终端上报的人员编号不是本楼登记住户"))
    if not FaceConsent.objects.filter(resident=resident, withdrawn_at__isnull=True).exists():
        return Identity(None, Method.FACE, problem=_("未同意人脸识别或已撤回同意"))
    return Identity(resident, Method.FACE)


def identify(
    device: Device, *, method: str, snapshot: bytes | None = None, credential: str = "", room: str = ""
) -> Identity:
    if method == Method.FACE:
        if not snapshot:
            raise DomainError(_("刷脸请求缺少抓拍图片"), code="snapshot_required")
        return identify_face(device, snapshot)
    if method == Method.CARD:
        return identify_card(credential)
    if method == Method.PIN:
        return identify_pin(device, room, credential)
    if method == Method.QR:
        return identify_qr(credential)
    raise DomainError(_("不支持的开门方式, 可用: face, card, qr, pin"), code="invalid_method")


# --- deciding ---------------------------------------------------------------------------------------


def _decide(device: Device, identity: Identity) -> tuple[str, str, Tenancy | None]:
    """(decision, reason, tenancy here) for an identity at a device's block."""
    if identity.resident is None:
        if identity.problem:
            return Decision.DENY_INVALID, identity.problem, None
        return Decision.DENY_UNKNOWN, _("人脸未匹配到任何登记住户"), None
    grant = FaceDoorGrant.objects.filter(
        resident=identity.resident, apartment_id=device.apartment_id, revoked_at__isnull=True
    ).first()
    if grant is not None:
        return Decision.OPEN, _("授权工作人员: %(reason)s") % {"reason": grant.reason}, None
    tenancies = list(Tenancy.objects.filter(resident=identity.resident).select_related("room", "registration"))
    here = next((t for t in tenancies if t.check_out is None and t.room.apartment_id == device.apartment_id), None)
    if here is not None:
        state = registration_state(here)
        if state == "registered":
            return Decision.OPEN, _("本楼在住住户, 已办理居住登记"), here
        if state == "overdue":
            return (
                Decision.OPEN_REMIND,
                _("本楼在住住户, 居住登记已逾期 (应于 %(day)s 前办理)") % {"day": f"{here.registration_due:%Y-%m-%d}"},
                here,
            )
        due = f"{here.registration_due:%Y-%m-%d}"
        return Decision.OPEN_REMIND, _("本楼在住住户, 尚未办理居住登记 (期限 %(day)s)") % {"day": due}, here
    if any(t.check_out is None for t in tenancies):
        return Decision.DENY_NOT_RESIDENT, _("辖区其他公寓住户, 非本楼住户"), None
    if tenancies:
        left = f"{max(t.check_out for t in tenancies):%Y-%m-%d}"
        return Decision.DENY_CHECKED_OUT, _("已于 %(day)s 退租") % {"day": left}, None
    return Decision.DENY_NOT_RESIDENT, _("已登记人员, 但无入住记录"), None


@transaction.atomic
def access_decide(
    device: Device, identity: Identity, *, at: datetime | None = None, elevator_floor: int | None = None
) -> Outcome:
    """Decide for an identified (or not) person at a door or elevator, record the event, tell listeners."""
    at = at or timezone.now()
    decision, reason, tenancy = _decide(device, identity)
    floors: list[int] = []
    is_elevator = device.device_type.code == "elevator"
    if is_elevator and tenancy is not None:
        floors = sorted({1, tenancy.room.floor})
    event = AccessEvent.objects.create(
        apartment_id=device.apartment_id,
        device=device,
        resident=identity.resident,
        at=at,
        method=identity.method,
        decision=decision,
        reason=reason[:255],
        distance=identity.distance,
        floors=floors if is_elevator else None,
        snapshot_encrypted=encrypt_bytes(identity.snapshot)
        if decision == Decision.DENY_UNKNOWN and identity.snapshot
        else None,
    )
    link = ""
    if decision == Decision.OPEN_REMIND:
        link = f"{settings.RESIDENT_REGISTER_URL}?tenancy={tenancy.pk}"
        resident_id, apartment_id = identity.resident.pk, device.apartment_id
        transaction.on_commit(
            lambda: registration_reminder.send(
                sender=AccessEvent, resident_id=resident_id, apartment_id=apartment_id, link=link, at=at
            ),
            robust=True,
        )
    if is_elevator and elevator_floor is not None and elevator_floor not in floors:
        _record_suspicious(
            device,
            SuspiciousMovement.Kind.WRONG_FLOOR,
            {"requested_floor": elevator_floor, "allowed_floors": floors, "event_id": event.pk},
            at,
            resident=identity.resident,
        )
    event_id, apartment_id = event.pk, device.apartment_id
    transaction.on_commit(
        lambda: access_decided.send(
            sender=AccessEvent, event_id=event_id, apartment_id=apartment_id, decision=decision, at=at
        ),
        robust=True,
    )
    message = str(MESSAGES[decision]) if decision != Decision.DENY_INVALID else reason
    if identity.method == Method.FACE and decision not in (Decision.OPEN, Decision.OPEN_REMIND):
        # Face is never the only way in (SPC 2021/15 Art. 10): every refused face hears of the others.
        message = f"{message}; {OTHER_WAYS_IN}"
    if is_elevator and decision in (Decision.OPEN, Decision.OPEN_REMIND):
        message = _("可前往: %(floors)s") % {"floors": _("、").join(_("%(n)d层") % {"n": f} for f in floors)}
    registration_qr = None
    if decision == Decision.DENY_UNKNOWN:
        registration_qr = _unknown_at_door(device, event)
    return Outcome(event=event, message=message, register_link=link, floors=floors, registration_qr=registration_qr)


def _unknown_at_door(device: Device, event: AccessEvent) -> dict:
    """Tell the block's property staff (one notice a door per UNKNOWN_NOTICE_MINUTES, the event kept with its
    snapshot), and give the door screen the block's registration code."""
    apartment = device.apartment
    window = int(event.at.timestamp() // (settings.DOOR_UNKNOWN_NOTICE_MINUTES * 60))
    notices.notice_send(
        recipients=notices.property_staff(apartment),
        key=f"door-unknown:{device.pk}:{window}",
        kind="door_unknown",
        title=_("门口有未登记人员"),
        text=_("%(block)s %(door)s %(time)s: 人脸未匹配到登记住户")
        % {
            "block": apartment.name,
            "door": device.location or str(device),
            "time": f"{timezone.localtime(event.at):%H:%M}",
        },
        next_step=_("查看抓拍, 可远程放行或请其扫码登记"),
        link=f"/admin/residents/accessevent/{event.pk}/change/",
        apartment=apartment,
    )
    return {
        "link": qr.link_for(apartment),
        "svg": qr.svg_data_uri(apartment),
        "hint": {"zh-hans": "请扫码登记", "en": "Scan to register"},
    }


def _record_suspicious(device: Device, kind: str, detail: dict, at: datetime, resident=None) -> SuspiciousMovement:
    movement = SuspiciousMovement.objects.create(
        apartment_id=device.apartment_id, device=device, resident=resident, kind=kind, detail=detail, at=at
    )
    apartment_id, device_id = device.apartment_id, device.pk
    transaction.on_commit(
        lambda: suspicious_movement.send(
            sender=SuspiciousMovement, apartment_id=apartment_id, device_id=device_id, kind=kind, detail=detail, at=at
        ),
        robust=True,
    )
    return movement


def door_enter(
    device: Device,
    *,
    method: str,
    snapshot: bytes | None = None,
    credential: str = "",
    room: str = "",
    floor: int | None = None,
    at: datetime | None = None,
) -> Outcome:
    """The door / elevator entry point: identify by any method, then decide."""
    identity = identify(device, method=method, snapshot=snapshot, credential=credential, room=room)
    return access_decide(device, identity, at=at, elevator_floor=floor)


# --- Hikvision ISAPI event push ---------------------------------------------------------------------


def hikvision_event(device: Device, *, event_json: str | bytes, picture: bytes | None) -> Outcome | None:
    """An ``EventNotificationAlert`` (JSON) from a Hikvision face terminal; None for events that are not entries.

    subEventType 75 (face pass) with ``employeeNoString`` = the resident id we synced; 76 (face fail) or any
    event with a picture is matched here; ``cardNo`` goes through the card path.
    """
    try:
        alert = json.loads(event_json)
    except (ValueError, TypeError):
        raise DomainError(_("事件不是有效的 JSON (请在设备上选择 JSON 格式上报)"), code="invalid_event")
    if not isinstance(alert, dict) or alert.get("eventType") != "AccessControllerEvent":
        return None
    ace = alert.get("AccessControllerEvent") or {}
    if not isinstance(ace, dict) or _event_int(ace.get("majorEventType")) != 5:
        return None
    at = _event_time(alert.get("dateTime")) or timezone.now()
    sub = _event_int(ace.get("subEventType"))
    employee_no = str(ace.get("employeeNoString") or "").strip()
    card_no = str(ace.get("cardNo") or "").strip()
    if sub == 75 and employee_no:
        identity = identify_employee_no(employee_no, device)
    elif card_no:
        identity = identify_card(card_no)
    elif picture:
        identity = identify_face(device, picture)
    elif sub == 76:
        identity = Identity(None, Method.FACE)
    else:
        return None
    return access_decide(device, identity, at=at)


def _event_int(value) -> int:
    """An ISAPI event code; anything that is not a whole number counts as 0 (no such event)."""
    try:
        return int(value or 0)
    except (TypeError, ValueError, OverflowError):
        return 0


def _event_time(value) -> datetime | None:
    """The terminal's ``dateTime``, or None when it is missing or not a date (then the time of arrival counts)."""
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


# --- the visitor flow -------------------------------------------------------------------------------


@transaction.atomic
def access_let_in(*, event: AccessEvent, by: User) -> AccessEvent:
    """The manager lets a refused person in remotely; the door picks the command up (``pending_commands``)."""
    event = AccessEvent.objects.select_for_update().get(pk=event.pk)
    if event.decision in (Decision.OPEN, Decision.OPEN_REMIND):
        raise DomainError(_("该通行已放行, 无需远程开门"), code="already_open")
    if event.let_in_at is not None:
        raise DomainError(_("已远程开门"), code="already_let_in")
    if timezone.now() - event.at > timedelta(minutes=10):
        raise DomainError(_("该访客请求已超过 10 分钟, 请让访客重新刷脸或按门铃"), code="too_late")
    event.let_in_at = timezone.now()
    event.let_in_by = by
    event.save(update_fields=["let_in_at", "let_in_by"])
    return event


@transaction.atomic
def pending_commands(device: Device) -> list[dict]:
    """Remote openings for this door not yet delivered; delivering marks them."""
    since = timezone.now() - timedelta(minutes=2)
    events = list(
        AccessEvent.objects.select_for_update()
        .filter(device=device, let_in_at__gte=since, command_delivered_at__isnull=True)
        .order_by("let_in_at")
    )
    now = timezone.now()
    AccessEvent.objects.filter(pk__in=[e.pk for e in events]).update(command_delivered_at=now)
    return [{"command": "open", "event_id": e.pk, "let_in_at": e.let_in_at.isoformat()} for e in events]


# --- credentials ------------------------------------------------------------------------------------


@transaction.atomic
def credential_issue_card(*, resident: Resident, card_number: str) -> AccessCredential:
    card_number = card_number.strip()
    if not card_number.isalnum() or not 4 <= len(card_number) <= 32:
        raise DomainError(_("卡号应为 4 到 32 位字母或数字"), code="invalid_card")
    digest = card_hash(card_number)
    if AccessCredential.objects.filter(kind="card", secret_hash=digest, revoked_at__isnull=True).exists():
        raise DomainError(_("该卡已发给他人, 请先注销"), code="card_taken")
    return AccessCredential.objects.create(
        resident=resident, kind=AccessCredential.Kind.CARD, secret_hash=digest, label=f"****{card_number[-4:]}"
    )


@transaction.atomic
def credential_set_pin(*, resident: Resident, pin: str) -> AccessCredential:
    """Set (or replace) the resident's door PIN, 6 digits."""
    pin = pin.strip()
    if not (pin.isdigit() and len(pin) == 6) or len(set(pin)) == 1 or pin in ("123456", "654321"):
        raise DomainError(_("密码应为 6 位数字, 且不能过于简单"), code="invalid_pin")
    AccessCredential.objects.filter(resident=resident, kind="pin", revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return AccessCredential.objects.create(
        resident=resident, kind=AccessCredential.Kind.PIN, secret_hash=pin_hash(resident.pk, pin)
    )
