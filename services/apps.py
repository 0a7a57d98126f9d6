from __future__ import annotations

from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = "便民服务"

    def ready(self) -> None:
        from services import receivers

        receivers.connect()
