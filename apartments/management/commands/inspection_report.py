"""Write the monthly inspection report (per grid and per block) as a spreadsheet or a PDF."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apartments.reports import monthly_report, parse_month, report_pdf, report_xlsx


class Command(BaseCommand):
    help = (
        "Write the monthly inspection report of the whole sub-district: inspections, pass rates, patrol coverage, "
        "open and overdue hazards per grid and per block. Example: "
        "python manage.py inspection_report --month 2026-05 --format pdf --out report-2026-05.pdf"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--month", help="YYYY-MM; the current month when left out")
        parser.add_argument("--format", choices=["xlsx", "pdf"], default="xlsx", help="spreadsheet (default) or PDF")
        parser.add_argument("--out", help="file to write; default inspections-YYYY-MM.<format> in this directory")

    def handle(self, *args, month: str | None, format: str, out: str | None, **options) -> None:
        try:
            year, number = parse_month(month)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        report = monthly_report(year, number)
        body = report_pdf(report) if format == "pdf" else report_xlsx(report)
        path = Path(out or f"inspections-{year}-{number:02d}.{format}")
        path.write_bytes(body)
        self.stdout.write(
            f"{path}: {report.total.blocks} blocks, {report.total.inspections} inspections, "
            f"{report.total.open_hazards} open hazards ({report.total.overdue_hazards} overdue)"
        )
