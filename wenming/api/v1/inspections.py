"""/api/v1/inspections: point types, points, rounds, a point's checklist and scores, scoring an item (multipart
with photos), round results, and the public farmers' market grades (seed §25).

Who sees what (DESIGN.md §7, as the inspection pages):
- read_public (anyone): point types with their grade bands; market grades, from closed rounds only
  (`scoring.market_history`, the selector of the public page /inspections/markets/).
- admin scope: every point, every round, round results.
- act_for_unit with a user (an inspector's token or session): the rounds the user is named in (office users:
  all rounds), the points of those rounds, the photos, and scoring. Scoring goes through
  `inspections.services.item_score_save`, which decides by the user (inspector of the round or office), checks
  photos by content and refuses a stale version (409 with the service's Chinese conflict message).
A round the caller may not see answers 404, as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q
from django.http import FileResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field

from wenming.api.models import Scope
from wenming.inspections import scoring, services
from wenming.inspections.models import (
    ChecklistItem,
    GradeBand,
    Inspection,
    InspectionPoint,
    ItemPhoto,
    ItemScore,
    PointType,
    Round,
    RoundPoint,
    RoundStatus,
)

from . import pagination
from .auth import Principal, limit_anonymous, principal, require
from .cases import Ref, UnitRef, local
from .errors import ApiError, forbidden, not_found, responses
from .schemas import Strict, reject_unknown_form_fields

router = Router(tags=["实地测评"])

TENTH = Decimal("0.1")
PK_MAX = 2**62


# ---------------------------------------------------------------------------------------------------------------
# Schemas


class BandOut(Schema):
    grade: str
    label: str
    min_rate: Decimal


class PointTypeOut(Schema):
    id: int
    code: str
    name: str
    manual_name: str
    graded: bool
    grade_bands: list[BandOut]


class TypeRef(Schema):
    code: str
    name: str


class PointOut(Schema):
    id: int
    name: str
    point_type: TypeRef
    address: str
    lat: float | None
    lng: float | None
    district: Ref | None
    street: Ref | None
    grid_cell: str | None
    responsible_unit: UnitRef | None
    is_active: bool


class PointPage(Schema):
    items: list[PointOut]
    next_cursor: str | None


class RoundRef(Schema):
    id: int
    name: str
    status: str
    start_date: dt.date
    end_date: dt.date


class PointDetail(PointOut):
    rounds: list[RoundRef]


class RoundOut(Schema):
    id: int
    name: str
    start_date: dt.date
    end_date: dt.date
    status: str
    status_label: str
    points: int
    started_at: dt.datetime | None
    closed_at: dt.datetime | None


class RoundPage(Schema):
    items: list[RoundOut]
    next_cursor: str | None


class PersonOut(Schema):
    id: int
    name: str


class ChecklistRef(Schema):
    id: int
    point_type: str
    year: int
    version: int
    title: str


class RoundPointOut(Schema):
    point: PointOut
    inspector: PersonOut | None
    scored_items: int
    total_items: int
    finished: bool


class RoundDetail(RoundOut):
    inspectors: list[PersonOut]
    checklists: list[ChecklistRef]
    round_points: list[RoundPointOut]


class PhotoOut(Schema):
    id: int
    url: str
    content_type: str
    size: int


class ScoreOut(Schema):
    score: Decimal
    passed: bool
    note: str
    version: int
    scored_by: str | None
    scored_at: dt.datetime
    case: str | None = Field(None, description="不达标时生成的案件查询码")
    photos: list[PhotoOut]


class ItemOut(Schema):
    id: int
    code: str
    text: str
    points: Decimal
    method: str
    current: ScoreOut | None


class RateOut(Schema):
    scored: Decimal
    possible: Decimal
    items: int
    failed: int
    rate: Decimal | None = Field(None, description="得分率（%），保留一位小数；未评分为 null")


class PointInspection(Schema):
    round: RoundRef
    point: PointOut
    checklist: ChecklistRef | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    rate: RateOut
    items: list[ItemOut]


class ItemScoreIn(Strict):
    passed: bool = Field(..., description="是否达标")
    score: Decimal | None = Field(None, ge=0, le=1000, max_digits=5, decimal_places=1,
                                  description="得分；省略时达标得满分、不达标得 0 分")
    note: str = Field("", max_length=services.NOTE_MAX)
    expected_version: int = Field(0, ge=0, le=2**31, description="您看到的版本号（未评分为 0）；已被他人保存时返回 409")


class ItemScoreSaved(Schema):
    item_id: int
    code: str
    current: ScoreOut
    case_error: str = Field("", description="未能生成案件时的说明（评分已保存）")


class ResultRow(Schema):
    id: int | None
    name: str
    rate: RateOut
    grade: str | None
    grade_label: str | None


class ResultTable(Schema):
    by: str
    label: str
    rows: list[ResultRow]


class RoundResults(Schema):
    round: RoundRef
    total: RateOut
    tables: list[ResultTable]


class MarketEntry(Schema):
    round: RoundRef
    rate: RateOut
    grade: str | None
    grade_label: str | None


class MarketOut(Schema):
    point_id: int
    name: str
    point_type: TypeRef
    address: str
    district: Ref | None
    street: Ref | None
    latest: MarketEntry | None
    history: list[MarketEntry]


class MarketBand(BandOut):
    point_type: str


class Markets(Schema):
    bands: list[MarketBand]
    markets: list[MarketOut]


# ---------------------------------------------------------------------------------------------------------------
# Output helpers


def _ref(obj) -> dict | None:
    return {"code": obj.code, "name": obj.name} if obj is not None else None


def _tenth(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(TENTH, rounding=ROUND_HALF_UP)


def rate_out(r: scoring.Rate) -> dict:
    return {"scored": _tenth(r.scored), "possible": _tenth(r.possible), "items": r.items, "failed": r.failed,
            "rate": _tenth(r.rate)}


def band_out(b: GradeBand) -> dict:
    return {"grade": b.grade, "label": b.label, "min_rate": b.min_rate}


def point_out(p: InspectionPoint) -> dict:
    return {
        "id": p.pk,
        "name": p.name,
        "point_type": {"code": p.point_type.code, "name": p.point_type.name},
        "address": p.address,
        "lat": p.lat,
        "lng": p.lng,
        "district": _ref(p.district),
        "street": _ref(p.street),
        "grid_cell": p.grid_cell.code if p.grid_cell_id else None,
        "responsible_unit": {"id": p.responsible_unit_id, "name": p.responsible_unit.name}
        if p.responsible_unit_id else None,
        "is_active": p.is_active,
    }


def round_ref(r: Round) -> dict:
    return {"id": r.pk, "name": r.name, "status": r.status, "start_date": r.start_date, "end_date": r.end_date}


def round_out(r: Round, n_points: int) -> dict:
    return {
        "id": r.pk, "name": r.name, "start_date": r.start_date, "end_date": r.end_date, "status": r.status,
        "status_label": str(RoundStatus(r.status).label), "points": n_points, "started_at": local(r.started_at),
        "closed_at": local(r.closed_at),
    }


def person(user) -> dict | None:
    return {"id": user.pk, "name": str(user)} if user is not None else None


def checklist_ref(c) -> dict:
    return {"id": c.pk, "point_type": c.point_type.name, "year": c.year, "version": c.version, "title": c.title}


def photo_url(request, ph: ItemPhoto) -> str:
    return request.build_absolute_uri(f"/api/v1/inspections/photos/{ph.pk}")


def score_out(request, s: ItemScore) -> dict:
    return {
        "score": s.score, "passed": s.passed, "note": s.note, "version": s.version,
        "scored_by": str(s.scored_by) if s.scored_by_id else None, "scored_at": local(s.scored_at),
        "case": s.case.tracking_code if s.case_id else None,
        "photos": [
            {"id": ph.pk, "url": photo_url(request, ph), "content_type": ph.content_type, "size": ph.size}
            for ph in s.photos.all()
        ],
    }


POINT_RELATED = ("point_type", "district", "street", "grid_cell", "responsible_unit")


# ---------------------------------------------------------------------------------------------------------------
# Access


def _pk(value: int | None) -> bool:
    return value is not None and 0 < value < PK_MAX


def _admin(request) -> Principal:
    return require(request, Scope.ADMIN)


def _rounds_reader(request) -> Principal:
    """Admin scope, or a user-bound caller with act_for_unit (inspectors and office users)."""
    who = principal(request)
    if who.has(Scope.ADMIN):
        return who
    require(request, Scope.ACT_FOR_UNIT)
    if who.user is None:
        raise forbidden(_("该令牌未绑定用户账号，不能查看测评轮次"))
    return who


def _sees_all(who: Principal) -> bool:
    return who.has(Scope.ADMIN) or (who.user is not None and who.user.is_office)


def _visible_rounds(who: Principal):
    qs = Round.objects.all()
    return qs if _sees_all(who) else qs.filter(inspectors=who.user)


def _round(who: Principal, round_id: int) -> Round:
    rnd = _visible_rounds(who).filter(pk=round_id).first() if _pk(round_id) else None
    if rnd is None:
        raise not_found(_("未找到该测评轮次"))
    return rnd


def _point_of(rnd: Round, point_id: int) -> InspectionPoint:
    point = (
        InspectionPoint.objects.select_related(*POINT_RELATED).filter(pk=point_id, rounds=rnd).first()
        if _pk(point_id) else None
    )
    if point is None:
        raise not_found(_("该点位不在本轮次中"))
    return point


# ---------------------------------------------------------------------------------------------------------------
# Reference data and points


@router.get("/inspections/point-types", response=responses({200: list[PointTypeOut]}), summary="测评点位类型")
def list_point_types(request):
    """The manual's field-inspection point types; `graded` types (farmers' markets) are published with grades."""
    limit_anonymous(request)
    types = PointType.objects.prefetch_related("grade_bands")
    return [
        {"id": t.pk, "code": t.code, "name": t.name, "manual_name": t.manual_name, "graded": t.graded,
         "grade_bands": [band_out(b) for b in sorted(t.grade_bands.all(), key=lambda b: -b.min_rate)]}
        for t in types
    ]


@router.get("/inspections/points", response=responses({200: PointPage}), summary="测评点位列表")
def list_points(
    request,
    type: str | None = None,  # noqa: A002 - the query parameter is called "type"
    district: str | None = None,
    street: str | None = None,
    unit: int | None = None,
    active: bool | None = None,
    cursor: str | None = None,
    limit: int = 50,
):
    """Admin scope. Filters combine with AND: `type` is a point type code (e.g. market), `district` and `street`
    are division codes, `unit` the responsible unit's id. Ordered by id."""
    _admin(request)
    qs = InspectionPoint.objects.select_related(*POINT_RELATED)
    if type:
        qs = qs.filter(point_type__code=type)
    if district:
        qs = qs.filter(district__code=district)
    if street:
        qs = qs.filter(street__code=street)
    if unit is not None:
        qs = qs.filter(responsible_unit_id=unit) if _pk(unit) else qs.none()
    if active is not None:
        qs = qs.filter(is_active=active)
    rows, next_cursor = pagination.page(qs, cursor, limit, descending=False)
    return {"items": [point_out(p) for p in rows], "next_cursor": next_cursor}


