"""New residents (新市民) and where they live."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apartments.models import Enterprise, Room
from shijiao.pii import EncryptedTextField, blind_index, mask_id_number, mask_name, mask_phone


class Resident(models.Model):
    class Gender(models.TextChoices):
        MALE = "M", _("男")
        FEMALE = "F", _("女")

    name = models.CharField(_("姓名"), max_length=64)
    id_number = EncryptedTextField(_("身份证号"))
    id_number_hash = models.CharField(max_length=64, unique=True, editable=False)
    phone = EncryptedTextField(_("手机号"), blank=True, default="")
    phone_hash = models.CharField(max_length=64, blank=True, default="", db_index=True, editable=False)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    hometown = models.CharField(_("籍贯"), max_length=64, blank=True)
    employer = models.ForeignKey(
        Enterprise,
        verbose_name=_("工作单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="employees",
    )
    emergency_contact_name = EncryptedTextField(_("紧急联系人"), blank=True, default="")
    emergency_contact_phone = EncryptedTextField(_("紧急联系人电话"), blank=True, default="")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("小程序账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resident",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    anonymised_at = models.DateTimeField(
        _("匿名化时间"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("保存期限届满后删除了身份证号、手机号、姓名等; 入住记录只留作统计"),
    )

    class Meta:
        verbose_name = _("新市民")
        verbose_name_plural = _("新市民")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return mask_name(self.name)

    def save(self, *args, **kwargs) -> None:
        if self.anonymised_at is None:  # an anonymised row keeps its placeholder hash (the column is unique)
            self.id_number = self.id_number.strip().upper()
            self.id_number_hash = blind_index(self.id_number)
            self.phone_hash = blind_index(self.phone) if self.phone else ""
        super().save(*args, **kwargs)

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def emergency_contact_name_masked(self) -> str:
        return mask_name(self.emergency_contact_name)

    @property
    def emergency_contact_phone_masked(self) -> str:
        return mask_phone(self.emergency_contact_phone)

    @property
    def name_masked(self) -> str:
        return str(_("已匿名")) if self.anonymised_at else mask_name(self.name)


class TenancyQuerySet(models.QuerySet):
    def active(self) -> TenancyQuerySet:
        return self.filter(check_out__isnull=True)


class Tenancy(models.Model):
    """A resident living in a room (bed) of a block from check-in until check-out."""

    resident = models.ForeignKey(Resident, verbose_name=_("新市民"), on_delete=models.CASCADE, related_name="tenancies")
    room = models.ForeignKey(Room, verbose_name=_("房间"), on_delete=models.PROTECT, related_name="tenancies")
    bed = models.CharField(_("床位"), max_length=16, blank=True)
    check_in = models.DateField(_("入住日期"))
    check_out = models.DateField(_("退房日期"), null=True, blank=True)

    objects = TenancyQuerySet.as_manager()

    class Meta:
        verbose_name = _("入住记录")
        verbose_name_plural = _("入住记录")
        ordering = ["-check_in"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident"], condition=Q(check_out__isnull=True), name="one_active_tenancy_per_resident"
            ),
            models.CheckConstraint(
                condition=Q(check_out__isnull=True) | Q(check_out__gte=models.F("check_in")),
                name="tenancy_check_out_after_check_in",
            ),
            models.UniqueConstraint(
                fields=["room", "bed"],
                condition=Q(check_out__isnull=True) & ~Q(bed=""),
                name="one_active_tenancy_per_bed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resident} @ {self.room}"

    @property
    def is_active(self) -> bool:
        return self.check_out is None

    @property
    def registration_due(self):
        """Last day to register residence after arrival (REGISTRATION_DEADLINE_DAYS)."""
        from datetime import timedelta

        return self.check_in + timedelta(days=settings.REGISTRATION_DEADLINE_DAYS)


# --- residence registration (居住登记) ------------------------------------------------------------


class ResidenceRegistration(models.Model):
    """The residence registration of one tenancy: submitted, confirmed or returned, ended at check-out."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待确认")
        CONFIRMED = "confirmed", _("已登记")
        RETURNED = "returned", _("已退回")
        DEREGISTERING = "deregistering", _("待注销")
        ENDED = "ended", _("已注销")

    class Purpose(models.TextChoices):
        WORK = "work", _("务工")
        BUSINESS = "business", _("经商")
        STUDY = "study", _("就学")
        FAMILY = "family", _("投靠亲友")
        OTHER = "other", _("其他")

    resident = models.ForeignKey(
        Resident, verbose_name=_("新市民"), on_delete=models.CASCADE, related_name="registrations"
    )
    tenancy = models.OneToOneField(
        Tenancy, verbose_name=_("入住记录"), on_delete=models.CASCADE, related_name="registration"
    )
    purpose = models.CharField(_("居住事由"), max_length=16, choices=Purpose.choices, default=Purpose.WORK)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, db_index=True)
    resides_since = models.DateField(_("居住起始日"), help_text=_("入住本楼之日, 楼内换房不变"))
    submitted_at = models.DateTimeField(_("提交时间"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提交人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    return_reason = models.CharField(_("退回原因"), max_length=255, blank=True)
    confirmed_at = models.DateTimeField(_("确认登记时间"), null=True, blank=True)
    deregistration_due = models.DateField(_("注销申报期限"), null=True, blank=True)
    deregistered_at = models.DateTimeField(_("注销确认时间"), null=True, blank=True)
    deregistered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("注销确认人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("居住登记")
        verbose_name_plural = _("居住登记")
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return f"{self.resident} {self.get_status_display()}"

    @property
    def is_registered(self) -> bool:
        """Registered means the block or police confirmed it (or it is waiting for confirmation)."""
        return self.status in (self.Status.SUBMITTED, self.Status.CONFIRMED)


# --- electronic residence permit (电子居住证) -----------------------------------------------------


class ResidencePermit(models.Model):
    class Status(models.TextChoices):
        APPLIED = "applied", _("待审核")
        ISSUED = "issued", _("已签发")
        REJECTED = "rejected", _("未通过")
        REVOKED = "revoked", _("已吊销")

    class Basis(models.TextChoices):
        JOB = "job", _("合法稳定就业")
        HOME = "home", _("合法稳定住所")
        STUDY = "study", _("连续就读")

    resident = models.ForeignKey(Resident, verbose_name=_("新市民"), on_delete=models.CASCADE, related_name="permits")
    basis = models.CharField(_("申领条件"), max_length=16, choices=Basis.choices)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.APPLIED, db_index=True)
    number = models.CharField(_("居住证编号"), max_length=32, unique=True, null=True, blank=True)
    applied_at = models.DateTimeField(_("申请时间"))
    registered_since = models.DateField(_("登记居住起始日"))
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reject_reason = models.CharField(_("未通过原因"), max_length=255, blank=True)
    valid_from = models.DateField(_("有效期起"), null=True, blank=True)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revoke_reason = models.CharField(_("吊销原因"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("电子居住证")
        verbose_name_plural = _("电子居住证")
        ordering = ["-applied_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident"],
                condition=Q(status__in=["applied", "issued"]),
                name="one_open_permit_per_resident",
            )
        ]

    def __str__(self) -> str:
        return self.number or f"{self.resident} {self.get_status_display()}"

    def is_valid_on(self, day) -> bool:
        return (
            self.status == self.Status.ISSUED
            and self.valid_from is not None
            and self.valid_until is not None
            and self.valid_from <= day <= self.valid_until
        )


# --- face at the door (刷脸进门) ------------------------------------------------------------------


class FaceConsent(models.Model):
    """A separate consent to face recognition (PIPL Art. 29): who, when, and the purpose text they were shown."""

    class Channel(models.TextChoices):
        MINI_PROGRAM = "mini_program", _("小程序")
        PAPER = "paper", _("纸质签字 (物业代录)")

    resident = models.ForeignKey(
        Resident, verbose_name=_("新市民"), on_delete=models.CASCADE, related_name="face_consents"
    )
    purpose_version = models.CharField(_("告知书版本"), max_length=16)
    purpose_text = models.TextField(_("告知内容"))
    channel = models.CharField(_("方式"), max_length=16, choices=Channel.choices)
    granted_at = models.DateTimeField(_("同意时间"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("人脸识别单独同意")
        verbose_name_plural = _("人脸识别单独同意")
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident"], condition=Q(withdrawn_at__isnull=True), name="one_active_face_consent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resident} {self.granted_at:%Y-%m-%d}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


class NoticeStatus(models.TextChoices):
    """What became of a notice to a person: "accepted" is the SMS platform's acceptance, not delivery."""

    PENDING = "pending", _("待发送")
    ACCEPTED = "accepted", _("短信平台已受理")
    FAILED = "failed", _("发送失败")
    NO_PHONE = "no_phone", _("无手机号, 未能通知")
    NOT_CONFIGURED = "not_configured", _("短信未配置, 未能通知")


class FaceEnrolment(models.Model):
    """A 128-d face encoding (float32, Fernet-encrypted); never the photo unless FACE_KEEP_PHOTOS."""

    resident = models.ForeignKey(
        Resident, verbose_name=_("新市民"), on_delete=models.CASCADE, related_name="face_enrolments"
    )
    consent = models.ForeignKey(
        FaceConsent, verbose_name=_("同意记录"), on_delete=models.PROTECT, related_name="enrolments"
    )
    encoding_encrypted = models.BinaryField(_("特征值 (加密)"))
    photo_encrypted = models.BinaryField(_("照片 (加密)"), null=True, blank=True)
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A face enrolled by staff carries the scan of the signed paper consent (encrypted, never listed) and the
    # notice sent to the person at once, with a one-tap withdrawal link.
    consent_scan_encrypted = models.BinaryField(_("纸质同意书扫描件 (加密)"), null=True, blank=True, editable=False)
    consent_scan_type = models.CharField(_("扫描件格式"), max_length=32, blank=True, editable=False)
    notice_status = models.CharField(_("本人通知"), max_length=16, choices=NoticeStatus.choices, blank=True, default="")
    notice_detail = models.CharField(_("通知详情"), max_length=255, blank=True)
    notice_at = models.DateTimeField(_("通知时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("人脸特征")
        verbose_name_plural = _("人脸特征")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.resident} #{self.pk}"


class FaceIndexBucket(models.Model):
    """Version of the face matrix of one block (0 = people without an active tenancy), bumped on change."""

    apartment_id = models.BigIntegerField(unique=True)
    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("人脸索引版本")
        verbose_name_plural = _("人脸索引版本")


class AccessCredential(models.Model):
    """A way in that is not the face (SPC 2021/15 Art. 10): a card or a PIN; stored only as a keyed hash."""

    class Kind(models.TextChoices):
        CARD = "card", _("门禁卡")
        PIN = "pin", _("密码")

    resident = models.ForeignKey(
        Resident, verbose_name=_("新市民"), on_delete=models.CASCADE, related_name="credentials"
    )
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    secret_hash = models.CharField(max_length=64, editable=False)
    label = models.CharField(_("标识"), max_length=32, blank=True, help_text=_("卡号后四位等, 不含完整卡号"))
    issued_at = models.DateTimeField(_("发放时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("注销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("门禁凭证")
        verbose_name_plural = _("门禁凭证")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "secret_hash"], condition=Q(revoked_at__isnull=True), name="credential_unique_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.label}"


class AccessEvent(models.Model):
    """One decision at a door or elevator: who (if known), how, what was decided and why."""

    class Method(models.TextChoices):
        FACE = "face", _("刷脸")
        CARD = "card", _("刷卡")
        QR = "qr", _("二维码")
        PIN = "pin", _("密码")
        REMOTE = "remote", _("远程开门")

    class Decision(models.TextChoices):
        OPEN = "open", _("开门")
        OPEN_REMIND = "open_remind", _("开门并提醒登记")
        DENY_UNKNOWN = "deny_unknown", _("拒绝: 陌生人")
        DENY_CHECKED_OUT = "deny_checked_out", _("拒绝: 已退租")
        DENY_NOT_RESIDENT = "deny_not_resident", _("拒绝: 非本楼住户")
        DENY_INVALID = "deny_invalid", _("拒绝: 凭证无效")

    apartment = models.ForeignKey(
        "apartments.Apartment", verbose_name=_("公寓"), on_delete=models.CASCADE, related_name="access_events"
    )
    device = models.ForeignKey(
        "sensors.Device",
        verbose_name=_("设备"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="access_events",
    )
    resident = models.ForeignKey(
        Resident,
        verbose_name=_("新市民"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="access_events",
    )
    at = models.DateTimeField(_("时间"), db_index=True)
    method = models.CharField(_("方式"), max_length=8, choices=Method.choices)
    decision = models.CharField(_("结果"), max_length=20, choices=Decision.choices, db_index=True)
    reason = models.CharField(_("原因"), max_length=255)
    distance = models.FloatField(_("人脸距离"), null=True, blank=True)
    floors = models.JSONField(_("放行楼层"), null=True, blank=True)
    snapshot_encrypted = models.BinaryField(_("访客抓拍 (加密)"), null=True, blank=True)
    let_in_at = models.DateTimeField(_("远程放行时间"), null=True, blank=True)
    let_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("远程放行人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    command_delivered_at = models.DateTimeField(_("开门指令送达"), null=True, blank=True)

    class Meta:
        verbose_name = _("通行记录")
        verbose_name_plural = _("通行记录")
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["apartment", "at"], name="access_event_apartment_at"),
            models.Index(fields=["resident", "at"], name="access_event_resident_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_decision_display()}"

    @property
    def opened(self) -> bool:
        return self.decision in (self.Decision.OPEN, self.Decision.OPEN_REMIND) or self.let_in_at is not None


class SuspiciousMovement(models.Model):
    """Radar or elevator evidence worth a look: night loitering, tailgating, wrong floor."""

    class Kind(models.TextChoices):
        LOITERING = "loitering", _("夜间走廊逗留")
        TAILGATING = "tailgating", _("尾随进门")
        WRONG_FLOOR = "wrong_floor", _("前往无关楼层")
        PIN_GUESSING = "pin_guessing", _("门禁密码反复试错")

    apartment = models.ForeignKey(
        "apartments.Apartment", verbose_name=_("公寓"), on_delete=models.CASCADE, related_name="suspicious_movements"
    )
    device = models.ForeignKey(
        "sensors.Device", verbose_name=_("设备"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resident = models.ForeignKey(
        Resident, verbose_name=_("新市民"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, db_index=True)
    detail = models.JSONField(_("详情"), default=dict)
    at = models.DateTimeField(_("时间"), db_index=True)

    class Meta:
        verbose_name = _("可疑行为")
        verbose_name_plural = _("可疑行为")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


# --- self-service: identity documents, tenancy requests, notices ---------------------------------


class IdentityDocument(models.Model):
    """A photo of the resident's ID card (front or back), uploaded by themself; encrypted, never listed."""

    class Side(models.TextChoices):
        FRONT = "front", _("人像面")
        BACK = "back", _("国徽面")

    resident = models.ForeignKey(
        Resident, verbose_name=_("新市民"), on_delete=models.CASCADE, related_name="identity_documents"
    )
    side = models.CharField(_("哪一面"), max_length=8, choices=Side.choices)
    photo_encrypted = models.BinaryField(_("照片 (加密)"))
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("身份证照片")
        verbose_name_plural = _("身份证照片")
        constraints = [models.UniqueConstraint(fields=["resident", "side"], name="one_id_photo_per_side")]

    def __str__(self) -> str:
        return f"{self.resident} {self.get_side_display()}"


class TenancyRequest(models.Model):
    """A resident scanned a room's QR code and asks to be checked in; the block's property staff decide."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待物业确认")
        CONFIRMED = "confirmed", _("已确认入住")
        REFUSED = "refused", _("物业未同意")
        CANCELLED = "cancelled", _("已撤回")

    resident = models.ForeignKey(
        Resident, verbose_name=_("新市民"), on_delete=models.CASCADE, related_name="tenancy_requests"
    )
    room = models.ForeignKey(Room, verbose_name=_("房间"), on_delete=models.PROTECT, related_name="tenancy_requests")
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    arrival = models.DateField(_("入住日期"))
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("未同意原因"), max_length=255, blank=True)
    tenancy = models.OneToOneField(
        Tenancy,
        verbose_name=_("入住记录"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="request",
    )

    class Meta:
        verbose_name = _("入住申请")
        verbose_name_plural = _("入住申请")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident"], condition=Q(status="pending"), name="one_pending_tenancy_request"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resident} → {self.room} {self.get_status_display()}"


class Notice(models.Model):
    """One message to one user about their case (or a block's staff about a resident or a visitor).

    Always readable in the API's inbox; also pushed as a WeChat subscription message, or by SMS when WeChat
    cannot deliver. ``status`` says what the provider answered: "sent" means accepted, never "read".
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        INBOX_ONLY = "inbox_only", _("仅站内 (无可用推送渠道)")
        FAILED = "failed", _("推送失败")

    class Channel(models.TextChoices):
        NONE = "", _("无")
        WECHAT = "wechat", _("微信订阅消息")
        SMS = "sms", _("短信")

    key = models.CharField(_("幂等键"), max_length=191, unique=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="notices"
    )
    kind = models.CharField(_("类型"), max_length=32, db_index=True)
    title = models.CharField(_("标题"), max_length=64)
    text = models.CharField(_("内容"), max_length=500)
    next_step = models.CharField(_("下一步"), max_length=255, blank=True)
    link = models.CharField(_("链接"), max_length=255, blank=True)
    apartment = models.ForeignKey(
        "apartments.Apartment",
        verbose_name=_("公寓"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    status = models.CharField(_("推送状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    channel = models.CharField(_("推送渠道"), max_length=8, choices=Channel.choices, blank=True, default="")
    sent_at = models.DateTimeField(_("推送时间"), null=True, blank=True)
    error = models.CharField(_("推送错误"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("办事通知")
        verbose_name_plural = _("办事通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "-created_at"], name="notice_recipient_created")]

    def __str__(self) -> str:
        return f"{self.title} → {self.recipient}"


class DoorQrUse(models.Model):
    """A door QR code that has opened once: a code opens one time only, within its validity."""

    nonce = models.CharField(max_length=32, unique=True)
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="+")
    used_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("已使用的开门码")
        verbose_name_plural = _("已使用的开门码")


class PinLockout(models.Model):
    """Wrong PINs counted per door (``door:<id>``) and per person (``resident:<id>``); after PIN_MAX_FAILURES the
    PIN is locked for a delay that doubles with every further failure."""

    key = models.CharField(max_length=48, unique=True)
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("密码锁定")
        verbose_name_plural = _("密码锁定")


class FaceDoorGrant(models.Model):
    """Staff (a cleaner, a guard: a person with a record and a consented face) explicitly let in by face at one
    block's doors, besides the people living there; ends when revoked."""

    resident = models.ForeignKey(
        Resident, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="face_door_grants"
    )
    apartment = models.ForeignKey(
        "apartments.Apartment", verbose_name=_("公寓"), on_delete=models.CASCADE, related_name="face_door_grants"
    )
    reason = models.CharField(_("事由"), max_length=255, help_text=_("如: 保洁员、保安"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("授权人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(_("授权时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("刷脸授权 (工作人员)")
        verbose_name_plural = _("刷脸授权 (工作人员)")
        constraints = [
            models.UniqueConstraint(
                fields=["resident", "apartment"], condition=Q(revoked_at__isnull=True), name="one_active_face_grant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resident} @ {self.apartment}"
