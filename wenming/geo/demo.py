"""A demo management grid for Zhuzhou in real WGS84 coordinates (`build_demo_grid()`; safe to run twice).

The districts, counties, streets and towns are the real ones from the NBS list (`divisions.load_divisions`).
Their boundaries here are NOT surveyed: no boundary file with a licence that allows shipping it exists
(shared/data/README.md), so the shapes are generated, deterministic sketches that keep the real layout of the
central city (the Xiang River (湘江) with 天元区 on its west bank, 石峰区 to the north, 荷塘区 to the east and
芦淞区 to the south of the east bank) and put the five outer districts/counties roughly where they are. Every
generated boundary is flagged `is_demo_geometry`, every cell `is_demo`, and community names say 演示.

- Central city (荷塘, 芦淞, 石峰, 天元): district → streets/towns (split by area, towns larger) → a few demo
  communities per street → unit grid cells (about 500 m in streets, 1.2 km in towns) tiling each community.
- 渌口区, 醴陵市, 攸县, 茶陵县, 炎陵县: one coarse district boundary each and no cells, so `locate` can name the
  county of a rural point and answer `cell=None` there.

Grid codes follow standards.md (district 6 + street 3 + community 3 + sequence 2 or 3 digits; the length is
settings.WENMING_GRID_CODE_LENGTH). Each cell's responsible unit is its street office (属地兜底). A boundary or
cell that is not demo data (imported or drawn by the office) is never overwritten.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import shapely
from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry import Polygon, box
from shapely.geometry.base import BaseGeometry

from wenming.core import clock

from . import signals
from .divisions import load_divisions
from .geometry import bbox_fields, grid_code, grid_code_length, to_geojson
from .models import GridCell, Jurisdiction, JurisdictionKind

GRID = 1e-6  # snap every vertex to ~0.1 m so neighbouring cells share exact edges
CENTRAL = (113.05, 27.76, 113.25, 27.97)  # lng/lat box of the demo central city
METRES_PER_DEG_LAT = 111_320.0
METRES_PER_DEG_LNG = METRES_PER_DEG_LAT * math.cos(math.radians(27.87))

# The Xiang River through the central city, south to north (lng, lat): a sketch of its course, not a survey.
XIANG_RIVER = [
    (113.175, 27.745),
    (113.150, 27.795),
    (113.128, 27.830),
    (113.122, 27.865),
    (113.110, 27.905),
    (113.085, 27.940),
    (113.062, 27.985),
]
# East-bank district lines (lng, lat) → (lng, lat): 芦淞 below the first, 石峰 above the second, 荷塘 between.
LUSONG_NORTH_EDGE = ((113.10, 27.855), (113.25, 27.805))
SHIFENG_SOUTH_EDGE = ((113.10, 27.885), (113.25, 27.935))

# Coarse boundaries of the outer districts/counties (lng, lat): roughly where they are, for "which county".
OUTER = {
    "430212": [(112.95, 27.76), (113.30, 27.76), (113.30, 27.45), (112.95, 27.45)],  # 渌口区
    "430281": [(113.25, 27.97), (113.75, 27.97), (113.75, 27.45), (113.30, 27.45), (113.30, 27.76), (113.25, 27.76)],  # 醴陵市
    "430223": [(113.05, 27.45), (113.65, 27.45), (113.65, 26.95), (113.30, 26.80), (113.05, 26.95)],  # 攸县
    "430224": [(113.30, 26.80), (113.65, 26.95), (113.90, 26.95), (113.90, 26.55), (113.45, 26.55)],  # 茶陵县
    "430225": [(113.45, 26.55), (114.10, 26.55), (114.10, 25.95), (113.60, 25.95)],  # 炎陵县
}
CENTRAL_DISTRICTS = ("430202", "430203", "430204", "430211")  # 荷塘, 芦淞, 石峰, 天元
COMMUNITIES_PER_STREET = 4
COMMUNITIES_PER_TOWN = 3
CELL_METRES_STREET = 500
CELL_METRES_TOWN = 1200
TOWN_WEIGHT = 2.5  # a town covers more ground than an urban street
CHINESE_NUMERALS = "一二三四五六七八九十"


@dataclass
class DemoGridResult:
    districts: int = 0
    streets: int = 0
    communities_created: int = 0
    communities: int = 0
    cells_created: int = 0
    cells_updated: int = 0
    cells_deleted: int = 0
    cells_skipped: int = 0  # codes already used by non-demo cells
    cells: int = 0

    def __str__(self) -> str:
        return _(
            "演示网格：%(districts)d 个区县、%(streets)d 个街道乡镇、%(communities)d 个演示社区、%(cells)d 个单元网格"
            "（新增 %(cells_created)d，更新 %(cells_updated)d，删除 %(cells_deleted)d）"
        ) % asdict(self)


def _snap(geom: BaseGeometry) -> BaseGeometry:
    return _polygonal(shapely.set_precision(geom, GRID))


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Only the polygon parts of an overlay result (clipping can leave stray lines or points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 0]
    if not parts:
        return Polygon()
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _below(a, b) -> Polygon:
    """The half-plane below the line through a and b, clipped generously around the city."""
    (x0, y0), (x1, y1) = a, b
    slope = (y1 - y0) / (x1 - x0)
    return Polygon([(x0 - 1, y0 - slope), (x1 + 1, y1 + slope), (x1 + 1, y1 - 5), (x0 - 1, y0 - 5)])


def central_district_shapes() -> dict[str, BaseGeometry]:
    city = box(*CENTRAL)
    west = Polygon([(CENTRAL[0], XIANG_RIVER[0][1]), *XIANG_RIVER, (CENTRAL[0], XIANG_RIVER[-1][1])]).intersection(city)
    east = city.difference(west)
    lusong = east.intersection(_below(*LUSONG_NORTH_EDGE))
    shifeng = east.difference(_below(*SHIFENG_SOUTH_EDGE))
    hetang = east.difference(lusong).difference(shifeng)
    return {
        code: _snap(g) for code, g in {"430202": hetang, "430203": lusong, "430204": shifeng, "430211": west}.items()
    }


def split_by_weights(geom: BaseGeometry, weights: list[float]) -> list[BaseGeometry]:
    """Cut `geom` into len(weights) pieces with areas in proportion to weights: recursive straight cuts across
    the longer side (west before east, south before north), each cut placed by bisection on area."""
    if len(weights) == 1:
        return [geom]
    half = len(weights) // 2
    share = sum(weights[:half]) / sum(weights)
    minx, miny, maxx, maxy = geom.bounds
    along_lng = (maxx - minx) * METRES_PER_DEG_LNG >= (maxy - miny) * METRES_PER_DEG_LAT
    lo, hi = (minx, maxx) if along_lng else (miny, maxy)
    target = geom.area * share

    def first_side(cut: float) -> BaseGeometry:
        return box(minx - 1, miny - 1, cut, maxy + 1) if along_lng else box(minx - 1, miny - 1, maxx + 1, cut)

    for _step in range(40):
        mid = (lo + hi) / 2
        if geom.intersection(first_side(mid)).area < target:
            lo = mid
        else:
            hi = mid
    cut = round((lo + hi) / 2, 6)
    first = _snap(geom.intersection(first_side(cut)))
    second = _snap(geom.difference(first_side(cut)))
    return split_by_weights(first, weights[:half]) + split_by_weights(second, weights[half:])


def cells_for_community(geom: BaseGeometry, cell_metres: float, max_cells: int) -> list[BaseGeometry]:
    """Rectangles over the community's bounding box, clipped to it, reading order (north-west first).
    Slivers under a quarter of a rectangle join their neighbour with the longest shared edge."""
    minx, miny, maxx, maxy = geom.bounds
    nx = max(1, round((maxx - minx) * METRES_PER_DEG_LNG / cell_metres))
    ny = max(1, round((maxy - miny) * METRES_PER_DEG_LAT / cell_metres))
    while nx * ny > max_cells:
        if nx >= ny:
            nx -= 1
        else:
            ny -= 1
    xs = np.round(np.linspace(minx, maxx, nx + 1), 6)
    ys = np.round(np.linspace(maxy, miny, ny + 1), 6)
    nominal = (maxx - minx) / nx * (maxy - miny) / ny
    pieces: dict[tuple[int, int], BaseGeometry] = {}
    for row in range(ny):
        for col in range(nx):
            piece = _snap(geom.intersection(box(xs[col], ys[row + 1], xs[col + 1], ys[row])))
            if not piece.is_empty and piece.area > nominal * 1e-4:
                pieces[(row, col)] = piece
    for key in sorted(pieces, key=lambda k: pieces[k].area):
        piece = pieces.get(key)
        if piece is None or piece.area >= nominal / 4:
            continue
        row, col = key
        neighbours = [k for k in ((row - 1, col), (row + 1, col), (row, col - 1), (row, col + 1)) if k in pieces]
        shared = {k: piece.boundary.intersection(pieces[k].boundary).length for k in neighbours}
        if shared and max(shared.values()) > 0:
            best = max(shared, key=lambda k: (shared[k], -k[0], -k[1]))
            pieces[best] = _snap(shapely.union(pieces[best], piece))
            del pieces[key]
    return [pieces[k] for k in sorted(pieces)]


def _base_name(name: str) -> str:
    for suffix in ("街道", "镇", "乡"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _is_town(street: Jurisdiction) -> bool:
    return street.name.endswith(("镇", "乡"))


def _set_demo_boundary(jur: Jurisdiction, geom: BaseGeometry) -> bool:
    """Store a generated boundary unless the jurisdiction has a real one. Returns whether it was written."""
    if jur.geometry and not jur.is_demo_geometry:
        return False
    data = to_geojson(geom)
    if jur.geometry == data and jur.is_demo_geometry:
        return False
    jur.geometry, jur.is_demo_geometry = data, True
    jur.save(update_fields=["geometry", "is_demo_geometry"])
    return True


@transaction.atomic
def build_demo_grid() -> DemoGridResult:
    load_divisions()
    result = DemoGridResult()
    max_cells = 10 ** (grid_code_length() - 12) - 1
    by_code = {j.code: j for j in Jurisdiction.objects.filter(code__startswith="4302").select_related("government")}

    for code, ring in OUTER.items():
        if code in by_code:
            _set_demo_boundary(by_code[code], _snap(Polygon(ring)))
            result.districts += 1

    demo_communities: list[Jurisdiction] = []
    planned: dict[str, tuple[Jurisdiction, BaseGeometry, int]] = {}  # cell code → (community, geometry, seq)
    for code, district_geom in central_district_shapes().items():
        district = by_code[code]
        _set_demo_boundary(district, district_geom)
        result.districts += 1
        streets = sorted((j for j in by_code.values() if j.parent_id == district.pk), key=lambda j: j.code)
        weights = [TOWN_WEIGHT if _is_town(s) else 1.0 for s in streets]
        for street, street_geom in zip(streets, split_by_weights(district_geom, weights), strict=True):
            _set_demo_boundary(street, street_geom)
            result.streets += 1
            town = _is_town(street)
            count = COMMUNITIES_PER_TOWN if town else COMMUNITIES_PER_STREET
            for n, community_geom in enumerate(split_by_weights(street_geom, [1.0] * count), start=1):
                community = _demo_community(street, n, by_code, result)
                _set_demo_boundary(community, community_geom)
                demo_communities.append(community)
                cell_metres = CELL_METRES_TOWN if town else CELL_METRES_STREET
                for seq, cell_geom in enumerate(cells_for_community(community_geom, cell_metres, max_cells), 1):
                    planned[grid_code(community.code, seq)] = (community, cell_geom, seq)
    city = by_code.get("430200")
    if city is not None:
        shapes = [shapely.geometry.shape(by_code[c].geometry) for c in (*CENTRAL_DISTRICTS, *OUTER) if by_code[c].geometry]
        _set_demo_boundary(city, _snap(shapely.union_all(shapes)))
    result.communities = len(demo_communities)
    _store_cells(planned, demo_communities, result)
    # This process sees the change at once; others through the index's fingerprint check.
    signals.bump()
    transaction.on_commit(signals.bump)
    return result


def _demo_community(street: Jurisdiction, n: int, by_code: dict, result: DemoGridResult) -> Jurisdiction:
    code = f"{street.code}{n:03d}"
    community = by_code.get(code)
    if community is None:
        community = Jurisdiction.objects.create(
            code=code,
            name=f"{_base_name(street.name)}{CHINESE_NUMERALS[n - 1]}社区（演示）",
            kind=JurisdictionKind.COMMUNITY,
            parent=street,
            is_demo_geometry=True,
        )
        by_code[code] = community
        result.communities_created += 1
    community.parent = street
    return community


def _store_cells(planned: dict, communities: list[Jurisdiction], result: DemoGridResult) -> None:
    existing = {c.code: c for c in GridCell.objects.filter(community__in=communities)}
    others = set(
        GridCell.objects.filter(code__in=list(planned), is_demo=False).values_list("code", flat=True)
    )
    now = clock.now()
    to_create, to_update = [], []
    for code, (community, geom, seq) in planned.items():
        if code in others:
            result.cells_skipped += 1
            continue
        street = community.parent
        values = {
            "name": f"{community.name.removesuffix('（演示）')}第{seq}网格",
            "community_id": community.pk,
            "responsible_unit_id": street.government_id,
            "geometry": to_geojson(geom),
            "is_demo": True,
            **bbox_fields(geom),
        }
        cell = existing.get(code)
        if cell is None:
            to_create.append(GridCell(code=code, created_at=now, updated_at=now, **values))
        elif any(getattr(cell, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(cell, k, v)
            cell.updated_at = now
            to_update.append(cell)
    stale = [c.pk for code, c in existing.items() if c.is_demo and code not in planned]
    if stale:
        # Demo cells from an earlier layout or code length: demo data only, never an office's own cells.
        result.cells_deleted, _ = GridCell.objects.filter(pk__in=stale, is_demo=True).delete()
    GridCell.objects.bulk_create(to_create, batch_size=500)
    GridCell.objects.bulk_update(
        to_update,
        ["name", "community", "responsible_unit", "geometry", "is_demo", "min_lng", "min_lat", "max_lng", "max_lat",
         "updated_at"],
        batch_size=500,
    )
    result.cells_created, result.cells_updated = len(to_create), len(to_update)
    result.cells = GridCell.objects.filter(community__in=communities, is_demo=True).count()
