"""GeoJSON polygon and grid-code checks shared by the importer, the admin form, the demo grid and the index.

Geometry is plain GeoJSON in WGS84 (lng, lat), the coordinates phones and GPS report; GCJ-02 web-map
coordinates are offset by hundreds of metres and must be converted before import (shared/data/README.md).
"""

from __future__ import annotations

import math
from typing import Any

import shapely
from django.conf import settings
from django.utils.translation import gettext as _
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

POLYGON_TYPES = ("Polygon", "MultiPolygon")
COORDINATE_DIGITS = 6  # ~0.1 m: finer than any survey of a street grid, short in JSON

# GEOS reasons (explain_validity) in words the office understands.
_VALIDITY_REASONS = {
    "Self-intersection": "边界自相交",
    "Ring Self-intersection": "边界环自相交",
    "Too few points": "顶点过少",
    "Hole lies outside shell": "内环位于外环之外",
    "Nested holes": "内环相互嵌套",
    "Interior is disconnected": "内部不连通",
    "Nested shells": "多个外环相互嵌套",
    "Duplicate Rings": "存在重复的环",
    "Invalid Coordinate": "坐标无效",
    "Ring is not closed": "环未闭合",
}


class GeometryError(ValueError):
    """A boundary that cannot be stored; the message is for the user (Chinese)."""


def parse_polygon(data: Any) -> BaseGeometry:
    """Check a GeoJSON Polygon/MultiPolygon (WGS84) and return it as a shapely geometry, or raise GeometryError."""
    if not isinstance(data, dict):
        raise GeometryError(_("边界必须是 GeoJSON 几何对象（Polygon 或 MultiPolygon）"))
    gtype = data.get("type")
    if gtype not in POLYGON_TYPES:
        raise GeometryError(_("几何类型应为 Polygon 或 MultiPolygon，实际为 %(type)s") % {"type": gtype or _("空")})
    try:
        geom = shape(data)
        coords = shapely.get_coordinates(geom)
    except Exception as exc:  # shapely raises several kinds for malformed coordinate arrays
        raise GeometryError(_("坐标结构不正确：%(reason)s") % {"reason": exc}) from exc
    if geom.is_empty or len(coords) == 0:
        raise GeometryError(_("边界没有坐标"))
    if not all(math.isfinite(v) for v in coords.flat):
        raise GeometryError(_("坐标含有非数值"))
    lngs, lats = coords[:, 0], coords[:, 1]
    if lats.min() < -90 or lats.max() > 90 or lngs.min() < -180 or lngs.max() > 180:
        raise GeometryError(
            _("坐标超出 WGS84 范围：经度应在 -180 到 180 之间，纬度应在 -90 到 90 之间（坐标顺序应为 [经度, 纬度]）")
        )
    if not geom.is_valid:
        raise GeometryError(_("边界无效：%(reason)s") % {"reason": describe_invalidity(geom)})
    if geom.area == 0:
        raise GeometryError(_("边界面积为零"))
    return geom


def describe_invalidity(geom: BaseGeometry) -> str:
    reason = explain_validity(geom)
    head, _sep, where = reason.partition("[")
    words = _VALIDITY_REASONS.get(head.strip(), head.strip())
    return f"{words}（位置 {where.rstrip(']')}）" if where else words


def to_geojson(geom: BaseGeometry) -> dict:
    """GeoJSON dict with coordinates rounded to COORDINATE_DIGITS and lists (not tuples), ready for a JSONField."""
    return _rounded(mapping(geom))


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, COORDINATE_DIGITS)
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def bbox_fields(geom: BaseGeometry) -> dict[str, float]:
    min_lng, min_lat, max_lng, max_lat = geom.bounds
    return {"min_lng": min_lng, "min_lat": min_lat, "max_lng": max_lng, "max_lat": max_lat}


def grid_code_length() -> int:
    return int(settings.WENMING_GRID_CODE_LENGTH)


def grid_code(community_code: str, sequence: int) -> str:
    """standards.md "Management grid codes": district (6) + street (3) + community (3) + sequence (2 or 3)."""
    digits = grid_code_length() - 12
    return f"{community_code}{sequence:0{digits}d}"


def grid_code_problem(code: str, community_code: str | None = None) -> str | None:
    """Why `code` is not a grid code of the configured length under `community_code`, or None when it is.

    standards.md: 14 digits in the older rule, 15 in Beijing's current local standard (WENMING_GRID_CODE_LENGTH).
    """
    length = grid_code_length()
    if not isinstance(code, str) or not code.isascii() or not code.isdigit():
        return _("网格编码应全部为数字")
    if len(code) != length:
        return _("网格编码应为 %(length)d 位（区县 6 位 + 街道 3 位 + 社区 3 位 + 序号 %(seq)d 位），实际为 %(actual)d 位") % {
            "length": length,
            "seq": length - 12,
            "actual": len(code),
        }
    if int(code[12:]) == 0:
        return _("网格序号不能为 0")
    if community_code is not None and code[:12] != community_code:
        return _("网格编码前 12 位应与所属社区编码 %(community)s 一致") % {"community": community_code}
    return None


def parse_bbox(raw: str) -> tuple[float, float, float, float] | None:
    """`min_lng,min_lat,max_lng,max_lat` (Leaflet's toBBoxString order); None when malformed."""
    try:
        values = [float(v) for v in raw.split(",")]
    except ValueError:
        return None
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        return None
    min_lng, min_lat, max_lng, max_lat = values
    if min_lng > max_lng or min_lat > max_lat:
        return None
    return min_lng, min_lat, max_lng, max_lat
