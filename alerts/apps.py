from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = _("预警处置")

    def ready(self) -> None:
        from alerts import queue, receivers, tasks
        from alerts.models import AlertRule, RuleCondition
        from alerts.rules import evaluate_points, evaluate_status, rule_cache, urgent_triggers
        from residents.signals import suspicious_movement
        from sensors import hooks
        from sensors.signals import device_command_closed
        from sensors.urgency import register_triggers

        register_triggers(urgent_triggers)  # the consumer's fast lane: readings these rules may fire on
        assert tasks.escalate.name == queue.ESCALATE  # registered in every process: queue.py hands work over by name

        # The alarm rules are where ingest hands every stored batch on (sensors/hooks.py). Evaluation is idempotent
        # (a rule's state skips readings it has gone past), so it takes the repeated points too: a redelivered batch
        # whose first run died after storing gets its alarms; one that ran fully changes nothing.
        hooks.on_readings("alarm rules", evaluate_points, repeats=True)
        hooks.on_device_status("alarm rules", evaluate_status)
        device_command_closed.connect(receivers.on_device_command_closed, dispatch_uid="alerts.device_command")
        suspicious_movement.connect(receivers.on_suspicious_movement, dispatch_uid="alerts.movement")
        from alerts.models import Camera
        from alerts.push import camera_origins, forget_cameras
        from shijiao.security import add_media_origins

        add_media_origins(camera_origins)  # the pages' Content-Security-Policy lets the cameras' streams play

        post_save.connect(forget_cameras, sender=Camera, dispatch_uid="alerts.cameras.save")
        post_delete.connect(forget_cameras, sender=Camera, dispatch_uid="alerts.cameras.delete")
        for model in (AlertRule, RuleCondition):
            post_save.connect(rule_cache.invalidate, sender=model, dispatch_uid=f"alerts.rules.{model.__name__}.save")
            post_delete.connect(rule_cache.invalidate, sender=model, dispatch_uid=f"alerts.rules.{model.__name__}.del")
