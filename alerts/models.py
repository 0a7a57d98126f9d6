"""Alarm rules and their state, alarms and their history, escalation, notifications, one-click command.

Logic that spans rows lives in the domain modules named for what they do: ``rules.py`` (evaluation),
``alarms.py`` (lifecycle), ``escalation.py``, ``notifications.py``, ``commands.py``, ``push.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apartments.models import Apartment, Community, Grid
from sensors.models import Device, DeviceType, Metric
from shijiao.pii import EncryptedTextField, blind_index, mask_phone


class Severity(models.TextChoices):
    CRITICAL = "critical", _("紧急")
    MAJOR = "major", _("重要")
    MINOR = "minor", _("次要")
    WARNING = "warning", _("预警")


SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.MAJOR: 1, Severity.MINOR: 2, Severity.WARNING: 3}
# An alarm learned this much after its reading shows both times (occurred / learned).
LATE_SECONDS = 60


class Channel(models.TextChoices):
    """How a person is reached. ``push`` is the WebSocket of the three ends (always on)."""

    PUSH = "push", _("三端推送")
    SMS = "sms", _("短信")
    VOICE = "voice", _("语音电话")
    DINGTALK = "dingtalk", _("钉钉工作通知")
    DING = "ding", _("钉钉 DING")
    WECOM = "wecom", _("企业微信群机器人")
    WEBHOOK = "webhook", _("Webhook")
    EMAIL = "email", _("电子邮件")
    VIDEO = "video", _("视频会商链接")


class Target(models.TextChoices):
    """Who a step of an escalation chain or a response plan reaches, relative to the alarm's block."""

    FIRE_SAFETY_PERSON = "fire_safety_person", _("消防责任人")
    STATION_OPERATORS = "station_operators", _("微型消防站值班人员")
    STATION_DUTY_PHONE = "station_duty_phone", _("微型消防站值班电话")
    GRID_WORKERS = "grid_workers", _("网格员")
    PROPERTY_MANAGERS = "property_managers", _("物业管理人员")
    CONTACT_GROUP = "contact_group", _("通讯录分组 (如街道值班领导、派出所)")
    WECOM_GROUP = "wecom_group", _("企业微信群")
    WEBHOOKS = "webhooks", _("对接系统 (Webhook)")


