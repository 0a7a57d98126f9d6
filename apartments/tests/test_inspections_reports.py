"""The monthly report: counts, pass rates, patrol coverage, open and overdue hazards; spreadsheet and PDF."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Role
from apartments.hazards import hazard_create
from apartments.models import Hazard, Inspection, InspectionKind, InspectionResult, Outcome
from apartments.reports import monthly_report, parse_month, report_pdf, report_xlsx
from apartments.scoping import apartments_for
from conftest import assert_cjk_font_embedded

pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 10, month: int = 4) -> datetime:
    return timezone.make_aware(datetime(2026, month, day, hour))


def signed(apartment, kind, inspector, when, outcomes):
    from apartments.models import ChecklistTemplate

    template = ChecklistTemplate.objects.filter(kind=kind).first()
    inspection = Inspection.objects.create(
        apartment=apartment,
        template=template,
        kind=kind,
        inspector=inspector,
        status=Inspection.Status.SIGNED,
        signed_at=when,
    )
    for item, outcome in zip(template.items.all(), outcomes, strict=False):
        InspectionResult.objects.create(inspection=inspection, item=item, text=item.text, outcome=outcome)
    return inspection


@pytest.fixture
def april(district, checklists):
    """April 2026: two patrols of block 6 (one late at night), a fire check of block 9, three hazards."""
    worker, fire = district.users[Role.GRID_WORKER], district.users[Role.INSPECTOR]
    P, F, N = Outcome.PASS, Outcome.FAIL, Outcome.NOT_APPLICABLE
    signed(district.mine, InspectionKind.PATROL, worker, at(1), [P, P, F, P, P, P, P, N])
    signed(district.mine, InspectionKind.PATROL, worker, at(2, 23), [P, P, P, P, P, P, P, P])
    signed(district.other, InspectionKind.FIRE, fire, at(15), [P, F, F, P, P, P, P, P])
    signed(district.mine, InspectionKind.PATROL, worker, at(1, month=5), [F] * 8)  # May: not counted

    def hazard(apartment, title, created, deadline, closed=None):
        h = hazard_create(apartment=apartment, kind="patrol", title=title, created_by=worker, deadline=deadline)
        Hazard.objects.filter(pk=h.pk).update(
            created_at=created,
            closed_at=closed,
            status=Hazard.Status.CLOSED if closed else Hazard.Status.OPEN,
        )
        return h

    hazard(district.mine, "飞线充电", at(1), date(2026, 4, 2))  # still open: overdue at month end
    hazard(district.mine, "堵塞通道", at(2), date(2026, 4, 9), closed=at(5))  # found and closed in April
    hazard(district.other, "灭火器过期", at(15), date(2026, 5, 5))  # open, not yet due at month end
    hazard(district.other, "三月旧账", at(20, month=3), date(2026, 3, 27), closed=at(3, month=5))  # open all April
    return district


def test_it_counts_the_month_per_block_and_per_grid(april):
    report = monthly_report(2026, 4)
    assert report.as_of == date(2026, 4, 30)
    mine, other = (
        next(r for r in report.by_block if r.name == name) for name in ("新华工业园6号公寓", "华丰工业园9号公寓")
    )
    assert (mine.inspections, mine.patrol_days, mine.days) == (2, 2, 30)
    assert (mine.passed, mine.failed) == (14, 1)  # "not applicable" counts neither way
    assert mine.pass_rate == pytest.approx(14 / 15)
    assert (mine.hazards_found, mine.hazards_closed, mine.open_hazards, mine.overdue_hazards) == (2, 1, 1, 1)
    assert (other.inspections, other.patrol_days, other.passed, other.failed) == (1, 0, 6, 2)
    assert (other.hazards_found, other.open_hazards, other.overdue_hazards) == (1, 2, 1)
    assert len(report.by_grid) == 2 and {g.blocks for g in report.by_grid} == {1}
    assert report.total.inspections == 3 and report.total.open_hazards == 3 and report.total.overdue_hazards == 2
    assert report.total.patrol_coverage == pytest.approx(2 / 60)
    assert report.inspections_by_kind == {"网格员日常巡查": 2, "消防安全检查": 1}
    assert report.hazards_by_severity == {"一般隐患": 3, "较大隐患": 0, "重大隐患": 0}
    assert {h.title for h in report.hazard_rows} == {"飞线充电", "堵塞通道", "灭火器过期", "三月旧账"}


def test_a_grid_worker_gets_the_report_of_their_own_grid_only(april):
    report = monthly_report(2026, 4, apartments=apartments_for(april.users[Role.GRID_WORKER]))
    assert [r.name for r in report.by_block] == ["新华工业园6号公寓"]
    assert report.total.inspections == 2


def test_the_spreadsheet_holds_the_summary_grids_blocks_and_hazards(april):
    book = load_workbook(io.BytesIO(report_xlsx(monthly_report(2026, 4))))
    assert book.sheetnames == ["汇总", "按网格", "按公寓", "隐患清单"]
    assert book["汇总"]["A1"].value == "2026年4月 巡查检查月报"
    blocks = {row[0]: row for row in book["按公寓"].iter_rows(min_row=2, values_only=True)}
    header = [c.value for c in book["按公寓"][1]]
    mine = dict(zip(header, blocks["新华工业园6号公寓"], strict=True))
    assert mine["检查次数"] == 2 and mine["巡查天数"] == 2 and mine["逾期隐患"] == 1
    assert mine["合格率"] == pytest.approx(14 / 15)
    assert book["按公寓"].cell(row=2, column=header.index("合格率") + 1).number_format == "0.0%"
    hazards = list(book["隐患清单"].iter_rows(min_row=2, values_only=True))
    status = {row[2]: row[-1] for row in hazards}
    assert status == {"飞线充电": "逾期未整改", "堵塞通道": "已销号", "灭火器过期": "待整改", "三月旧账": "逾期未整改"}


def pdf_text(data: bytes) -> str:
    """The text a reader shows (pypdf maps the embedded font's glyphs back through the PDF's ToUnicode table)."""
    import io

    from pypdf import PdfReader

    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_pdf_has_the_title_charts_and_tables_in_chinese(april):
    data = report_pdf(monthly_report(2026, 4), compress=False)
    assert data.startswith(b"%PDF-")
    assert data.count(b"/Type /Page\n") >= 2
    text = pdf_text(data)
    for words in (
        "2026年4月 巡查检查月报",
        "各网格检查合格率",
        "各网格未销号 / 逾期隐患",
        "按公寓",
        "隐患清单",
        "飞线充电",
    ):
        assert words in text, words
    assert "新华工业园6号公寓" in text
    assert_cjk_font_embedded(data)


def test_it_parses_months_and_refuses_nonsense():
    assert parse_month("2026-04") == (2026, 4)
    with pytest.raises(ValueError, match="月份格式应为 2026-05"):
        parse_month("2026-13")


def test_the_command_writes_the_report_file(april, tmp_path, capsys):
    from django.core.management import CommandError, call_command

    out = tmp_path / "april.xlsx"
    call_command("inspection_report", "--month", "2026-04", "--out", str(out))
    assert out.read_bytes()[:2] == b"PK"
    assert "2 blocks, 3 inspections, 3 open hazards (2 overdue)" in capsys.readouterr().out
    with pytest.raises(CommandError, match="月份格式应为"):
        call_command("inspection_report", "--month", "April")
