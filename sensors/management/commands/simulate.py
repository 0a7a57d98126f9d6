from __future__ import annotations

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from sensors.simulator import SCENARIOS, Simulator, history, load_devices


class Command(BaseCommand):
    help = (
        "Simulate the seeded district's devices: realistic readings over MQTT (when MQTT_URL is set) or straight "
        "into this process's database, plus scenarios that make things go wrong: "
        + ", ".join(f"{name} ({text})" for name, (_key, text) in SCENARIOS.items())
        + ". Simulated devices answer downlink commands. With --history-days N it instead writes N days of "
        "past readings and their roll-ups directly into the database, then exits."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scenario", action="append", default=[], choices=sorted(SCENARIOS), help="a scenario (repeatable)"
        )
        parser.add_argument(
            "--rate", type=float, default=None, help="messages per second in all (default: each device's interval)"
        )
        parser.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
        parser.add_argument("--apartments", default="", help="only these block codes, comma-separated (SQ-006,...)")
        parser.add_argument(
            "--transport",
            choices=["mqtt", "inprocess"],
            default=None,
            help="mqtt (default when MQTT_URL is set) or inprocess (store directly, no broker)",
        )
        parser.add_argument("--history-days", type=int, default=0, help="write this many days of past readings")
        parser.add_argument("--history-step", type=int, default=300, help="seconds between history readings")

    def handle(self, *args, **options) -> None:
        codes = [c.strip() for c in options["apartments"].split(",") if c.strip()]
        devices = load_devices(codes or None)
        if not devices:
            raise CommandError(
                "no devices to simulate: run `python manage.py seed_demo` first (or check --apartments)."
            )
        if options["history_days"]:
            return self._history(devices, options["history_days"], options["history_step"])
        if options["rate"] is not None and options["rate"] <= 0:
            raise CommandError("--rate must be above 0.")
        transport_name = options["transport"] or ("mqtt" if settings.MQTT_URL else "inprocess")
        if transport_name == "mqtt":
            if not settings.MQTT_URL:
                raise CommandError("--transport mqtt needs MQTT_URL (e.g. mqtt://127.0.0.1:1883).")
            from sensors.transports import MqttTransport

            transport = MqttTransport()
        else:
            from sensors.transports import InProcessTransport

            transport = InProcessTransport()

        def send(messages: list[tuple[str, bytes]]) -> None:
            close_old_connections()  # a long-running process outlives database restarts
            transport.send(messages)

        simulator = Simulator(devices, send=send, scenarios=options["scenario"], rate=options["rate"])
        transport.attach(simulator)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write(
            f"simulate: {len(devices)} devices over {transport_name}, scenarios: "
            f"{', '.join(options['scenario']) or 'none'}; Ctrl-C stops."
        )
        try:
            simulator.run(stop, duration=options["duration"])
        finally:
            transport.close()
        self.stdout.write(f"simulate: sent {simulator.sent} messages")

    def _history(self, devices, days: int, step: int) -> None:
        from sensors.rollups import rollup_window
        from sensors.storage import latest_upsert, readings_insert

        if days < 0 or step < 10:
            raise CommandError("--history-days must be positive and --history-step at least 10 seconds.")
        total = 0
        first = last = None
        for chunk in history(devices, days=days, step_seconds=step):
            readings_insert(chunk)
            latest_upsert(chunk)
            total += len(chunk)
            first = first or chunk[0].ts
            last = chunk[-1].ts
            self.stdout.write(f"  {total} readings up to {last:%Y-%m-%d %H:%M}", ending="\r")
        if first is not None:
            from datetime import timedelta

            at = first
            while at <= last:
                rollup_window(at, min(at + timedelta(hours=6), last + timedelta(minutes=1)))
                at += timedelta(hours=6)
            from sensors.models import RollupState

            RollupState.objects.update_or_create(name="minute", defaults={"done_until": last})
        self.stdout.write(f"\nsimulate: wrote {total} readings over {days} days with minute and hour roll-ups")
