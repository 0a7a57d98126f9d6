"""Face at the door: separate consent, enrolment (encoding only), 1:N matching in numpy, deletion.

Encodings are 128 float32 values, Fernet-encrypted at rest. Matching uses one float32 matrix per block
(bucket 0 holds people without an active tenancy), cached in each process and refreshed when a bucket's
version changes (enrolment, withdrawal, check-in/out, move). A door's snapshot is compared only with the people
entitled to that door, those living in its block now: anyone else is "unknown" there (issue #13 item 3).
HOG detection with upsample 0: CNN detection takes seconds on these machines.
"""

from __future__ import annotations

import io
import threading
import uuid
import warnings
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.core import signing
from django.core.cache import cache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from PIL import Image, ImageOps, UnidentifiedImageError

from accounts.audit import audit_record
from accounts.models import User
from residents.models import (
    AccessEvent,
    FaceConsent,
    FaceDoorGrant,
    FaceEnrolment,
    FaceIndexBucket,
    NoticeStatus,
    Resident,
    Tenancy,
)
from shijiao.errors import DomainError
from shijiao.images import ImageRejected, clean_image, max_bytes, max_pixels
from shijiao.pii import decrypt_bytes, encrypt_bytes

CONSENT_VERSION = "2026-01"
CONSENT_TEXT = gettext_lazy(  # shown, and kept with the consent, in the person's language
    "人脸识别单独同意书\n"
    "为了让您刷脸进入所住公寓并核验是否已办理居住登记, 石桥街道 e智办 平台将处理您的人脸信息。\n"
    "1. 处理目的: 仅用于所住公寓门禁与梯控的身份核验, 不用于其他目的;\n"
    "2. 处理方式: 由您上传的照片提取人脸特征值 (128 维数值), 加密保存; 照片在提取后立即删除;\n"
    "3. 保存期限: 在住期间; 退租后按规定期限自动删除, 您撤回同意时立即删除;\n"
    "4. 可以拒绝: 不同意不影响您入住, 您仍可使用门禁卡、二维码或密码进门 (法释〔2021〕15号第十条);\n"
    "5. 您的权利: 可随时在小程序中撤回同意 (《个人信息保护法》第十五条、第四十七条)。\n"
    "人脸信息属于敏感个人信息 (《个人信息保护法》第二十八条、第二十九条)。"
)
MAX_ENCODINGS_PER_RESIDENT = 3
STAMP_KEY = "residents:faces:stamp"
NO_BLOCK = 0


# --- consent ----------------------------------------------------------------------------------------


@transaction.atomic
def consent_grant(
    *, resident: Resident, by: User, channel: str = FaceConsent.Channel.MINI_PROGRAM, purpose_version: str
) -> FaceConsent:
    """Record the separate consent; the version must be the text the person was shown."""
    if purpose_version != CONSENT_VERSION:
        raise DomainError(gettext("同意书版本已更新, 请重新阅读后再同意"), code="consent_version")
    Resident.objects.select_for_update().filter(pk=resident.pk).exists()
    existing = FaceConsent.objects.filter(resident=resident, withdrawn_at__isnull=True).first()
    if existing is not None:
        return existing
    return FaceConsent.objects.create(
        resident=resident,
        purpose_version=CONSENT_VERSION,
        purpose_text=str(CONSENT_TEXT),
        channel=channel,
        granted_at=timezone.now(),
        granted_by=by,
    )


@transaction.atomic
def consent_withdraw(*, resident: Resident, by: User | None, request=None) -> int:
    """Withdraw consent: every encoding (and kept photo) of the person is deleted at once. Returns how many."""
    consent = FaceConsent.objects.select_for_update().filter(resident=resident, withdrawn_at__isnull=True).first()
    if consent is None:
        raise DomainError(gettext("没有有效的人脸识别同意, 无需撤回"), code="no_consent")
    deleted = face_data_delete(resident=resident)
    consent.withdrawn_at = timezone.now()
    consent.save(update_fields=["withdrawn_at"])
    audit_record(
        actor=by, action="face.consent_withdrawn", target=resident, reason=f"删除特征 {deleted} 条", request=request
    )
    return deleted


