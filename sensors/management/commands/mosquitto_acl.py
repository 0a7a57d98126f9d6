"""Write a Mosquitto ``acl_file`` for brokers without HTTP auth: each device reaches only its own topics."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.management.base import BaseCommand


def acl_text(service_account: str) -> str:
    """Pattern lines: ``%u`` is the MQTT username, which is the device key (see docs/device-protocol.md)."""
    return "\n".join(
        [
            "# e智办 Mosquitto ACL, written by `python manage.py mosquitto_acl`; devices log in with their key.",
            f"user {service_account}",
            "topic readwrite #",
            "",
            "# every other user is a device: its own telemetry, heartbeat and command answers; its command topic",
            "pattern write shijiao/%u/telemetry",
            "pattern write shijiao/%u/heartbeat",
            "pattern write shijiao/%u/command/result",
            "pattern read shijiao/%u/command",
            "pattern write /sys/+/%u/thing/event/property/post",
            "pattern write /sys/+/%u/thing/service/+",
            "pattern read /sys/+/%u/thing/service/+",
            "",
        ]
    )


class Command(BaseCommand):
    help = "写出 Mosquitto 的 acl_file（设备只能发布/订阅自己的主题）"

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", nargs="?", help="acl_file 路径；省略时输出到标准输出")
        parser.add_argument(
            "--service-account",
            default=os.environ.get("MQTT_INGEST_USERNAME", "shijiao-ingest"),
            help="接入服务（ingest_mqtt）的 MQTT 用户名，可订阅全部主题",
        )

    def handle(self, *args, path: str | None = None, service_account: str, **options) -> None:
        text = acl_text(service_account)
        if not path:
            self.stdout.write(text)
            return
        target = Path(path)
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)  # the broker never reads a half-written file
        self.stdout.write(f"已写入 {target}；请让 Mosquitto 重新加载（kill -HUP）")