@router.get("/inspections/points/{point_id}", response=responses({200: PointDetail}), summary="测评点位详情")
def get_point(request, point_id: int):
    """Admin scope. `rounds`: the rounds the point was chosen for, newest first."""
    _admin(request)
    point = InspectionPoint.objects.select_related(*POINT_RELATED).filter(pk=point_id).first() if _pk(point_id) else None
    if point is None:
        raise not_found(_("未找到该测评点位"))
    rounds = Round.objects.filter(round_points__point=point).order_by("-start_date", "-pk")
    return {**point_out(point), "rounds": [round_ref(r) for r in rounds]}


# ---------------------------------------------------------------------------------------------------------------
# Rounds


@router.get("/inspections/rounds", response=responses({200: RoundPage}), summary="测评轮次列表")
def list_rounds(request, status: str | None = None, cursor: str | None = None, limit: int = 50):
    """Admin scope and office users: every round; an inspector: the rounds they are named in. Newest first."""
    who = _rounds_reader(request)
    qs = _visible_rounds(who)
    if status:
        if status not in RoundStatus.values:
            raise ApiError(400, "invalid", _("未知的轮次状态：%(s)s") % {"s": status[:20]},
                           [{"field": "status", "message": _("取值无效")}])
        qs = qs.filter(status=status)
    rows, next_cursor = pagination.page(qs, cursor, limit)
    counts = dict(
        RoundPoint.objects.filter(round__in=[r.pk for r in rows]).order_by().values("round")
        .annotate(n=Count("pk")).values_list("round", "n")
    )
    return {"items": [round_out(r, counts.get(r.pk, 0)) for r in rows], "next_cursor": next_cursor}


