"""Precomputed figures the cockpit reads: one row per block, and per block and day.

The big screen never scans readings, alarms or door events: a Celery beat job and
the events of the lower apps (``cockpit.aggregates.refresh_figures``) keep these
tables current, and the screen sums a few hundred rows.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from apartments.models import Apartment


class BlockState(models.TextChoices):
    NORMAL = "normal", _("正常")
    WARNING = "warning", _("预警")
    ALARM = "alarm", _("报警")
    OFFLINE = "offline", _("设备离线")


class BlockFigures(models.Model):
    """The current figures of one apartment block, as the cockpit shows them."""

    apartment = models.OneToOneField(
        Apartment, verbose_name=_("公寓"), on_delete=models.CASCADE, primary_key=True, related_name="cockpit_figures"
    )
    state = models.CharField(_("状态"), max_length=16, choices=BlockState.choices, default=BlockState.NORMAL)
    rooms = models.PositiveIntegerField(_("房间数"), default=0)
    beds = models.PositiveIntegerField(_("床位数"), default=0)
    residents = models.PositiveIntegerField(_("在住人数"), default=0)
    registered = models.PositiveIntegerField(_("已登记人数"), null=True, blank=True)
    registration_overdue = models.PositiveIntegerField(_("逾期未登记人数"), null=True, blank=True)
    permits = models.PositiveIntegerField(_("已发居住证"), null=True, blank=True)
    devices = models.PositiveIntegerField(_("设备数"), default=0)
    devices_online = models.PositiveIntegerField(_("在线设备数"), default=0)
    alarms_open = models.PositiveIntegerField(_("未处置报警"), null=True, blank=True)
    alarms_critical_open = models.PositiveIntegerField(_("未处置紧急报警"), null=True, blank=True)
    alarms_week = models.PositiveIntegerField(_("近7天报警"), null=True, blank=True)
    alarm_kinds_week = models.JSONField(_("近7天报警分类"), default=dict, blank=True)
    hazards_open = models.PositiveIntegerField(_("未整改隐患"), null=True, blank=True)
    hazards_overdue = models.PositiveIntegerField(_("逾期隐患"), null=True, blank=True)
    hazard_kinds_open = models.JSONField(_("未整改隐患分类"), default=dict, blank=True)
    patrol_coverage = models.FloatField(_("本周巡查覆盖率"), null=True, blank=True)
    feedback_open = models.PositiveIntegerField(_("待回复诉求"), null=True, blank=True)
    risk_score = models.PositiveSmallIntegerField(_("风险分"), default=0, db_index=True)
    risk_reasons = models.JSONField(_("风险原因"), default=list, blank=True)
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        verbose_name = _("公寓指标")
        verbose_name_plural = _("公寓指标")
        ordering = ["-risk_score", "apartment_id"]

    def __str__(self) -> str:
        return f"{self.apartment_id} {self.state} {self.risk_score}"

    @property
    def devices_offline(self) -> int:
        return max(self.devices - self.devices_online, 0)

    @property
    def unregistered(self) -> int | None:
        if self.registered is None:
            return None
        return max(self.residents - self.registered, 0)


class BlockDay(models.Model):
    """One figure of one block on one day: ``alarms:<kind>``, ``check_ins``, ``door:<hour>``…

    A narrow table so that a new source adds figures without a migration and the
    trends are a single GROUP BY over the blocks a user may see.
    """

    apartment = models.ForeignKey(Apartment, verbose_name=_("公寓"), on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("日期"))
    figure = models.CharField(_("指标"), max_length=48)
    value = models.FloatField(_("数值"))

    class Meta:
        verbose_name = _("公寓日指标")
        verbose_name_plural = _("公寓日指标")
        constraints = [
            models.UniqueConstraint(fields=["apartment", "day", "figure"], name="block_day_figure_unique"),
        ]
        indexes = [models.Index(fields=["day", "figure"], name="block_day_day_figure")]

    def __str__(self) -> str:
        return f"{self.apartment_id} {self.day} {self.figure}={self.value}"
