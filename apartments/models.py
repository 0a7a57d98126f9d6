"""The place: sub-district → communities → grids → apartment blocks → rooms, and who answers for each."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Role


class SubDistrict(models.Model):
    name = models.CharField(_("名称"), max_length=64, unique=True)
    code = models.CharField(_("区划代码"), max_length=32, unique=True)

    class Meta:
        verbose_name = _("街道")
        verbose_name_plural = _("街道")

    def __str__(self) -> str:
        return self.name


class Community(models.Model):
    sub_district = models.ForeignKey(
        SubDistrict, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="communities"
    )
    name = models.CharField(_("名称"), max_length=64)
    code = models.CharField(_("编码"), max_length=32, unique=True)

    class Meta:
        verbose_name = _("社区")
        verbose_name_plural = _("社区")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Grid(models.Model):
    community = models.ForeignKey(Community, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="grids")
    name = models.CharField(_("名称"), max_length=64)
    code = models.CharField(_("编码"), max_length=32, unique=True)
    workers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("网格员"),
        blank=True,
        related_name="grids",
        limit_choices_to={"role": Role.GRID_WORKER},
    )

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = _("网格")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.community.name} {self.name}"


class PropertyCompany(models.Model):
    name = models.CharField(_("名称"), max_length=128, unique=True)
    contact_name = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("物业管理人员"),
        blank=True,
        related_name="property_companies",
        limit_choices_to={"role": Role.PROPERTY_MANAGER},
    )

    class Meta:
        verbose_name = _("物业公司")
        verbose_name_plural = _("物业公司")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MicroFireStation(models.Model):
    name = models.CharField(_("名称"), max_length=128, unique=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    duty_phone = models.CharField(_("值班电话"), max_length=32, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    operators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("值班人员"),
        blank=True,
        related_name="fire_stations",
        limit_choices_to={"role": Role.STATION_OPERATOR},
    )

    class Meta:
        verbose_name = _("微型消防站")
        verbose_name_plural = _("微型消防站")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Enterprise(models.Model):
    name = models.CharField(_("名称"), max_length=128)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    industry = models.CharField(_("行业"), max_length=64, blank=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    grid = models.ForeignKey(
        Grid, verbose_name=_("网格"), null=True, blank=True, on_delete=models.SET_NULL, related_name="enterprises"
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("企业账号"),
        blank=True,
        related_name="enterprises",
        limit_choices_to={"role": Role.ENTERPRISE},
    )

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Apartment(models.Model):
    """One migrant-worker apartment block (流动人口公寓)."""

    code = models.CharField(_("编号"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=128, db_index=True)
    address = models.CharField(_("地址"), max_length=255)
    grid = models.ForeignKey(Grid, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="apartments")
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    floors = models.PositiveSmallIntegerField(_("层数"), validators=[MinValueValidator(1), MaxValueValidator(100)])
    property_company = models.ForeignKey(
        PropertyCompany, verbose_name=_("物业公司"), on_delete=models.PROTECT, related_name="apartments"
    )
    fire_safety_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("消防责任人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="fire_safety_apartments",
        limit_choices_to={"role": Role.FIRE_SAFETY_PERSON},
    )
    micro_fire_station = models.ForeignKey(
        MicroFireStation,
        verbose_name=_("覆盖的微型消防站"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="apartments",
    )
    monthly_rent_from = models.PositiveIntegerField(_("月租金起 (元)"), null=True, blank=True)
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("公寓")
        verbose_name_plural = _("公寓")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("单人间")
        DOUBLE = "double", _("双人间")
        DORM = "dorm", _("宿舍间")
        SUITE = "suite", _("套间")

    apartment = models.ForeignKey(Apartment, verbose_name=_("公寓"), on_delete=models.CASCADE, related_name="rooms")
    floor = models.SmallIntegerField(_("楼层"))
    number = models.CharField(_("房号"), max_length=16)
    kind = models.CharField(_("房型"), max_length=16, choices=Kind.choices, default=Kind.DOUBLE)
    capacity = models.PositiveSmallIntegerField(_("可住人数"), validators=[MinValueValidator(1), MaxValueValidator(20)])
    monthly_rent = models.PositiveIntegerField(_("月租金 (元)"), null=True, blank=True)

    class Meta:
        verbose_name = _("房间")
        verbose_name_plural = _("房间")
        ordering = ["apartment", "floor", "number"]
        constraints = [models.UniqueConstraint(fields=["apartment", "number"], name="room_number_unique_per_apartment")]

    def __str__(self) -> str:
        return f"{self.apartment.name} {self.number}"


# --- inspections: checklists, inspections, hazards and their rectification ------------------------


class InspectionKind(models.TextChoices):
    """What an inspection looks at; each kind belongs to the grid workers or to one department."""

    PATROL = "patrol", _("网格员日常巡查")
    FIRE = "fire", _("消防安全检查")
    POLICE = "police", _("治安检查")
    HEALTH = "health", _("卫生防疫检查")
    GARBAGE = "garbage", _("垃圾分类检查")
    RENTAL = "rental", _("出租房屋管理检查")
    MARKET = "market", _("市场监管检查")


class Severity(models.TextChoices):
    LOW = "low", _("一般隐患")
    MEDIUM = "medium", _("较大隐患")
    HIGH = "high", _("重大隐患")


class Outcome(models.TextChoices):
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")
    NOT_APPLICABLE = "na", _("不适用")


class ChecklistTemplate(models.Model):
    """An inspection checklist (检查表) of one kind; edited by the street in the admin."""

    kind = models.CharField(_("检查类型"), max_length=16, choices=InspectionKind.choices, db_index=True)
    name = models.CharField(_("名称"), max_length=128)
    description = models.TextField(_("说明"), blank=True)
    is_active = models.BooleanField(
        _("启用"), default=True, help_text=_("每种检查类型只用最新启用的一张检查表开始新的检查")
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("检查表模板")
        verbose_name_plural = _("检查表模板")
        ordering = ["kind", "-is_active", "-id"]

    def __str__(self) -> str:
        return self.name


class ChecklistItem(models.Model):
    template = models.ForeignKey(
        ChecklistTemplate, verbose_name=_("检查表"), on_delete=models.CASCADE, related_name="items"
    )
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    text = models.CharField(_("检查项"), max_length=255)
    guidance = models.CharField(_("检查要点"), max_length=255, blank=True)
    severity = models.CharField(_("不合格时的隐患等级"), max_length=8, choices=Severity.choices, default=Severity.LOW)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("检查项")
        verbose_name_plural = _("检查项")
        ordering = ["template", "order", "id"]

    def __str__(self) -> str:
        return self.text


class InspectionPlan(models.Model):
    """How often a kind of inspection is due: for every block (no block chosen) or for one block.

    A block's own plan wins over the district-wide one; an inactive plan exempts the block.
    Kinds with no plan at all fall back to settings.INSPECTION_DEFAULT_FREQUENCY_DAYS.
    """

    kind = models.CharField(_("检查类型"), max_length=16, choices=InspectionKind.choices)
    apartment = models.ForeignKey(
        Apartment,
        verbose_name=_("公寓"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="inspection_plans",
        help_text=_("留空表示适用于全部公寓"),
    )
    frequency_days = models.PositiveSmallIntegerField(
        _("频次 (天)"), validators=[MinValueValidator(1), MaxValueValidator(366)], help_text=_("1 = 每天, 30 = 每月")
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("巡查计划")
        verbose_name_plural = _("巡查计划")
        ordering = ["kind", "apartment"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "apartment"], name="inspection_plan_unique_per_block"),
            models.UniqueConstraint(
                fields=["kind"], condition=models.Q(apartment__isnull=True), name="inspection_plan_unique_default"
            ),
        ]

    def __str__(self) -> str:
        where = self.apartment.name if self.apartment_id else _("全部公寓")
        return _("%(kind)s · %(where)s · %(days)d天") % {
            "kind": self.get_kind_display(),
            "where": where,
            "days": self.frequency_days,
        }


class Inspection(models.Model):
    """One inspection of one block by one person, from start to sign-off."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("检查中")
        SIGNED = "signed", _("已签字提交")

    apartment = models.ForeignKey(
        Apartment, verbose_name=_("公寓"), on_delete=models.PROTECT, related_name="inspections"
    )
    template = models.ForeignKey(
        ChecklistTemplate, verbose_name=_("检查表"), on_delete=models.PROTECT, related_name="inspections"
    )
    kind = models.CharField(_("检查类型"), max_length=16, choices=InspectionKind.choices, db_index=True)
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("检查人"), on_delete=models.PROTECT, related_name="inspections"
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    signed_at = models.DateTimeField(_("签字时间"), null=True, blank=True, db_index=True)
    signed_name = models.CharField(_("签字人"), max_length=64, blank=True)
    summary = models.TextField(_("检查小结"), blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    position_accuracy_m = models.PositiveIntegerField(_("定位精度 (米)"), null=True, blank=True)

    class Meta:
        verbose_name = _("检查记录")
        verbose_name_plural = _("检查记录")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["apartment", "kind", "signed_at"], name="inspection_coverage_idx")]

    def __str__(self) -> str:
        return f"{self.apartment.name} {self.get_kind_display()} {self.started_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("inspections:checklist", args=[self.pk])

    @property
    def is_signed(self) -> bool:
        return self.status == self.Status.SIGNED


