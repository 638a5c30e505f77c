"""`locate(lat, lng)`: which unit grid cell, community, street and district hold a point (DESIGN.md §2 属地).

    from wenming.geo.locate import locate, locate_many, LocateResult, OutsideJurisdiction, InvalidCoordinates

The spatial index is a shapely 2 STRtree held in memory per process: cell polygons first, then community, street
and district boundaries as fallbacks, so a rural point in a county without a grid still gets its county. Rules:

- The finest level that contains the point decides, and the coarser levels are its ancestors, so the answer is
  always one consistent branch of the tree (a cell's district is the district of its community's street).
- A point on a shared edge or corner belongs to the candidate with the lowest code, so the answer never depends
  on database order.
- A point inside a district with no grid cell gives the district (and street/community where their boundaries
  are known) with `cell=None`; a point outside every boundary raises OutsideJurisdiction.

The index is built lazily and kept fresh by `signals.index`, a core.snapshot.ProcessSnapshot: rebuilt at once when
this process saves or deletes a GridCell/Jurisdiction, within `signals.index.check_seconds` (3 s) when another
process does, and checked on every call while this process has grid changes inside a transaction that has not
ended (a rollback must not leave rolled-back cells in the index). Returned model instances are shared with the
index: treat them as read-only.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import shapely
from django.utils.translation import gettext as _
from shapely.geometry import shape

from . import signals
from .models import GridCell, Jurisdiction, JurisdictionKind

logger = logging.getLogger(__name__)

# Fallback levels, finest first. Cities and provinces are not answers: the result names a district at most.
FALLBACK_KINDS = (JurisdictionKind.COMMUNITY, JurisdictionKind.STREET, JurisdictionKind.DISTRICT)


class InvalidCoordinates(ValueError):
    """Latitude/longitude that are not a point on Earth (or not numbers at all)."""


class OutsideJurisdiction(LookupError):
    """A valid point outside every district boundary this deployment knows."""

    def __init__(self, lat: float | None = None, lng: float | None = None):
        self.lat, self.lng = lat, lng
        super().__init__(_("该位置不在本市管辖范围内"))


@dataclass(frozen=True)
class LocateResult:
    cell: GridCell | None
    community: Jurisdiction | None
    street: Jurisdiction | None
    district: Jurisdiction | None

    @property
    def responsible_unit(self):
        """standards.md: each cell records its responsible subject; where none, the territorial unit answers
        (属地兜底): the street office, else the district government."""
        if self.cell is not None and self.cell.responsible_unit is not None:
            return self.cell.responsible_unit
        for level in (self.street, self.district):
            if level is not None and level.government is not None:
                return level.government
        return None

    def as_dict(self) -> dict:
        def jur(j):
            return None if j is None else {"id": j.pk, "code": j.code, "name": j.name}

        unit = self.responsible_unit
        return {
            "cell": None
            if self.cell is None
            else {"id": self.cell.pk, "code": self.cell.code, "name": self.cell.name},
            "community": jur(self.community),
            "street": jur(self.street),
            "district": jur(self.district),
            "responsible_unit": None if unit is None else {"id": unit.pk, "name": unit.name},
        }


def _coordinate(value, is_lat: bool, limit: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str, np.floating, np.integer)):
        raise InvalidCoordinates(_("坐标无效：%(name)s不是数字") % {"name": _("纬度") if is_lat else _("经度")})
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidCoordinates(
            _("坐标无效：%(name)s不是数字") % {"name": _("纬度") if is_lat else _("经度")}
        ) from None
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise InvalidCoordinates(_("坐标无效：纬度应在 -90 到 90 之间，经度应在 -180 到 180 之间"))
    return number


def validate_point(lat, lng) -> tuple[float, float]:
    return _coordinate(lat, True, 90.0), _coordinate(lng, False, 180.0)


class _Level:
    """One STRtree over geometries sorted by code, with the prebuilt answer for each of them."""

    def __init__(self, codes: list[str], geoms: list, results: list[LocateResult]):
        order = sorted(range(len(codes)), key=codes.__getitem__)
        self.geoms = np.array([geoms[i] for i in order], dtype=object)
        self.results = [results[i] for i in order]
        self.tree = shapely.STRtree(self.geoms) if len(order) else None

    def first(self, point) -> LocateResult | None:
        if self.tree is None:
            return None
        hits = self.tree.query(point, predicate="intersects")
        # Sorted by code, so the lowest index is the lowest code: deterministic on shared edges.
        return self.results[hits.min()] if len(hits) else None

    def first_many(self, points: np.ndarray) -> np.ndarray:
        """Index into self.results per point, -1 where none."""
        best = np.full(len(points), np.iinfo(np.int64).max, dtype=np.int64)
        if self.tree is not None and len(points):
            point_idx, geom_idx = self.tree.query(points, predicate="intersects")
            np.minimum.at(best, point_idx, geom_idx)
        best[best == np.iinfo(np.int64).max] = -1
        return best


class _Index:
    def __init__(self) -> None:
        jurisdictions = {j.pk: j for j in Jurisdiction.objects.select_related("government")}
        # "Are any boundaries loaded?" (services.locate_point asks it per report): kept with the index, so it is
        # as fresh as the answers themselves and costs no query per report.
        self.has_boundaries = any(j.geometry is not None for j in jurisdictions.values())
        for j in jurisdictions.values():
            # Wire parents in memory so ancestor() walks without queries.
            if j.parent_id is not None and j.parent_id in jurisdictions:
                j.parent = jurisdictions[j.parent_id]

        def answer(cell, community_or_finer):
            node = community_or_finer
            return LocateResult(
                cell=cell,
                community=node.ancestor(JurisdictionKind.COMMUNITY) if node else None,
                street=node.ancestor(JurisdictionKind.STREET) if node else None,
                district=node.ancestor(JurisdictionKind.DISTRICT) if node else None,
            )

        codes, geoms, results = [], [], []
        for cell in GridCell.objects.select_related("responsible_unit").order_by("code"):
            geom = _shape(cell.geometry, cell.code)
            if geom is None:
                continue
            cell.community = jurisdictions.get(cell.community_id) or cell.community
            codes.append(cell.code)
            geoms.append(geom)
            results.append(answer(cell, cell.community))
        self.cells = _Level(codes, geoms, results)
        self.fallbacks = []
        for kind in FALLBACK_KINDS:
            codes, geoms, results = [], [], []
            for j in jurisdictions.values():
                if j.kind != kind or not j.geometry:
                    continue
                geom = _shape(j.geometry, j.code)
                if geom is None:
                    continue
                codes.append(j.code)
                geoms.append(geom)
                results.append(answer(None, j))
            self.fallbacks.append(_Level(codes, geoms, results))
        self.cell_count = len(self.cells.results)

    def locate(self, lat: float, lng: float) -> LocateResult | None:
        point = shapely.Point(lng, lat)
        for level in (self.cells, *self.fallbacks):
            found = level.first(point)
            if found is not None:
                return found
        return None

    def locate_many(self, lats: np.ndarray, lngs: np.ndarray) -> list[LocateResult | None]:
        points = shapely.points(lngs, lats)
        out: list[LocateResult | None] = [None] * len(points)
        pending = np.arange(len(points))
        for level in (self.cells, *self.fallbacks):
            if not len(pending):
                break
            best = level.first_many(points[pending])
            found = best >= 0
            results = level.results
            for i, b in zip(pending[found].tolist(), best[found].tolist(), strict=True):
                out[i] = results[b]
            pending = pending[~found]
        return out


def _shape(geometry, code: str):
    try:
        geom = shape(geometry)
    except Exception:
        logger.warning("geo index: skipping %s, unreadable geometry", code)
        return None
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    return geom


def invalidate() -> None:
    """Drop the index; the next locate rebuilds it."""
    signals.index.invalidate()


def get_index() -> _Index:
    return signals.index.get()


def boundaries_loaded() -> bool:
    """Whether any jurisdiction has a boundary (`geometry IS NOT NULL`), read from the index: no query per call.

    Fresh as the index is (see the module notes): at once for this process's own changes, within
    `signals.index.check_seconds` for other processes'. Before the first boundaries arrive, "outside the
    jurisdiction" cannot be decided.
    """
    return get_index().has_boundaries


def locate(lat, lng) -> LocateResult:
    """The cell, community, street and district holding (lat, lng), WGS84 degrees.

    Raises InvalidCoordinates (a ValueError) for anything that is not a point on Earth and OutsideJurisdiction
    for a point outside every boundary.
    """
    lat, lng = validate_point(lat, lng)
    found = get_index().locate(lat, lng)
    if found is None:
        raise OutsideJurisdiction(lat, lng)
    return found


def locate_many(points: Iterable[Sequence[float]]) -> list[LocateResult | None]:
    """`locate` for many (lat, lng) pairs at once, vectorised. Outside points give None (no exception per point);
    any invalid pair raises InvalidCoordinates naming its position."""
    array = _as_array(points)
    if not len(array):
        return []
    return get_index().locate_many(array[:, 0], array[:, 1])


def _as_array(points) -> np.ndarray:
    if not isinstance(points, np.ndarray):
        points = list(points)  # generators can be read only once; the slow path reads again
    try:
        array = np.asarray(points, dtype=float)
    except (TypeError, ValueError):
        array = None
    if array is None or (array.size and (array.ndim != 2 or array.shape[1] != 2)):
        # Slow path only to name the first bad entry.
        for i, pair in enumerate(points):
            try:
                validate_point(*pair)
            except (TypeError, InvalidCoordinates) as exc:
                raise InvalidCoordinates(_("第 %(n)d 个坐标无效：%(reason)s") % {"n": i + 1, "reason": exc}) from None
        raise InvalidCoordinates(_("坐标应为 (纬度, 经度) 对的列表"))
    if not array.size:
        return array.reshape(0, 2)
    bad = ~(np.isfinite(array).all(axis=1) & (np.abs(array[:, 0]) <= 90) & (np.abs(array[:, 1]) <= 180))
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidCoordinates(
            _("第 %(n)d 个坐标无效：纬度应在 -90 到 90 之间，经度应在 -180 到 180 之间") % {"n": i + 1}
        )
    return array
