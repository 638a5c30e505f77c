"""Import unit grid cells from GeoJSON (`import_grid_geojson`; console: `wenming import-grid PATH [--dry-run]`).

Input: a FeatureCollection of Polygon/MultiPolygon features in WGS84 whose properties give
    code             the grid code (standards.md: district 6 + street 3 + community 3 + sequence 2 or 3 digits,
                     length settings.WENMING_GRID_CODE_LENGTH), its first 12 digits the community's code
    name             optional
    community_code   the community's 12-digit code, or `community` (its name) together with `street_code`
    responsible_unit optional OrgUnit name or alias; empty means the street office answers (属地兜底)

Everything is checked before anything is written; one bad feature stops the whole file with messages naming the
feature's position and code, and nothing is stored. A code that already exists is updated in place (re-import).
Cells are never deleted by an import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _

from wenming.accounts.models import OrgUnit
from wenming.core import clock

from . import signals
from .geometry import GeometryError, bbox_fields, grid_code_problem, parse_polygon, to_geojson
from .models import GridCell, Jurisdiction, JurisdictionKind

MAX_LISTED_ERRORS = 50


class GridImportError(ValueError):
    """The file was refused; `errors` lists every problem found (Chinese), nothing was stored."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        shown = errors[:MAX_LISTED_ERRORS]
        more = len(errors) - len(shown)
        text = "\n".join(shown)
        if more:
            text += "\n" + _("……另有 %(n)d 个问题未列出") % {"n": more}
        super().__init__(text)


@dataclass
class GridImportSummary:
    features: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    codes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        head = _("试导入（未保存）") if self.dry_run else _("导入完成")
        return _("%(head)s：共 %(n)d 个网格，新增 %(created)d，更新 %(updated)d，未变 %(unchanged)d") % {
            "head": head,
            "n": self.features,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


@dataclass
class _Row:
    code: str
    name: str
    community: Jurisdiction
    responsible_unit: OrgUnit | None
    geometry: dict
    bbox: dict


def _read(path_or_file: str | Path | IO) -> Any:
    try:
        if hasattr(path_or_file, "read"):
            raw = path_or_file.read()
        else:
            raw = Path(path_or_file).read_bytes()
    except OSError as exc:
        raise GridImportError([_("无法读取文件：%(reason)s") % {"reason": exc.strerror or exc}]) from exc
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise GridImportError([_("文件编码应为 UTF-8")]) from exc
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise GridImportError(
            [_("文件不是有效的 JSON：第 %(line)d 行第 %(col)d 列附近有错误") % {"line": exc.lineno, "col": exc.colno}]
        ) from exc


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) else ""


def _parse(data: Any) -> list[_Row]:
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise GridImportError([_("文件应为 GeoJSON FeatureCollection（type 为 FeatureCollection）")])
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise GridImportError([_("FeatureCollection 中没有要素（features 为空或不是列表）")])

    communities = {
        j.code: j for j in Jurisdiction.objects.filter(kind=JurisdictionKind.COMMUNITY).select_related("parent")
    }
    by_street_and_name = {(j.parent.code, j.name): j for j in communities.values() if j.parent is not None}
    units: dict[str, OrgUnit | None] = {}
    errors: list[str] = []
    rows: list[_Row] = []
    seen: dict[str, int] = {}

    for index, feature in enumerate(features, start=1):
        problems: list[str] = []
        props = feature.get("properties") if isinstance(feature, dict) else None
        props = props if isinstance(props, dict) else {}
        code = _text(props.get("code"))
        where = _("第 %(n)d 个要素（编码 %(code)s）") % {"n": index, "code": code or _("缺失")}
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            errors.append(_("%(where)s：不是 GeoJSON Feature") % {"where": where})
            continue

        geom = None
        try:
            geom = parse_polygon(feature.get("geometry"))
        except GeometryError as exc:
            problems.append(str(exc))

        community_code = _text(props.get("community_code"))
        community = None
        if community_code:
            community = communities.get(community_code)
            if community is None:
                problems.append(_("社区编码 %(c)s 不存在（应先导入或创建该社区）") % {"c": community_code})
        elif _text(props.get("community")) and _text(props.get("street_code")):
            name, street_code = _text(props.get("community")), _text(props.get("street_code"))
            community = by_street_and_name.get((street_code, name))
            if community is None:
                problems.append(
                    _("街道 %(s)s 下没有名为“%(name)s”的社区") % {"s": street_code, "name": name}
                )
        else:
            problems.append(_("缺少 community_code（或 community 与 street_code）"))

        if not code:
            problems.append(_("缺少网格编码 code"))
        else:
            problem = grid_code_problem(code, community.code if community else None)
            if problem:
                problems.append(problem)
            if code in seen:
                problems.append(_("网格编码与第 %(n)d 个要素重复") % {"n": seen[code]})
            seen.setdefault(code, index)

        unit_name = _text(props.get("responsible_unit"))
        unit = None
        if unit_name:
            if unit_name not in units:
                units[unit_name] = OrgUnit.objects.by_name(unit_name)
            unit = units[unit_name]
            if unit is None:
                problems.append(_("责任单位“%(u)s”不存在") % {"u": unit_name})

        name = _text(props.get("name"))
        if len(name) > GridCell._meta.get_field("name").max_length:
            problems.append(_("名称过长（最多 %(n)d 个字）") % {"n": GridCell._meta.get_field("name").max_length})

        if problems:
            errors.extend(f"{where}：{p}" for p in problems)
        else:
            rows.append(_Row(code, name, community, unit, to_geojson(geom), bbox_fields(geom)))
    if errors:
        raise GridImportError(errors)
    return rows


def import_grid_geojson(path_or_file: str | Path | IO, *, dry_run: bool = False) -> GridImportSummary:
    """Validate the whole file, then create or update its cells in one transaction (none if dry_run)."""
    rows = _parse(_read(path_or_file))
    summary = GridImportSummary(features=len(rows), dry_run=dry_run, codes=[r.code for r in rows])
    with transaction.atomic():
        existing = {c.code: c for c in GridCell.objects.select_for_update().filter(code__in=summary.codes)}
        now = clock.now()
        to_create, to_update = [], []
        for row in rows:
            values = {
                "name": row.name,
                "community_id": row.community.pk,
                "responsible_unit_id": row.responsible_unit.pk if row.responsible_unit else None,
                "geometry": row.geometry,
                "is_demo": False,
                **row.bbox,
            }
            cell = existing.get(row.code)
            if cell is None:
                to_create.append(GridCell(code=row.code, created_at=now, updated_at=now, **values))
            elif any(getattr(cell, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(cell, k, v)
                cell.updated_at = now
                to_update.append(cell)
            else:
                summary.unchanged += 1
        summary.created, summary.updated = len(to_create), len(to_update)
        if dry_run:
            return summary
        GridCell.objects.bulk_create(to_create, batch_size=500)
        GridCell.objects.bulk_update(
            to_update,
            ["name", "community", "responsible_unit", "geometry", "is_demo", "min_lng", "min_lat", "max_lng",
             "max_lat", "updated_at"],
            batch_size=500,
        )
        # Bulk writes send no model signals: tell the index ourselves.
        signals.bump()
        transaction.on_commit(signals.bump)
    return summary
