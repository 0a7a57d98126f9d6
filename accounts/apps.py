from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "账号与角色"

    def ready(self) -> None:
        from accounts import schema  # noqa: F401  (registers the Bearer scheme with drf-spectacular)
