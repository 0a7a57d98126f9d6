from __future__ import annotations

import asyncio
import logging
import shlex
import socket
import threading
import time

import uvicorn
from asgiref.sync import sync_to_async
from django.conf import settings
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
        consumer = await self._mqtt_in_process(config.port)
        self._print_device_lines(config.host, config.port, mqtt_url=consumer and consumer.url)
        try:
            await server.serve()
        finally:
            background.cancel()
            if consumer is not None:
                consumer.stop()
                # Leave no session behind on the broker (it would hold every device message for a week), and never
                # hold up the exit for it: the consumer and this clean-up run on daemon threads, waited for 15 s.
                cleanup = threading.Thread(target=self._forget_session, args=(consumer,), daemon=True)
                cleanup.start()
                cleanup.join(15)

    @staticmethod
    def _forget_session(consumer) -> None:
        from sensors.consumer import forget_session

        consumer.thread.join(5)
        try:
            forget_session(consumer.client_id, consumer.url)
        except OSError:
            log.warning("could not drop the demo's MQTT session %s", consumer.client_id)

    async def _mqtt_in_process(self, port: int):
        """With a broker answering (MQTT_URL, else Mosquitto's default 127.0.0.1:1883): consume device messages here,
        storing them on this event loop's database thread like the simulator's; without one, None."""
        from sensors.consumer import Consumer
        from sensors.mqtt import broker
        from sensors.tasks import ingest_batch
        from sensors.urgency import message_is_urgent

        url = settings.MQTT_URL or "mqtt://127.0.0.1:1883"
        where = broker(url)
        try:
            await asyncio.to_thread(socket.create_connection((where.host, where.port), timeout=1).close)
        except OSError:
            return None
        loop = asyncio.get_running_loop()
        store = sync_to_async(ingest_batch.run, thread_sensitive=True)

        def handle(batch: list[list]) -> None:
            if not loop.is_running():  # the demo is stopping: leave the batch unacknowledged
                raise RuntimeError("the demo's event loop has stopped")
            asyncio.run_coroutine_threadsafe(store(batch), loop).result(timeout=120)

        # A plain subscription (no shared group): on a broker other consumers use, this one takes copies only.
        client_id = f"shijiao-demo-{port}"  # two demos on one machine must not take over each other's session
        consumer = Consumer(handle=handle, client_id=client_id, group=None, url=url, urgent=message_is_urgent)
        consumer.url = url
        consumer.thread = threading.Thread(target=consumer.run, name="demo-mqtt", daemon=True)
        consumer.thread.start()
        if not await asyncio.to_thread(consumer.subscribed.wait, 60):
            consumer.stop()
            self.stdout.write(f"MQTT: the broker at {where.host}:{where.port} did not confirm the subscription in 60 s")
            return None
        return consumer

    def _print_device_lines(self, host: str, port: int, *, mqtt_url: str | None) -> None:
        """One device's token and the commands that make it raise an alarm: the product in a minute."""
        from sensors.demo import DEMO_DEVICE_KEY, demo_token
        from sensors.mqtt import broker

        token = demo_token(DEMO_DEVICE_KEY)
        web = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
        body = '{"wire_temp": 96.5}'
        lines = [
            "",
            f"  试试当一台设备 (be a device): 6号公寓 3层配电箱 {DEMO_DEVICE_KEY}, token {token}",
            "  HTTP (ThingsBoard device API):",
            f"    curl -X POST {web}/api/v1/{token}/telemetry -H 'Content-Type: application/json' "
            f"-d {shlex.quote(body)}",
        ]
        if mqtt_url:
            where = broker(mqtt_url)
            payload = '{"values": {"wire_temp": 97.5}}'
            lines += [
                f"  MQTT (broker at {where.host}:{where.port}, consumed by this demo):",
                f"    mosquitto_pub -h {where.host} -p {where.port} -q 1 -t shijiao/{DEMO_DEVICE_KEY}/telemetry "
                f"-m {shlex.quote(payload)}",
            ]
        else:
            lines.append(
                "  MQTT: no broker answers at "
                f"{settings.MQTT_URL or '127.0.0.1:1883'}, so this demo takes HTTP only "
                "(start Mosquitto and run the demo again to publish over MQTT)."
            )
        lines += [
            f"  The alarm 线缆温度过高 appears at once on {web}/alerts/station/ (login xiaofang1) "
            f"and {web}/alerts/m/ (login fuze6), password demo-2026.",
            "",
        ]
        self.stdout.write("\n".join(lines))

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
        # The seeded devices last reported when the district was built, maybe hours ago: judge who is offline only
        # after every device had its first reporting interval here (else a storm of offline alarms at start).
        longest = max((device.interval for device in devices), default=0.0)
        due["sensors.tasks.check_offline"] = time.monotonic() + longest + 15.0
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
