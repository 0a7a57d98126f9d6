"""The monthly inspection report per grid and per block, as data, a spreadsheet and a PDF with charts.

Counts cover inspections signed in the month; "open" and "overdue" hazards are as of the
month's last day (or today, for the current month): found by then, not closed by then,
and for overdue also past their deadline.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from apartments.coverage import end_of_day
from apartments.models import (
    Apartment,
    Hazard,
    Inspection,
    InspectionKind,
    InspectionResult,
    Outcome,
    Severity,
)
from shijiao.pdf import cjk_font


@dataclass
class ReportRow:
    name: str
    grid: str = ""
    blocks: int = 1
    inspections: int = 0
    patrol_days: int = 0
    days: int = 0  # days of the month covered by the report
    passed: int = 0
    failed: int = 0
    hazards_found: int = 0
    hazards_closed: int = 0
    open_hazards: int = 0
    overdue_hazards: int = 0

    @property
    def pass_rate(self) -> float | None:
        checked = self.passed + self.failed
        return self.passed / checked if checked else None

    @property
    def patrol_coverage(self) -> float | None:
        possible = self.days * self.blocks
        return self.patrol_days / possible if possible else None

    def add(self, other: ReportRow) -> None:
        for name in (
            "inspections",
            "patrol_days",
            "passed",
            "failed",
            "hazards_found",
            "hazards_closed",
            "open_hazards",
            "overdue_hazards",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class MonthlyReport:
    year: int
    month: int
    as_of: date
    by_block: list[ReportRow]
    by_grid: list[ReportRow]
    total: ReportRow
    inspections_by_kind: dict[str, int] = field(default_factory=dict)
    hazards_by_severity: dict[str, int] = field(default_factory=dict)  # found in the month
    hazard_rows: list[Hazard] = field(default_factory=list)  # found in the month or still open at its end

    @property
    def title(self) -> str:
        return _("%(year)d年%(month)d月 巡查检查月报") % {"year": self.year, "month": self.month}


def parse_month(value: str | None) -> tuple[int, int]:
    """ "2026-05" → (2026, 5); empty → the current month; anything else → ValueError in words."""
    if not value:
        today = timezone.localdate()
        return today.year, today.month
    try:
        year, month = (int(part) for part in value.split("-"))
        date(year, month, 1)
    except ValueError:
        raise ValueError(_("月份格式应为 2026-05")) from None
    return year, month


def recent_months(count: int = 12, today: date | None = None) -> list[date]:
    """The first days of the last ``count`` months, newest first."""
    first = (today or timezone.localdate()).replace(day=1)
    months = []
    for _step in range(count):
        months.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return months


def monthly_report(year: int, month: int, *, apartments: QuerySet[Apartment] | None = None) -> MonthlyReport:
    """Counts, pass rates, patrol coverage and hazards of ``apartments`` (all blocks by default) in a month."""
    first = date(year, month, 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    as_of = min(last, timezone.localdate())
    start, end = end_of_day(first - timedelta(days=1)), end_of_day(as_of)
    blocks = list(
        (Apartment.objects.all() if apartments is None else apartments)
        .filter(is_active=True)
        .select_related("grid__community")
        .order_by("grid__code", "code")
    )
    ids = [a.pk for a in blocks]
    days = max((as_of - first).days + 1, 0)
    rows = {a.pk: ReportRow(name=a.name, grid=str(a.grid), days=days) for a in blocks}

    signed = Inspection.objects.filter(
        apartment_id__in=ids, status=Inspection.Status.SIGNED, signed_at__gte=start, signed_at__lt=end
    )
    for row in signed.values("apartment_id").annotate(n=Count("pk")):
        rows[row["apartment_id"]].inspections = row["n"]
    patrol_days = (
        signed.filter(kind=InspectionKind.PATROL)
        .annotate(day=TruncDate("signed_at", tzinfo=timezone.get_current_timezone()))
        .values("apartment_id")
        .annotate(n=Count("day", distinct=True))
    )
    for row in patrol_days:
        rows[row["apartment_id"]].patrol_days = row["n"]
    results = (
        InspectionResult.objects.filter(inspection__in=signed)
        .values("inspection__apartment_id")
        .annotate(
            passed=Count("pk", filter=Q(outcome=Outcome.PASS)),
            failed=Count("pk", filter=Q(outcome=Outcome.FAIL)),
        )
    )
    for row in results:
        target = rows[row["inspection__apartment_id"]]
        target.passed, target.failed = row["passed"], row["failed"]

    hazards = Hazard.objects.filter(apartment_id__in=ids)
    found = hazards.filter(created_at__gte=start, created_at__lt=end)
    open_at_end = hazards.filter(created_at__lt=end).filter(Q(closed_at__isnull=True) | Q(closed_at__gte=end))
    overdue_at_end = open_at_end.filter(deadline__lt=as_of)
    for qs, attr in (
        (found, "hazards_found"),
        (hazards.filter(closed_at__gte=start, closed_at__lt=end), "hazards_closed"),
        (open_at_end, "open_hazards"),
        (overdue_at_end, "overdue_hazards"),
    ):
        for row in qs.values("apartment_id").annotate(n=Count("pk")):
            setattr(rows[row["apartment_id"]], attr, row["n"])

    by_block = [rows[a.pk] for a in blocks]
    grids: dict[str, ReportRow] = {}
    for row in by_block:
        grid = grids.setdefault(row.grid, ReportRow(name=row.grid, grid=row.grid, blocks=0, days=days))
        grid.blocks += 1
        grid.add(row)
    total = ReportRow(name=_("合计"), blocks=len(by_block), days=days)
    for row in by_block:
        total.add(row)
    by_kind = {
        str(InspectionKind(row["kind"]).label): row["n"]
        for row in signed.values("kind").annotate(n=Count("pk")).order_by("kind")
    }
    by_severity = {str(label): found.filter(severity=value).count() for value, label in Severity.choices}
    hazard_rows = list(
        (found | open_at_end)
        .distinct()
        .select_related("apartment__grid__community", "responsible_company", "responsible_enterprise")
        .order_by("apartment__grid__code", "apartment__code", "created_at")
    )
    return MonthlyReport(
        year=year,
        month=month,
        as_of=as_of,
        by_block=by_block,
        by_grid=list(grids.values()),
        total=total,
        inspections_by_kind=by_kind,
        hazards_by_severity=by_severity,
        hazard_rows=hazard_rows,
    )


def _row_headers() -> list[str]:
    """The column headers of :func:`_row_values`, in the active language."""
    return [
        _("检查次数"),
        _("巡查天数"),
        _("巡查覆盖率"),
        _("合格项"),
        _("不合格项"),
        _("合格率"),
        _("新发现隐患"),
        _("本月销号"),
        _("未销号隐患"),
        _("逾期隐患"),
    ]


def _row_values(row: ReportRow) -> list:
    return [
        row.inspections,
        row.patrol_days,
        row.patrol_coverage,
        row.passed,
        row.failed,
        row.pass_rate,
        row.hazards_found,
        row.hazards_closed,
        row.open_hazards,
        row.overdue_hazards,
    ]


def _hazard_status(hazard: Hazard, as_of: date) -> str:
    if hazard.closed_at and timezone.localdate(hazard.closed_at) <= as_of:
        return str(Hazard.Status.CLOSED.label)
    if hazard.deadline < as_of:
        return _("逾期未整改")
    return str(hazard.get_status_display())


def report_xlsx(report: MonthlyReport) -> bytes:
    """The report as an Excel workbook: summary, per grid, per block, hazard list."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDEBF7")

    def table(sheet, headers: list[str], rows: list[list], percent_columns=()) -> None:
        sheet.append(headers)
        for cell in sheet[sheet.max_row]:
            cell.font, cell.fill = bold, head_fill
            cell.alignment = Alignment(horizontal="center")
        header_row = sheet.max_row
        for values in rows:
            sheet.append(values)
            for col in percent_columns:
                sheet.cell(row=sheet.max_row, column=col).number_format = "0.0%"
        sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
        for i, header in enumerate(headers, start=1):
            width = max([len(str(header)) * 2] + [len(str(r[i - 1] or "")) * 2 for r in rows[:200]])
            sheet.column_dimensions[get_column_letter(i)].width = min(max(width, 8), 48)

    summary = book.active
    summary.title = _("汇总")
    summary.append([report.title])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append([_("统计截至"), report.as_of.isoformat()])
    summary.append([_("公寓数"), report.total.blocks])
    summary.append([])
    table(summary, [_("项目"), *_row_headers()], [[_("合计"), *_row_values(report.total)]], percent_columns=(4, 7))
    summary.append([])
    summary.append([_("检查类型"), _("检查次数")])
    for label, n in report.inspections_by_kind.items():
        summary.append([label, n])
    summary.append([])
    summary.append([_("隐患等级 (本月发现)"), _("数量")])
    for label, n in report.hazards_by_severity.items():
        summary.append([label, n])

    table(
        book.create_sheet(_("按网格")),
        [_("网格"), _("公寓数"), *_row_headers()],
        [[r.name, r.blocks, *_row_values(r)] for r in report.by_grid],
        percent_columns=(5, 8),
    )
    table(
        book.create_sheet(_("按公寓")),
        [_("公寓"), _("网格"), *_row_headers()],
        [[r.name, r.grid, *_row_values(r)] for r in report.by_block],
        percent_columns=(5, 8),
    )
    table(
        book.create_sheet(_("隐患清单")),
        [_("公寓"), _("网格"), _("隐患"), _("等级"), _("来源"), _("发现日期"), _("整改期限"), _("责任方"), _("状态")],
        [
            [
                h.apartment.name,
                str(h.apartment.grid),
                h.title,
                str(h.get_severity_display()),
                str(h.get_source_display()),
                timezone.localdate(h.created_at).isoformat(),
                h.deadline.isoformat(),
                h.responsible_party,
                _hazard_status(h, report.as_of),
            ]
            for h in report.hazard_rows
        ],
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def report_pdf(report: MonthlyReport, *, compress: bool = True) -> bytes:
    """The report as an A4 PDF: summary, charts (pass rate and hazards per grid, severities), tables."""
    from reportlab.graphics.charts.piecharts import Pie
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    font = cjk_font()

    title_style = ParagraphStyle("title", fontName=font, fontSize=18, leading=24, spaceAfter=6)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=13, leading=18, spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=14)
    cell = ParagraphStyle("cell", fontName=font, fontSize=8, leading=10)

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=report.title,
        author=_("e智办"),
        pageCompression=1 if compress else 0,
    )
    story: list = [
        Paragraph(report.title, title_style),
        Paragraph(
            _("统计截至 %(day)s · 公寓 %(blocks)d 栋 · 生成于 %(now)s")
            % {
                "day": report.as_of.isoformat(),
                "blocks": report.total.blocks,
                "now": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
            },
            body,
        ),
        Spacer(1, 4 * mm),
    ]
    t = report.total
    story.append(
        _table(
            [
                [
                    _("检查次数"),
                    _("巡查覆盖率"),
                    _("合格率"),
                    _("新发现隐患"),
                    _("本月销号"),
                    _("未销号隐患"),
                    _("逾期隐患"),
                ],
                [
                    t.inspections,
                    _pct(t.patrol_coverage),
                    _pct(t.pass_rate),
                    t.hazards_found,
                    t.hazards_closed,
                    t.open_hazards,
                    t.overdue_hazards,
                ],
            ],
            cell,
        )
    )

    story += [Paragraph(_("各网格情况"), h2), grid_charts(report)]

    severities = [(label, n) for label, n in report.hazards_by_severity.items()]
    if any(n for _label, n in severities):
        pie_box = Drawing(120 * mm, 50 * mm)
        pie = Pie()
        pie.x, pie.y, pie.width, pie.height = 10 * mm, 5 * mm, 38 * mm, 38 * mm
        pie.data = [n for _label, n in severities]
        pie.labels = [f"{label} {n}" for label, n in severities]
        pie.simpleLabels = 1
        pie.slices.fontName = font
        pie.slices.fontSize = 8
        for i, color in enumerate(("#fbc02d", "#ef6c00", "#c62828")):
            pie.slices[i].fillColor = colors.HexColor(color)
        pie_box.add(pie)
        pie_box.add(String(60 * mm, 40 * mm, _("本月新发现隐患等级分布"), fontName=font, fontSize=10))
        story += [pie_box]

    story += [PageBreak(), Paragraph(_("按网格"), h2)]
    headers = _row_headers()
    grid_rows = [[_("网格"), _("公寓数"), *headers]] + [[g.name, g.blocks, *_pdf_values(g)] for g in report.by_grid]
    story.append(_table(grid_rows, cell))
    story += [Paragraph(_("按公寓"), h2)]
    block_rows = [[_("公寓"), _("网格"), *headers]] + [[b.name, b.grid, *_pdf_values(b)] for b in report.by_block]
    story.append(_table(block_rows, cell))
    if report.hazard_rows:
        story += [Paragraph(_("隐患清单"), h2)]
        rows = [[_("公寓"), _("隐患"), _("等级"), _("发现日期"), _("整改期限"), _("责任方"), _("状态")]] + [
            [
                h.apartment.name,
                h.title,
                str(h.get_severity_display()),
                timezone.localdate(h.created_at).isoformat(),
                h.deadline.isoformat(),
                h.responsible_party,
                _hazard_status(h, report.as_of),
            ]
            for h in report.hazard_rows[:500]
        ]
        story.append(_table(rows, cell))
    doc.build(story)
    return out.getvalue()


