from __future__ import annotations

from django.apps import AppConfig


class CockpitConfig(AppConfig):
    name = "cockpit"
    verbose_name = "数字驾驶舱"

    def ready(self) -> None:
        from cockpit import listeners

        listeners.connect()