@router.get("/inspections/rounds/{round_id}", response=responses({200: RoundDetail}), summary="测评轮次详情")
def get_round(request, round_id: int):
    """The round, its pinned checklists and its points with scoring progress. An inspector sees their own points
    and the unassigned ones (as on the round page); admin scope and office users see all."""
    who = _rounds_reader(request)
    rnd = _round(who, round_id)
    round_points = rnd.round_points.select_related(
        *(f"point__{f}" for f in POINT_RELATED), "inspector"
    )
    n_points = round_points.count()
    if not _sees_all(who):
        round_points = round_points.filter(Q(inspector=who.user) | Q(inspector__isnull=True))
    pins = list(rnd.checklists.select_related("checklist__point_type").annotate(n=Count("checklist__items")))
    totals = {pin.point_type_id: pin.n for pin in pins}
    scored = dict(Inspection.objects.filter(round=rnd).annotate(n=Count("scores")).values_list("point_id", "n"))
    finished = set(Inspection.objects.filter(round=rnd, finished_at__isnull=False).values_list("point_id", flat=True))
    return {
        **round_out(rnd, n_points),
        "inspectors": [person(u) for u in rnd.inspectors.order_by("pk")],
        "checklists": [checklist_ref(pin.checklist) for pin in pins],
        "round_points": [
            {"point": point_out(rp.point), "inspector": person(rp.inspector), "scored_items": scored.get(rp.point_id, 0),
             "total_items": totals.get(rp.point.point_type_id, 0), "finished": rp.point_id in finished}
            for rp in round_points
        ],
    }