def grid_charts(report: MonthlyReport):
    """A drawing with two bar charts: pass rate per grid, and open / overdue hazards per grid."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors
    from reportlab.lib.units import mm

    font = cjk_font()

    grids = report.by_grid[:30]  # a chart stays readable up to about 30 bars
    # Many grids: "石桥社区 第1网格" → "石桥1" keeps the labels short and still distinct.
    labels = [g.name.replace("社区 第", "").replace("网格", "") if len(grids) > 8 else g.name for g in grids]
    chart_box = Drawing(250 * mm, 75 * mm)
    bars = VerticalBarChart()
    bars.x, bars.y, bars.width, bars.height = 15 * mm, 18 * mm, 110 * mm, 48 * mm
    bars.data = [[round((g.pass_rate or 0) * 100, 1) for g in grids] or [0]]
    bars.categoryAxis.categoryNames = labels or ["—"]
    bars.categoryAxis.labels.fontName = font
    bars.categoryAxis.labels.fontSize = 6
    bars.categoryAxis.labels.angle = 45 if len(grids) > 6 else 0
    bars.categoryAxis.labels.boxAnchor = "ne" if len(grids) > 6 else "n"
    bars.valueAxis.valueMin, bars.valueAxis.valueMax, bars.valueAxis.valueStep = 0, 100, 20
    bars.bars[0].fillColor = colors.HexColor("#2e7d32")
    chart_box.add(bars)
    chart_box.add(String(15 * mm, 70 * mm, _("各网格检查合格率 (%)"), fontName=font, fontSize=10))

    hazards = VerticalBarChart()
    hazards.x, hazards.y, hazards.width, hazards.height = 140 * mm, 18 * mm, 100 * mm, 48 * mm
    hazards.data = [[g.open_hazards for g in grids] or [0], [g.overdue_hazards for g in grids] or [0]]
    hazards.categoryAxis.categoryNames = labels or ["—"]
    hazards.categoryAxis.labels.fontName = font
    hazards.categoryAxis.labels.fontSize = 6
    hazards.categoryAxis.labels.angle = 45 if len(grids) > 6 else 0
    hazards.categoryAxis.labels.boxAnchor = "ne" if len(grids) > 6 else "n"
    hazards.valueAxis.valueMin = 0
    hazards.bars[0].fillColor = colors.HexColor("#f9a825")
    hazards.bars[1].fillColor = colors.HexColor("#c62828")
    chart_box.add(hazards)
    chart_box.add(String(140 * mm, 70 * mm, _("各网格未销号 / 逾期隐患"), fontName=font, fontSize=10))
    legend = Legend()
    legend.x, legend.y = 215 * mm, 72 * mm
    legend.fontName, legend.fontSize = font, 7
    legend.colorNamePairs = [(colors.HexColor("#f9a825"), _("未销号")), (colors.HexColor("#c62828"), _("逾期"))]
    chart_box.add(legend)
    return chart_box


def _pdf_values(row: ReportRow) -> list:
    values = _row_values(row)
    return [_pct(v) if i in (2, 5) else v for i, v in enumerate(values)]


def _table(rows: list[list], style):
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    data = [[Paragraph(str(value), style) for value in row] for row in rows]
    table = Table(data, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dDEBF7")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table
