"""Excel export of a filtered case list (DESIGN.md §6: units keep lists in Excel).

A write-only openpyxl workbook streams rows from a server-side cursor into a temporary file, so a list of
hundreds of thousands of cases costs constant memory; the file is then streamed to the browser.
"""

from __future__ import annotations

import datetime as dt
import tempfile

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from wenming.core import clock, workcal

from .models import Case
from .selectors import LIST_RELATED
from .workflow import SATISFACTION_LABELS

EXCEL_MAX_ROWS = 1_048_575  # one sheet's rows less the header
HEADERS = (
    "查询码", "标题", "大类", "问题类别", "问题描述", "地址", "区县", "街道", "来源渠道", "状态", "责任单位",
    "上报时间", "派遣时间", "处置时限", "办结时间", "是否超期", "已督办", "已曝光", "返工次数", "退单次数", "延期次数",
    "满意度",
)
WIDTHS = (20, 16, 10, 14, 40, 24, 10, 14, 10, 10, 18, 17, 17, 17, 17, 8, 8, 8, 8, 8, 8, 10)


def _local(moment: dt.datetime | None):
    # Excel has no time zones: write the deployment's local time, as the pages show it.
    return moment.astimezone(workcal.tz()).replace(tzinfo=None) if moment else None


def case_row(case: Case, now: dt.datetime) -> list:
    yes, no = _("是"), _("否")
    return [
        case.tracking_code,
        case.title,
        case.category.main_class,
        case.category.name,
        case.description,
        case.address,
        case.district.name if case.district_id else "",
        case.street.name if case.street_id else "",
        case.get_channel_display(),
        case.get_status_display(),
        case.assigned_unit.name if case.assigned_unit_id else "",
        _local(case.created_at),
        _local(case.dispatched_at),
        _local(case.due_at),
        _local(case.closed_at),
        yes if case.is_overdue(now) else no,
        yes if case.is_supervised else no,
        yes if case.is_exposed else no,
        case.rework_count,
        case.return_count,
        case.extension_count,
        str(SATISFACTION_LABELS[case.satisfaction]) if case.satisfaction in SATISFACTION_LABELS else "",
    ]


def write_cases_workbook(qs: QuerySet[Case], handle, *, title: str = "") -> int:
    """Write `qs` (already filtered and ordered) to `handle` as .xlsx; returns the number of case rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=(title or _("案件清单"))[:31])
    ws.freeze_panes = "A2"
    for i, width in enumerate(WIDTHS):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    bold = Font(bold=True)
    header = []
    for h in HEADERS:
        cell = WriteOnlyCell(ws, value=_(h))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    now = clock.now()
    n = 0
    for case in qs.select_related(*LIST_RELATED).iterator(chunk_size=2000):
        if n >= EXCEL_MAX_ROWS:
            break
        ws.append([_safe_cell(ws, v) for v in case_row(case, now)])
        n += 1
    wb.save(handle)
    return n


def _safe_cell(ws, value):
    """Reporters' text is data, never a formula: openpyxl would store "=…" as one (CSV/Excel injection)."""
    if isinstance(value, str) and value.startswith("="):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    if isinstance(value, dt.datetime):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    return value


def cases_workbook_file(qs: QuerySet[Case], *, title: str = ""):
    """A temporary file holding the workbook, positioned at the start (the caller streams and closes it)."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    write_cases_workbook(qs, handle, title=title)
    handle.seek(0)
    return handle