@router.get("/inspections/rounds/{round_id}/points/{point_id}", response=responses({200: PointInspection}),
            summary="点位测评（条目与得分）")
def get_point_inspection(request, round_id: int, point_id: int):
    """The checklist items of the point's type in this round with what has been saved: send an item's
    `current.version` (0 when `current` is null) as `expected_version` when scoring it."""
    who = _rounds_reader(request)
    rnd = _round(who, round_id)
    point = _point_of(rnd, point_id)
    checklist = rnd.checklist_for(point.point_type_id)
    items = list(checklist.items.all()) if checklist else []
    inspection = Inspection.objects.filter(round=rnd, point=point).first()
    scores = {}
    if inspection is not None:
        scores = {s.item_id: s for s in inspection.scores.select_related("scored_by", "case", "item")
                  .prefetch_related("photos")}
    rate = scoring.Rate(
        sum((s.score for s in scores.values()), Decimal(0)), sum((s.item.points for s in scores.values()), Decimal(0)),
        len(scores), sum(1 for s in scores.values() if not s.passed),
    )
    return {
        "round": round_ref(rnd),
        "point": point_out(point),
        "checklist": checklist_ref(checklist) if checklist else None,
        "started_at": local(inspection.started_at) if inspection else None,
        "finished_at": local(inspection.finished_at) if inspection else None,
        "rate": rate_out(rate),
        "items": [
            {"id": i.pk, "code": i.code, "text": i.text, "points": i.points, "method": i.method,
             "current": score_out(request, scores[i.pk]) if i.pk in scores else None}
            for i in items
        ],
    }


_SCORE_ERROR_STATUS = {"forbidden": 403, "round_not_open": 409, "gone": 409, "wrong_item": 404}


@router.post("/inspections/rounds/{round_id}/points/{point_id}/items/{item_id}",
             response=responses({200: ItemScoreSaved}), summary="保存条目评分（带照片）")
def save_item_score(request, round_id: int, point_id: int, item_id: int, data: Form[ItemScoreIn],
                    photos: File[list[UploadedFile]] = None):
    """multipart/form-data: `passed`, optional `score`, `note`, `expected_version`, and up to 9 `photos` per item
    (JPEG/PNG/WebP/GIF, checked by content). Only the round's inspectors and office users score, and only while
    the round is in progress. A stale `expected_version` answers 409 and changes nothing. A failed item is
    reported once into the case loop (`current.case`)."""
    who = require(request, Scope.ACT_FOR_UNIT)
    if who.user is None:
        raise forbidden(_("该令牌未绑定用户账号，不能评分"))
    reject_unknown_form_fields(request, ItemScoreIn, files=("photos",))
    rnd = _round(who, round_id)
    point = _point_of(rnd, point_id)
    item = ChecklistItem.objects.filter(pk=item_id).first() if _pk(item_id) else None
    if item is None:
        raise not_found(_("未找到该测评条目"))
    try:
        saved = services.item_score_save(
            round=rnd, point=point, item=item, actor=who.user, passed=data.passed, score=data.score, note=data.note,
            photos=photos or (), expected_version=data.expected_version,
        )
    except services.ScoreConflict as exc:
        raise ApiError(409, "score_conflict", str(exc), [
            {"field": "expected_version", "message": _("当前版本为 %(v)s") % {"v": exc.current.version}},
        ]) from None
    except services.ScoreError as exc:
        code = exc.code or "invalid"
        raise ApiError(_SCORE_ERROR_STATUS.get(code, 400), code, "；".join(exc.messages)) from None
    current = ItemScore.objects.select_related("scored_by", "case").prefetch_related("photos").get(
        pk=saved.item_score.pk
    )
    return {"item_id": item.pk, "code": item.code, "current": score_out(request, current),
            "case_error": saved.case_error}


