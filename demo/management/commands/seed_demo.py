from __future__ import annotations

import time
from datetime import date

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.utils import timezone

from apartments.models import SubDistrict
from demo.district import DEMO_PASSWORD, seed_district

# What the summary counts: (label, "app.Model", filter).
COUNTED = [
    ("blocks", "apartments.Apartment", {}),
    ("rooms", "apartments.Room", {}),
    ("enterprises", "apartments.Enterprise", {}),
    ("staff accounts", "accounts.User", {"is_staff": True}),
    ("residents (incl. moved out)", "residents.Resident", {}),
    ("active tenancies", "residents.Tenancy", {"check_out__isnull": True}),
    ("residence registrations", "residents.ResidenceRegistration", {}),
    ("residence permits", "residents.ResidencePermit", {}),
    ("face enrolments", "residents.FaceEnrolment", {}),
    ("door events", "residents.AccessEvent", {}),
    ("devices", "sensors.Device", {}),
    ("hour roll-ups of readings", "sensors.ReadingRollup", {"period": "hour"}),
    ("raw readings (last hours)", "sensors.Reading", {}),
    ("alarms", "alerts.Alert", {}),
    ("open alarms", "alerts.Alert", {"closed_at__isnull": True}),
    ("inspections", "apartments.Inspection", {}),
    ("hazards", "apartments.Hazard", {}),
    ("feedback", "services.Feedback", {}),
    ("job postings", "services.JobPosting", {}),
    ("rental listings", "services.RentalListing", {}),
    ("rental photos", "services.RentalPhoto", {}),
    ("guides", "services.Article", {}),
]


def seeded_counts() -> dict[str, int]:
    return {label: apps.get_model(model).objects.filter(**where).count() for label, model, where in COUNTED}


class Command(BaseCommand):
    help = (
        "Build a deterministic demo Shiqiao sub-district: 95 apartment blocks (one is 新华工业园6号公寓), rooms, "
        "staff for every role with demo logins, 56,300 generated residents with tenancies, registrations and "
        "permits, devices with a month of readings and alarms, inspections, feedback and service listings. "
        "Generated people only. Does nothing if the district exists, unless --reset."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--residents", type=int, default=56300, help="how many people live in the district (default 56300)"
        )
        parser.add_argument("--enterprises", type=int, default=200, help="how many enterprises (default 200)")
        parser.add_argument(
            "--history-days", type=int, default=30, help="days of readings and alarms to make up (default 30)"
        )
        parser.add_argument("--seed", type=int, default=6, help="random seed; the same seed gives the same district")
        parser.add_argument("--today", type=date.fromisoformat, default=None, help="pretend today is YYYY-MM-DD")
        parser.add_argument("--reset", action="store_true", help="delete ALL data in the database first")

    def handle(self, *args, **options) -> None:
        if options["residents"] < 1 or options["history_days"] < 1:
            self.stderr.write("--residents and --history-days must be at least 1.")
            raise SystemExit(2)
        if SubDistrict.objects.exists():
            if not options["reset"]:
                self.stdout.write("演示数据已存在 (demo data exists); use --reset to rebuild it.")
                self._print_logins_hint()
                return
            call_command("flush", interactive=False, verbosity=0)
        today = options["today"] or timezone.localdate()
        started, cpu = time.monotonic(), time.process_time()
        if connection.vendor == "sqlite":
            # The seed is one transaction of a few million rows: a page cache of 256 MB keeps SQLite from spilling
            # half-built indexes to disk over and over (measured: the month of readings in ~10 s instead of ~55 s).
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size = -262144")
                cursor.execute("PRAGMA temp_store = MEMORY")

        def progress(message: str) -> None:
            self.stdout.write(
                f"  [{time.monotonic() - started:5.1f} s, cpu {time.process_time() - cpu:5.1f} s] {message}"
            )
            self.stdout.flush()

        self.stdout.write(
            f"生成演示数据 (building the demo district): {options['residents']} residents, "
            f"{options['history_days']} days of history ..."
        )
        seeded = seed_district(
            seed=options["seed"],
            residents=options["residents"],
            enterprises=options["enterprises"],
            today=today,
            history_days=options["history_days"],
            progress=progress,
        )
        if connection.vendor == "postgresql":  # fresh statistics, or the planner guesses from empty tables
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        # The cockpit and its weekly reports read precomputed figures: compute them for the seeded history now.
        progress(f"cockpit figures of {options['history_days']} days ...")
        call_command("refresh_cockpit", days=options["history_days"], stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(f"演示数据已生成 (demo data built) in {time.monotonic() - started:.0f} s:")
        )
        for name, count in seeded_counts().items():
            self.stdout.write(f"  {name}: {count}")
        self.stdout.write(f"演示账号 (demo logins), password {DEMO_PASSWORD}:")
        for role, username, name in seeded.logins:
            self.stdout.write(f"  {username:<12} {role} · {name}")

    def _print_logins_hint(self) -> None:
        self.stdout.write(
            "Logins: admin, jiedao, wangge1, wuye1, xiaofang1, fuze6, jiancha1, qiye1, xinshimin; "
            f"password {DEMO_PASSWORD}"
        )
