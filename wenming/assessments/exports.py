"""The metric table as an Excel workbook (DESIGN.md §6: Excel wherever units already keep lists in Excel)."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from wenming.core import clock

from . import metrics

if TYPE_CHECKING:
    from .views import Dashboard

HEADER_FILL = PatternFill("solid", fgColor="F3E5E5")
DASH = "—"


def cell_value(row: metrics.MetricRow, attr: str):
    """What a table shows for `attr`: numbers stay numbers (so Excel can sort and sum), missing is "—"."""
    value = getattr(row, attr)
    if value is None:
        return DASH
    if isinstance(value, Decimal):
        return float(value)
    return value


def _sheet(wb: Workbook, title: str, rows: list[metrics.MetricRow], ranking: metrics.Ranking | None, first: str):
    ws = wb.create_sheet(title)
    headers = [_("排名"), first] + [str(label) for _attr, label in metrics.COLUMNS]
    ws.append(headers)
    for c in ws[1]:
        c.font = Font(bold=True)
        c.fill = HEADER_FILL
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    if ranking is not None:
        ordered = ranking.ranked + ranking.insufficient + [r for r in rows if r.key is None]
    else:
        ordered = rows
    short = {id(r) for r in ranking.insufficient} if ranking else set()
    for r in ordered:
        rank = r.rank if r.rank is not None else (_("案件数不足，不参与排名") if id(r) in short else DASH)
        ws.append([rank, r.name] + [cell_value(r, attr) for attr, _label in metrics.COLUMNS])
    ws.freeze_panes = "C2"
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 24
    for i in range(3, len(headers) + 1):
        ws.column_dimensions[get_column_letter(i)].width = 11


def metrics_workbook(d: Dashboard, *, street_rows: list[metrics.MetricRow] | None = None) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, _("按单位"), d.units, d.unit_ranking, _("责任单位"))
    _sheet(wb, _("按区县"), d.districts, d.district_ranking, _("区县"))
    if street_rows is not None:
        if d.scheme:
            metrics.score_rows(street_rows, d.scheme)
        _sheet(wb, _("按街道"), street_rows, metrics.rank(street_rows, d.scheme) if d.scheme else None, _("街道"))
    about = wb.create_sheet(_("说明"))
    about.append([_("统计周期"), d.period.label])
    about.append([_("导出时间"), clock.now().strftime("%Y-%m-%d %H:%M")])
    if d.scheme:
        s = d.scheme
        about.append([_("考核方案"), str(s)])
        about.append([_("参与排名最低案件数（应结案数）"), s.min_cases])
        about.append([_("案件量得分"), _("满分 %(p)s，应结案数达 %(n)s 件得满分") % {"p": s.volume_points, "n": s.volume_full_count}])
        for key, weight in s.weights.items():
            about.append([_("权重：%(k)s") % {"k": str(dict(metrics.COLUMNS)[key])}, float(weight)])
        about.append([_("等级"), "；".join(f"{b['grade']} ≥ {b['min']}" for b in s.grade_bands) + f"；{s.lowest_grade}"])
    about.append([])
    for line in DEFINITIONS():
        about.append([line[0], line[1]])
    about.column_dimensions["A"].width = 28
    about.column_dimensions["B"].width = 100
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def DEFINITIONS() -> list[tuple[str, str]]:  # noqa: N802 - reads as a table
    """The definitions printed with every table (metrics.py docstring, in short)."""
    return [
        (_("立案数"), _("统计期内立案的案件数")),
        (_("应结案数"), _("按期结案时间或处置时限落在统计期内的案件数（每件只计入一个统计期；挂账案件不计）")),
        (_("结案率"), _("结案数 ÷ 应结案数")),
        (_("按期结案率"), _("处置时限内结案数 ÷ 应结案数")),
        (_("按期处置率"), _("处置时限内处置反馈（核查通过或待核查）数 ÷ 应处置数")),
        (_("超期数"), _("处置时限已过仍未处置反馈的案件数")),
        (_("返工率"), _("核查不通过（返工）过的案件数 ÷ 应结案数")),
        (_("退单率"), _("退单数 ÷ 收到派遣数（退单计入退单单位）")),
        (_("延期率"), _("获批延期的案件数 ÷ 应结案数")),
        (_("满意率"), _("回访满意（含基本满意，可配置）数 ÷ 回访数；重办计为一次不满意回访")),
        (_("平均处置时长"), _("派遣至处置反馈的工作时长（扣除节假日、调休和非工作时段）")),
        (_("综合指标值"), _("案件量得分 + Σ 权重 × 指标；分母为零的指标记为“—”，不计 0 分")),
    ]
