"""The device registry: what kinds of devices exist, what they measure, and each installed device."""

from __future__ import annotations

import hashlib
import secrets
import uuid

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from apartments.models import Apartment, Room


class DeviceType(models.Model):
    class Code(models.TextChoices):
        SMART_ELECTRICITY = "smart_electricity", _("智慧用电")
        HYDRANT_PRESSURE = "hydrant_pressure", _("消火栓水压")
        WATER_LEVEL = "water_level", _("消防水池 / 屋顶水箱液位")
        SMOKE_DETECTOR = "smoke_detector", _("烟感")
        FIRE_EXIT = "fire_exit", _("消防通道占用监测")
        DOOR_CONTROLLER = "door_controller", _("智能门禁")
        RADAR = "radar", _("毫米波雷达")
        ELEVATOR = "elevator", _("梯控")

    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("设备类型")
        verbose_name_plural = _("设备类型")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Metric(models.Model):
    """One quantity a device type reports, with its unit and the physically possible range."""

    class Kind(models.TextChoices):
        NUMBER = "number", _("数值")
        BOOLEAN = "boolean", _("开关量")

    device_type = models.ForeignKey(
        DeviceType, verbose_name=_("设备类型"), on_delete=models.CASCADE, related_name="metrics"
    )
    key = models.CharField(
        _("键"), max_length=32, validators=[RegexValidator(r"^[a-z][a-z0-9_]*$", _("只能用小写字母、数字和下划线"))]
    )
    name = models.CharField(_("名称"), max_length=64)
    unit = models.CharField(_("单位"), max_length=16, blank=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.NUMBER)
    min_value = models.FloatField(_("物理下限"), null=True, blank=True)
    max_value = models.FloatField(_("物理上限"), null=True, blank=True)
    aliases = models.CharField(
        _("别名"), max_length=255, blank=True, help_text=_("逗号分隔, 如阿里云物模型标识符 WireTemp")
    )

    class Meta:
        verbose_name = _("监测指标")
        verbose_name_plural = _("监测指标")
        ordering = ["device_type", "key"]
        constraints = [models.UniqueConstraint(fields=["device_type", "key"], name="metric_key_unique_per_type")]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})" if self.unit else self.name


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Device(models.Model):
    class Protocol(models.TextChoices):
        NATIVE = "native", _("e智办 原生 JSON")
        THINGSBOARD = "thingsboard", _("ThingsBoard 设备接口")
        ALINK = "alink", _("阿里云 IoT Alink")

    key = models.CharField(
        _("设备编号"),
        max_length=64,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", _("只能用字母、数字、点、下划线和连字符"))],
    )
    device_type = models.ForeignKey(
        DeviceType, verbose_name=_("设备类型"), on_delete=models.PROTECT, related_name="devices"
    )
    apartment = models.ForeignKey(Apartment, verbose_name=_("公寓"), on_delete=models.PROTECT, related_name="devices")
    floor = models.SmallIntegerField(_("楼层"), null=True, blank=True)
    room = models.ForeignKey(
        Room, verbose_name=_("房间"), null=True, blank=True, on_delete=models.SET_NULL, related_name="devices"
    )
    location = models.CharField(_("安装位置"), max_length=128, blank=True)
    reporting_interval = models.PositiveIntegerField(_("上报周期 (秒)"), default=30, validators=[MinValueValidator(1)])
    token_hash = models.CharField(_("接入令牌摘要"), max_length=64, blank=True, db_index=True, editable=False)
    alink_product_key = models.CharField(_("阿里云 ProductKey"), max_length=64, blank=True)
    protocol = models.CharField(
        _("接入协议"),
        max_length=16,
        choices=Protocol.choices,
        default=Protocol.NATIVE,
        help_text=_("下发指令时使用的主题格式"),
    )
    is_enabled = models.BooleanField(_("启用"), default=True)
    last_seen_at = models.DateTimeField(_("最近上报"), null=True, blank=True)
    is_online = models.BooleanField(_("在线"), default=False, db_index=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("设备")
        verbose_name_plural = _("设备")
        ordering = ["apartment", "key"]

    def __str__(self) -> str:
        return self.key

    def issue_token(self) -> str:
        """Give the device a new access token (shown once); the old one stops working."""
        token = secrets.token_urlsafe(24)
        self.token_hash = hash_token(token)
        self.save(update_fields=["token_hash"])
        return token

    def revoke_token(self) -> None:
        self.token_hash = ""
        self.save(update_fields=["token_hash"])


class Reading(models.Model):
    """One stored data point. The primary key (device, metric, ts) makes a redelivered reading a no-op."""

    pk = models.CompositePrimaryKey("device_id", "metric", "ts")
    # No database foreign key: the constraint check would cost every insert; devices are deleted rarely
    # and Django cascades the delete itself.
    device = models.ForeignKey(
        Device, verbose_name=_("设备"), on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    metric = models.CharField(_("指标"), max_length=32)
    ts = models.DateTimeField(_("采集时间"))
    value = models.FloatField(_("数值"))

    class Meta:
        verbose_name = _("读数")
        verbose_name_plural = _("读数")

    def __str__(self) -> str:
        return f"{self.device_id} {self.metric}={self.value} @ {self.ts:%Y-%m-%d %H:%M:%S}"


class LatestValue(models.Model):
    """The newest value of each device metric, for instant reads (cockpit, device pages).

    Every reading rewrites its row, so on PostgreSQL the table leaves half of each page free (fillfactor 50,
    migration 0007) and no index covers the columns that change: the update is then a heap-only (HOT) update that
    touches no index (measured: 10,000 upserts 105-135 ms -> 46 ms; before, 1 update in 10 was HOT). The unique
    (device, metric) index serves lookups by device: no index of its own on ``device``."""

    device = models.ForeignKey(
        Device, verbose_name=_("设备"), on_delete=models.CASCADE, related_name="latest_values", db_index=False
    )
    metric = models.CharField(_("指标"), max_length=32)
    ts = models.DateTimeField(_("采集时间"))
    value = models.FloatField(_("数值"))

    class Meta:
        verbose_name = _("最新读数")
        verbose_name_plural = _("最新读数")
        ordering = ["device", "metric"]
        constraints = [models.UniqueConstraint(fields=["device", "metric"], name="latest_value_unique")]

    def __str__(self) -> str:
        return f"{self.metric}={self.value:g}"


class ReadingRollup(models.Model):
    """Minimum, maximum and mean of one device metric over a minute or an hour (kept longer than raw readings)."""

    class Period(models.TextChoices):
        MINUTE = "minute", _("分钟")
        HOUR = "hour", _("小时")

    period = models.CharField(_("粒度"), max_length=8, choices=Period.choices)
    device = models.ForeignKey(Device, verbose_name=_("设备"), on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(_("指标"), max_length=32)
    bucket = models.DateTimeField(_("时段起点"))
    count = models.PositiveIntegerField(_("读数个数"))
    min_value = models.FloatField(_("最小值"))
    max_value = models.FloatField(_("最大值"))
    sum_value = models.FloatField(_("合计"))

    class Meta:
        verbose_name = _("读数汇总")
        verbose_name_plural = _("读数汇总")
        constraints = [
            models.UniqueConstraint(fields=["period", "device", "metric", "bucket"], name="rollup_unique_bucket")
        ]
        indexes = [models.Index(fields=["period", "bucket"], name="rollup_period_bucket")]

    @property
    def avg_value(self) -> float:
        return self.sum_value / self.count if self.count else 0.0


class RollupState(models.Model):
    """How far the roll-up job has gone, and hours that late readings made stale."""

    name = models.CharField(max_length=32, unique=True)
    done_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("汇总进度")
        verbose_name_plural = _("汇总进度")


class StaleRollupHour(models.Model):
    """An hour that received readings after it was rolled up; the next roll-up recomputes it."""

    hour = models.DateTimeField(unique=True)


class RejectionReason(models.TextChoices):
    MALFORMED = "malformed", _("JSON 格式错误")
    BAD_SHAPE = "bad_shape", _("报文结构不符")
    OVERSIZED = "oversized", _("报文过大")
    UNKNOWN_TOPIC = "unknown_topic", _("未知主题")
    UNKNOWN_DEVICE = "unknown_device", _("未知设备")
    BAD_TOKEN = "bad_token", _("令牌无效")
    DISABLED = "disabled", _("设备已停用")
    UNKNOWN_METRIC = "unknown_metric", _("未知指标")
    WRONG_TYPE = "wrong_type", _("数据类型错误")
    OUT_OF_RANGE = "out_of_range", _("超出物理范围")
    BAD_TIMESTAMP = "bad_timestamp", _("时间戳无法识别")
    FUTURE_TIMESTAMP = "future_timestamp", _("时间戳超前")
    STALE_TIMESTAMP = "stale_timestamp", _("时间戳过旧")
    UNKNOWN_COMMAND = "unknown_command", _("应答的指令不存在")
    DUPLICATE_REPLY = "duplicate_reply", _("重复或过期的指令应答")
    FLOODING = "flooding", _("报文过于频繁")  # flagged only: the readings are stored


class Rejection(models.Model):
    """Rejected input counted per device (or per unknown sender) and reason, with the latest example."""

    source = models.CharField(_("来源"), max_length=96, help_text=_("设备编号; 未知设备时为主题中的编号或令牌摘要前缀"))
    device = models.ForeignKey(
        Device, verbose_name=_("设备"), null=True, blank=True, on_delete=models.CASCADE, related_name="rejections"
    )
    reason = models.CharField(_("原因"), max_length=32, choices=RejectionReason.choices)
    count = models.PositiveBigIntegerField(_("次数"), default=0)
    first_at = models.DateTimeField(_("首次"))
    last_at = models.DateTimeField(_("最近"), db_index=True)
    last_detail = models.CharField(_("最近说明"), max_length=255, blank=True)
    last_sample = models.TextField(_("最近报文 (节选)"), blank=True)

    class Meta:
        verbose_name = _("拒收记录")
        verbose_name_plural = _("拒收记录")
        ordering = ["-last_at"]
        constraints = [models.UniqueConstraint(fields=["source", "reason"], name="rejection_unique_source_reason")]

    def __str__(self) -> str:
        return f"{self.source} {self.get_reason_display()} ×{self.count}"


class DeviceCommand(models.Model):
    """A command sent down to a device, its result, and who asked for it and why (audited)."""

    class Action(models.TextChoices):
        TRIP = "trip", _("断电 (分闸)")
        RESTORE = "restore", _("恢复供电 (合闸)")
        UNLOCK = "unlock", _("开门")
        LOCK = "lock", _("关门")
        RELEASE_EXITS = "release_exits", _("释放全部疏散门")
        ELEVATOR_GROUND = "elevator_ground", _("电梯迫降首层")
        SILENCE = "silence", _("消音")

    class Status(models.TextChoices):
        SENT = "sent", _("已下发")
        SUCCEEDED = "succeeded", _("执行成功")
        FAILED = "failed", _("执行失败")
        TIMED_OUT = "timed_out", _("超时未应答")
        UNDELIVERED = "undelivered", _("下发失败")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    device = models.ForeignKey(Device, verbose_name=_("设备"), on_delete=models.CASCADE, related_name="commands")
    action = models.CharField(_("指令"), max_length=32, choices=Action.choices)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    reason = models.CharField(_("事由"), max_length=255)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("下发人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("下发时间"), auto_now_add=True, db_index=True)
    deadline = models.DateTimeField(_("应答期限"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SENT, db_index=True)
    answered_at = models.DateTimeField(_("应答时间"), null=True, blank=True)
    result_message = models.CharField(_("结果说明"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("设备指令")
        verbose_name_plural = _("设备指令")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.device} {self.get_action_display()} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.SENT
