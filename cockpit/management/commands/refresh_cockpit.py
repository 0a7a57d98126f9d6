from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cockpit.aggregates import refresh_figures
from cockpit.push import announce_figures_updated


class Command(BaseCommand):
    help = (
        "Recompute the street cockpit's precomputed figures (per block: residents, registration, devices online, "
        "alarms, hazards, feedback, risk score and reasons; per block and day: alarms by kind, check-ins and "
        "check-outs, registrations, door traffic) and tell open cockpit screens. Celery beat does this every "
        "COCKPIT_REFRESH_SECONDS for the last 2 days; run it with --days 30 after loading history."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=30, help="how many past days of daily figures to rewrite")

    def handle(self, *args, **options) -> None:
        if options["days"] < 1:
            raise CommandError("--days must be at least 1.")
        started = time.perf_counter()
        n = refresh_figures(days=options["days"])
        announce_figures_updated(apartment_ids=None)
        self.stdout.write(
            f"驾驶舱指标已更新: {n} blocks, {options['days']} days in {time.perf_counter() - started:.2f} s"
        )
