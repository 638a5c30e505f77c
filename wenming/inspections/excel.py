"""Excel in and out (DESIGN.md §6: units keep point lists in Excel).

Import: every row is checked first; any error refuses the whole file and names the row (第N行), nothing saved.
Rows update a point of the same type and name or add one; an import never deletes (STYLE.md: refuse mass
deletions — points leave a list by being marked 不启用).
"""

from __future__ import annotations

import dataclasses
import io
import math

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from wenming.accounts.models import OrgUnit

from .models import InspectionPoint, PointType

HEADERS = ["点位类型", "点位名称", "地址", "纬度", "经度", "责任单位", "启用"]
EXPORT_HEADERS = HEADERS + ["单元网格", "街道", "区县"]
MAX_ROWS = 20000
TRUE_WORDS = {"", "是", "启用", "1", "true", "yes", "y", "√"}
FALSE_WORDS = {"否", "停用", "不启用", "0", "false", "no", "n", "×"}


class ImportRefused(Exception):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclasses.dataclass
class PointRow:
    row: int
    point_type: PointType
    name: str
    address: str
    lat: float
    lng: float
    responsible_unit: OrgUnit | None
    is_active: bool


@dataclasses.dataclass
class ImportResult:
    created: int
    updated: int
    dry_run: bool


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_points(fileobj) -> list[PointRow]:
    """Read and check a point workbook; raises ImportRefused with every problem found (not just the first)."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(fileobj, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a non-workbook
        raise ImportRefused([_("文件不是有效的 Excel 工作簿（.xlsx）")]) from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [_text(h) for h in next(rows, ())]
    missing = [h for h in HEADERS[:5] if h not in header]
    if missing:
        raise ImportRefused([_("第1行：缺少表头「%(h)s」（应为：%(all)s）") % {"h": "、".join(missing), "all": "、".join(HEADERS)}])
    col = {h: header.index(h) for h in HEADERS if h in header}
    types = {t.name: t for t in PointType.objects.all()}
    types.update({t.manual_name: t for t in types.copy().values() if t.manual_name})
    units_cache: dict[str, OrgUnit | None] = {}
    errors: list[str] = []
    parsed: list[PointRow] = []
    seen: dict[tuple[int, str], int] = {}

    from .services import point_locate

    for n, values in enumerate(rows, start=2):
        if n - 1 > MAX_ROWS:
            errors.append(_("行数超过 %(n)d 行，请分批导入") % {"n": MAX_ROWS})
            break
        cell = {h: _text(values[i]) if i < len(values) else "" for h, i in col.items()}
        raw = {h: values[i] if i < len(values) else None for h, i in col.items()}
        if not any(cell.values()):
            continue
        row_errors = []
        point_type = types.get(cell["点位类型"])
        if point_type is None:
            row_errors.append(_("点位类型「%(v)s」不存在") % {"v": cell["点位类型"]} if cell["点位类型"] else _("点位类型不能为空"))
        name = cell["点位名称"]
        if not name:
            row_errors.append(_("点位名称不能为空"))
        elif len(name) > 100:
            row_errors.append(_("点位名称不能超过100个字"))
        if len(cell["地址"]) > 200:
            row_errors.append(_("地址不能超过200个字"))
        lat = _number(raw["纬度"], -90, 90)
        lng = _number(raw["经度"], -180, 180)
        if lat is None:
            row_errors.append(_("纬度「%(v)s」无效，应为 -90 到 90 之间的数字") % {"v": cell["纬度"]})
        if lng is None:
            row_errors.append(_("经度「%(v)s」无效，应为 -180 到 180 之间的数字") % {"v": cell["经度"]})
        if lat is not None and lng is not None:
            try:
                point_locate(lat, lng)
            except ValidationError as exc:
                row_errors.append("；".join(exc.messages))
        unit = None
        unit_name = cell.get("责任单位", "")
        if unit_name:
            if unit_name not in units_cache:
                units_cache[unit_name] = OrgUnit.objects.by_name(unit_name)
            unit = units_cache[unit_name]
            if unit is None:
                row_errors.append(_("责任单位「%(v)s」不存在") % {"v": unit_name})
        active_text = cell.get("启用", "").lower()
        if active_text not in TRUE_WORDS | FALSE_WORDS:
            row_errors.append(_("「启用」应填“是”或“否”"))
        if point_type is not None and name:
            first = seen.setdefault((point_type.pk, name), n)
            if first != n:
                row_errors.append(_("与第%(n)d行重复（同一类型下点位名称相同）") % {"n": first})
        if row_errors:
            errors.append(_("第%(n)d行：%(e)s") % {"n": n, "e": "；".join(row_errors)})
            continue
        parsed.append(PointRow(n, point_type, name, cell["地址"], lat, lng, unit, active_text not in FALSE_WORDS))
    wb.close()
    if errors:
        raise ImportRefused(errors)
    if not parsed:
        raise ImportRefused([_("文件中没有点位数据")])
    return parsed


def _number(value, low: float, high: float) -> float | None:
    try:
        number = float(str(value).strip()) if value is not None else None
    except ValueError:
        return None
    if number is None or not math.isfinite(number) or not low <= number <= high:
        return None
    return number


def import_points(fileobj, *, dry_run: bool = False) -> ImportResult:
    rows = parse_points(fileobj)
    from .services import point_save

    created = updated = 0
    with transaction.atomic():
        for r in rows:
            point = InspectionPoint.objects.filter(point_type=r.point_type, name=r.name).first()
            if point is None:
                point, created = InspectionPoint(point_type=r.point_type, name=r.name), created + 1
            else:
                updated += 1
            point.address, point.lat, point.lng, point.is_active = r.address, r.lat, r.lng, r.is_active
            point.responsible_unit = r.responsible_unit
            point_save(point=point)
        if dry_run:
            transaction.set_rollback(True)
    return ImportResult(created, updated, dry_run)


def _no_formulas(ws) -> None:
    """openpyxl writes any text starting with "=" as a formula; typed notes and names must stay text."""
    for row in ws.iter_rows():
        for c in row:
            if c.data_type == "f":
                c.data_type = "s"


def _workbook(title: str, headers: list[str], rows: list[list]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(headers)
    for c in ws[1]:
        c.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    _no_formulas(ws)
    for i, _h in enumerate(headers, start=1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = 16
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_points(points) -> bytes:
    rows = [
        [p.point_type.name, p.name, p.address, p.lat, p.lng, p.responsible_unit.name if p.responsible_unit else "",
         "是" if p.is_active else "否", p.grid_cell.code if p.grid_cell else "", p.street.name if p.street else "",
         p.district.name if p.district else ""]
        for p in points.select_related("point_type", "responsible_unit", "grid_cell", "street", "district")
    ]
    return _workbook(_("测评点位"), EXPORT_HEADERS, rows)


def export_round(rnd) -> bytes:
    """A round's results: one sheet per dimension and one with every item score."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from . import scoring
    from .models import ItemScore

    wb = Workbook()
    wb.remove(wb.active)

    def sheet(title, headers, rows):
        ws = wb.create_sheet(title[:31])
        ws.append(headers)
        for c in ws[1]:
            c.font = Font(bold=True)
        for row in rows:
            ws.append(row)
        _no_formulas(ws)
        for i in range(1, len(headers) + 1):
            ws.column_dimensions[ws.cell(1, i).column_letter].width = 18

    def pct(rate):
        return None if rate.rate is None else float(round(rate.rate, 2))

    for dim, (_path, _model, label) in scoring.DIMENSIONS.items():
        headers = [str(label), _("得分"), _("应得分"), _("得分率(%)"), _("测评条目数"), _("不达标条目数")]
        if dim == "point":
            headers.append(_("等级"))
        rows = []
        for r in scoring.round_rates(rnd, dim):
            row = [r.name, float(r.rate.scored), float(r.rate.possible), pct(r.rate), r.rate.items, r.rate.failed]
            if dim == "point":
                row.append(r.grade.grade if r.grade else "")
            rows.append(row)
        sheet(_("按%(label)s") % {"label": label}, headers, rows)
    scores = (
        ItemScore.objects.filter(inspection__round=rnd)
        .select_related("inspection__point__point_type", "item", "scored_by", "case")
        .order_by("inspection__point__name", "item__order")
    )
    sheet(
        _("条目明细"),
        [_("点位"), _("点位类型"), _("编号"), _("测评标准"), _("分值"), _("得分"), _("达标"), _("情况说明"), _("评分人"),
         _("案件查询码")],
        [
            [s.inspection.point.name, s.inspection.point.point_type.name, s.item.code, s.item.text, float(s.item.points),
             float(s.score), _("是") if s.passed else _("否"), s.note, str(s.scored_by or ""),
             s.case.tracking_code if s.case else ""]
            for s in scores
        ],
    )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
