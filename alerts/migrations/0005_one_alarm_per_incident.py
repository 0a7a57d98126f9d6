"""One incident, one alarm (rules of one hazard share an alarm whose severity climbs); when the platform learned
of an alarm (escalation counts from then). Existing alarms keep their rule's code as incident, so no two open
alarms collide; the default rules of a hazard are grouped where the street left the incident blank."""

import django.core.validators
import django.utils.timezone
from django.db import migrations, models
from django.db.models import F, OuterRef, Q, Subquery


def forwards(apps, schema_editor):
    from alerts.defaults import set_incidents

    Alert = apps.get_model("alerts", "Alert")
    AlertRule = apps.get_model("alerts", "AlertRule")
    code = AlertRule.objects.filter(pk=OuterRef("rule_id")).values("code")[:1]
    Alert.objects.update(incident=Subquery(code), learned_at=F("raised_at"))
    set_incidents(AlertRule)


class Migration(migrations.Migration):
    dependencies = [("alerts", "0004_pin_guessing_rule")]

    operations = [
        migrations.AddField(
            model_name="alertrule",
            name="incident",
            field=models.CharField(
                blank=True,
                help_text=(
                    "同一设备上同一事件的规则只开一条告警, 级别随最严重的规则升高 (如线缆过热: 快速上升 → 偏高 → 过高); "
                    "留空即按规则代码, 覆盖规则沿用默认规则的事件"
                ),
                max_length=48,
                validators=[django.core.validators.RegexValidator("^[a-z][a-z0-9_]*$", "只能用小写字母、数字和下划线")],
                verbose_name="事件",
            ),
        ),
        migrations.AddField(
            model_name="alert",
            name="incident",
            field=models.CharField(
                default="",
                help_text="同一设备同一事件只有一条未关闭的告警 (规则的事件, 或规则代码)",
                max_length=48,
                verbose_name="事件",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="alert",
            name="learned_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now,
                help_text="平台收到读数、开出告警的时间; 升级从此刻计时",
                verbose_name="获知时间",
            ),
        ),
        migrations.AlterField(
            model_name="alert",
            name="raised_at",
            field=models.DateTimeField(db_index=True, help_text="设备读数的时间", verbose_name="发生时间"),
        ),
        migrations.AlterField(
            model_name="alertevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("raised", "告警"),
                    ("severity", "级别升高"),
                    ("retriggered", "再次触发"),
                    ("cleared", "已恢复"),
                    ("acknowledged", "确认"),
                    ("handling", "开始处置"),
                    ("note", "处置记录"),
                    ("responder", "到场人员"),
                    ("closed", "关闭"),
                    ("escalated", "升级通知"),
                    ("notified", "通知送达"),
                    ("suppressed", "防抖: 未重开"),
                    ("command", "一键指挥"),
                ],
                max_length=16,
                verbose_name="类型",
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="alert", name="alert_one_open_per_device_rule"),
        migrations.AddConstraint(
            model_name="alert",
            constraint=models.UniqueConstraint(
                condition=Q(closed_at__isnull=True),
                fields=("device", "incident"),
                name="alert_one_open_per_device_incident",
            ),
        ),
    ]
