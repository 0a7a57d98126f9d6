"""The eight service modules for new residents (八大模块), and consultation and feedback (咨询留言、反馈问题)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Department
from apartments.models import Apartment, Enterprise, Room
from shijiao.pii import EncryptedTextField, mask_name, mask_phone

User = settings.AUTH_USER_MODEL


class PhotoBase(models.Model):
    """A photo that went through shijiao.images.clean_image (EXIF stripped, thumbnail made)."""

    image = models.ImageField(_("图片"), upload_to="services/%Y/%m/")
    thumbnail = models.ImageField(_("缩略图"), upload_to="services/%Y/%m/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["id"]


class ContactPhoneMixin(models.Model):
    """A resident's phone left on a request: encrypted at rest, masked in lists, full reads audited."""

    phone = EncryptedTextField(_("联系电话"), blank=True, default="")

    class Meta:
        abstract = True

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


# --- 找工作 jobs ------------------------------------------------------------------------------------


class JobPosting(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        PUBLISHED = "published", _("已发布")
        REJECTED = "rejected", _("未通过")
        CLOSED = "closed", _("已关闭")

    enterprise = models.ForeignKey(Enterprise, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="jobs")
    title = models.CharField(_("岗位"), max_length=64)
    description = models.TextField(_("岗位说明"), blank=True)
    wage_min = models.PositiveIntegerField(_("月薪下限 (元)"), validators=[MaxValueValidator(200_000)])
    wage_max = models.PositiveIntegerField(_("月薪上限 (元)"), validators=[MaxValueValidator(200_000)])
    working_hours = models.CharField(_("工作时间"), max_length=64, help_text=_("如: 8:00-17:30, 做六休一"))
    location = models.CharField(_("工作地点"), max_length=128)
    benefits = models.CharField(_("福利"), max_length=255, blank=True, help_text=_("如: 五险一金, 包吃, 加班费"))
    dormitory_provided = models.BooleanField(_("提供宿舍"), default=False)
    headcount = models.PositiveSmallIntegerField(_("招聘人数"), default=1, validators=[MinValueValidator(1)])
    contact_name = models.CharField(_("联系人"), max_length=32)
    contact_phone = models.CharField(_("联系电话"), max_length=20)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    review_note = models.CharField(_("审核意见"), max_length=255, blank=True)
    reviewed_by = models.ForeignKey(
        User, verbose_name=_("审核人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        User, verbose_name=_("发布人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("招聘岗位")
        verbose_name_plural = _("招聘岗位")
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "-id"], name="job_status_id")]
        constraints = [
            models.CheckConstraint(condition=models.Q(wage_max__gte=models.F("wage_min")), name="job_wage_range"),
        ]

    def __str__(self) -> str:
        return f"{self.title} · {self.enterprise.name}"


