from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    name = "residents"
    verbose_name = _("新市民与居住登记")

    def ready(self) -> None:
        from residents.radar import readings_check
        from sensors import hooks

        hooks.on_readings("radar", readings_check)  # loitering and tailgating, in the ingest batch
