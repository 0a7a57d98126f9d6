from __future__ import annotations

import asyncio
import logging
import time

import uvicorn
from asgiref.sync import sync_to_async
from django.core.management.base import BaseCommand, CommandError, CommandParser

log = logging.getLogger(__name__)

# Periodic jobs that Celery beat runs in production; the demo runs them in this process.
HOUSEKEEPING = [
    ("sensors.tasks.check_offline", 15.0),
    ("sensors.tasks.expire_commands", 5.0),
    ("sensors.tasks.rollup", 60.0),
    # Retention runs in the demo too (PIPL Art. 47): face data after check-out, visitor snapshots, old records.
    ("residents.tasks.purge_face_data", 600.0),
    ("residents.tasks.purge_personal_data", 3600.0),
]


class Command(BaseCommand):
    help = (
        "Serve e智办 (HTTP and WebSockets) with uvicorn on the ASGI application. With --simulate the seeded "
        "district's devices report in this same process (so the in-memory channel layer reaches the browsers) and "
        "the periodic jobs run here too: that is what `make demo` does. For production use "
        "`uvicorn shijiao.asgi:application --workers N` behind a reverse proxy (docs/deployment.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
        parser.add_argument(
            "--simulate", action="store_true", help="run the device simulator and periodic jobs in this process"
        )
        parser.add_argument(
            "--scenario", action="append", default=[], help="simulator scenario (repeatable; see `simulate --help`)"
        )

    def handle(self, *args, **options) -> None:
        config = uvicorn.Config(
            "shijiao.asgi:application", host=options["host"], port=options["port"], lifespan="off", log_level="info"
        )
        if not options["simulate"]:
            uvicorn.Server(config).run()
            return
        from sensors.simulator import SCENARIOS

        unknown = set(options["scenario"]) - set(SCENARIOS)
        if unknown:
            raise CommandError(f"unknown scenario(s) {', '.join(sorted(unknown))}; choose from {', '.join(SCENARIOS)}")
        asyncio.run(self._serve_with_simulator(config, options["scenario"]))

    async def _serve_with_simulator(self, config: uvicorn.Config, scenarios: list[str]) -> None:
        server = uvicorn.Server(config)
        background = asyncio.create_task(self._simulate(scenarios))
        try:
            await server.serve()
        finally:
            background.cancel()

    async def _simulate(self, scenarios: list[str]) -> None:
        from django.utils.module_loading import import_string

        from sensors.simulator import Simulator, load_devices
        from sensors.transports import InProcessTransport
        from shijiao.health import BEAT, beat_record

        # thread_sensitive: the simulator's database work runs on the same thread as the views (one SQLite
        # writer), and what it sends through the channel layer lands on this event loop.
        devices = await sync_to_async(load_devices, thread_sensitive=True)()
        transport = InProcessTransport()
        simulator = Simulator(devices, send=transport.send, scenarios=scenarios)
        transport.attach(simulator)
        jobs = [(import_string(path), every) for path, every in HOUSEKEEPING]
        due = {path: time.monotonic() + every for path, every in HOUSEKEEPING}
        self.stdout.write(f"simulator: {len(devices)} devices reporting in this process")
        try:
            while True:
                try:
                    await sync_to_async(simulator.step, thread_sensitive=True)()
                    now = time.monotonic()
                    for (path, every), (job, _every) in zip(HOUSEKEEPING, jobs, strict=True):
                        if now >= due[path]:
                            due[path] = now + every
                            await sync_to_async(job.run, thread_sensitive=True)()
                            beat_record(BEAT, "serve --simulate")  # /healthz: the periodic jobs run here
                except Exception:
                    log.exception("simulator step failed")
                await asyncio.sleep(0.2)
        finally:
            transport.close()
