from __future__ import annotations

from django.apps import AppConfig


class ApartmentsConfig(AppConfig):
    name = "apartments"
    verbose_name = "公寓与网格"
