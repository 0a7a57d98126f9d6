from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SensorsConfig(AppConfig):
    name = "sensors"
    verbose_name = _("感知设备")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from sensors import registry
        from sensors.models import Device, Metric

        for model in (Device, Metric):
            post_save.connect(registry.invalidate, sender=model, dispatch_uid=f"sensors-registry-save-{model.__name__}")
            post_delete.connect(
                registry.invalidate, sender=model, dispatch_uid=f"sensors-registry-delete-{model.__name__}"
            )