@router.get("/inspections/photos/{photo_id}", response=responses({}), summary="测评照片",
            openapi_extra={"responses": {"200": {"description": "照片文件",
                                                 "content": {"image/*": {"schema": {"type": "string",
                                                                                    "format": "binary"}}}}}})
def get_photo(request, photo_id: int):
    """The photo file. Inspection photos are not public: the office and the round's inspectors may see them."""
    who = _rounds_reader(request)
    ph = ItemPhoto.objects.select_related("item_score__inspection").filter(pk=photo_id).first() if _pk(photo_id) else None
    if ph is None or not _visible_rounds(who).filter(pk=ph.item_score.inspection.round_id).exists():
        raise not_found(_("未找到该照片"))
    try:
        handle = ph.file.open("rb")
    except FileNotFoundError:
        raise not_found(_("文件已不存在")) from None
    response = FileResponse(handle, content_type=ph.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---------------------------------------------------------------------------------------------------------------
# Results


@router.get("/inspections/rounds/{round_id}/results", response=responses({200: RoundResults}),
            summary="测评轮次结果（得分率）")
def get_round_results(request, round_id: int, by: str | None = None):
    """Admin scope, or an office user. Score rates (得分率 = points scored / points possible over the items scored)
    grouped by `point`, `point_type`, `street`, `district` and `unit` (all five unless `by` names one), best
    first; graded point types carry their grade. Open rounds may still change."""
    who = _rounds_reader(request)
    if not _sees_all(who):
        raise forbidden(_("仅创文办人员可以查看测评结果"))
    rnd = _round(who, round_id)
    if by is not None and by not in scoring.DIMENSIONS:
        raise ApiError(400, "invalid", _("分组方式应为 point、point_type、street、district 或 unit"),
                       [{"field": "by", "message": _("取值无效")}])
    dims = [by] if by else list(scoring.DIMENSIONS)
    tables = []
    for dim in dims:
        rows = scoring.round_rates(rnd, dim)
        tables.append({
            "by": dim,
            "label": str(scoring.DIMENSIONS[dim][2]),
            "rows": [
                {"id": r.key, "name": r.name, "rate": rate_out(r.rate), "grade": r.grade.grade if r.grade else None,
                 "grade_label": r.grade.label if r.grade else None}
                for r in rows
            ],
        })
    return {"round": round_ref(rnd), "total": rate_out(scoring.round_total(rnd)), "tables": tables}


# ---------------------------------------------------------------------------------------------------------------
# Public: farmers' market grades


def _entry(rnd: Round, rate: scoring.Rate, grade) -> dict:
    return {"round": round_ref(rnd), "rate": rate_out(rate), "grade": grade.grade if grade else None,
            "grade_label": grade.label if grade else None}


@router.get("/inspections/markets", response=responses({200: Markets}), summary="农贸市场量化分级（公开）")
def list_markets(request):
    """Seed §25 定期公布各市场经营主体量化评分: each graded, active point's score rate and grade in every closed
    round, newest first (the same figures as the public page). Rounds still open are never shown."""
    limit_anonymous(request)
    bands = GradeBand.objects.filter(point_type__graded=True).select_related("point_type").order_by(
        "point_type__order", "-min_rate"
    )
    markets = []
    for m in scoring.market_history():
        p = m.point
        history = [_entry(rnd, rate, grade) for rnd, rate, grade in m.entries]
        markets.append({
            "point_id": p.pk, "name": p.name, "point_type": {"code": p.point_type.code, "name": p.point_type.name},
            "address": p.address, "district": _ref(p.district), "street": _ref(p.street),
            "latest": history[0] if history else None, "history": history,
        })
    return {"bands": [{**band_out(b), "point_type": b.point_type.name} for b in bands], "markets": markets}

