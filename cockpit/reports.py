"""The weekly report (周报) of a block or of the viewer's area, as PDF (reportlab) and spreadsheet (openpyxl).

Both are drawn from the same ``weekly_data`` dictionary, itself read from the
precomputed figures, so the two files always agree with each other and with the screen.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from accounts.models import User
from apartments.models import Apartment
from cockpit.aggregates import refresh_figures
from cockpit.models import BlockFigures, BlockState
from cockpit.overview import area_name, block_row, blocks_for, day_sums
from cockpit.risk import kind_label
from shijiao.pdf import cjk_font


def weekly_data(user: User, *, apartment: Apartment | None, end: date) -> dict[str, Any]:
    """The seven days ending on ``end``: totals, a row per day, alarms by kind, and what to act on."""
    start = end - timedelta(days=6)
    if apartment is not None:
        scope = [apartment.pk]
        title = _("%(name)s（%(code)s）安全治理周报") % {"name": apartment.name, "code": apartment.code}
    else:
        scope = list(blocks_for(user).values_list("pk", flat=True))
        title = _("%(area)s流动人口公寓安全治理周报") % {"area": area_name(user)}
    refresh_figures(apartment_ids=scope, days=(timezone.localdate() - start).days + 1)  # a report is never stale
    sums = day_sums(scope, start, end)
    days = [start + timedelta(days=i) for i in range(7)]
    kinds = sorted({f[len("alarms:") :] for (_d, f) in sums if f.startswith("alarms:")})

    def total(day: date, prefix: str) -> int:
        return int(sum(v for (d, f), v in sums.items() if d == day and f.startswith(prefix)))

    daily = [
        {
            "day": d.isoformat(),
            "alarms": total(d, "alarms:"),
            "check_ins": int(sums.get((d, "check_ins"), 0)),
            "check_outs": int(sums.get((d, "check_outs"), 0)),
            "registrations": int(sums.get((d, "registrations"), 0)),
            "door": total(d, "door:"),
        }
        for d in days
    ]
    alarms_by_kind = [
        {"kind": k, "label": kind_label(k), "count": int(sum(sums.get((d, f"alarms:{k}"), 0) for d in days))}
        for k in kinds
    ]
    figs = list(BlockFigures.objects.filter(apartment_id__in=scope).select_related("apartment"))

    def add(attr: str) -> int | None:
        values = [getattr(f, attr) for f in figs if getattr(f, attr) is not None]
        return sum(values) if values else None

    residents = add("residents") or 0
    registered = add("registered")
    devices = add("devices") or 0
    summary = [
        (_("公寓数"), len(figs)),
        (_("在住人数"), residents),
        (_("已登记"), _show(registered)),
        (_("未登记"), _show(None if registered is None else max(residents - registered, 0))),
        (_("逾期未登记"), _show(add("registration_overdue"))),
        (_("已发居住证"), _show(add("permits"))),
        (_("设备在线"), f"{add('devices_online') or 0} / {devices}"),
        (_("本周报警"), sum(r["alarms"] for r in daily)),
        (_("未处置报警"), _show(add("alarms_open"))),
        (_("未整改隐患"), _show(add("hazards_open"))),
        (_("逾期隐患"), _show(add("hazards_overdue"))),
        (_("待回复诉求"), _show(add("feedback_open"))),
        (_("本周入住 / 退房"), f"{sum(r['check_ins'] for r in daily)} / {sum(r['check_outs'] for r in daily)}"),
    ]
    compare = _comparison(scope, start, end, daily)
    ranked = sorted(figs, key=lambda f: (-f.risk_score, f.apartment.code))
    to_act = [block_row(f) for f in ranked if f.risk_score > 0][:10]
    state_counts = {str(s.label): sum(1 for f in figs if f.state == s.value) for s in BlockState}
    return {
        "title": title,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "generated_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "summary": summary,
        "daily": daily,
        "alarms_by_kind": alarms_by_kind,
        "to_act": to_act,
        "states": state_counts,
        "single_block": apartment is not None,
        "compare": compare,
        "block_alarms": _block_alarms(scope, start, end),
        "written": _written_summary(daily, compare, figs, to_act, add),
    }


COMPARED = [
    ("alarms", gettext_lazy("报警")),
    ("check_ins", gettext_lazy("入住")),
    ("check_outs", gettext_lazy("退房")),
    ("registrations", gettext_lazy("居住登记")),
    ("door", gettext_lazy("门禁通行")),
]


def _comparison(scope: list[int], start: date, end: date, daily: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """This week against the week before (环比) and against the weekly average of the last 30 days."""
    sums = day_sums(scope, end - timedelta(days=29), start - timedelta(days=1))
    before = start - timedelta(days=7)

    def week(figure_prefix: str, first: date, last: date) -> float:
        return sum(v for (d, f), v in sums.items() if first <= d <= last and f.startswith(figure_prefix))

    prefixes = {"alarms": "alarms:", "check_ins": "check_ins", "check_outs": "check_outs",
                "registrations": "registrations", "door": "door:"}  # fmt: skip
    rows = []
    for key, label in COMPARED:
        this = sum(r[key] for r in daily)
        last = int(week(prefixes[key], before, start - timedelta(days=1)))
        month = round((week(prefixes[key], end - timedelta(days=29), start - timedelta(days=1)) + this) * 7 / 30, 1)
        rows.append({"key": key, "label": str(label), "this": this, "last": last, "change": _change(this, last),
                     "month_weekly": month, "vs_month": _change(this, month)})  # fmt: skip
    return rows


def _change(now: float, before: float) -> str:
    if not before:
        return "—" if not now else _("新增")
    return f"{100 * (now - before) / before:+.1f}%"


def _block_alarms(scope: list[int], start: date, end: date) -> list[dict[str, Any]]:
    """Each block's alarms raised in the week, blocks with the most first."""
    from alerts.models import Alert

    since = timezone.make_aware(datetime.combine(start, time.min))
    until = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))
    rows = (
        Alert.objects.filter(apartment_id__in=scope, raised_at__gte=since, raised_at__lt=until)
        .select_related("apartment")
        .order_by("apartment__code", "raised_at")
    )
    blocks: dict[int, dict[str, Any]] = {}
    for a in rows:
        block = blocks.setdefault(a.apartment_id, {"name": a.apartment.name, "code": a.apartment.code, "alarms": []})
        block["alarms"].append(
            {
                "at": timezone.localtime(a.raised_at).strftime("%m-%d %H:%M"),
                "title": a.title,
                "severity": str(a.get_severity_display()),
                "status": str(a.get_status_display()),
            }  # fmt: skip
        )
    return sorted(blocks.values(), key=lambda b: (-len(b["alarms"]), b["code"]))


