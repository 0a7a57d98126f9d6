from __future__ import annotations

from datetime import date

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.utils import timezone

from apartments.models import SubDistrict
from demo.district import DEMO_PASSWORD, seed_district


class Command(BaseCommand):
    help = (
        "Build a deterministic demo Shiqiao sub-district: 95 apartment blocks (one is 新华工业园6号公寓), rooms, "
        "staff for every role with demo logins, generated residents and devices. Generated people only. "
        "Does nothing if the district exists, unless --reset."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--residents", type=int, default=3000, help="how many residents (full district: 56300)")
        parser.add_argument("--enterprises", type=int, default=200, help="how many enterprises (default 200)")
        parser.add_argument("--seed", type=int, default=6, help="random seed; the same seed gives the same district")
        parser.add_argument("--today", type=date.fromisoformat, default=None, help="pretend today is YYYY-MM-DD")
        parser.add_argument("--reset", action="store_true", help="delete ALL data in the database first")

    def handle(self, *args, **options) -> None:
        if options["residents"] < 1:
            self.stderr.write("--residents must be at least 1.")
            raise SystemExit(2)
        if SubDistrict.objects.exists():
            if not options["reset"]:
                self.stdout.write("演示数据已存在 (demo data exists); use --reset to rebuild it.")
                self._print_logins_hint()
                return
            call_command("flush", interactive=False, verbosity=0)
        today = options["today"] or timezone.localdate()
        seeded = seed_district(
            seed=options["seed"], residents=options["residents"], enterprises=options["enterprises"], today=today
        )
        if connection.vendor == "postgresql":  # fresh statistics, or the planner guesses from empty tables
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        # The cockpit and its weekly reports read precomputed figures: compute them for the seeded history now.
        call_command("refresh_cockpit", days=30, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("演示数据已生成 (demo data built):"))
        for name, count in seeded.counts.items():
            self.stdout.write(f"  {name}: {count}")
        self.stdout.write(f"演示账号 (demo logins), password {DEMO_PASSWORD}:")
        for role, username, name in seeded.logins:
            self.stdout.write(f"  {username:<12} {role} · {name}")

    def _print_logins_hint(self) -> None:
        self.stdout.write(
            "Logins: admin, jiedao, wangge1, wuye1, xiaofang1, fuze6, jiancha1, qiye1, xinshimin; "
            f"password {DEMO_PASSWORD}"
        )
