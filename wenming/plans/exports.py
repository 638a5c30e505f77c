"""The office board (seed §41 督查督办): lagging, overdue and unreported targets by lead unit and by leader,
as page data and as an Excel workbook."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from . import status as st
from .models import Measure, Plan, Target


@dataclasses.dataclass
class BoardRow:
    target: Target
    result: st.StatusResult


@dataclasses.dataclass
class BoardGroup:
    name: str
    pk: int | None
    rows: list[BoardRow]

    @property
    def counts(self) -> dict[str, int]:
        return {s.value: sum(1 for r in self.rows if r.result.status == s) for s in st.LAGGING}


@dataclasses.dataclass
class Board:
    plan: Plan
    today: dt.date
    by_unit: list[BoardGroup]
    by_leader: list[BoardGroup]
    counts: dict
    total: int


def plan_targets(plan: Plan):
    """Targets of ``plan`` with what pages and the board show about them, in a fixed small number of queries."""
    measures = Measure.objects.select_related("responsibility", "plan").prefetch_related(
        "responsibility__lead_units", "responsibility__lead_leaders", "responsibility__member_units"
    )
    return (
        Target.objects.filter(measure__plan=plan)
        .prefetch_related(Prefetch("measure", queryset=measures))
        .order_by("measure__number", "order", "pk")
    )


def board_for(plan: Plan, today: dt.date) -> Board:
    targets = list(plan_targets(plan))
    results = st.statuses_for(targets, today)
    units: dict[int | None, BoardGroup] = {}
    leaders: dict[int | None, BoardGroup] = {}
    for t in targets:
        t.value_text = st.fmt_num(t.value)
        res = results[t.pk]
        if not res.is_lagging:
            continue
        row = BoardRow(t, res)
        resp = getattr(t.measure, "responsibility", None)
        lead_units = list(resp.lead_units.all()) if resp else []
        lead_leaders = list(resp.lead_leaders.all()) if resp else []
        for u in lead_units or [None]:
            key = u.pk if u else None
            units.setdefault(key, BoardGroup(u.name if u else _("（未明确牵头单位）"), key, [])).rows.append(row)
        for leader in lead_leaders or [None]:
            key = leader.pk if leader else None
            leaders.setdefault(key, BoardGroup(leader.name if leader else _("（未明确牵头领导）"), key, [])).rows.append(row)

    def ordered(groups):
        return sorted(groups.values(), key=lambda g: (-len(g.rows), g.pk is None, g.name))

    return Board(plan, today, ordered(units), ordered(leaders), st.count_statuses(results.values()), len(targets))


HEADERS = ("措施", "目标", "目标值", "计量单位", "完成时限", "状态", "最新报送值", "当前应达值", "最近报送期")


def _row(group: BoardGroup, r: BoardRow) -> list:
    t, res = r.target, r.result
    latest = res.latest_report
    return [
        group.name,
        str(t.measure),
        t.metric,
        float(t.value) if t.value is not None else _("节点"),
        t.unit,
        res.deadline,
        str(res.status.label),
        float(res.latest_value) if res.latest_value is not None else None,
        float(round(res.expected_value, 2)) if res.expected_value is not None else None,
        latest.period_start.strftime("%Y-%m") if latest is not None else None,
    ]


def board_workbook(board: Board) -> bytes:
    """Two sheets, 按单位 and 按领导, one row per lagging target per group, Chinese headers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    sheets = [
        (wb.active, _("按单位"), _("牵头单位"), board.by_unit),
        (wb.create_sheet(), _("按领导"), _("牵头领导"), board.by_leader),
    ]
    fills = {s.value: PatternFill("solid", fgColor=st.STATUS_COLORS[s].lstrip("#")) for s in st.LAGGING}
    for ws, title, first, groups in sheets:
        ws.title = title
        ws.append([first, *[_(h) for h in HEADERS]])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for group in groups:
            for r in group.rows:
                ws.append(_row(group, r))
                status_cell = ws.cell(row=ws.max_row, column=7)
                status_cell.fill = fills[r.result.status.value]
                status_cell.font = Font(color="FFFFFF")
                ws.cell(row=ws.max_row, column=6).number_format = "yyyy-mm-dd"
        ws.freeze_panes = "A2"
        for i, width in enumerate((22, 28, 30, 10, 10, 12, 10, 12, 12, 12), start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.auto_filter.ref = ws.dimensions
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