def _written_summary(daily, compare, figs, to_act, add) -> str:
    """The week in a few sentences, numbers included."""
    by_key = {c["key"]: c for c in compare}
    alarms = by_key["alarms"]
    diff = alarms["this"] - alarms["last"]
    if diff > 0:
        trend = _("比上周多%(n)d起") % {"n": diff}
    elif diff < 0:
        trend = _("比上周少%(n)d起") % {"n": -diff}
    else:
        trend = _("与上周持平")
    parts = [
        _("本周共发生报警%(n)d起，%(trend)s，近30天平均每周%(month)s起。")
        % {"n": alarms["this"], "trend": trend, "month": alarms["month_weekly"]},
        _("新入住%(ins)d人，退房%(outs)d人，办理居住登记%(regs)d人。")
        % {
            "ins": by_key["check_ins"]["this"],
            "outs": by_key["check_outs"]["this"],
            "regs": by_key["registrations"]["this"],
        },  # fmt: skip
        _("截至目前，仍有%(open)s起报警未处置，%(hazards)s项隐患未整改（其中%(overdue)s项已逾期）。")
        % {
            "open": _show(add("alarms_open")),
            "hazards": _show(add("hazards_open")),
            "overdue": _show(add("hazards_overdue")),
        },  # fmt: skip
    ]
    if to_act:
        top = to_act[0]
        parts.append(_("风险最高的是%(name)s（风险分%(score)d），请优先处置。") % {"name": top["name"],
                     "score": top["risk_score"]})  # fmt: skip
    return "".join(parts)


def _show(value: int | None) -> int | str:
    return _("待接入") if value is None else value


def _period(data: dict[str, Any]) -> str:
    return _("统计周期：%(start)s 至 %(end)s　生成时间：%(generated_at)s") % data


def _reasons(row: dict[str, Any]) -> str:
    return pgettext("between the reasons of a report row", "；").join(row["risk_reasons"])


def _daily_header() -> list[str]:
    return [
        _("日期"),
        pgettext("count of", "报警"),
        pgettext("count of", "入住"),
        pgettext("count of", "退房"),
        pgettext("count of", "居住登记"),
        pgettext("count of", "门禁通行"),
    ]


# --- PDF ------------------------------------------------------------------------------------------