def face_data_delete(*, resident: Resident) -> int:
    deleted, _ = FaceEnrolment.objects.filter(resident=resident).delete()
    if deleted:
        face_index_changed(_buckets_of(resident.pk))
    return deleted


# --- images and encodings ---------------------------------------------------------------------------


def load_rgb(raw: bytes) -> np.ndarray:
    """Decode a door snapshot fast (no re-encoding), within the byte and pixel limits, at most FACE_MAX_SIDE."""
    if not raw:
        raise ImageRejected(gettext("图片为空"))
    if len(raw) > max_bytes():
        raise ImageRejected(
            gettext("图片过大 (%(size)d KB), 上限 %(max)d KB") % {"size": len(raw) // 1024, "max": max_bytes() // 1024}
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
            if image.format not in ("JPEG", "PNG", "WEBP"):
                raise ImageRejected(gettext("只接受 JPEG、PNG 或 WebP 图片"))
            if image.width * image.height > max_pixels():
                raise ImageRejected(
                    gettext("图片像素过多 (%(width)d×%(height)d)") % {"width": image.width, "height": image.height}
                )
            side = settings.FACE_MAX_SIDE
            if image.format == "JPEG" and max(image.size) > 2 * side:
                image.draft("RGB", (image.width // 2, image.height // 2))  # decode at reduced scale: much faster
            image.load()
    except ImageRejected:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ImageRejected(gettext("图片像素过多, 疑似解压炸弹")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageRejected(gettext("文件不是有效的图片")) from None
    image = ImageOps.exif_transpose(image)
    if image.mode != "RGB":
        image = image.convert("RGB")
    if max(image.size) > settings.FACE_MAX_SIDE:
        image.thumbnail((settings.FACE_MAX_SIDE, settings.FACE_MAX_SIDE), Image.Resampling.BILINEAR)
    return np.asarray(image)


def detect_faces(rgb: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Face boxes (top, right, bottom, left) by HOG with upsample 0, found on a copy reduced to at most
    FACE_DETECT_SIDE pixels: a person at a door terminal fills the frame, and HOG time grows with the area."""
    import face_recognition

    height, width = rgb.shape[:2]
    factor = -(-max(height, width) // settings.FACE_DETECT_SIDE)  # ceiling division
    if factor <= 1:
        return face_recognition.face_locations(rgb, number_of_times_to_upsample=0, model="hog")
    small = np.asarray(Image.fromarray(rgb).reduce(factor))
    boxes = face_recognition.face_locations(small, number_of_times_to_upsample=0, model="hog")
    return [
        (max(t * factor, 0), min(r * factor, width - 1), min(b * factor, height - 1), max(lt * factor, 0))
        for t, r, b, lt in boxes
    ]


def encode_largest_face(rgb: np.ndarray, boxes: list | None = None) -> np.ndarray | None:
    """The 128-d encoding (from the full-resolution picture) of the largest face, or None if there is none."""
    import face_recognition

    boxes = detect_faces(rgb) if boxes is None else boxes
    if not boxes:
        return None
    largest = max(boxes, key=lambda b: (b[2] - b[0]) * (b[1] - b[3]))
    return face_recognition.face_encodings(rgb, known_face_locations=[largest])[0].astype(np.float32)


def encoding_to_bytes(encoding: np.ndarray) -> bytes:
    return encrypt_bytes(np.asarray(encoding, dtype=np.float32).tobytes())


def encoding_from_bytes(token: bytes) -> np.ndarray:
    return np.frombuffer(decrypt_bytes(token), dtype=np.float32)


@transaction.atomic
def face_enrol(*, resident: Resident, photo: bytes, by: User) -> FaceEnrolment:
    """Enrol a face from a photo: needs an active separate consent and exactly one face in the photo.

    Only the encoding is kept (encrypted); the photo is dropped unless FACE_KEEP_PHOTOS.
    """
    consent = FaceConsent.objects.filter(resident=resident, withdrawn_at__isnull=True).first()
    if consent is None:
        raise DomainError(gettext("录入人脸前需要本人单独同意 (《个人信息保护法》第二十九条)"), code="consent_required")
    cleaned = clean_image(photo, name="face").content.read()
    rgb = load_rgb(cleaned)
    boxes = detect_faces(rgb)
    if not boxes:
        raise DomainError(gettext("照片中没有检测到人脸, 请正对镜头、光线充足后重拍"), code="no_face")
    if len(boxes) > 1:
        raise DomainError(gettext("照片中有多张人脸, 请只拍本人"), code="several_faces")
    encoding = encode_largest_face(rgb, boxes)
    if encoding is None:
        raise DomainError(gettext("照片中没有检测到人脸, 请正对镜头、光线充足后重拍"), code="no_face")
    enrolled = [
        encoding_from_bytes(bytes(t)) for t in resident.face_enrolments.values_list("encoding_encrypted", flat=True)
    ]
    if enrolled and min(float(np.linalg.norm(e - encoding)) for e in enrolled) > settings.FACE_MATCH_TOLERANCE:
        # One person per account: a later photo must show the face already enrolled, never someone else's.
        raise DomainError(
            gettext("照片中的人与已录入的人脸不是同一人, 未保存。如需更换, 请先撤回同意 (删除已录入的人脸) 后重新录入"),
            code="face_mismatch",
        )
    old = list(FaceEnrolment.objects.filter(resident=resident).order_by("-created_at").values_list("pk", flat=True))
    if len(old) >= MAX_ENCODINGS_PER_RESIDENT:
        FaceEnrolment.objects.filter(pk__in=old[MAX_ENCODINGS_PER_RESIDENT - 1 :]).delete()
    enrolment = FaceEnrolment.objects.create(
        resident=resident,
        consent=consent,
        encoding_encrypted=encoding_to_bytes(encoding),
        photo_encrypted=encrypt_bytes(cleaned) if settings.FACE_KEEP_PHOTOS else None,
        created_by=by,
    )
    face_index_changed(_buckets_of(resident.pk))
    return enrolment


# --- enrolment by staff, with the signed paper consent ------------------------------------------------

WITHDRAW_SALT = "residents.face-withdraw.v1"
SCAN_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def consent_scan_clean(scan: bytes) -> tuple[bytes, str]:
    """The scan or photo of the signed paper consent: a PDF, or a photo (re-encoded, EXIF dropped)."""
    if not scan:
        raise DomainError(
            gettext("请上传本人签字的纸质单独同意书扫描件或照片 (consent_scan)"), code="consent_scan_required"
        )
    if scan[:5] == b"%PDF-":
        if len(scan) > max_bytes():
            raise DomainError(gettext("同意书扫描件过大"), code="consent_scan_too_large")
        return scan, "application/pdf"
    cleaned = clean_image(scan, name="consent")
    return cleaned.content.read(), SCAN_TYPES[cleaned.format]


@transaction.atomic
def face_enrol_by_staff(
    *, resident: Resident, photo: bytes, consent_scan: bytes, by: User, request=None
) -> FaceEnrolment:
    """Enrol at the office: the signed paper consent's scan is kept (encrypted) with the enrolment, the act is
    audited, and once committed the person is told by SMS with a one-tap withdrawal link. All or nothing: a bad
    photo leaves no consent and no scan behind."""
    scan, scan_type = consent_scan_clean(consent_scan)
    consent_grant(resident=resident, by=by, channel=FaceConsent.Channel.PAPER, purpose_version=CONSENT_VERSION)
    enrolment = face_enrol(resident=resident, photo=photo, by=by)
    enrolment.consent_scan_encrypted = encrypt_bytes(scan)
    enrolment.consent_scan_type = scan_type
    enrolment.notice_status = NoticeStatus.PENDING
    enrolment.save(update_fields=["consent_scan_encrypted", "consent_scan_type", "notice_status"])
    audit_record(
        actor=by, action="face.enrolled_by_staff", target=resident, reason=gettext("纸质同意书已上传"), request=request
    )
    from residents.tasks import notify_face_enrolled

    enrolment_id = enrolment.pk
    transaction.on_commit(lambda: notify_face_enrolled.delay(enrolment_id), robust=True)
    return enrolment


def withdraw_token(enrolment: FaceEnrolment) -> str:
    return signing.dumps({"r": enrolment.resident_id, "e": enrolment.pk}, salt=WITHDRAW_SALT)


def withdraw_url(enrolment: FaceEnrolment) -> str:
    from django.urls import reverse

    return settings.SITE_URL.rstrip("/") + reverse("face-withdraw-page", args=[withdraw_token(enrolment)])


def resident_of_withdraw_token(token: str) -> Resident:
    """The person a withdrawal link was sent to (the link works FACE_WITHDRAW_LINK_DAYS days)."""
    try:
        payload = signing.loads(token, salt=WITHDRAW_SALT, max_age=timedelta(days=settings.FACE_WITHDRAW_LINK_DAYS))
    except signing.SignatureExpired:
        raise DomainError(gettext("链接已过期, 请在小程序中撤回同意或联系物业"), code="link_expired") from None
    except signing.BadSignature:
        raise DomainError(gettext("链接无效"), code="link_invalid", status_code=404) from None
    resident = Resident.objects.filter(pk=payload.get("r"), anonymised_at__isnull=True).first()
    if resident is None:
        raise DomainError(gettext("链接无效"), code="link_invalid", status_code=404)
    return resident


def face_enrolment_notify(enrolment_id: int) -> FaceEnrolment | None:
    """Tell the person their face was enrolled by staff, with the one-tap withdrawal link; record what happened
    (the platform's acceptance, or why not). Never raises for a remote failure."""
    from shijiao.notify.sms import send_sms

    enrolment = FaceEnrolment.objects.select_related("resident").filter(pk=enrolment_id).first()
    if enrolment is None:
        return None  # withdrawn before the notice left: nothing to tell
    phone = enrolment.resident.phone
    status, detail = NoticeStatus.ACCEPTED, ""
    if not phone:
        status = NoticeStatus.NO_PHONE
    elif not (settings.ALIYUN_ACCESS_KEY_ID and settings.ALIYUN_ACCESS_KEY_SECRET):
        status = NoticeStatus.NOT_CONFIGURED
    else:
        try:
            result = send_sms(
                phone_numbers=[phone],
                template_code=settings.FACE_NOTICE_SMS_TEMPLATE,
                template_param={"link": withdraw_url(enrolment)},
                out_id=f"face-{enrolment.pk}",
            )
            if not result.ok:
                status, detail = NoticeStatus.FAILED, f"{result.code} {result.message}"
            else:
                detail = result.biz_id
        except Exception as exc:
            status, detail = NoticeStatus.FAILED, str(exc)
    FaceEnrolment.objects.filter(pk=enrolment.pk).update(
        notice_status=status, notice_detail=detail[:255], notice_at=timezone.now()
    )
    enrolment.refresh_from_db()
    return enrolment


# --- retention --------------------------------------------------------------------------------------


def purge_expired_face_data(*, now=None) -> dict[str, int]:
    """Delete the face data whose purpose ended: people who left more than FACE_RETENTION_DAYS ago, people who
    never lived in a block (enrolled FACE_UNHOUSED_RETENTION_DAYS ago or more), and visitor snapshots older than
    FACE_VISITOR_SNAPSHOT_HOURS."""
    now = now or timezone.now()
    cutoff = timezone.localdate(now) - timedelta(days=settings.FACE_RETENTION_DAYS)
    tenancies = Tenancy.objects.filter(resident=OuterRef("resident"))
    last_check_out = tenancies.order_by("-check_out").values("check_out")
    not_living_here = FaceEnrolment.objects.exclude(Exists(tenancies.filter(check_out__isnull=True)))
    left = (
        not_living_here.filter(Exists(tenancies))
        .annotate(left_on=Subquery(last_check_out[:1]))
        .filter(left_on__lte=cutoff)
    )
    granted = FaceDoorGrant.objects.filter(resident=OuterRef("resident"), revoked_at__isnull=True)
    never_housed = (
        not_living_here.exclude(Exists(tenancies))
        .exclude(Exists(granted))
        .filter(created_at__lte=now - timedelta(days=settings.FACE_UNHOUSED_RETENTION_DAYS))
    )
    gone = list(left.values_list("pk", flat=True)) + list(never_housed.values_list("pk", flat=True))
    with transaction.atomic():
        deleted, _ = FaceEnrolment.objects.filter(pk__in=gone).delete()
        if deleted:
            face_index_changed([NO_BLOCK])
        snapshots = AccessEvent.objects.filter(snapshot_encrypted__isnull=False, at__lt=snapshot_expiry(now)).update(
            snapshot_encrypted=None
        )
    return {"encodings": deleted, "visitor_snapshots": snapshots}


def snapshot_expiry(now=None):
    """Visitor snapshots taken before this moment are past their purpose (never shown, erased by the job)."""
    return (now or timezone.now()) - timedelta(hours=settings.FACE_VISITOR_SNAPSHOT_HOURS)


# --- accuracy ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accuracy:
    """False accepts and rejects of the same-person decision at one tolerance, over labelled pairs."""

    tolerance: float
    genuine: int  # pairs of the same person
    impostor: int  # pairs of different people
    false_rejects: int
    false_accepts: int

    @property
    def far(self) -> float:
        return self.false_accepts / self.impostor if self.impostor else 0.0

    @property
    def frr(self) -> float:
        return self.false_rejects / self.genuine if self.genuine else 0.0


def pair_distances(
    enrolled: list[tuple[str, np.ndarray]], probes: list[tuple[str, np.ndarray]]
) -> tuple[list[float], list[float]]:
    """(genuine, impostor) distances of every probe against every enrolled identity (labels name the person;
    a probe is not compared with the very encoding it is, when the same object is in both lists)."""
    genuine, impostor = [], []
    for label, enc in enrolled:
        for probe_label, probe in probes:
            if probe is enc:
                continue
            distance = float(np.linalg.norm(np.asarray(enc) - np.asarray(probe)))
            (genuine if probe_label == label else impostor).append(distance)
    return genuine, impostor


def accuracy_at(tolerance: float, genuine: list[float], impostor: list[float]) -> Accuracy:
    return Accuracy(
        tolerance=tolerance,
        genuine=len(genuine),
        impostor=len(impostor),
        false_rejects=sum(d > tolerance for d in genuine),
        false_accepts=sum(d <= tolerance for d in impostor),
    )


def choose_tolerance(genuine: list[float], impostor: list[float]) -> float:
    """The tolerance the measurement supports: no false accept, then the fewest false rejects, then the middle of
    the remaining gap (a margin on both sides), rounded down to two decimals."""
    nearest_impostor = min(impostor) if impostor else 1.0
    accepted = [d for d in genuine if d < nearest_impostor]
    farthest_genuine = max(accepted) if accepted else 0.0
    middle = (farthest_genuine + nearest_impostor) / 2
    return float(np.floor(middle * 100) / 100)


# --- the index --------------------------------------------------------------------------------------


def _bucket_of(resident_id: int) -> int:
    apartment_id = (
        Tenancy.objects.active().filter(resident_id=resident_id).values_list("room__apartment_id", flat=True).first()
    )
    return apartment_id or NO_BLOCK


def _buckets_of(resident_id: int) -> list[int]:
    """Every block whose doors know this person: where they live, and where staff are granted."""
    granted = FaceDoorGrant.objects.filter(resident_id=resident_id, revoked_at__isnull=True)
    return [_bucket_of(resident_id), *granted.values_list("apartment_id", flat=True)]


@transaction.atomic
def face_grant(*, resident: Resident, apartment, reason: str, by: User) -> FaceDoorGrant:
    """Let a member of staff in by face at one block's doors (explicit, audited, revocable)."""
    reason = reason.strip()
    if not reason:
        raise DomainError(gettext("请写明授权事由"), code="reason_required")
    grant, _created = FaceDoorGrant.objects.get_or_create(
        resident=resident, apartment=apartment, revoked_at=None, defaults={"reason": reason[:255], "granted_by": by}
    )
    audit_record(actor=by, action="face.door_granted", target=resident, reason=f"{apartment}: {reason}"[:255])
    face_index_changed([apartment.pk])
    return grant


@transaction.atomic
def face_grant_revoke(*, grant: FaceDoorGrant, by: User) -> FaceDoorGrant:
    if grant.revoked_at is None:
        grant.revoked_at = timezone.now()
        grant.save(update_fields=["revoked_at"])
        audit_record(actor=by, action="face.door_grant_revoked", target=grant.resident, reason=str(grant.apartment))
        face_index_changed([grant.apartment_id])
    return grant


def face_index_changed(apartment_ids) -> None:
    """Bump the versions of the given blocks' face matrices (None = people without a block)."""
    buckets = {a or NO_BLOCK for a in apartment_ids}
    for bucket in buckets:
        FaceIndexBucket.objects.get_or_create(apartment_id=bucket)
    FaceIndexBucket.objects.filter(apartment_id__in=buckets).update(version=F("version") + 1)
    # Tell other processes now (this process reads its own transaction) and again once committed.
    cache.set(STAMP_KEY, uuid.uuid4().hex, timeout=None)
    transaction.on_commit(lambda: cache.set(STAMP_KEY, uuid.uuid4().hex, timeout=None), robust=True)


@dataclass(frozen=True)
class _Bucket:
    version: int
    resident_ids: np.ndarray  # int64, one per row
    matrix: np.ndarray  # float32 (n, 129): the encoding and -|m|²/2, so one product ranks every row


def _augment(encodings: np.ndarray) -> np.ndarray:
    encodings = np.asarray(encodings, dtype=np.float32)
    half_norms = -0.5 * np.einsum("ij,ij->i", encodings, encodings)
    return np.ascontiguousarray(np.hstack([encodings, half_norms[:, None]]), dtype=np.float32)


@dataclass(frozen=True)
class Match:
    resident_id: int
    distance: float


def _empty(version: int = 0) -> _Bucket:
    return _Bucket(version, np.zeros(0, np.int64), np.zeros((0, 129), np.float32))


def _bucket_from_rows(version: int, rows: list[tuple[int, bytes]]) -> _Bucket:
    if not rows:
        return _empty(version)
    ids = np.fromiter((r for r, _ in rows), dtype=np.int64, count=len(rows))
    return _Bucket(version, ids, _augment(np.vstack([encoding_from_bytes(token) for _, token in rows])))


def _stamp_is_shared() -> bool:
    """Whether other processes see the stamp. A per-process cache (no REDIS_URL) never tells this process of a
    withdrawal made in another one, so then the block versions are read at every match (one small query)."""
    return not isinstance(caches["default"], (LocMemCache, DummyCache))


class FaceIndex:
    """Per-process cache of the face matrices, one per block; ``match`` looks only in the door's block."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: str | None = None
        self._buckets: dict[int, _Bucket] = {}
        self._loaded = False

    def _enrolments_with_bucket(self):
        active_apartment = Tenancy.objects.filter(resident=OuterRef("resident"), check_out__isnull=True).values(
            "room__apartment_id"
        )[:1]
        return FaceEnrolment.objects.annotate(bucket=Subquery(active_apartment))

    def refresh(self) -> None:
        stamp = cache.get(STAMP_KEY)
        if self._loaded and stamp is not None and stamp == self._stamp and _stamp_is_shared():
            return
        with self._lock:
            if stamp is None:
                stamp = uuid.uuid4().hex
                cache.add(STAMP_KEY, stamp, timeout=None)
            versions = dict(FaceIndexBucket.objects.values_list("apartment_id", "version"))
            if not self._loaded:
                grouped: dict[int, list[tuple[int, bytes]]] = {}
                for bucket, resident_id, token in self._enrolments_with_bucket().values_list(
                    "bucket", "resident_id", "encoding_encrypted"
                ):
                    grouped.setdefault(bucket or NO_BLOCK, []).append((resident_id, bytes(token)))
                for apartment_id, resident_id, token in self._granted_rows():
                    grouped.setdefault(apartment_id, []).append((resident_id, token))
                self._buckets = {b: _bucket_from_rows(versions.get(b, 0), rows) for b, rows in grouped.items()}
            else:
                for bucket, version in versions.items():
                    if self._buckets.get(bucket, _empty(-1)).version != version:
                        self._buckets[bucket] = self._load_bucket(bucket, version)
            self._stamp = stamp
            self._loaded = True

    def _load_bucket(self, bucket: int, version: int) -> _Bucket:
        qs = self._enrolments_with_bucket()
        qs = qs.filter(bucket__isnull=True) if bucket == NO_BLOCK else qs.filter(bucket=bucket)
        rows = [(r, bytes(t)) for r, t in qs.values_list("resident_id", "encoding_encrypted")]
        if bucket != NO_BLOCK:
            rows += self._granted_rows(apartment_id=bucket)
        return _bucket_from_rows(version, rows)

    @staticmethod
    def _granted_rows(apartment_id: int | None = None) -> list[tuple[int, bytes]]:
        """Encodings of staff explicitly granted a block's doors (FaceDoorGrant), as (apartment, resident, token)."""
        grants = FaceDoorGrant.objects.filter(revoked_at__isnull=True)
        if apartment_id is not None:
            grants = grants.filter(apartment_id=apartment_id)
        granted = dict(grants.values_list("resident_id", "apartment_id"))
        rows = FaceEnrolment.objects.filter(resident_id__in=list(granted)).values_list(
            "resident_id", "encoding_encrypted"
        )
        if apartment_id is not None:
            return [(r, bytes(t)) for r, t in rows]
        return [(granted[r], r, bytes(t)) for r, t in rows]

    def load_synthetic(self, buckets: dict[int, tuple[np.ndarray, np.ndarray]]) -> None:
        """Benchmarks only: add (resident ids, encodings) per bucket without the database."""
        with self._lock:
            for bucket, (ids, matrix) in buckets.items():
                old = self._buckets.get(bucket, _empty())
                self._buckets[bucket] = _Bucket(
                    old.version, np.concatenate([old.resident_ids, ids]), np.vstack([old.matrix, _augment(matrix)])
                )

    @staticmethod
    def _nearest(bucket: _Bucket, encoding: np.ndarray) -> tuple[int, float] | None:
        if not len(bucket.resident_ids):
            return None
        # |m - v|² = |v|² - 2 (m·v - |m|²/2): the nearest row has the largest m·v - |m|²/2, which one
        # product with the augmented matrix gives. einsum stays on one core: BLAS threads fighting over
        # two busy cores made the tail ten times slower than the median.
        scores = np.einsum("ij,j->i", bucket.matrix, np.append(encoding, np.float32(1.0)))
        i = int(np.argmax(scores))
        squared = float(encoding @ encoding) - 2.0 * float(scores[i])
        return int(bucket.resident_ids[i]), float(np.sqrt(max(squared, 0.0)))

    def match(self, encoding: np.ndarray, *, apartment_id: int | None) -> Match | None:
        """The nearest person entitled to this block's doors within FACE_MATCH_TOLERANCE, or None (unknown).

        Only the block's own matrix is searched: a resident of another block is nobody at this door, and is
        neither identified nor written into this block's access log."""
        self.refresh()
        if not apartment_id:
            return None
        encoding = np.asarray(encoding, dtype=np.float32)
        near = self._nearest(self._buckets.get(apartment_id, _empty()), encoding)
        if near is not None and near[1] <= settings.FACE_MATCH_TOLERANCE:
            return Match(near[0], near[1])
        return None

    def reset(self) -> None:
        """Forget everything (tests roll the database back under the cache's feet)."""
        with self._lock:
            self._stamp, self._buckets, self._loaded = None, {}, False

    def block_size(self, apartment_id: int) -> int:
        """How many encodings a door of this block is compared with."""
        return len(self._buckets.get(apartment_id, _empty()).resident_ids)

    def size(self) -> int:
        return sum(len(b.resident_ids) for b in self._buckets.values())


face_index = FaceIndex()
