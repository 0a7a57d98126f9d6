import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("apartments", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="BlockFigures",
            fields=[
                (
                    "apartment",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="cockpit_figures",
                        serialize=False,
                        to="apartments.apartment",
                        verbose_name="公寓",
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[("normal", "正常"), ("warning", "预警"), ("alarm", "报警"), ("offline", "设备离线")],
                        default="normal",
                        max_length=16,
                        verbose_name="状态",
                    ),
                ),
                ("rooms", models.PositiveIntegerField(default=0, verbose_name="房间数")),
                ("beds", models.PositiveIntegerField(default=0, verbose_name="床位数")),
                ("residents", models.PositiveIntegerField(default=0, verbose_name="在住人数")),
                ("registered", models.PositiveIntegerField(blank=True, null=True, verbose_name="已登记人数")),
                (
                    "registration_overdue",
                    models.PositiveIntegerField(blank=True, null=True, verbose_name="逾期未登记人数"),
                ),
                ("permits", models.PositiveIntegerField(blank=True, null=True, verbose_name="已发居住证")),
                ("devices", models.PositiveIntegerField(default=0, verbose_name="设备数")),
                ("devices_online", models.PositiveIntegerField(default=0, verbose_name="在线设备数")),
                ("alarms_open", models.PositiveIntegerField(blank=True, null=True, verbose_name="未处置报警")),
                (
                    "alarms_critical_open",
                    models.PositiveIntegerField(blank=True, null=True, verbose_name="未处置紧急报警"),
                ),
                ("alarms_week", models.PositiveIntegerField(blank=True, null=True, verbose_name="近7天报警")),
                ("alarm_kinds_week", models.JSONField(blank=True, default=dict, verbose_name="近7天报警分类")),
                ("hazards_open", models.PositiveIntegerField(blank=True, null=True, verbose_name="未整改隐患")),
                ("hazards_overdue", models.PositiveIntegerField(blank=True, null=True, verbose_name="逾期隐患")),
                ("hazard_kinds_open", models.JSONField(blank=True, default=dict, verbose_name="未整改隐患分类")),
                ("patrol_coverage", models.FloatField(blank=True, null=True, verbose_name="本周巡查覆盖率")),
                ("feedback_open", models.PositiveIntegerField(blank=True, null=True, verbose_name="待回复诉求")),
                ("risk_score", models.PositiveSmallIntegerField(db_index=True, default=0, verbose_name="风险分")),
                ("risk_reasons", models.JSONField(blank=True, default=list, verbose_name="风险原因")),
                ("computed_at", models.DateTimeField(verbose_name="计算时间")),
            ],
            options={
                "verbose_name": "公寓指标",
                "verbose_name_plural": "公寓指标",
                "ordering": ["-risk_score", "apartment_id"],
            },
        ),
        migrations.CreateModel(
            name="BlockDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(verbose_name="日期")),
                ("figure", models.CharField(max_length=48, verbose_name="指标")),
                ("value", models.FloatField(verbose_name="数值")),
                (
                    "apartment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="apartments.apartment",
                        verbose_name="公寓",
                    ),
                ),
            ],
            options={
                "verbose_name": "公寓日指标",
                "verbose_name_plural": "公寓日指标",
                "indexes": [models.Index(fields=["day", "figure"], name="block_day_day_figure")],
                "constraints": [
                    models.UniqueConstraint(fields=("apartment", "day", "figure"), name="block_day_figure_unique")
                ],
            },
        ),
    ]