def render_pdf(data: dict[str, Any]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = cjk_font()

    title = ParagraphStyle("t", fontName=font, fontSize=18, leading=24, spaceAfter=4)
    h2 = ParagraphStyle("h", fontName=font, fontSize=13, leading=18, spaceBefore=8, spaceAfter=4, keepWithNext=1)
    body = ParagraphStyle("b", fontName=font, fontSize=9.5, leading=13)
    grid = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), font, 9),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#8899aa")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6f0")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]
    )
    story: list = [
        Paragraph(data["title"], title),
        Paragraph(_period(data), body),
        Spacer(1, 3 * mm),
        Paragraph(data["written"], body),
        Spacer(1, 2 * mm),
        Paragraph(_("一、总体情况"), h2),
    ]
    pairs = data["summary"]
    cell = ParagraphStyle("c", parent=body, fontSize=9.5)  # labels wrap: English ones are longer than their column
    rows = [[Paragraph(pairs[i][0], cell), str(pairs[i][1]),
             *([Paragraph(pairs[i + 1][0], cell), str(pairs[i + 1][1])] if i + 1 < len(pairs) else ["", ""])]
            for i in range(0, len(pairs), 2)]  # fmt: skip
    summary_table = Table(rows, colWidths=[38 * mm, 42 * mm, 38 * mm, 42 * mm])
    summary_style = [("FONT", (0, 0), (-1, -1), font, 9.5), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
    summary_table.setStyle(TableStyle([*summary_style, *grid.getCommands()[1:2]]))
    head = ParagraphStyle("th", parent=body, fontSize=9, leading=11)  # headings and labels wrap in English too
    compare_rows = [
        [Paragraph(h, head) for h in (_("指标"), _("本周"), _("上周"), _("环比"), _("近30天周均"), _("较周均"))]
    ] + [
        [Paragraph(c["label"], head), c["this"], c["last"], c["change"], c["month_weekly"], c["vs_month"]]
        for c in data["compare"]
    ]
    compare_table = Table(compare_rows, colWidths=[38 * mm, 20 * mm, 20 * mm, 24 * mm, 30 * mm, 24 * mm])
    compare_table.setStyle(grid)
    story += [summary_table, Paragraph(_("与上周、近30天比较"), h2), compare_table]
    story += [Paragraph(_("二、每日走势"), h2), _daily_chart(data), Spacer(1, 2 * mm)]
    daily_rows = [_daily_header()] + [
        [r["day"], r["alarms"], r["check_ins"], r["check_outs"], r["registrations"], r["door"]] for r in data["daily"]
    ]
    daily_table = Table(daily_rows, colWidths=[30 * mm] + [26 * mm] * 5, repeatRows=1)
    daily_table.setStyle(grid)
    story += [daily_table, Paragraph(_("三、报警分类"), h2)]
    if data["alarms_by_kind"]:
        story.append(_kind_chart(data))
    else:
        story.append(Paragraph(_("本周无报警记录。"), body))
    story.append(
        Paragraph(_("四、需重点关注") if data["single_block"] else _("四、本周需重点处置的公寓（风险前十）"), h2)
    )
    if data["to_act"]:
        act_rows = [[_("公寓"), _("状态"), _("风险分"), _("原因")]] + [
            [
                Paragraph(r["name"], body),
                Paragraph(r["state_label"], body),
                r["risk_score"],
                Paragraph(_reasons(r) or "—", body),
            ]
            for r in data["to_act"]
        ]
        act = Table(act_rows, colWidths=[40 * mm, 18 * mm, 16 * mm, 86 * mm], repeatRows=1)
        act.setStyle(grid)
        story.append(act)
    else:
        story.append(Paragraph(_("无需重点处置的公寓。"), body))
    story.append(Paragraph(_("五、各公寓本周报警"), h2))
    if data["block_alarms"]:
        alarm_rows = [[_("公寓"), _("时间"), _("报警"), _("级别"), _("状态")]]
        for b in data["block_alarms"]:
            for i, a in enumerate(b["alarms"]):
                alarm_rows.append([Paragraph(b["name"], body) if i == 0 else "", a["at"], Paragraph(a["title"], body),
                                   a["severity"], a["status"]])  # fmt: skip
        alarm_table = Table(alarm_rows, colWidths=[40 * mm, 24 * mm, 56 * mm, 18 * mm, 22 * mm], repeatRows=1)
        alarm_table.setStyle(grid)
        story.append(alarm_table)
    else:
        story.append(Paragraph(_("本周无报警记录。"), body))
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm, bottomMargin=18 * mm
    )
    doc.title = data["title"]
    doc.build(story, canvasmaker=_numbered_canvas(font))
    return out.getvalue()


