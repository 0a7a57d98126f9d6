"""Celery tasks of the sensors app: thin wrappers that call the domain functions."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from sensors import handover


@shared_task(
    bind=True,
    name="sensors.ingest_batch",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=30,
    max_retries=None,
)
def ingest_batch(self, messages: list[list], ledger: bool = False, urgent: bool = False) -> dict:
    """Store one batch handed over by :func:`sensors.handover.batch_hand_over` (the only sender):
    ``[[topic, username, payload, received_at], ...]``, on queue ``INGEST_QUEUE`` or (alarm-bearing messages)
    ``INGEST_ALARM_QUEUE``.

    Safe to run twice (a redelivered task stores nothing new), so the broker may redeliver it after a crash.
    With ``ledger`` the batch is struck off the hand-over ledger once stored.
    """
    result = handover.batch_store(messages, urgent=urgent)
    if ledger:
        handover.batch_done(self.request.id, app=self.app)
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


@shared_task(name="sensors.sweep_handovers")
def sweep_handovers() -> dict:
    if not handover.uses_ledger():
        return {}
    sweep = handover.batches_sweep()
    return {"pending": sweep.pending, "requeued": sweep.requeued, "dead": sweep.dead, "skipped": sweep.skipped}
