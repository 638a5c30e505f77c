"""Snapshot → Excel workbook: a 概况 sheet (what, when, which version, headline figures, corrections) and one
sheet per table, numbers kept as numbers so they sort and sum (DESIGN.md §6)."""

from __future__ import annotations

import io
import re

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

HEADER_FILL = PatternFill("solid", fgColor="F3E5E5")
DASH = "—"
_BAD = re.compile(r"[\[\]:*?/\\]")


def _value(v):
    return DASH if v is None else v


def _sheet_name(name: str, taken: set[str]) -> str:
    base = _BAD.sub("", name)[:28] or "Sheet"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base[:26]}{n}", n + 1
    taken.add(candidate)
    return candidate


def _header(ws, row: int = 1) -> None:
    for c in ws[row]:
        c.font = Font(bold=True)
        c.fill = HEADER_FILL
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def render_xlsx(snapshot: dict, *, meta: dict | None = None) -> bytes:
    """`meta`: version, status and document number as they stand when the file is written."""
    wb = Workbook()
    about = wb.active
    taken = {_("概况")}
    about.title = _("概况")
    meta = meta or {}
    document = snapshot.get("document") or {}
    about.append([snapshot.get("title", "")])
    about["A1"].font = Font(bold=True, size=14)
    rows = [
        (_("产品"), snapshot.get("kind_label", "")),
        (_("统计周期"), snapshot.get("period", {}).get("label", "")),
        (_("发文机关"), snapshot.get("issuer", "")),
        (_("发文字号"), document.get("number") or _("（未发布，无文号）")),
        (_("发布日期"), document.get("date_text") or "—"),
        (_("版本"), meta.get("version", "")),
        (_("状态"), meta.get("status", "")),
        (_("数据生成时间"), snapshot.get("generated_at", "")),
    ]
    for row in rows:
        about.append(list(row))
    corr = snapshot.get("correction")
    if corr:
        about.append([_("更正说明"), _("更正第%(o)s版：%(n)s") % {"o": corr.get("of_version"), "n": corr.get("note", "")}])
        for label, old, new in corr.get("changes") or []:
            about.append([_("更正项"), label, _value(old), _value(new)])
    about.append([])
    about.append([_("主要数据"), _("数值")])
    _header(about, about.max_row)
    for label, value in snapshot.get("headline", []):
        about.append([label, _value(value)])
    about.column_dimensions["A"].width = 30
    about.column_dimensions["B"].width = 60
    for block in snapshot.get("blocks", []):
        if block.get("type") != "table":
            continue
        ws = wb.create_sheet(_sheet_name(block.get("sheet") or block.get("title", ""), taken))
        ws.append(list(block["columns"]))
        _header(ws)
        for r in block["rows"]:
            ws.append([_value(v) for v in r])
        ws.freeze_panes = "C2" if len(block["columns"]) > 4 else "A2"
        for i, col in enumerate(block["columns"], start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(str(col)) * 2 + 2))
        ws.column_dimensions["B"].width = 28
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