def _numbered_canvas(font: str):
    """A canvas that writes "第 n 页，共 m 页" at the foot of every page (m known once all pages are laid out)."""
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    class Numbered(canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(font, 8.5)
                footer = _("第 %(page)d 页，共 %(pages)d 页") % {"page": self._pageNumber, "pages": total}
                self.drawCentredString(self._pagesize[0] / 2, 10 * mm, footer)
                super().showPage()
            super().save()

    return Numbered


def _daily_chart(data: dict[str, Any]):
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    font = cjk_font()

    drawing = Drawing(460, 170)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 30, 300, 120
    chart.data = [
        [r["alarms"] for r in data["daily"]],
        [r["check_ins"] for r in data["daily"]],
        [r["check_outs"] for r in data["daily"]],
        [r["registrations"] for r in data["daily"]],
    ]
    chart.categoryAxis.categoryNames = [r["day"][5:] for r in data["daily"]]
    chart.categoryAxis.labels.fontName = font
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.valueMin = 0
    palette = [colors.HexColor(c) for c in ("#e5484d", "#3e9bff", "#f5a524", "#30c48d")]
    for i, color in enumerate(palette):
        chart.bars[i].fillColor = color
        chart.bars[i].strokeColor = None
    legend = Legend()
    legend.x, legend.y = 360, 130
    legend.fontName = font
    legend.fontSize = 8
    legend.columnMaximum = 4
    legend.colorNamePairs = list(zip(palette, _daily_header()[1:5], strict=True))
    drawing.add(chart)
    drawing.add(legend)
    return drawing


def _kind_chart(data: dict[str, Any]):
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    font = cjk_font()

    kinds = data["alarms_by_kind"]
    drawing = Drawing(460, 30 + 22 * len(kinds))
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 90, 10, 330, 20 * len(kinds)
    chart.data = [[k["count"] for k in kinds]]
    chart.categoryAxis.categoryNames = [k["label"] for k in kinds]
    chart.categoryAxis.labels.fontName = font
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#e5484d")
    drawing.add(chart)
    return drawing


# --- spreadsheet ---------------------------------------------------------------------------------


def render_xlsx(data: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("总体情况")
    ws.append([data["title"]])
    ws["A1"].font = Font(size=14, bold=True)
    ws.append([_("统计周期：%(start)s 至 %(end)s") % data, _("生成时间：%(generated_at)s") % data])
    ws.append([])
    ws.append([pgettext("report column", "指标"), pgettext("report column", "数值")])
    for label, value in data["summary"]:
        ws.append([label, value])
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 16

    days = wb.create_sheet(_("每日走势"))
    days.append(_daily_header())
    for r in data["daily"]:
        days.append([r["day"], r["alarms"], r["check_ins"], r["check_outs"], r["registrations"], r["door"]])
    chart = BarChart()
    chart.title = _("每日报警、入住、退房与登记")
    chart.y_axis.title = _("次数")
    chart.add_data(
        Reference(days, min_col=2, max_col=5, min_row=1, max_row=len(data["daily"]) + 1), titles_from_data=True
    )
    chart.set_categories(Reference(days, min_col=1, min_row=2, max_row=len(data["daily"]) + 1))
    chart.width, chart.height = 20, 9
    days.add_chart(chart, "H2")
    days.column_dimensions["A"].width = 12

    kinds = wb.create_sheet(_("报警分类"))
    kinds.append([_("报警类型"), _("次数")])
    for k in data["alarms_by_kind"]:
        kinds.append([k["label"], k["count"]])
    if data["alarms_by_kind"]:
        kc = BarChart()
        kc.type = "bar"
        kc.title = _("本周报警分类")
        kc.add_data(
            Reference(kinds, min_col=2, min_row=1, max_row=len(data["alarms_by_kind"]) + 1), titles_from_data=True
        )
        kc.set_categories(Reference(kinds, min_col=1, min_row=2, max_row=len(data["alarms_by_kind"]) + 1))
        kinds.add_chart(kc, "D2")

    act = wb.create_sheet(_("重点处置"))
    act.append([_("编号"), _("公寓"), _("状态"), _("风险分"), _("原因")])
    for r in data["to_act"]:
        act.append([r["code"], r["name"], r["state_label"], r["risk_score"], _reasons(r)])
    act.column_dimensions["B"].width = 24
    act.column_dimensions["E"].width = 70

    cmp_ws = wb.create_sheet(_("环比"))
    cmp_ws.append([_("指标"), _("本周"), _("上周"), _("环比"), _("近30天周均"), _("较周均")])
    for c in data["compare"]:
        cmp_ws.append([c["label"], c["this"], c["last"], c["change"], c["month_weekly"], c["vs_month"]])
    cmp_ws.append([])
    cmp_ws.append([data["written"]])
    cmp_ws.column_dimensions["A"].width = 16

    per_block = wb.create_sheet(_("各公寓报警"))
    per_block.append([_("编号"), _("公寓"), _("时间"), _("报警"), _("级别"), _("状态")])
    for b in data["block_alarms"]:
        for a in b["alarms"]:
            per_block.append([b["code"], b["name"], a["at"], a["title"], a["severity"], a["status"]])
    per_block.column_dimensions["B"].width = 24
    per_block.column_dimensions["D"].width = 36
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