class InspectionResult(models.Model):
    """The answer to one checklist item in one inspection (the item's text is kept as asked)."""

    inspection = models.ForeignKey(
        Inspection, verbose_name=_("检查记录"), on_delete=models.CASCADE, related_name="results"
    )
    item = models.ForeignKey(ChecklistItem, verbose_name=_("检查项"), on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    text = models.CharField(_("检查项"), max_length=255)
    outcome = models.CharField(_("结果"), max_length=4, choices=Outcome.choices, blank=True)
    note = models.CharField(_("情况说明"), max_length=500, blank=True)
    severity = models.CharField(_("隐患等级"), max_length=8, choices=Severity.choices, default=Severity.LOW)

    class Meta:
        verbose_name = _("检查项结果")
        verbose_name_plural = _("检查项结果")
        ordering = ["inspection", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["inspection", "item"], name="one_result_per_item")]

    def __str__(self) -> str:
        return f"{self.text}: {self.get_outcome_display() or '-'}"


class Hazard(models.Model):
    """A hazard (隐患) found by an inspection or a real alarm, open until rectified and re-inspected."""

    class Status(models.TextChoices):
        OPEN = "open", _("待整改")
        SUBMITTED = "submitted", _("待复查")
        CLOSED = "closed", _("已销号")

    class Source(models.TextChoices):
        INSPECTION = "inspection", _("检查发现")
        ALARM = "alarm", _("告警转隐患")
        REPORT = "report", _("直接上报")

    apartment = models.ForeignKey(Apartment, verbose_name=_("公寓"), on_delete=models.PROTECT, related_name="hazards")
    kind = models.CharField(_("检查类型"), max_length=16, choices=InspectionKind.choices, db_index=True)
    title = models.CharField(_("隐患"), max_length=255)
    description = models.TextField(_("描述"), blank=True)
    severity = models.CharField(_("等级"), max_length=8, choices=Severity.choices, default=Severity.LOW)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices, default=Source.INSPECTION)
    source_ref = models.CharField(_("来源编号"), max_length=64, blank=True, db_index=True)
    inspection = models.ForeignKey(
        Inspection, verbose_name=_("检查记录"), null=True, blank=True, on_delete=models.SET_NULL, related_name="hazards"
    )
    result = models.OneToOneField(
        InspectionResult,
        verbose_name=_("检查项结果"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hazard",
    )
    responsible_company = models.ForeignKey(
        PropertyCompany,
        verbose_name=_("责任物业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazards",
    )
    responsible_enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("责任企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazards",
        help_text=_("隐患由企业负责整改时填写, 否则由物业负责"),
    )
    deadline = models.DateField(_("整改期限"), db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发现人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hazards_found",
    )
    created_at = models.DateTimeField(_("发现时间"), auto_now_add=True, db_index=True)
    times_returned = models.PositiveSmallIntegerField(_("退回次数"), default=0)
    escalated_at = models.DateTimeField(_("上报街道时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("销号人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hazards_closed",
    )

    class Meta:
        verbose_name = _("隐患")
        verbose_name_plural = _("隐患")
        ordering = ["status", "deadline", "-id"]
        indexes = [models.Index(fields=["status", "deadline"], name="hazard_status_deadline_idx")]

    def __str__(self) -> str:
        return f"{self.apartment.name}: {self.title}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("inspections:hazard", args=[self.pk])

    @property
    def responsible_party(self) -> str:
        party = self.responsible_enterprise or self.responsible_company
        return str(party) if party else ""

    def is_overdue(self, today=None) -> bool:
        """Not rectified by its deadline (a rectification waiting for re-inspection is not overdue)."""
        from django.utils import timezone

        today = today or timezone.localdate()
        return self.status == self.Status.OPEN and self.deadline < today


class Rectification(models.Model):
    """What the responsible party did about a hazard, and the inspector's verdict on it."""

    class Verdict(models.TextChoices):
        ACCEPTED = "accepted", _("复查通过")
        RETURNED = "returned", _("退回重改")

    hazard = models.ForeignKey(Hazard, verbose_name=_("隐患"), on_delete=models.CASCADE, related_name="rectifications")
    description = models.TextField(_("整改情况"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("整改人"), on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    verdict = models.CharField(_("复查结论"), max_length=16, choices=Verdict.choices, blank=True)
    review_note = models.CharField(_("复查意见"), max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("复查人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("复查时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("整改记录")
        verbose_name_plural = _("整改记录")
        ordering = ["hazard", "submitted_at"]

    def __str__(self) -> str:
        return f"{self.hazard.title} · {self.submitted_at:%Y-%m-%d}"


class HazardEvent(models.Model):
    """The history of a hazard, one line per step (found, rectified, returned, closed, escalated)."""

    class Action(models.TextChoices):
        CREATED = "created", _("发现隐患")
        RECTIFIED = "rectified", _("提交整改")
        RETURNED = "returned", _("复查退回")
        CLOSED = "closed", _("复查销号")
        ESCALATED = "escalated", _("逾期上报街道")
        REASSIGNED = "reassigned", _("变更责任方")

    hazard = models.ForeignKey(Hazard, verbose_name=_("隐患"), on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=16, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("说明"), max_length=500, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("隐患处理记录")
        verbose_name_plural = _("隐患处理记录")
        ordering = ["hazard", "at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


def _photo_path(instance: InspectionPhoto, filename: str) -> str:
    from django.utils import timezone

    return f"inspections/{timezone.localdate():%Y/%m}/{filename}"


class InspectionPhoto(models.Model):
    """A photo taken during an inspection, of a hazard, or of its rectification (EXIF stripped)."""

    inspection = models.ForeignKey(
        Inspection, verbose_name=_("检查记录"), null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    result = models.ForeignKey(
        InspectionResult,
        verbose_name=_("检查项结果"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="photos",
    )
    hazard = models.ForeignKey(
        Hazard, verbose_name=_("隐患"), null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    rectification = models.ForeignKey(
        Rectification,
        verbose_name=_("整改记录"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="photos",
    )
    image = models.FileField(_("照片"), upload_to=_photo_path)
    thumbnail = models.FileField(_("缩略图"), upload_to=_photo_path)
    width = models.PositiveIntegerField(_("宽"))
    height = models.PositiveIntegerField(_("高"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.image.name
