"""The grid map (/geo/), its GeoJSON feeds and the locate endpoint.

Read-only and public: boundaries, codes and responsible units are the public face of 属地 responsibility
(who answers for a place); no personal data is involved.
"""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .geometry import parse_bbox
from .models import GridCell, Jurisdiction, JurisdictionKind

MAX_CELLS = 2000  # per response: enough for a street at full zoom, small enough for a phone
LEVELS = (JurisdictionKind.DISTRICT, JurisdictionKind.STREET, JurisdictionKind.COMMUNITY)


@require_GET
def grid_map(request):
    config = settings.LEAFLET_CONFIG
    tiles = [{"name": str(name), "url": url, "options": options} for name, url, options in config.get("TILES") or []]
    return render(
        request,
        "geo/map.html",
        {
            "map_config": {
                "center": list(config.get("DEFAULT_CENTER", (27.83, 113.13))),
                "zoom": config.get("DEFAULT_ZOOM", 12),
                "minZoom": config.get("MIN_ZOOM", 3),
                "maxZoom": config.get("MAX_ZOOM", 18),
                "tiles": tiles,
                "maxCells": MAX_CELLS,
            },
            "labels": {
                "district": _("区县"),
                "street": _("街道乡镇"),
                "community": _("社区"),
                "cell": _("单元网格"),
                "code": _("网格编码"),
                "responsible": _("责任主体"),
                "fallback": _("（属地兜底）"),
                "none": _("无"),
                "truncated": _("当前范围网格过多，仅显示前 %(n)d 个，请放大地图") % {"n": MAX_CELLS},
                "zoomIn": _("放大地图以显示单元网格"),
                "failed": _("查询失败，请稍后再试"),
                "cellNone": _("该位置尚未划分单元网格"),
            },
        },
    )


def _bad_request(message: str, code: str = "invalid") -> JsonResponse:
    return JsonResponse({"error": message, "code": code}, status=400, json_dumps_params={"ensure_ascii": False})


def _unit(cell: GridCell) -> tuple[str | None, bool]:
    """The responsible unit's name and whether it is the street office answering by default (属地兜底)."""
    if cell.responsible_unit is not None:
        return cell.responsible_unit.name, False
    street = cell.community.parent
    if street is not None and street.government is not None:
        return street.government.name, True
    return None, True


@require_GET
def cells_geojson(request):
    cells = GridCell.objects.select_related(
        "community__parent__parent", "community__parent__government", "responsible_unit"
    ).order_by("code")
    if request.GET.get("bbox"):
        bbox = parse_bbox(request.GET["bbox"])
        if bbox is None:
            return _bad_request(_("bbox 参数应为“最小经度,最小纬度,最大经度,最大纬度”"))
        min_lng, min_lat, max_lng, max_lat = bbox
        cells = cells.filter(max_lng__gte=min_lng, min_lng__lte=max_lng, max_lat__gte=min_lat, min_lat__lte=max_lat)
    rows = list(cells[: MAX_CELLS + 1])
    features = []
    for cell in rows[:MAX_CELLS]:
        street = cell.community.parent
        district = street.parent if street is not None else None
        unit, fallback = _unit(cell)
        features.append(
            {
                "type": "Feature",
                "id": cell.code,
                "geometry": cell.geometry,
                "properties": {
                    "code": cell.code,
                    "name": cell.name,
                    "community": cell.community.name,
                    "street": street.name if street else None,
                    "district": district.name if district else None,
                    "responsible_unit": unit,
                    "responsible_fallback": fallback,
                    "is_demo": cell.is_demo,
                },
            }
        )
    return JsonResponse(
        {"type": "FeatureCollection", "features": features, "truncated": len(rows) > MAX_CELLS},
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
def jurisdictions_geojson(request):
    kind = request.GET.get("kind", JurisdictionKind.DISTRICT)
    if kind not in LEVELS:
        return _bad_request(_("kind 参数应为 district、street 或 community"))
    rows = (
        Jurisdiction.objects.filter(kind=kind)
        .exclude(geometry__isnull=True)
        .select_related("parent", "government")
        .order_by("code")
    )
    features = [
        {
            "type": "Feature",
            "id": j.code,
            "geometry": j.geometry,
            "properties": {
                "code": j.code,
                "name": j.name,
                "kind": j.kind,
                "parent": j.parent.name if j.parent else None,
                "government": j.government.name if j.government else None,
                "is_demo_geometry": j.is_demo_geometry,
            },
        }
        for j in rows
        if j.geometry
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features}, json_dumps_params={"ensure_ascii": False})


@require_GET
def locate_point(request):
    from .locate import InvalidCoordinates, OutsideJurisdiction, locate

    lat, lng = request.GET.get("lat", "").strip(), request.GET.get("lng", "").strip()
    if not lat or not lng:
        return _bad_request(_("请提供纬度 lat 与经度 lng（WGS84）"), "invalid_coordinates")
    try:
        result = locate(lat, lng)
    except InvalidCoordinates as exc:
        return _bad_request(str(exc), "invalid_coordinates")
    except OutsideJurisdiction as exc:
        return _bad_request(str(exc), "outside_jurisdiction")
    return JsonResponse(result.as_dict(), json_dumps_params={"ensure_ascii": False})
