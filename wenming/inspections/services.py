"""Writes for inspections: reference data, point location, checklist versions, rounds, and scoring an item.

Functions are keyword-only `<noun>_<verb>`s that validate first and then save in one transaction (STYLE.md).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import random
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _g

from wenming.core import clock

from .models import (
    Checklist,
    ChecklistItem,
    GradeBand,
    Inspection,
    InspectionPoint,
    ItemPhoto,
    ItemScore,
    PointType,
    Round,
    RoundChecklist,
    RoundPoint,
    RoundStatus,
)

logger = logging.getLogger(__name__)

MAX_PHOTOS_PER_ITEM = 9
NOTE_MAX = 1000
ALLOWED_IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
FALLBACK_CATEGORY = "其他不文明现象"


# ---------------------------------------------------------------------------------------------------------------
# Reference data (idempotent: never overwrites what the office changed)


def load_point_types() -> dict[str, int]:
    from .templates_data import POINT_TYPES

    created = 0
    for order, (code, name, manual_name, graded) in enumerate(POINT_TYPES, start=1):
        _obj, new = PointType.objects.get_or_create(
            code=code, defaults={"name": name, "manual_name": manual_name, "graded": graded, "order": order * 10}
        )
        created += new
    return {"created": created, "existing": len(POINT_TYPES) - created}


def load_checklists(year: int | None = None) -> dict[str, int]:
    """Starting checklists for the types that have none yet (templates_data.CHECKLISTS). Run again: no change."""
    from .templates_data import CHECKLISTS

    load_point_types()
    year = year or clock.today().year
    created = 0
    with transaction.atomic():
        for code, (prefix, items) in CHECKLISTS.items():
            point_type = PointType.objects.get(code=code)
            if Checklist.objects.filter(point_type=point_type).exists():
                continue
            checklist = Checklist.objects.create(
                point_type=point_type, year=year, version=1, title=_g("%(type)s测评标准") % {"type": point_type.name}
            )
            ChecklistItem.objects.bulk_create(
                ChecklistItem(
                    checklist=checklist, code=f"{prefix}-{i:02d}", text=text, points=Decimal(str(points)),
                    method=method, category_name=category, order=i,
                )
                for i, (text, points, method, category) in enumerate(items, start=1)
            )
            created += 1
    return {"created": created, "existing": len(CHECKLISTS) - created}


def load_grade_bands() -> dict[str, int]:
    """Seed §25 default bands (A ≥ 90, B ≥ 80, C ≥ 70, D below) for a graded type that has no bands yet."""
    from .templates_data import GRADE_BANDS

    load_point_types()
    created = 0
    for code, bands in GRADE_BANDS.items():
        point_type = PointType.objects.get(code=code)
        if point_type.grade_bands.exists():
            continue
        for grade, label, min_rate in bands:
            GradeBand.objects.create(point_type=point_type, grade=grade, label=label, min_rate=Decimal(str(min_rate)))
            created += 1
    return {"created": created}


def load_reference_data() -> None:
    load_point_types()
    load_checklists()
    load_grade_bands()


# ---------------------------------------------------------------------------------------------------------------
# Points


@dataclasses.dataclass
class Located:
    grid_cell: object = None
    street: object = None
    district: object = None
    responsible_unit: object = None


def point_locate(lat, lng) -> Located:
    """The grid cell, street, district and 属地 responsible unit of a point (wenming.geo.locate).

    Raises ValidationError (Chinese) for bad coordinates or a point outside the city. With no boundaries loaded
    (a fresh install) "outside" cannot be decided, so the point is kept without a location.
    """
    from wenming.geo import locate as geo

    try:
        lat, lng = geo.validate_point(lat, lng)
    except geo.InvalidCoordinates as exc:
        raise ValidationError(str(exc), code="invalid") from exc
    if not geo.boundaries_loaded():
        return Located()
    try:
        found = geo.locate(lat, lng)
    except geo.OutsideJurisdiction as exc:
        raise ValidationError(_g("该位置不在本市管辖范围内"), code="outside") from exc
    return Located(found.cell, found.street, found.district, found.responsible_unit)


def point_save(*, point: InspectionPoint) -> InspectionPoint:
    """Save a point with its grid cell, street and district filled from its coordinates."""
    if point.lat is not None and point.lng is not None:
        where = point_locate(point.lat, point.lng)
        point.grid_cell, point.street, point.district = where.grid_cell, where.street, where.district
        if point.responsible_unit_id is None:
            point.responsible_unit = where.responsible_unit
    point.save()
    return point


# ---------------------------------------------------------------------------------------------------------------
# Checklist versions


@transaction.atomic
def checklist_new_version(*, checklist: Checklist, year: int | None = None) -> Checklist:
    """A copy of `checklist` (items included) as the next version, editable until a round pins it."""
    year = year or checklist.year
    last = Checklist.objects.filter(point_type=checklist.point_type, year=year).order_by("-version").first()
    copy = Checklist.objects.create(
        point_type=checklist.point_type, year=year, version=(last.version + 1) if last else 1,
        title=checklist.title, note=checklist.note, previous=checklist,
    )
    ChecklistItem.objects.bulk_create(
        ChecklistItem(
            checklist=copy, code=i.code, text=i.text, points=i.points, method=i.method,
            category_name=i.category_name, order=i.order,
        )
        for i in checklist.items.all()
    )
    return copy


@transaction.atomic
def checklist_item_update(*, item: ChecklistItem, **changes) -> ChecklistItem:
    """Change an item. On a frozen checklist (used by a round) the change goes into a new version and the
    round keeps scoring against the old one; returns the item that now holds the change."""
    allowed = {"code", "text", "points", "method", "category_name", "order"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"unknown item fields: {sorted(unknown)}")
    checklist = Checklist.objects.select_for_update().get(pk=item.checklist_id)
    if checklist.is_frozen:
        newest = Checklist.objects.filter(point_type=checklist.point_type, year=checklist.year).order_by("-version").first()
        target = newest if not newest.is_frozen else checklist_new_version(checklist=checklist)
        item = target.items.get(code=item.code)
    for field, value in changes.items():
        setattr(item, field, value)
    item.full_clean()
    item.save()
    return item


# ---------------------------------------------------------------------------------------------------------------
# Rounds


def select_points(*, point_types: Iterable[PointType], districts: Iterable = (), sample_per_type: int = 0,
                  seed: int = 0) -> list[InspectionPoint]:
    """Active points of the given types (and districts), `sample_per_type` drawn per type with `seed`:
    the same inputs always give the same points, so a selection can be checked afterwards."""
    type_ids = sorted(t.pk for t in point_types)
    qs = InspectionPoint.objects.active().filter(point_type_id__in=type_ids)
    district_ids = [d.pk for d in districts]
    if district_ids:
        qs = qs.filter(district_id__in=district_ids)
    chosen = []
    for type_id in type_ids:
        candidates = list(qs.filter(point_type_id=type_id).order_by("pk"))
        if sample_per_type and len(candidates) > sample_per_type:
            candidates = random.Random(f"{seed}:{type_id}").sample(candidates, sample_per_type)
        chosen.extend(candidates)
    return sorted(chosen, key=lambda p: (p.point_type.order, p.name, p.pk))


@transaction.atomic
def round_create(*, name: str, start_date: dt.date, end_date: dt.date, inspectors, point_types, districts=(),
                 sample_per_type: int = 0, seed: int = 0, actor=None) -> Round:
    if end_date < start_date:
        raise ValidationError({"end_date": _g("结束日期不能早于开始日期")})
    point_types, districts, inspectors = list(point_types), list(districts), sorted(inspectors, key=lambda u: u.pk)
    if not point_types:
        raise ValidationError({"point_types": _g("请至少选择一种点位类型")})
    points = select_points(point_types=point_types, districts=districts, sample_per_type=sample_per_type, seed=seed)
    if not points:
        raise ValidationError({"point_types": _g("所选类型和区县下没有启用的点位")})
    rnd = Round.objects.create(
        name=name, start_date=start_date, end_date=end_date, sample_per_type=sample_per_type, seed=seed,
        created_by=actor,
    )
    rnd.inspectors.set(inspectors)
    rnd.point_types.set(point_types)
    rnd.districts.set(districts)
    # Round-robin assignment in a fixed order; the office can reassign in the admin.
    RoundPoint.objects.bulk_create(
        RoundPoint(round=rnd, point=p, inspector=inspectors[i % len(inspectors)] if inspectors else None)
        for i, p in enumerate(points)
    )
    return rnd


@transaction.atomic
def round_start(*, round: Round, actor=None) -> Round:
    """Pin the checklist each point type uses and freeze it: edits from now on make new versions."""
    rnd = Round.objects.select_for_update().get(pk=round.pk)
    if rnd.status != RoundStatus.PLANNED:
        raise ValidationError(_g("只有计划中的轮次可以开始"))
    type_ids = set(rnd.round_points.values_list("point__point_type_id", flat=True))
    missing = []
    pins = []
    for point_type in PointType.objects.filter(pk__in=type_ids):
        checklist = Checklist.objects.for_year(point_type, rnd.start_date.year)
        if checklist is None or not checklist.items.exists():
            missing.append(point_type.name)
        else:
            pins.append((point_type, checklist))
    if missing:
        raise ValidationError(_g("以下点位类型没有测评标准，不能开始：%(types)s") % {"types": "、".join(missing)})
    now = clock.now()
    for point_type, checklist in pins:
        RoundChecklist.objects.create(round=rnd, point_type=point_type, checklist=checklist)
        Checklist.objects.filter(pk=checklist.pk, frozen_at__isnull=True).update(frozen_at=now)
    rnd.status, rnd.started_at = RoundStatus.IN_PROGRESS, now
    rnd.save(update_fields=["status", "started_at"])
    return rnd


@transaction.atomic
def round_close(*, round: Round, actor=None) -> Round:
    rnd = Round.objects.select_for_update().get(pk=round.pk)
    if rnd.status != RoundStatus.IN_PROGRESS:
        raise ValidationError(_g("只有测评中的轮次可以结束"))
    rnd.status, rnd.closed_at = RoundStatus.CLOSED, clock.now()
    rnd.save(update_fields=["status", "closed_at"])
    return rnd


def can_score(user, rnd: Round, point: InspectionPoint) -> bool:
    """Office staff and the round's inspectors score any point of the round (teams swap points on the day)."""
    if not user.is_authenticated or not rnd.round_points.filter(point=point).exists():
        return False
    return user.is_office or rnd.inspectors.filter(pk=user.pk).exists()


