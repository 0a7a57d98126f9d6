from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    name = "residents"
    verbose_name = _("新市民与居住登记")

    def ready(self) -> None:
        from residents.radar import on_readings_stored
        from sensors.signals import readings_stored

        readings_stored.connect(on_readings_stored, dispatch_uid="residents.radar")