class JobApplication(ContactPhoneMixin, models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已投递")
        VIEWED = "viewed", _("企业已查看")
        INVITED = "invited", _("邀请面试")
        REJECTED = "rejected", _("不合适")
        WITHDRAWN = "withdrawn", _("已撤回")

    job = models.ForeignKey(JobPosting, verbose_name=_("岗位"), on_delete=models.CASCADE, related_name="applications")
    applicant = models.ForeignKey(
        User, verbose_name=_("求职者"), on_delete=models.CASCADE, related_name="job_applications"
    )
    name = models.CharField(_("姓名"), max_length=32)
    message = models.CharField(_("自我介绍"), max_length=500, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    created_at = models.DateTimeField(_("投递时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("求职申请")
        verbose_name_plural = _("求职申请")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["job", "applicant"], name="one_application_per_job")]

    def __str__(self) -> str:
        return f"{mask_name(self.name)} → {self.job.title}"


# --- 找住房 housing ---------------------------------------------------------------------------------


class Facility(models.TextChoices):
    AIR_CONDITIONER = "ac", _("空调")
    WATER_HEATER = "water_heater", _("热水器")
    PRIVATE_BATHROOM = "bathroom", _("独立卫生间")
    WASHING_MACHINE = "washer", _("洗衣机")
    WIFI = "wifi", _("宽带/WiFi")
    KITCHEN = "kitchen", _("厨房")
    EBIKE_CHARGING = "ebike", _("集中充电桩")
    FACE_DOOR = "face_door", _("人脸门禁")


class RentalListing(models.Model):
    apartment = models.ForeignKey(Apartment, verbose_name=_("公寓"), on_delete=models.CASCADE, related_name="rentals")
    room_kind = models.CharField(_("房型"), max_length=16, choices=Room.Kind.choices)
    title = models.CharField(_("标题"), max_length=64)
    description = models.TextField(_("说明"), blank=True)
    monthly_rent = models.PositiveIntegerField(_("月租金 (元)"), validators=[MaxValueValidator(100_000)])
    deposit = models.PositiveIntegerField(_("押金 (元)"), default=0, validators=[MaxValueValidator(100_000)])
    area_m2 = models.PositiveSmallIntegerField(_("面积 (㎡)"), null=True, blank=True)
    facilities = models.JSONField(_("设施"), default=list, blank=True)
    contact_phone = models.CharField(_("看房电话"), max_length=20)
    is_active = models.BooleanField(_("上架"), default=True, db_index=True)
    created_by = models.ForeignKey(
        User, verbose_name=_("发布人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("发布时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("房源")
        verbose_name_plural = _("房源")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.apartment.name} {self.get_room_kind_display()} {self.monthly_rent}元"


class RentalPhoto(PhotoBase):
    listing = models.ForeignKey(RentalListing, on_delete=models.CASCADE, related_name="photos")

    class Meta(PhotoBase.Meta):
        verbose_name = _("房源照片")
        verbose_name_plural = _("房源照片")


class SavedListing(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="saved_rentals")
    listing = models.ForeignKey(RentalListing, on_delete=models.CASCADE, related_name="saved_by")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("收藏的房源")
        verbose_name_plural = _("收藏的房源")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["user", "listing"], name="save_listing_once")]


class ViewingRequest(ContactPhoneMixin, models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("待确认")
        CONFIRMED = "confirmed", _("已约定")
        DONE = "done", _("已看房")
        CANCELLED = "cancelled", _("已取消")

    listing = models.ForeignKey(
        RentalListing, verbose_name=_("房源"), on_delete=models.CASCADE, related_name="viewings"
    )
    user = models.ForeignKey(User, verbose_name=_("预约人"), on_delete=models.CASCADE, related_name="viewing_requests")
    name = models.CharField(_("姓名"), max_length=32)
    preferred_time = models.DateTimeField(_("希望看房时间"))
    message = models.CharField(_("留言"), max_length=255, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.REQUESTED)
    reply = models.CharField(_("物业回复"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("看房预约")
        verbose_name_plural = _("看房预约")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{mask_name(self.name)} · {self.listing}"


# --- 找医生 doctors ---------------------------------------------------------------------------------


class Insurance(models.TextChoices):
    HANGZHOU = "hangzhou", _("杭州市医保")
    ZHEJIANG = "zhejiang", _("浙江省内医保")
    CROSS_PROVINCE = "cross_province", _("跨省异地就医直接结算")
    RURAL = "rural", _("城乡居民医保")


class Clinic(models.Model):
    class Kind(models.TextChoices):
        HEALTH_CENTRE = "health_centre", _("社区卫生服务中心")
        HEALTH_STATION = "health_station", _("社区卫生服务站")
        CLINIC = "clinic", _("诊所")
        HOSPITAL = "hospital", _("医院")

    name = models.CharField(_("名称"), max_length=128)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    address = models.CharField(_("地址"), max_length=255)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6)
    phone = models.CharField(_("电话"), max_length=32)
    opening_hours = models.CharField(_("开放时间"), max_length=128)
    insurance = models.JSONField(_("可用医保"), default=list, blank=True)
    accepts_appointments = models.BooleanField(_("接受预约"), default=True)
    staff = models.ManyToManyField(User, verbose_name=_("机构工作人员"), blank=True, related_name="clinics")
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("医疗机构")
        verbose_name_plural = _("医疗机构")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ClinicDepartment(models.Model):
    clinic = models.ForeignKey(Clinic, verbose_name=_("医疗机构"), on_delete=models.CASCADE, related_name="departments")
    name = models.CharField(_("科室"), max_length=64)
    hours = models.CharField(_("门诊时间"), max_length=128, blank=True)
    description = models.CharField(_("简介"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("科室")
        verbose_name_plural = _("科室")
        ordering = ["clinic", "id"]

    def __str__(self) -> str:
        return f"{self.clinic.name} {self.name}"


class Appointment(ContactPhoneMixin, models.Model):
    class Period(models.TextChoices):
        MORNING = "am", _("上午")
        AFTERNOON = "pm", _("下午")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        CANCELLED = "cancelled", _("已取消")
        DONE = "done", _("已就诊")

    clinic = models.ForeignKey(
        Clinic, verbose_name=_("医疗机构"), on_delete=models.CASCADE, related_name="appointments"
    )
    department = models.ForeignKey(
        ClinicDepartment, verbose_name=_("科室"), null=True, blank=True, on_delete=models.SET_NULL
    )
    user = models.ForeignKey(User, verbose_name=_("预约人"), on_delete=models.CASCADE, related_name="appointments")
    name = models.CharField(_("姓名"), max_length=32)
    date = models.DateField(_("就诊日期"))
    period = models.CharField(_("时段"), max_length=2, choices=Period.choices)
    symptoms = models.CharField(_("症状描述"), max_length=500, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.REQUESTED)
    reply = models.CharField(_("机构回复"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("预约挂号")
        verbose_name_plural = _("预约挂号")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{mask_name(self.name)} · {self.clinic.name} {self.date}"


# --- 社保 / 子女入学 / 法律援助 / 便民: guidance and requests ------------------------------------------


class Module(models.TextChoices):
    SOCIAL_SECURITY = "social_security", _("社保")
    SCHOOLING = "schooling", _("子女入学")
    LEGAL_AID = "legal_aid", _("法律援助")
    CONVENIENCE = "convenience", _("便民")


class Article(models.Model):
    """A guidance page managed by staff: what it is, who may apply, which documents, where to go."""

    module = models.CharField(_("模块"), max_length=20, choices=Module.choices, db_index=True)
    title = models.CharField(_("标题"), max_length=128)
    summary = models.CharField(_("摘要"), max_length=255, blank=True)
    body = models.TextField(_("正文"))
    documents = models.JSONField(
        _("所需材料"), default=list, blank=True, help_text=_('材料清单, 如 ["身份证", "劳动合同"]')
    )
    request_kind = models.CharField(
        _("可在线申请的事项"), max_length=64, blank=True, help_text=_("填写后居民可在此文章下提交办理申请")
    )
    is_published = models.BooleanField(_("发布"), default=True, db_index=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("办事指南")
        verbose_name_plural = _("办事指南")
        ordering = ["module", "sort_order", "id"]

    def __str__(self) -> str:
        return f"[{self.get_module_display()}] {self.title}"


class ServiceRequest(ContactPhoneMixin, models.Model):
    """A request a resident submits under a guide (社保参保, 入学申请, 法律援助...) and tracks."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已提交")
        ACCEPTED = "accepted", _("已受理")
        NEED_MORE = "need_more", _("需补充材料")
        DONE = "done", _("已办结")
        REJECTED = "rejected", _("不予受理")

    OPEN_STATUSES = (Status.SUBMITTED, Status.ACCEPTED, Status.NEED_MORE)

    module = models.CharField(_("模块"), max_length=20, choices=Module.choices, db_index=True)
    article = models.ForeignKey(Article, verbose_name=_("办事指南"), null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(_("事项"), max_length=64)
    user = models.ForeignKey(User, verbose_name=_("申请人"), on_delete=models.CASCADE, related_name="service_requests")
    name = models.CharField(_("姓名"), max_length=32)
    details = models.TextField(_("情况说明"), max_length=2000)
    documents = models.JSONField(_("材料清单"), default=list, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    staff_note = models.CharField(_("办理意见"), max_length=500, blank=True)
    handled_by = models.ForeignKey(
        User, verbose_name=_("经办人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("办事申请")
        verbose_name_plural = _("办事申请")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.get_module_display()} · {self.kind} · {mask_name(self.name)}"

    @property
    def reference(self) -> str:
        return f"SQ{self.created_at:%Y%m%d}{self.pk:06d}"


class ServiceRequestPhoto(PhotoBase):
    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="photos")

    class Meta(PhotoBase.Meta):
        verbose_name = _("申请材料照片")
        verbose_name_plural = _("申请材料照片")


class Notice(models.Model):
    """A notice for one block, or for the whole sub-district when no block is set."""

    apartment = models.ForeignKey(
        Apartment,
        verbose_name=_("公寓"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notices",
        help_text=_("留空表示全街道"),
    )
    title = models.CharField(_("标题"), max_length=128)
    body = models.TextField(_("内容"))
    is_pinned = models.BooleanField(_("置顶"), default=False)
    published_at = models.DateTimeField(_("发布时间"), default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(_("截止时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        User, verbose_name=_("发布人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("通知公告")
        verbose_name_plural = _("通知公告")
        ordering = ["-is_pinned", "-published_at", "-id"]

    def __str__(self) -> str:
        return self.title


class RepairRequest(ContactPhoneMixin, models.Model):
    class Category(models.TextChoices):
        ELECTRIC = "electric", _("电路/插座")
        WATER = "water", _("水管/卫浴")
        DOOR = "door", _("门锁/门禁")
        APPLIANCE = "appliance", _("空调/热水器")
        NETWORK = "network", _("网络")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已提交")
        ACCEPTED = "accepted", _("已受理")
        IN_PROGRESS = "in_progress", _("维修中")
        DONE = "done", _("已修好")
        CANCELLED = "cancelled", _("已取消")

    apartment = models.ForeignKey(Apartment, verbose_name=_("公寓"), on_delete=models.CASCADE, related_name="repairs")
    room_number = models.CharField(_("房号"), max_length=16, blank=True)
    user = models.ForeignKey(User, verbose_name=_("报修人"), on_delete=models.CASCADE, related_name="repair_requests")
    category = models.CharField(_("类别"), max_length=16, choices=Category.choices)
    description = models.CharField(_("问题描述"), max_length=1000)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    reply = models.CharField(_("物业回复"), max_length=500, blank=True)
    handled_by = models.ForeignKey(
        User, verbose_name=_("处理人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("报修时间"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("修好时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("报修")
        verbose_name_plural = _("报修")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.apartment.name} {self.room_number} {self.get_category_display()}"


class RepairPhoto(PhotoBase):
    repair = models.ForeignKey(RepairRequest, on_delete=models.CASCADE, related_name="photos")

    class Meta(PhotoBase.Meta):
        verbose_name = _("报修照片")
        verbose_name_plural = _("报修照片")


class GarbageItem(models.Model):
    """The garbage-sorting guide (杭州: 可回收物, 有害垃圾, 易腐垃圾, 其他垃圾): search an item, see its bin."""

    class Category(models.TextChoices):
        RECYCLABLE = "recyclable", _("可回收物")
        HAZARDOUS = "hazardous", _("有害垃圾")
        KITCHEN = "kitchen", _("易腐垃圾")
        OTHER = "other", _("其他垃圾")

    name = models.CharField(_("物品"), max_length=32, unique=True)
    category = models.CharField(_("分类"), max_length=16, choices=Category.choices, db_index=True)
    tip = models.CharField(_("投放提示"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("垃圾分类")
        verbose_name_plural = _("垃圾分类")
        ordering = ["category", "name"]

    def __str__(self) -> str:
        return f"{self.name} → {self.get_category_display()}"


# --- 咨询留言、反馈问题 consultation and feedback -------------------------------------------------------


class FeedbackCategory(models.Model):
    """Where a question goes and how fast it must be answered."""

    class Route(models.TextChoices):
        PROPERTY_MANAGER = "property_manager", _("所在公寓物业")
        DEPARTMENT = "department", _("职能部门")
        STREET = "street", _("街道")

    name = models.CharField(_("名称"), max_length=32, unique=True)
    route_to = models.CharField(_("转交给"), max_length=20, choices=Route.choices)
    department = models.CharField(
        _("职能部门"), max_length=16, choices=Department.choices, blank=True, help_text=_("转交职能部门时必填")
    )
    response_hours = models.PositiveSmallIntegerField(
        _("答复时限 (小时)"), default=48, validators=[MinValueValidator(1), MaxValueValidator(720)]
    )
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("留言类别")
        verbose_name_plural = _("留言类别")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.route_to == self.Route.DEPARTMENT and not self.department:
            raise ValidationError({"department": _("转交职能部门时请选择部门")})


class Feedback(models.Model):
    class Kind(models.TextChoices):
        QUESTION = "question", _("咨询")
        REPORT = "report", _("反馈问题")

    class Status(models.TextChoices):
        OPEN = "open", _("待答复")
        ANSWERED = "answered", _("已答复")
        CLOSED = "closed", _("已办结")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.QUESTION)
    category = models.ForeignKey(FeedbackCategory, verbose_name=_("类别"), on_delete=models.PROTECT)
    author = models.ForeignKey(User, verbose_name=_("留言人"), on_delete=models.CASCADE, related_name="feedback")
    author_name = models.CharField(_("称呼"), max_length=32, blank=True)
    apartment = models.ForeignKey(
        Apartment, verbose_name=_("公寓"), null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback"
    )
    title = models.CharField(_("标题"), max_length=64)
    body = models.TextField(_("内容"), max_length=2000)
    is_public = models.BooleanField(_("公开到留言板"), default=True)
    is_anonymous = models.BooleanField(_("对其他居民匿名"), default=False)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    # Routing, decided when the resident submits (and again if staff change the category).
    route_to = models.CharField(_("转交给"), max_length=20, choices=FeedbackCategory.Route.choices)
    department = models.CharField(_("职能部门"), max_length=16, choices=Department.choices, blank=True)
    due_at = models.DateTimeField(_("答复期限"), db_index=True)
    first_response_at = models.DateTimeField(_("首次答复时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("超期上报街道时间"), null=True, blank=True, db_index=True)
    rating = models.PositiveSmallIntegerField(
        _("满意度"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.CharField(_("评价"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("咨询与反馈")
        verbose_name_plural = _("咨询与反馈")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.first_response_at is None and self.status == self.Status.OPEN and self.due_at < timezone.now()

    @property
    def public_author(self) -> str:
        """How other residents see the author."""
        if self.is_anonymous:
            return str(_("匿名居民"))
        return mask_name(self.author_name) if self.author_name else str(_("居民"))

    def route(self, category: FeedbackCategory, *, start=None) -> None:
        """Send this thread where ``category`` says, with its answer deadline."""
        self.category = category
        self.route_to = category.route_to
        self.department = category.department if category.route_to == FeedbackCategory.Route.DEPARTMENT else ""
        self.due_at = (start or timezone.now()) + timedelta(hours=category.response_hours)


class FeedbackReply(models.Model):
    feedback = models.ForeignKey(Feedback, verbose_name=_("留言"), on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(User, verbose_name=_("回复人"), on_delete=models.CASCADE, related_name="+")
    from_staff = models.BooleanField(_("工作人员答复"), default=False)
    body = models.TextField(_("内容"), max_length=2000)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("回复")
        verbose_name_plural = _("回复")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.body[:30]


class FeedbackPhoto(PhotoBase):
    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="photos")

    class Meta(PhotoBase.Meta):
        verbose_name = _("留言照片")
        verbose_name_plural = _("留言照片")
