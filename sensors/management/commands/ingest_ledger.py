from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Show the ingest hand-over ledger (batches queued and not yet stored; batches given up on after failing "
        "3 times), and optionally queue the given-up batches again or sweep now. See docs/device-protocol.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--replay-dead", action="store_true", help="queue the given-up batches again")
        parser.add_argument("--sweep", action="store_true", help="queue again the batches found lost, now")

    def handle(self, *args, **options) -> None:
        import redis

        from sensors.handover import batches_sweep, dead_replay, ledger_counts, uses_ledger

        if not uses_ledger():
            raise CommandError("No Redis broker (REDIS_URL / CELERY_BROKER_URL): batches are stored in-process.")
        try:
            if options["sweep"]:
                sweep = batches_sweep()
                self.stdout.write(f"sweep: {sweep.requeued} queued again, {sweep.dead} given up {sweep.skipped}")
            if options["replay_dead"]:
                self.stdout.write(f"replayed {dead_replay()} given-up batch(es)")
            counts = ledger_counts()
        except redis.RedisError as exc:
            raise CommandError(f"The broker's Redis does not answer: {exc}") from exc
        self.stdout.write(f"pending {counts['pending']}, given up {counts['dead']}")