# ---------------------------------------------------------------------------------------------------------------
# Scoring an item


class ScoreError(ValidationError):
    pass


class ScoreConflict(Exception):
    """Someone else saved this item after the form was loaded; `current` is what is stored now."""

    def __init__(self, current: ItemScore):
        self.current = current
        who = current.scored_by or _g("其他人")
        super().__init__(
            _g("该项已由「%(who)s」于 %(time)s 保存（%(result)s，得分 %(score)s），您的修改未保存，请核对后重新提交。")
            % {
                "who": who,
                "time": timezone.localtime(current.scored_at).strftime("%H:%M:%S"),
                "result": _g("达标") if current.passed else _g("不达标"),
                "score": current.score,
            }
        )


@dataclasses.dataclass
class _Photo:
    file: File
    name: str
    content_type: str
    size: int
    sha256: str


def photos_check(files: Iterable[File]) -> list[_Photo]:
    """Every photo is checked by content before anything is stored (DESIGN.md §7): size limit, and Pillow must
    recognise and verify it as JPEG, PNG, WebP or GIF, whatever its name or declared type says."""
    from PIL import Image

    limit = getattr(settings, "WENMING_MAX_EVIDENCE_BYTES", 10 * 1024 * 1024)
    checked = []
    for f in files:
        name = (getattr(f, "name", "") or "photo").rsplit("/", 1)[-1][:200]
        if f.size > limit:
            raise ScoreError(
                _g("照片「%(name)s」超过 %(mb)s MB，请压缩后再上传") % {"name": name, "mb": limit // (1024 * 1024)},
                code="photo_too_large",
            )
        digest = hashlib.sha256()
        f.seek(0)
        for chunk in f.chunks():
            digest.update(chunk)
        f.seek(0)
        try:
            with Image.open(f) as image:
                image_format = image.format
                image.verify()
        except Exception:  # noqa: BLE001 - any failure to parse (incl. decompression bombs) means "not an image"
            image_format = None
        f.seek(0)
        if image_format not in ALLOWED_IMAGE_FORMATS:
            raise ScoreError(
                _g("文件「%(name)s」不是有效的图片，请上传 JPEG、PNG、WebP 或 GIF 照片") % {"name": name},
                code="photo_type",
            )
        checked.append(_Photo(f, name, ALLOWED_IMAGE_FORMATS[image_format], f.size, digest.hexdigest()))
    return checked


def _decimal(value, field_label: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ScoreError(_g("%(field)s必须是数字") % {"field": field_label}, code="score_invalid") from None
    if not number.is_finite():
        raise ScoreError(_g("%(field)s必须是数字") % {"field": field_label}, code="score_invalid")
    return number


@dataclasses.dataclass
class SaveResult:
    item_score: ItemScore
    case: object = None
    case_error: str = ""


def item_score_save(*, round: Round, point: InspectionPoint, item: ChecklistItem, actor, passed: bool,
                    score=None, note: str = "", photos: Iterable[File] = (), expected_version: int = 0) -> SaveResult:
    """Save one item of one point's inspection, on its own (a dropped connection loses at most this item).

    `expected_version` is the version the inspector's page showed (0 when the item was not yet scored); if the
    stored version differs someone else saved in between and ScoreConflict is raised: nothing is overwritten.
    A failed item is reported into the case loop once (idempotency key inspection+item).
    Raises ScoreError (Chinese message) for bad input, with nothing stored.
    """
    if round.status != RoundStatus.IN_PROGRESS:
        raise ScoreError(_g("该轮次不在测评中，不能评分"), code="round_not_open")
    checklist = round.checklist_for(point.point_type_id)
    if checklist is None or item.checklist_id != checklist.pk:
        raise ScoreError(_g("该条目不属于本轮次该点位的测评标准"), code="wrong_item")
    if not can_score(actor, round, point):
        raise ScoreError(_g("您不是本轮次的测评员，不能评分"), code="forbidden")
    value = _decimal(score, _g("得分"))
    if value is None:
        value = item.points if passed else Decimal(0)
    if value < 0 or value > item.points:
        raise ScoreError(_g("得分应在 0 到 %(max)s 之间") % {"max": item.points}, code="score_range")
    if not passed and value >= item.points:
        raise ScoreError(_g("不达标的条目不能得满分"), code="score_fail_full")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ScoreError(_g("情况说明不能超过%(n)s个字") % {"n": NOTE_MAX}, code="note_too_long")
    photos = list(photos)
    checked = photos_check(photos)
    now = clock.now()

    with transaction.atomic():
        inspection = _inspection_for(round, point, actor)
        stored = ItemPhoto.objects.filter(item_score__inspection=inspection, item_score__item=item).count()
        if len(checked) + stored > MAX_PHOTOS_PER_ITEM:
            raise ScoreError(_g("每个条目最多上传%(n)s张照片") % {"n": MAX_PHOTOS_PER_ITEM}, code="too_many_photos")
        fields = {"score": value, "passed": passed, "note": note, "scored_by": actor, "scored_at": now}
        existing = ItemScore.objects.filter(inspection=inspection, item=item).first()
        if existing is None:
            if expected_version:
                raise ScoreError(_g("该项记录已不存在，请刷新页面"), code="gone")
            try:
                with transaction.atomic():
                    item_score = ItemScore.objects.create(inspection=inspection, item=item, version=1, **fields)
            except IntegrityError:
                # Two first saves at once: the other one won.
                raise ScoreConflict(ItemScore.objects.get(inspection=inspection, item=item)) from None
        else:
            # A conditional UPDATE is the lock: it only matches the version the inspector saw.
            updated = ItemScore.objects.filter(pk=existing.pk, version=expected_version).update(
                version=F("version") + 1, **fields
            )
            if not updated:
                raise ScoreConflict(ItemScore.objects.select_related("scored_by").get(pk=existing.pk))
            item_score = ItemScore.objects.get(pk=existing.pk)
        for p in checked:
            photo = ItemPhoto(
                item_score=item_score, original_name=p.name, content_type=p.content_type, size=p.size,
                sha256=p.sha256, uploaded_by=actor,
            )
            photo.file.save(p.name, p.file, save=False)
            photo.save()

    result = SaveResult(item_score)
    if not passed and item_score.case_id is None:
        result.case, result.case_error = failed_item_report(item_score=item_score, actor=actor)
    elif item_score.case_id:
        result.case = item_score.case
    return result


def _inspection_for(rnd: Round, point: InspectionPoint, actor) -> Inspection:
    inspection = Inspection.objects.filter(round=rnd, point=point).first()
    if inspection is not None:
        return inspection
    try:
        with transaction.atomic():
            return Inspection.objects.create(round=rnd, point=point, inspector=actor, started_at=clock.now())
    except IntegrityError:
        return Inspection.objects.get(round=rnd, point=point)


def failed_item_report(*, item_score: ItemScore, actor) -> tuple[object, str]:
    """DESIGN.md §5: a failed item becomes a case routed like any other, reported once (idempotency key from
    inspection + item), with the item's photos and the point's location. Returns (case, error message)."""
    from wenming.cases.models import Category, Channel
    from wenming.cases.services import case_report

    item, point = item_score.item, item_score.inspection.point
    category = (
        Category.objects.active().filter(name=item.category_name).first() if item.category_name else None
    ) or Category.objects.active().filter(name=FALLBACK_CATEGORY).first()
    if category is None:
        return None, _g("未找到问题类别「%(name)s」，未生成案件，请联系创文办") % {"name": item.category_name}
    description = _g("【实地测评】%(round)s · %(point)s：%(item)s 不达标。") % {
        "round": item_score.inspection.round.name, "point": point.name, "item": f"{item.code} {item.text}",
    }
    if item_score.note:
        description += _g("情况说明：%(note)s") % {"note": item_score.note}
    photos = list(item_score.photos.all()[:MAX_PHOTOS_PER_ITEM])
    opened = [p.file.open("rb") for p in photos]
    try:
        case = case_report(
            category=category,
            description=description[:2000],
            lat=point.lat,
            lng=point.lng,
            address=point.address or point.name,
            channel=Channel.INSPECTION,
            reporter_name=str(actor or "")[:50],
            photos=opened,
            idempotency_key=item_score.case_idempotency_key,
            actor=actor,
            title=f"{point.name}：{item.text}"[:100],
        )
    except ValidationError as exc:
        logger.warning("inspection item %s: case not created: %s", item_score.pk, exc.messages)
        return None, _g("已保存评分，但未能生成问题案件：%(reason)s") % {"reason": "；".join(exc.messages)}
    finally:
        for f in opened:
            f.close()
    ItemScore.objects.filter(pk=item_score.pk, case__isnull=True).update(case=case)
    item_score.case = case
    return case, ""


@transaction.atomic
def inspection_finish(*, round: Round, point: InspectionPoint, actor) -> Inspection:
    inspection = Inspection.objects.select_for_update().get(round=round, point=point)
    if inspection.finished_at is None:
        inspection.finished_at = clock.now()
        inspection.save(update_fields=["finished_at"])
    return inspection
