"""Writes and decisions for the case loop that are not a state change: reporting, duplicates, routing, the sweep.

`case_report` is the one door every entry point (portal pages, the JSON API, Open311, inspectors' intake) uses.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _g

from wenming.accounts.models import OrgUnit
from wenming.core import clock
from wenming.core.db import fetch_instance

from .models import Case, CaseEvent, Category, Channel, ResponsibilityRule, new_tracking_code
from .workflow import (
    Action,
    Actor,
    AttachmentIn,
    CaseChanged,
    Status,
    WorkflowError,
    announce,
    prepare_attachments,
    save_attachments,
    transition,
)

DESCRIPTION_MIN, DESCRIPTION_MAX = 5, 2000
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{3,8})$")  # mobile, landline with area code, hotline short
MAX_PHOTOS = 9
TRACKING_CODE_ATTEMPTS = 5


@dataclasses.dataclass
class Location:
    grid_cell: Any = None
    street: Any = None
    district: Any = None


def locate_point(lat: float, lng: float) -> Location | None:
    """The grid cell, street and district of a point, via `wenming.geo.locate` when that module is present.

    Raises ValidationError with a Chinese message when the point is outside the jurisdiction or invalid.
    Returns None when no locator or no boundaries are installed (the case is then routed by category alone).
    """
    try:
        from wenming.geo import locate as geo_locate
    except ImportError:
        return None
    if not geo_locate.boundaries_loaded():
        # No boundaries loaded yet (a fresh embedded install): "outside" cannot be decided, so do not refuse.
        # Asked of the in-memory index (same freshness as the locating itself), not of the database per report.
        return None
    try:
        found = geo_locate.locate(lat, lng)
    except geo_locate.OutsideJurisdiction as exc:
        raise ValidationError(
            {"location": _g("该位置不在本市管辖范围内，请在地图上重新选择问题发生的位置")}, code="outside"
        ) from exc
    except geo_locate.InvalidCoordinates as exc:
        raise ValidationError({"location": _g("坐标无效，请在地图上重新选择位置")}, code="invalid") from exc
    return Location(grid_cell=found.cell, street=found.street, district=found.district)


def locate_address(address: str) -> Location | None:
    """The street and district a typed address names (no map pin: hotline calls, the form without a pin), read
    offline from the jurisdiction names by `wenming.geo.geocode`; no grid cell. None when it names no place: the
    case is then routed by category alone. Never refuses a report."""
    try:
        from wenming.geo.geocode import match_address
    except ImportError:
        return None
    found = match_address(address)
    return None if found is None else Location(street=found.street, district=found.district)


def _validate_coordinates(lat, lng) -> tuple[float | None, float | None]:
    if lat is None and lng is None:
        return None, None
    try:
        lat, lng = float(lat), float(lng)
    except (TypeError, ValueError):
        raise ValidationError({"location": _g("坐标无效，请在地图上重新选择位置")}, code="invalid") from None
    if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180):
        raise ValidationError({"location": _g("坐标无效，请在地图上重新选择位置")}, code="invalid")
    return lat, lng


def case_report(
    *,
    category: Category,
    description: str,
    lat: float | None = None,
    lng: float | None = None,
    address: str = "",
    channel: str,
    reporter_name: str = "",
    reporter_phone: str = "",
    photos: Iterable[AttachmentIn | Any] = (),
    idempotency_key: str | None = None,
    actor=None,
    title: str = "",
    is_urgent: bool = False,
    also_write: Callable[[Case], Any] | None = None,
) -> Case:
    """Take in a report: validate, de-duplicate resubmits, give it a tracking code, write the 'report' event.

    The same `idempotency_key` (a double click, a client retry) returns the first case and writes nothing; the
    returned case then has `replayed = True`. A new case has `replayed = False` and carries what was just written,
    so callers can answer without reading it back: `report_event` (the 'report' CaseEvent) and
    `report_attachment_count` (photos saved on that event).
    Text is stored as typed (script included) and must be rendered escaped. Anonymous reports are allowed.
    `also_write(case)` writes a channel's own rows (Open311's intake record) in the same transaction as the case,
    so a caller needs no transaction (and no savepoints) of its own; it is not called for a replay.
    """
    idempotency_key = (idempotency_key or "").strip() or None
    if idempotency_key:
        # The one lookup of the key, asked of every keyed report: just the id, in fixed SQL (core.db); a replay
        # is the rare case and reads the whole case.
        seen = fetch_instance(Case, ("id",), "t.idempotency_key = %s", [idempotency_key])
        if seen is not None:
            existing = Case.objects.get(pk=seen.pk)
            existing.replayed = True
            return existing

    errors: dict[str, str] = {}
    description = (description or "").strip()
    if len(description) < DESCRIPTION_MIN:
        errors["description"] = _g("请描述问题，至少%(n)s个字") % {"n": DESCRIPTION_MIN}
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = _g("问题描述不能超过%(n)s个字") % {"n": DESCRIPTION_MAX}
    if channel not in Channel.values:
        errors["channel"] = _g("来源渠道无效")
    if category is None or not category.is_active:
        errors["category"] = _g("请选择有效的问题类别")
    reporter_phone = re.sub(r"[\s()]", "", reporter_phone or "")
    if reporter_phone and not PHONE_RE.match(reporter_phone):
        errors["reporter_phone"] = _g("联系电话格式不正确")
    address = (address or "").strip()
    if len(address) > 200:
        errors["address"] = _g("地址不能超过200个字")
    if len((reporter_name or "").strip()) > 50:
        errors["reporter_name"] = _g("姓名不能超过50个字")
    photos = list(photos)
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = _g("最多上传%(n)s张照片") % {"n": MAX_PHOTOS}
    if errors:
        raise ValidationError(errors)

    lat, lng = _validate_coordinates(lat, lng)
    if lat is None and not address:
        raise ValidationError({"location": _g("请在地图上选择位置或填写地址")})
    location = locate_point(lat, lng) if lat is not None else locate_address(address)
    location = location or Location()
    try:
        files = prepare_attachments(photos, Action.REPORT)
    except WorkflowError as exc:
        raise ValidationError({"photos": exc.message}, code=exc.code) from exc

    for _attempt in range(TRACKING_CODE_ATTEMPTS):
        case = Case(
            title=(title or "").strip()[:100],
            description=description,
            category=category,
            lat=lat,
            lng=lng,
            address=address,
            grid_cell=location.grid_cell,
            street=location.street or _ancestor(location.grid_cell, "street"),
            district=location.district or _ancestor(location.grid_cell, "district"),
            channel=channel,
            reporter_name=(reporter_name or "").strip(),
            reporter_phone=reporter_phone,
            reporter_user=actor,
            is_urgent=is_urgent,
            idempotency_key=idempotency_key,
            # Unique in the database: a clash (30 random bits a day) fails the INSERT and the block is retried.
            tracking_code=new_tracking_code(),
        )
        try:
            with transaction.atomic():
                case.save()
                event = CaseEvent.objects.create(
                    case=case,
                    action=Action.REPORT,
                    from_status="",
                    to_status=Status.REPORTED,
                    actor=actor,
                    actor_role=Actor.REPORTER,
                    at=clock.now(),
                    data={"channel": channel},
                    public=True,
                )
                save_attachments(event, files)
                if also_write is not None:
                    also_write(case)
                announce(event)
        except IntegrityError:
            if idempotency_key:
                existing = Case.objects.filter(idempotency_key=idempotency_key).first()
                if existing is not None:  # the same key won a race in another request
                    existing.replayed = True
                    return existing
            if Case.objects.filter(tracking_code=case.tracking_code).exists():
                continue  # another case holds this tracking code: draw a new one and write everything again
            raise
        case.replayed = False
        case.report_event = event
        case.report_attachment_count = len(files)
        return case
    raise RuntimeError("could not find a free tracking code")  # 32^6 codes a day: practically unreachable


def _ancestor(cell, kind: str):
    community = getattr(cell, "community", None)
    return community.ancestor(kind) if community is not None else None


# ---------------------------------------------------------------------------------------------------------------
# Duplicates (DESIGN.md §4: an open case of the same category within the category's radius)

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def find_duplicates(case_or_point: Case | tuple[float, float], category: Category | None = None) -> list[Case]:
    """Open cases of the same category within `category.duplicate_radius_m`, nearest first.

    Each returned case carries `distance_m`. A case is never its own duplicate; merged and closed cases are not
    offered.
    """
    if isinstance(case_or_point, Case):
        lat, lng, exclude = case_or_point.lat, case_or_point.lng, case_or_point.pk
        category = category or case_or_point.category
    else:
        (lat, lng), exclude = case_or_point, None
    if lat is None or lng is None or category is None:
        return []
    radius = category.duplicate_radius_m
    # A bounding box lets the database do the coarse cut; haversine decides.
    dlat = radius / 111_320
    dlng = radius / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    candidates = (
        Case.objects.open()
        .filter(category=category, lat__range=(lat - dlat, lat + dlat), lng__range=(lng - dlng, lng + dlng))
        .exclude(pk=exclude)
    )
    found = []
    for other in candidates:
        other.distance_m = haversine_m(lat, lng, other.lat, other.lng)
        if other.distance_m <= radius:
            found.append(other)
    return sorted(found, key=lambda c: (c.distance_m, c.pk))


# ---------------------------------------------------------------------------------------------------------------
# Routing (standards.md: 部件先属主、后属地; 事件先属地、后属主)


def territorial_unit_for(case: Case) -> OrgUnit | None:
    """属地: the grid cell's responsible subject, else the street office, else the district government."""
    cell = case.grid_cell
    if cell is not None and cell.responsible_unit_id:
        return cell.responsible_unit
    street = case.street or _ancestor(cell, "street")
    district = case.district or _ancestor(cell, "district") or (street.parent if street else None)
    for place in (street, district):
        if place is not None and place.government_id:
            return place.government
    return None


def routing_unit_for(case: Case) -> OrgUnit | None:
    """The unit a case goes to by default: the category's rule first, the other as fallback (兜底)."""
    functional = case.category.responsible_unit
    if case.category.responsibility_rule == ResponsibilityRule.FUNCTIONAL:
        return functional or territorial_unit_for(case)
    return territorial_unit_for(case) or functional


# ---------------------------------------------------------------------------------------------------------------
# The deadline sweep (a scheduled job is a thin wrapper over this)


def sweep_overdue(now=None) -> int:
    """督办 every overdue case not yet supervised (standards.md: a notice the day after expiry). Returns the count."""
    now = now or clock.now()
    count = 0
    for case in Case.objects.overdue(now).filter(is_supervised=False):
        try:
            # The version read with the list: a case another sweep (or a person) touched meanwhile is left for
            # the next run, so two sweeps at once never supervise a case twice.
            transition(case, Action.SUPERVISE, as_role=Actor.SYSTEM, note=_g("超过处置时限，系统自动督办"),
                       expected_version=case.version)
        except CaseChanged:
            continue
        count += 1
    return count
