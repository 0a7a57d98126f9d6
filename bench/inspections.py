"""Benchmark: coverage, the grid worker's "today" page and the monthly report at city scale.

Creates a throw-away database (PostgreSQL when it answers, else SQLite) with --blocks apartment
blocks in grids of --per-grid blocks, a daily patrol of every block for --days days (8 checklist
answers each, 2.5 % failed → hazards) and a fire check per block, then times:

- ``missing_patrols(today)`` over all blocks (the street's coverage list, the cockpit's figure);
- a grid worker's "my tasks today" page through Django's test client (p95 of --rounds requests);
- ``monthly_report`` of the whole district, then its spreadsheet and its PDF.

    python bench/inspections.py [--blocks 1000] [--per-grid 10] [--days 30] [--rounds 30]

Last line: ``inspections: coverage <A> ms, today page p95 <B> ms, report <C> ms, xlsx <D> ms, pdf <E> ms
at <N> blocks, <M> inspections``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shijiao.settings_test")
os.environ.setdefault("TEST_DATABASE_NAME", "bench_shijiao_inspections")


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, (time.perf_counter() - t0) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=1000, help="apartment blocks (default 1000)")
    parser.add_argument("--per-grid", type=int, default=10, help="blocks per grid worker (default 10)")
    parser.add_argument("--days", type=int, default=30, help="days of daily patrols before today (default 30)")
    parser.add_argument("--rounds", type=int, default=30, help="requests of the today page (default 30)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from accounts.models import Department, Role, User
        from apartments.checklists import install_default_checklists
        from apartments.coverage import missing_patrols
        from apartments.hazards import deadline_for
        from apartments.models import (
            Apartment,
            ChecklistTemplate,
            Community,
            Grid,
            Hazard,
            Inspection,
            InspectionResult,
            PropertyCompany,
            SubDistrict,
        )
        from apartments.reports import monthly_report, report_pdf, report_xlsx

        rng = random.Random(7)
        t0 = time.perf_counter()
        install_default_checklists()
        sub = SubDistrict.objects.create(name="基准街道", code="BENCH")
        company = PropertyCompany.objects.create(name="基准物业")
        n_grids = (args.blocks + args.per_grid - 1) // args.per_grid
        communities = [
            Community.objects.create(sub_district=sub, name=f"社区{c}", code=f"BC{c}") for c in range(n_grids // 10 + 1)
        ]
        workers = User.objects.bulk_create(
            User(username=f"bench-grid{g}", role=Role.GRID_WORKER, is_staff=True) for g in range(n_grids)
        )
        grids = Grid.objects.bulk_create(
            Grid(community=communities[g // 10], name=f"第{g % 10 + 1}网格", code=f"BG{g}") for g in range(n_grids)
        )
        for grid, worker in zip(grids, workers, strict=True):
            grid.workers.add(worker)
        fire = User.objects.create(username="bench-fire", role=Role.INSPECTOR, department=Department.FIRE)
        blocks = Apartment.objects.bulk_create(
            Apartment(
                code=f"B{i:05d}",
                name=f"基准公寓{i}",
                address="基准路",
                grid=grids[i // args.per_grid],
                floors=6,
                property_company=company,
            )
            for i in range(args.blocks)
        )
        templates = {t.kind: (t, list(t.items.all())) for t in ChecklistTemplate.objects.all()}
        today = timezone.localdate()
        total = 0
        for back in range(args.days, 0, -1):
            day = today - timedelta(days=back)
            rows = [
                Inspection(
                    apartment=b,
                    template=templates["patrol"][0],
                    kind="patrol",
                    inspector=workers[i // args.per_grid],
                    status="signed",
                    signed_at=timezone.make_aware(datetime(day.year, day.month, day.day, rng.randint(8, 17))),
                )
                for i, b in enumerate(blocks)
                if rng.random() < 0.95
            ]
            if back % 30 == 1:
                rows += [
                    Inspection(
                        apartment=b,
                        template=templates["fire"][0],
                        kind="fire",
                        inspector=fire,
                        status="signed",
                        signed_at=timezone.make_aware(datetime(day.year, day.month, day.day, 10)),
                    )
                    for b in blocks
                ]
            created = Inspection.objects.bulk_create(rows, batch_size=5000)
            results, hazards = [], []
            for inspection in created:
                for item in templates[inspection.kind][1]:
                    failed = rng.random() < 0.025
                    results.append(
                        InspectionResult(
                            inspection=inspection,
                            item=item,
                            order=item.order,
                            text=item.text,
                            outcome="fail" if failed else "pass",
                        )
                    )
                    if failed:
                        closed = rng.random() < 0.8
                        hazards.append(
                            Hazard(
                                apartment=inspection.apartment,
                                kind=inspection.kind,
                                title=item.text,
                                severity=item.severity,
                                status="closed" if closed else "open",
                                inspection=inspection,
                                responsible_company=company,
                                deadline=deadline_for(item.severity, day),
                                closed_at=inspection.signed_at + timedelta(days=1) if closed else None,
                            )
                        )
            InspectionResult.objects.bulk_create(results, batch_size=10000)
            Hazard.objects.bulk_create(hazards, batch_size=5000)
            total += len(created)
        print(
            f"seeded {args.blocks} blocks, {total} inspections, {InspectionResult.objects.count()} answers, "
            f"{Hazard.objects.count()} hazards in {time.perf_counter() - t0:.1f} s"
        )
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE")

        missing, coverage_ms = timed(missing_patrols, today)
        print(f"missing_patrols(today): {len(missing)} gaps in {coverage_ms:.0f} ms")

        client = Client()
        client.force_login(workers[0])
        samples = []
        for _ in range(args.rounds):
            response, ms = timed(client.get, "/inspections/")
            assert response.status_code == 200, response.status_code
            samples.append(ms)
        print(f"today page: p50 {sorted(samples)[len(samples) // 2]:.0f} ms, p95 {p95(samples):.0f} ms")

        report, report_ms = timed(monthly_report, today.year, today.month)
        (prev_year, prev_month) = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
        report_prev, report_prev_ms = timed(monthly_report, prev_year, prev_month)
        _, xlsx_ms = timed(report_xlsx, report_prev)
        _, pdf_ms = timed(report_pdf, report_prev)
        print(
            f"monthly report: this month {report_ms:.0f} ms ({report.total.inspections} inspections), "
            f"last month {report_prev_ms:.0f} ms ({report_prev.total.inspections}); "
            f"xlsx {xlsx_ms:.0f} ms, pdf {pdf_ms:.0f} ms"
        )
        print(
            f"inspections: coverage {coverage_ms:.0f} ms, today page p95 {p95(samples):.0f} ms, "
            f"report {max(report_ms, report_prev_ms):.0f} ms, xlsx {xlsx_ms:.0f} ms, pdf {pdf_ms:.0f} ms "
            f"at {args.blocks} blocks, {total} inspections"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
