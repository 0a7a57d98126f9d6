from __future__ import annotations

import logging
import signal
from functools import partial

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sensors.consumer import Consumer
from sensors.handover import batch_hand_over
from sensors.urgency import message_is_urgent


class Command(BaseCommand):
    help = (
        "Consume device messages from MQTT (MQTT_URL) and store them. Subscribes with QoS 1 on a persistent session "
        "(client id --client-id; messages published while it is down arrive when it returns) through the shared "
        "subscription $share/<group>/..., so several consumers can run side by side and each message is handled "
        "once. Batches go to the Celery task sensors.ingest_batch on INGEST_QUEUE, alarm-bearing messages at once on "
        "INGEST_ALARM_QUEUE (or are stored in this process with --in-process, the default when Celery runs eagerly). "
        "Stop with Ctrl-C or SIGTERM."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--client-id",
            default=settings.MQTT_CLIENT_ID,
            help=f"fixed MQTT client id: one per consumer, kept across restarts (default {settings.MQTT_CLIENT_ID})",
        )
        parser.add_argument(
            "--group", default=settings.MQTT_SHARED_GROUP, help="shared-subscription group (default MQTT_SHARED_GROUP)"
        )
        parser.add_argument("--no-share", action="store_true", help="plain subscription (one consumer only)")
        parser.add_argument("--in-process", action="store_true", help="store batches here instead of via Celery")
        parser.add_argument(
            "--no-fast-lane",
            action="store_true",
            help="let alarm-bearing readings wait for the batch window and the bulk queue like the rest",
        )
        parser.add_argument("--batch", type=int, default=settings.INGEST_BATCH_MESSAGES, help="messages per batch")
        parser.add_argument("--flush-ms", type=int, default=settings.INGEST_FLUSH_MS, help="longest wait per batch")

    def handle(self, *args, **options) -> None:
        if not settings.MQTT_URL:
            raise CommandError("MQTT_URL is not set (e.g. mqtt://127.0.0.1:1883); see docs/configuration.md.")
        if options["batch"] < 1 or options["flush_ms"] < 1:
            raise CommandError("--batch and --flush-ms must be at least 1.")
        logging.getLogger("sensors").setLevel(logging.INFO)
        in_process = options["in_process"] or settings.CELERY_TASK_ALWAYS_EAGER
        fast = settings.INGEST_FAST_LANE and not options["no_fast_lane"]
        consumer = Consumer(
            handle=partial(batch_hand_over, in_process=in_process),
            handle_urgent=partial(batch_hand_over, urgent=True, in_process=in_process),
            urgent=message_is_urgent if fast else None,
            client_id=options["client_id"],
            group=None if options["no_share"] else options["group"],
            batch_messages=options["batch"],
            flush_ms=options["flush_ms"],
        )
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: consumer.stop())
        where = (
            "in this process"
            if in_process
            else f"to Celery queues {settings.INGEST_QUEUE} (alarm-bearing: {settings.INGEST_ALARM_QUEUE})"
        )
        self.stdout.write(f"ingest_mqtt: consuming as {options['client_id']}, batches {where}")
        from shijiao.health import INGEST, beat_keep

        heartbeat = beat_keep(INGEST, options["client_id"], alive=consumer.subscribed)  # for /healthz
        consumer.run()
        heartbeat.set()
        self.stdout.write(
            f"ingest_mqtt: stopped after {consumer.handled} messages ({consumer.handled_urgent} through the fast lane)"
        )