class Contact(models.Model):
    """A person to reach who may have no login: street duty leader, police station, a user's DingTalk id."""

    name = models.CharField(_("姓名 / 单位"), max_length=64)
    group = models.CharField(
        _("分组"),
        max_length=32,
        db_index=True,
        validators=[RegexValidator(r"^[a-z][a-z0-9_]*$", _("只能用小写字母、数字和下划线"))],
        help_text=_("如 street_duty (街道值班领导), police (派出所), health (卫生院)"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("对应账号"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alert_contacts",
        help_text=_("填写后, 该账号作为接收人时使用这里的钉钉 ID 和邮箱"),
    )
    phone = EncryptedTextField(_("手机号"), blank=True, default="")
    phone_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    email = models.EmailField(_("邮箱"), blank=True)
    dingtalk_userid = models.CharField(_("钉钉 userid"), max_length=64, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("通知联系人")
        verbose_name_plural = _("通知联系人")
        ordering = ["group", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.group})"

    def save(self, *args, **kwargs) -> None:
        self.phone_hash = blind_index(self.phone) if self.phone else ""
        super().save(*args, **kwargs)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


# --- rules ------------------------------------------------------------------------------------------


class AlertRule(models.Model):
    """A rule that raises an alarm, attached to a device type; a block or a device may override it.

    Rules with the same ``code`` are the same rule at different scopes: the device's own wins over
    its block's, which wins over the device type's default. An override that is disabled switches
    the rule off there.
    """

    class Combine(models.TextChoices):
        ALL = "all", _("全部条件满足 (AND)")
        ANY = "any", _("任一条件满足 (OR)")

    code = models.CharField(
        _("规则代码"),
        max_length=48,
        validators=[RegexValidator(r"^[a-z][a-z0-9_]*$", _("只能用小写字母、数字和下划线"))],
        help_text=_("同一代码的规则在公寓或设备上覆盖设备类型的默认规则"),
    )
    name = models.CharField(_("名称"), max_length=128)
    device_type = models.ForeignKey(DeviceType, verbose_name=_("设备类型"), on_delete=models.CASCADE, related_name="+")
    apartment = models.ForeignKey(
        Apartment,
        verbose_name=_("仅用于公寓"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alert_rules",
    )
    device = models.ForeignKey(
        Device,
        verbose_name=_("仅用于设备"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alert_rules",
    )
    severity = models.CharField(_("级别"), max_length=16, choices=Severity.choices, default=Severity.MAJOR)
    combine = models.CharField(_("条件组合"), max_length=8, choices=Combine.choices, default=Combine.ALL)
    duration_seconds = models.PositiveIntegerField(
        _("持续时间 (秒)"), default=0, validators=[MaxValueValidator(86400)], help_text=_("条件持续满足这么久才告警")
    )
    reopen_after_seconds = models.PositiveIntegerField(
        _("最短重开间隔 (秒)"),
        default=300,
        validators=[MaxValueValidator(86400)],
        help_text=_("告警关闭后这段时间内再次触发不新开告警 (防抖); 烟感等紧急规则可设 0"),
    )
    incident = models.CharField(
        _("事件"),
        max_length=48,
        blank=True,
        validators=[RegexValidator(r"^[a-z][a-z0-9_]*$", _("只能用小写字母、数字和下划线"))],
        help_text=_(
            "同一设备上同一事件的规则只开一条告警, 级别随最严重的规则升高 (如线缆过热: 快速上升 → 偏高 → 过高); "
            "留空即按规则代码, 覆盖规则沿用默认规则的事件"
        ),
    )
    is_enabled = models.BooleanField(_("启用"), default=True)
    description = models.TextField(_("依据 / 说明"), blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("告警规则")
        verbose_name_plural = _("告警规则")
        ordering = ["device_type", "code", "apartment", "device"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "device_type"],
                condition=Q(apartment__isnull=True, device__isnull=True),
                name="alert_rule_one_default_per_code",
            ),
            models.UniqueConstraint(
                fields=["code", "apartment"],
                condition=Q(apartment__isnull=False, device__isnull=True),
                name="alert_rule_one_per_code_and_block",
            ),
            models.UniqueConstraint(
                fields=["code", "device"], condition=Q(device__isnull=False), name="alert_rule_one_per_code_and_device"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_rank(self) -> int:
        """2 for a device's own rule, 1 for a block's, 0 for the device type's default."""
        return 2 if self.device_id else 1 if self.apartment_id else 0

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.device_id and self.device_type_id and self.device.device_type_id != self.device_type_id:
            errors.setdefault("device", []).append(_("设备的类型与规则的设备类型不一致"))
        if self.device_id and self.apartment_id and self.device.apartment_id != self.apartment_id:
            errors.setdefault("device", []).append(_("设备不在所选公寓中"))
        if errors:
            raise ValidationError(errors)


class RuleCondition(models.Model):
    """One condition of a rule: a threshold with its own clear level, a rate of change, an event, offline."""

    class Kind(models.TextChoices):
        ABOVE = "above", _("高于")
        BELOW = "below", _("低于")
        BETWEEN = "between", _("介于 (区间内)")
        OUTSIDE = "outside", _("超出区间")
        RISE_RATE = "rise_rate", _("上升速率高于 (每分钟)")
        FALL_RATE = "fall_rate", _("下降速率高于 (每分钟)")
        IS_TRUE = "is_true", _("事件发生 (开关量为真)")
        OFFLINE = "offline", _("设备离线")

    rule = models.ForeignKey(AlertRule, verbose_name=_("规则"), on_delete=models.CASCADE, related_name="conditions")
    metric = models.CharField(_("指标"), max_length=32, blank=True, help_text=_("设备离线条件不填"))
    kind = models.CharField(_("条件"), max_length=16, choices=Kind.choices)
    threshold = models.FloatField(_("触发值"), null=True, blank=True, help_text=_("区间条件为下限"))
    threshold_high = models.FloatField(_("触发值上限"), null=True, blank=True, help_text=_("仅区间条件"))
    clear_level = models.FloatField(
        _("恢复值"), null=True, blank=True, help_text=_("回差: 越过此值才算恢复; 留空等于触发值 (区间条件为下限)")
    )
    clear_level_high = models.FloatField(_("恢复值上限"), null=True, blank=True, help_text=_("仅区间条件"))

    class Meta:
        verbose_name = _("规则条件")
        verbose_name_plural = _("规则条件")
        ordering = ["rule", "id"]

    def __str__(self) -> str:
        return f"{self.metric} {self.get_kind_display()} {self.threshold if self.threshold is not None else ''}"

    THRESHOLD_KINDS = {Kind.ABOVE, Kind.BELOW, Kind.BETWEEN, Kind.OUTSIDE, Kind.RISE_RATE, Kind.FALL_RATE}
    BAND_KINDS = {Kind.BETWEEN, Kind.OUTSIDE}

    def effective_clear(self) -> tuple[float | None, float | None]:
        low = self.clear_level if self.clear_level is not None else self.threshold
        high = self.clear_level_high if self.clear_level_high is not None else self.threshold_high
        return low, high

    def clean(self) -> None:
        """Refuse conditions that could never fire or never clear, with a sentence that says why."""
        errors: dict[str, list[str]] = {}

        def err(field: str, message) -> None:
            errors.setdefault(field, []).append(message)

        kind = self.kind
        if kind == self.Kind.OFFLINE:
            if self.metric:
                err("metric", _("设备离线条件不针对某个指标, 请留空"))
        else:
            if not self.metric:
                err("metric", _("请选择指标"))
        metric = None
        try:
            rule = self.rule
        except AlertRule.DoesNotExist:
            rule = None
        if self.metric and rule is not None and rule.device_type_id:
            metric = Metric.objects.filter(device_type_id=rule.device_type_id, key=self.metric).first()
            if metric is None:
                keys = ", ".join(
                    Metric.objects.filter(device_type_id=rule.device_type_id).values_list("key", flat=True)
                )
                err(
                    "metric",
                    _("设备类型“%(type)s”没有指标 %(metric)s (可用: %(keys)s)")
                    % {"type": rule.device_type.name, "metric": self.metric, "keys": keys},
                )
        if kind in self.THRESHOLD_KINDS and self.threshold is None:
            err("threshold", _("请填写触发值"))
        if kind in self.BAND_KINDS:
            if self.threshold_high is None:
                err("threshold_high", _("区间条件需要上限"))
            elif self.threshold is not None and self.threshold >= self.threshold_high:
                err("threshold_high", _("上限必须大于下限"))
        if kind == self.Kind.IS_TRUE and metric is not None and metric.kind != Metric.Kind.BOOLEAN:
            err("kind", _("指标“%(name)s”是数值, 不是开关量; 请用高于 / 低于") % {"name": metric.name})
        if kind in {self.Kind.ABOVE, self.Kind.BELOW, self.Kind.BETWEEN, self.Kind.OUTSIDE}:
            if metric is not None and metric.kind == Metric.Kind.BOOLEAN:
                err("kind", _("指标“%(name)s”是开关量; 请用“事件发生”") % {"name": metric.name})
        if kind in {self.Kind.RISE_RATE, self.Kind.FALL_RATE} and self.threshold is not None and self.threshold <= 0:
            err("threshold", _("速率必须大于 0"))
        if (
            metric is not None
            and self.threshold is not None
            and kind in {self.Kind.ABOVE, self.Kind.BELOW, self.Kind.BETWEEN, self.Kind.OUTSIDE}
        ):
            low, high = metric.min_value, metric.max_value
            for field, value in (("threshold", self.threshold), ("threshold_high", self.threshold_high)):
                if value is None:
                    continue
                if (low is not None and value < low) or (high is not None and value > high):
                    err(
                        field,
                        _("%(value)g 超出“%(name)s”的物理范围 %(low)g–%(high)g %(unit)s")
                        % {"value": value, "name": metric.name, "low": low, "high": high, "unit": metric.unit},
                    )
            if kind == self.Kind.ABOVE and low is not None and self.threshold <= low:
                err("threshold", _("触发值不高于物理下限, 规则会一直告警"))
            if kind == self.Kind.BELOW and high is not None and self.threshold >= high:
                err("threshold", _("触发值不低于物理上限, 规则会一直告警"))
        # Hysteresis must sit on the safe side of the trigger, or the alarm would clear while still triggered.
        if self.threshold is not None and self.clear_level is not None:
            if (
                kind in {self.Kind.ABOVE, self.Kind.RISE_RATE, self.Kind.FALL_RATE}
                and self.clear_level > self.threshold
            ):
                err("clear_level", _("恢复值必须不高于触发值 (回差在安全一侧)"))
            if kind == self.Kind.BELOW and self.clear_level < self.threshold:
                err("clear_level", _("恢复值必须不低于触发值 (回差在安全一侧)"))
            if kind == self.Kind.OUTSIDE and self.clear_level < self.threshold:
                err("clear_level", _("恢复区间必须在触发区间之内"))
            if kind == self.Kind.BETWEEN and self.clear_level > self.threshold:
                err("clear_level", _("恢复下限必须不高于触发下限"))
        if self.threshold_high is not None and self.clear_level_high is not None:
            if kind == self.Kind.OUTSIDE and self.clear_level_high > self.threshold_high:
                err("clear_level_high", _("恢复区间必须在触发区间之内"))
            if kind == self.Kind.BETWEEN and self.clear_level_high < self.threshold_high:
                err("clear_level_high", _("恢复上限必须不低于触发上限"))
        if errors:
            raise ValidationError(errors)


class RuleState(models.Model):
    """Where one rule stands on one device, persisted so a worker restart loses nothing.

    ``pending_since``: when the condition started holding (device time), for "at least N seconds";
    ``triggered``: the rule is firing; ``fired_ts``: the reading (device time) at which it last started firing;
    ``values``: latest and previous value per metric (for AND/OR across metrics and for rates of change).
    """

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="states")
    triggered = models.BooleanField(default=False)
    pending_since = models.DateTimeField(null=True, blank=True)
    fired_ts = models.DateTimeField(null=True, blank=True)
    values = models.JSONField(default=dict, blank=True)
    last_ts = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("规则状态")
        verbose_name_plural = _("规则状态")
        constraints = [models.UniqueConstraint(fields=["device", "rule"], name="rule_state_unique")]


# --- alarms -----------------------------------------------------------------------------------------


class End(models.TextChoices):
    """The end (device of a person) an action came from."""

    PHONE = "phone", _("责任人手机")
    STATION = "station", _("微型消防站")
    COCKPIT = "cockpit", _("街道驾驶舱")
    API = "api", _("接口")
    SYSTEM = "system", _("系统")


class Alert(models.Model):
    """One alarm (告警): at most one open per device and rule, enforced by a partial unique index."""

    class Status(models.TextChoices):
        RAISED = "raised", _("未确认")
        ACKNOWLEDGED = "acknowledged", pgettext_lazy("alarm status", "已确认")
        HANDLING = "handling", _("处置中")
        CLOSED = "closed", _("已关闭")

    class Disposition(models.TextChoices):
        REAL_HAZARD = "real_hazard", _("真实隐患已排除")
        FALSE_ALARM = "false_alarm", _("误报")
        DEVICE_FAULT = "device_fault", _("设备故障")

    rule = models.ForeignKey(AlertRule, verbose_name=_("规则"), on_delete=models.PROTECT, related_name="alerts")
    device = models.ForeignKey(
        Device, verbose_name=_("设备"), null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    apartment = models.ForeignKey(Apartment, verbose_name=_("公寓"), on_delete=models.CASCADE, related_name="alerts")
    incident = models.CharField(
        _("事件"), max_length=48, help_text=_("同一设备同一事件只有一条未关闭的告警 (规则的事件, 或规则代码)")
    )
    severity = models.CharField(_("级别"), max_length=16, choices=Severity.choices, db_index=True)
    title = models.CharField(_("告警"), max_length=255)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.RAISED, db_index=True)
    raised_at = models.DateTimeField(_("发生时间"), db_index=True, help_text=_("设备读数的时间"))
    learned_at = models.DateTimeField(
        _("获知时间"), default=timezone.now, help_text=_("平台收到读数、开出告警的时间; 升级从此刻计时")
    )
    last_triggered_at = models.DateTimeField(_("最近触发"))
    trigger_count = models.PositiveIntegerField(_("触发次数"), default=1)
    metric = models.CharField(_("指标"), max_length=32, blank=True)
    unit = models.CharField(_("单位"), max_length=16, blank=True)
    first_value = models.FloatField(_("首次值"), null=True, blank=True)
    last_value = models.FloatField(_("最新值"), null=True, blank=True)
    peak_value = models.FloatField(_("峰值"), null=True, blank=True)
    cleared_at = models.DateTimeField(_("恢复时间"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    acknowledged_via = models.CharField(_("确认端"), max_length=16, choices=End.choices, blank=True)
    handling_at = models.DateTimeField(_("开始处置"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("关闭人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    disposition = models.CharField(_("处置结论"), max_length=16, choices=Disposition.choices, blank=True)
    hazard_id = models.PositiveBigIntegerField(_("转隐患编号"), null=True, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    version = models.PositiveBigIntegerField(_("版本"), default=0, db_index=True)

    class Meta:
        verbose_name = _("告警")
        verbose_name_plural = _("告警")
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "incident"],
                condition=Q(closed_at__isnull=True),
                name="alert_one_open_per_device_incident",
            )
        ]
        indexes = [models.Index(fields=["apartment", "status"], name="alert_apartment_status")]

    def __str__(self) -> str:
        return f"{self.apartment.name} {self.title}"

    def save(self, *args, **kwargs) -> None:
        if not self.incident and self.rule_id:  # rows made outside the rules (demo, admin): the rule's code
            self.incident = AlertRule.objects.filter(pk=self.rule_id).values_list("code", flat=True).first() or ""
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def is_worse_than(self, severity: str) -> bool:
        """Whether this alarm's severity ranks above ``severity`` (critical above major above minor above warning)."""
        return SEVERITY_RANK[self.severity] < SEVERITY_RANK[severity]

    @property
    def learned_late(self) -> bool:
        """The platform learned of it more than a minute after it happened (a device emptying its buffer)."""
        return self.learned_at is not None and (self.learned_at - self.raised_at).total_seconds() > LATE_SECONDS

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @staticmethod
    def worse(current: float | None, new: float | None, lower_is_worse: bool) -> float | None:
        """The worse of two readings (the lower one for a rule such as low water pressure); None never wins."""
        if current is None:
            return new
        if new is None:
            return current
        return min(current, new) if lower_is_worse else max(current, new)

    def take_reading(self, value: float | None, *, worst: float | None = None, lower_is_worse: bool) -> None:
        """The latest reading while the rule keeps firing; the peak keeps the worst seen (``worst`` of a batch)."""
        self.last_value = value
        self.peak_value = self.worse(self.peak_value, value if worst is None else worst, lower_is_worse)

    def retrigger(self, value: float | None, at, *, lower_is_worse: bool) -> list[str]:
        """The rule fired again on the open alarm: counted once more, no longer cleared. Answers the fields changed."""
        self.trigger_count += 1
        self.take_reading(value, lower_is_worse=lower_is_worse)
        self.last_triggered_at = at
        self.cleared_at = None
        return ["trigger_count", "last_value", "peak_value", "last_triggered_at", "cleared_at"]

    def acknowledge(self, by, end: str, at) -> None:
        """Someone took the alarm: who, when and at which end (escalation stops; see alerts.escalation.cancel)."""
        self.acknowledged_at, self.acknowledged_by, self.acknowledged_via = at, by, end

    def start_handling(self, at) -> None:
        self.status = self.Status.HANDLING
        self.handling_at = at

    def close(self, by, disposition: str, at) -> None:
        """Closed with its disposition (a real hazard also gets its ``hazard_id`` from the inspections app)."""
        self.status = self.Status.CLOSED
        self.closed_at, self.closed_by, self.disposition = at, by, disposition


class AlertEvent(models.Model):
    """The history of an alarm, one line per change; its id is the version the ends catch up with."""

    class Kind(models.TextChoices):
        RAISED = "raised", _("告警")
        SEVERITY = "severity", _("级别升高")
        RETRIGGERED = "retriggered", _("再次触发")
        CLEARED = "cleared", _("已恢复")
        ACKNOWLEDGED = "acknowledged", _("确认")
        HANDLING = "handling", _("开始处置")
        NOTE = "note", _("处置记录")
        RESPONDER = "responder", _("到场人员")
        CLOSED = "closed", _("关闭")
        ESCALATED = "escalated", _("升级通知")
        NOTIFIED = "notified", _("通知送达")
        SUPPRESSED = "suppressed", _("防抖: 未重开")
        COMMAND = "command", _("一键指挥")

    alert = models.ForeignKey(Alert, verbose_name=_("告警"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    end = models.CharField(_("操作端"), max_length=16, choices=End.choices, default=End.SYSTEM)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    photo = models.FileField(_("照片"), upload_to="alerts/%Y/%m/", blank=True)
    thumbnail = models.FileField(_("缩略图"), upload_to="alerts/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("告警记录")
        verbose_name_plural = _("告警记录")
        ordering = ["alert", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%H:%M:%S}"


# --- escalation ------------------------------------------------------------------------------------


class EscalationStep(models.Model):
    """One step of the chain for a severity: after ``delay_seconds`` reach ``target`` on ``channels``."""

    severity = models.CharField(_("告警级别"), max_length=16, choices=Severity.choices, db_index=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    delay_seconds = models.PositiveIntegerField(_("告警后 (秒)"), default=0, validators=[MaxValueValidator(7 * 86400)])
    target = models.CharField(_("通知对象"), max_length=32, choices=Target.choices)
    contact_group = models.CharField(
        _("通讯录分组"), max_length=32, blank=True, help_text=_("通知对象为通讯录分组时填写")
    )
    channels = models.JSONField(_("渠道"), default=list, help_text=_('如 ["sms", "voice"]'))
    is_enabled = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("升级步骤")
        verbose_name_plural = _("升级步骤")
        ordering = ["severity", "delay_seconds", "order"]

    def __str__(self) -> str:
        return f"{self.get_severity_display()} +{self.delay_seconds}s {self.get_target_display()}"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        unknown = [c for c in (self.channels or []) if c not in Channel.values]
        if not isinstance(self.channels, list) or not self.channels:
            errors["channels"] = [_("至少选择一个渠道")]
        elif unknown:
            errors["channels"] = [_("未知渠道: %(names)s") % {"names": ", ".join(map(str, unknown))}]
        if self.target == Target.CONTACT_GROUP and not self.contact_group:
            errors["contact_group"] = [_("请填写通讯录分组")]
        if errors:
            raise ValidationError(errors)


class PlannedEscalation(models.Model):
    """A step planned for one alarm, executed exactly once when due unless the alarm is acknowledged first."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待执行")
        DONE = "done", _("已执行")
        CANCELLED = "cancelled", _("已取消 (已确认)")

    alert = models.ForeignKey(Alert, verbose_name=_("告警"), on_delete=models.CASCADE, related_name="escalations")
    step = models.ForeignKey(EscalationStep, verbose_name=_("步骤"), on_delete=models.CASCADE, related_name="+")
    due_at = models.DateTimeField(_("到期时间"), db_index=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    executed_at = models.DateTimeField(_("执行时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("告警升级")
        verbose_name_plural = _("告警升级")
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["alert", "step"], name="planned_escalation_once")]


# --- notifications ---------------------------------------------------------------------------------


class Notification(models.Model):
    """One message to one recipient on one channel; its idempotency key is written before any sending."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        RETRYING = "retrying", _("等待重试")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")
        UNKNOWN = "unknown", _("结果未知 (不重发)")

    idempotency_key = models.CharField(_("幂等键"), max_length=191, unique=True)
    alert = models.ForeignKey(
        Alert, verbose_name=_("告警"), null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    command = models.ForeignKey(
        "Command", verbose_name=_("指挥"), null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    recipient_key = models.CharField(_("接收人"), max_length=64)
    recipient_name = models.CharField(_("接收人姓名"), max_length=128, blank=True)
    text = models.TextField(_("内容"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    provider_ref = models.CharField(_("服务商编号"), max_length=128, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient_name or self.recipient_key}"


class DeliveryAttempt(models.Model):
    """One call to a provider for a notification, successful or not."""

    notification = models.ForeignKey(
        Notification, verbose_name=_("通知"), on_delete=models.CASCADE, related_name="delivery_attempts"
    )
    number = models.PositiveSmallIntegerField(_("第几次"))
    at = models.DateTimeField(_("时间"))
    ok = models.BooleanField(_("成功"))
    code = models.CharField(_("返回码"), max_length=64, blank=True)
    message = models.CharField(_("说明"), max_length=500, blank=True)
    provider_ref = models.CharField(_("服务商编号"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("发送记录")
        verbose_name_plural = _("发送记录")
        ordering = ["notification", "number"]
        constraints = [models.UniqueConstraint(fields=["notification", "number"], name="delivery_attempt_unique")]


# --- cameras and one-click command ------------------------------------------------------------------


class Camera(models.Model):
    """A camera of a block, with the live stream address of the existing video platform."""

    class Protocol(models.TextChoices):
        HLS = "hls", _("HLS")
        WEBRTC = "webrtc", _("WebRTC")
        FLV = "flv", _("HTTP-FLV")

    apartment = models.ForeignKey(Apartment, verbose_name=_("公寓"), on_delete=models.CASCADE, related_name="cameras")
    name = models.CharField(_("名称"), max_length=64)
    floor = models.SmallIntegerField(_("楼层"), null=True, blank=True)
    location = models.CharField(_("安装位置"), max_length=128, blank=True)
    stream_url = models.URLField(
        _("直播地址"), max_length=500, help_text=_("视频平台 (如 GB/T 28181 网关) 的 HLS / WebRTC 地址")
    )
    protocol = models.CharField(_("协议"), max_length=8, choices=Protocol.choices, default=Protocol.HLS)
    gb28181_id = models.CharField(
        _("国标编码"), max_length=20, blank=True, validators=[RegexValidator(r"^\d{20}$", _("国标编码为 20 位数字"))]
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("摄像头")
        verbose_name_plural = _("摄像头")
        ordering = ["apartment", "floor", "name"]

    def __str__(self) -> str:
        return f"{self.apartment.name} {self.name}"


class ResponsePlan(models.Model):
    """A response plan (预案): who is reached, on which channels, and what devices do."""

    class Category(models.TextChoices):
        FIRE = "fire", _("消防安全")
        ELECTRICAL = "electrical", _("电气火灾隐患")
        PUBLIC_ORDER = "public_order", _("治安防范")
        EPIDEMIC = "epidemic", _("疫情防控")
        GARBAGE = "garbage", _("垃圾分类")
        PERSONNEL = "personnel", _("人员信息核查")

    name = models.CharField(_("名称"), max_length=128, unique=True)
    category = models.CharField(_("类别"), max_length=16, choices=Category.choices)
    description = models.TextField(_("说明"), blank=True)
    channels = models.JSONField(_("渠道"), default=list, help_text=_('如 ["voice", "sms", "ding", "video"]'))
    message = models.CharField(
        _("通知内容"),
        max_length=255,
        default="【一键指挥】{place}: {what}。请立即响应并回复确认。",
        help_text=_("可用 {place} {what} {plan} {video}"),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("预案")
        verbose_name_plural = _("预案")
        ordering = ["category", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        unknown = [c for c in (self.channels or []) if c not in Channel.values]
        if not isinstance(self.channels, list) or not self.channels:
            raise ValidationError({"channels": _("至少选择一个渠道")})
        if unknown:
            raise ValidationError({"channels": _("未知渠道: %(names)s") % {"names": ", ".join(map(str, unknown))}})


class PlanParticipant(models.Model):
    plan = models.ForeignKey(
        ResponsePlan, verbose_name=_("预案"), on_delete=models.CASCADE, related_name="participants"
    )
    target = models.CharField(_("对象"), max_length=32, choices=Target.choices)
    contact_group = models.CharField(_("通讯录分组"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("预案参与方")
        verbose_name_plural = _("预案参与方")

    def __str__(self) -> str:
        return self.contact_group or self.get_target_display()


class PlanDeviceAction(models.Model):
    """A downlink command a plan sends to the block's devices (sensors.DeviceCommand actions)."""

    class When(models.TextChoices):
        AT_ONCE = "at_once", _("启动指挥时")
        ON_CONFIRM = "on_confirm", _("责任人确认后")

    plan = models.ForeignKey(
        ResponsePlan, verbose_name=_("预案"), on_delete=models.CASCADE, related_name="device_actions"
    )
    device_type = models.ForeignKey(DeviceType, verbose_name=_("设备类型"), on_delete=models.CASCADE, related_name="+")
    action = models.CharField(_("指令"), max_length=32, help_text=_("如 release_exits, elevator_ground, trip"))
    only_alarm_device = models.BooleanField(_("仅告警设备"), default=False, help_text=_("如只断开过热的那一路"))
    when = models.CharField(_("时机"), max_length=16, choices=When.choices, default=When.AT_ONCE)

    class Meta:
        verbose_name = _("预案设备联动")
        verbose_name_plural = _("预案设备联动")

    def __str__(self) -> str:
        return f"{self.device_type} {self.action}"


class Command(models.Model):
    """One click of 一键指挥: a plan launched for an alarm, a block or an area, with a live timeline."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("进行中")
        CLOSED = "closed", _("已结束")

    plan = models.ForeignKey(ResponsePlan, verbose_name=_("预案"), on_delete=models.PROTECT, related_name="commands")
    alert = models.ForeignKey(
        Alert, verbose_name=_("告警"), null=True, blank=True, on_delete=models.SET_NULL, related_name="commands"
    )
    apartment = models.ForeignKey(
        Apartment, verbose_name=_("公寓"), null=True, blank=True, on_delete=models.SET_NULL, related_name="commands"
    )
    grid = models.ForeignKey(
        Grid, verbose_name=_("网格"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    community = models.ForeignKey(
        Community, verbose_name=_("社区"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    what = models.CharField(_("事由"), max_length=255)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("发起时间"), db_index=True)
    video_url = models.URLField(_("视频会商"), max_length=500, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("一键指挥")
        verbose_name_plural = _("一键指挥")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.plan.name} · {self.what}"


class CommandParticipant(models.Model):
    """Someone reached by a command, and how far they got (reached → confirmed → arrived)."""

    class Status(models.TextChoices):
        CALLING = "calling", _("通知中")
        REACHED = "reached", _("已送达")
        UNREACHABLE = "unreachable", _("未送达")
        CONFIRMED = "confirmed", _("已确认")
        ARRIVED = "arrived", _("已到场")

    command = models.ForeignKey(Command, verbose_name=_("指挥"), on_delete=models.CASCADE, related_name="participants")
    recipient_key = models.CharField(_("接收人"), max_length=64)
    name = models.CharField(_("姓名"), max_length=128)
    role = models.CharField(_("身份"), max_length=64, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.CALLING)
    reached_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("到场时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("指挥参与人")
        verbose_name_plural = _("指挥参与人")
        ordering = ["command", "id"]
        constraints = [models.UniqueConstraint(fields=["command", "recipient_key"], name="command_participant_unique")]

    def __str__(self) -> str:
        return f"{self.name} {self.get_status_display()}"


class CommandEvent(models.Model):
    """The command's timeline: who was reached, who confirmed, who arrived, what was done."""

    command = models.ForeignKey(Command, verbose_name=_("指挥"), on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("时间"))
    kind = models.CharField(_("类型"), max_length=24)
    text = models.CharField(_("内容"), max_length=500)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("指挥时间线")
        verbose_name_plural = _("指挥时间线")
        ordering = ["command", "at", "id"]


class CommandDeviceAction(models.Model):
    """A device action of a command: pending until its moment, then the sensors DeviceCommand it became."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("等待确认")
        PENDING = "pending", _("待下发")
        SENT = "sent", _("已下发, 等待设备应答")
        SUCCEEDED = "succeeded", _("设备已执行")
        FAILED = "failed", _("失败")
        TIMED_OUT = "timed_out", _("设备超时未应答")

    # A failed or unanswered action needs a person: the doors may still be locked, the circuit still live.
    PROBLEMS = frozenset({Status.FAILED, Status.TIMED_OUT})

    command = models.ForeignKey(
        Command, verbose_name=_("指挥"), on_delete=models.CASCADE, related_name="device_actions"
    )
    device = models.ForeignKey(Device, verbose_name=_("设备"), on_delete=models.CASCADE, related_name="+")
    action = models.CharField(_("指令"), max_length=32)
    when = models.CharField(_("时机"), max_length=16, choices=PlanDeviceAction.When.choices)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices)
    device_command_id = models.UUIDField(_("设备指令编号"), null=True, blank=True, db_index=True)
    message = models.CharField(_("说明"), max_length=255, blank=True)
    sent_at = models.DateTimeField(_("下发时间"), null=True, blank=True)
    answered_at = models.DateTimeField(_("结果时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("指挥设备联动")
        verbose_name_plural = _("指挥设备联动")
        ordering = ["command", "id"]

    @property
    def needs_attention(self) -> bool:
        return self.status in self.PROBLEMS
