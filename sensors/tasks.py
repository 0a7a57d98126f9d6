"""Celery tasks of the sensors app: thin wrappers that call the domain functions."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from sensors.ingest import RawMessage, ingest_messages


@shared_task(
    name="sensors.ingest_batch",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=30,
    max_retries=None,
)
def ingest_batch(messages: list[list]) -> dict:
    """Store one batch handed over by the MQTT consumer: ``[[topic, username, payload, received_at], ...]``.

    Safe to run twice (a redelivered task stores nothing new), so the broker may redeliver it after a crash.
    """
    result = ingest_messages(
        RawMessage(topic, payload, username, received_at) for topic, username, payload, received_at in messages
    )
    return {"messages": result.messages, "stored": result.stored, "rejected": result.rejected}


@shared_task(name="sensors.check_offline")
def check_offline() -> int:
    from sensors.health import devices_check_offline

    return len(devices_check_offline())


@shared_task(name="sensors.rollup")
def rollup() -> dict:
    from sensors.rollups import rollups_run

    return rollups_run()


@shared_task(name="sensors.purge")
def purge() -> dict:
    from sensors.rollups import readings_purge

    return readings_purge()


@shared_task(name="sensors.expire_commands")
def expire_commands() -> int:
    from sensors.commands import commands_expire

    return commands_expire()
