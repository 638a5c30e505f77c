"""/api/v1/cases: report (JSON or multipart with photos), list with filters, detail, workflow actions.

Views stay thin: reporting goes through `cases.services.case_report` and every state change through
`cases.workflow.transition` (DESIGN.md §3); webhooks hear every event through `cases.workflow.on_case_event`.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.db.models import Q
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema
from ninja import Status as Reply
from ninja.files import UploadedFile
from pydantic import Field

from wenming.accounts.models import OrgUnit
from wenming.api.models import Scope
from wenming.cases import catalog
from wenming.cases.models import Case, Channel, normalise_tracking_code
from wenming.cases.services import case_report
from wenming.cases.workflow import Action, AttachmentIn, Status, legal_actions, roles_of, transition
from wenming.core import clock, workcal

from . import pagination
from .auth import Principal, limit_anonymous, principal, require
from .errors import ApiError, forbidden, not_found, responses
from .schemas import Strict, reject_unknown_form_fields

router = Router(tags=["案件"])

IDEMPOTENCY_KEY_MAX = 64
ACTION_PHOTOS_MAX = 9  # as the case pages (cases.forms.MAX_PHOTOS)


# ---------------------------------------------------------------------------------------------------------------
# Schemas (the wire format; not the model)


class CaseIn(Strict):
    category: str = Field(..., max_length=16, description="问题类别代码，如 SJ0401")
    description: str = Field(..., max_length=2000)
    title: str = Field("", max_length=100)
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    address: str = Field("", max_length=200)
    reporter_name: str = Field("", max_length=50)
    reporter_phone: str = Field("", max_length=20)
    is_urgent: bool = False


class Ref(Schema):
    code: str
    name: str


class UnitRef(Schema):
    id: int
    name: str


class CaseOut(Schema):
    id: int
    tracking_code: str
    title: str
    description: str
    category: Ref
    status: str
    status_label: str
    is_urgent: bool
    is_overdue: bool
    lat: float | None
    lng: float | None
    address: str
    district: Ref | None
    street: Ref | None
    grid_cell: str | None
    assigned_unit: UnitRef | None
    due_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class Attachment(Schema):
    url: str
    kind: str
    content_type: str


class TimelineEntry(Schema):
    at: dt.datetime
    action: str
    action_label: str
    to_status: str
    note: str
    unit: str | None
    attachments: list[Attachment]


class Reporter(Schema):
    name: str
    phone: str


class CaseDetail(CaseOut):
    view: Literal["public", "full"]
    reporter: Reporter
    timeline: list[TimelineEntry]
    available_actions: list[str]


class CasePage(Schema):
    items: list[CaseOut]
    next_cursor: str | None


class ActionIn(Strict):
    action: str = Field(..., max_length=32, description="workflow 动作，如 sign、feed_back、verify_pass")
    note: str = Field("", max_length=2000)
    expected_version: int | None = Field(None, ge=0, description="您看到的版本号；已被他人处理时返回 409")
    unit_id: int | None = Field(None, ge=1, description="派遣单位（dispatch）或下派至的下级单位（delegate）")
    due_at: dt.datetime | None = None
    until: dt.datetime | None = Field(None, description="申请延期至（request_extension）")
    working_days: int | None = Field(None, ge=1, le=365)
    satisfaction: int | None = Field(None, ge=1, le=5)
    into: int | None = Field(None, ge=1, description="合并至的案件编号（merge）")


# ---------------------------------------------------------------------------------------------------------------
# Output


def local(moment: dt.datetime | None) -> dt.datetime | None:
    """Times leave the API in the deployment's zone (+08:00), as people in the office read them."""
    return moment.astimezone(workcal.tz()) if moment is not None else None


def _ref(obj) -> dict | None:
    return {"code": obj.code, "name": obj.name} if obj is not None else None


def case_out(case: Case, now=None) -> dict:
    return {
        "id": case.pk,
        "tracking_code": case.tracking_code,
        "title": case.title,
        "description": case.description,
        "category": {"code": case.category.code, "name": case.category.name},
        "status": case.status,
        "status_label": str(Status(case.status).label),
        "is_urgent": case.is_urgent,
        "is_overdue": case.is_overdue(now),
        "lat": case.lat,
        "lng": case.lng,
        "address": case.address,
        "district": _ref(case.district),
        "street": _ref(case.street),
        "grid_cell": case.grid_cell.code if case.grid_cell_id else None,
        "assigned_unit": {"id": case.assigned_unit_id, "name": case.assigned_unit.name} if case.assigned_unit_id else None,
        "due_at": local(case.due_at),
        "created_at": local(case.created_at),
        "updated_at": local(case.updated_at),
        "version": case.version,
    }


def unit_ids_of(who: Principal) -> set[int]:
    if who.user is None:
        return set()
    ids: set[int] = set()
    for unit in who.user.units():
        ids.update(u.pk for u in unit.descendants_and_self())
    return ids


def visible_cases(who: Principal):
    """The public sees published cases; a unit also its own; admin scope everything (DESIGN.md §7)."""
    qs = Case.objects.select_related("category", "assigned_unit", "district", "street", "grid_cell")
    if who.has(Scope.ADMIN):
        return qs
    if who.has(Scope.ACT_FOR_UNIT) and who.user is not None:
        units = unit_ids_of(who)
        public_ids = Case.objects.public().values("pk")
        return qs.filter(Q(pk__in=public_ids) | Q(assigned_unit__in=units) | Q(reporter_user=who.user))
    return qs.filter(pk__in=Case.objects.public().values("pk"))


def sees_full(who: Principal, case: Case) -> bool:
    if who.has(Scope.ADMIN):
        return True
    if who.has(Scope.ACT_FOR_UNIT) and who.user is not None:
        return case.assigned_unit_id in unit_ids_of(who) or bool(roles_of(case, who.user))
    return False


def timeline_entry(request, e, attachments) -> dict:
    return {
        "at": local(e.at),
        "action": e.action,
        "action_label": str(Action(e.action).label),
        "to_status": e.to_status,
        "note": e.note,
        "unit": e.actor_unit.name if e.actor_unit_id else None,
        "attachments": [
            {"url": request.build_absolute_uri(a.file.url), "kind": a.kind, "content_type": a.content_type}
            for a in attachments
        ],
    }


def case_detail(request, case: Case, who: Principal, timeline: list[dict] | None = None) -> dict:
    """`timeline`: entries already built from events in memory (a case just reported); else read here."""
    full = sees_full(who, case)
    if timeline is None:
        events = case.events.all() if full else case.public_events()
        events = events.select_related("actor_unit").prefetch_related("attachments").order_by("at", "pk")
        timeline = [timeline_entry(request, e, e.attachments.all()) for e in events]
    actions: list[str] = []
    if who.user is not None and who.has(Scope.ACT_FOR_UNIT):
        actions = legal_actions(case.status, roles_of(case, who.user))
    return {
        **case_out(case),
        "view": "full" if full else "public",
        "reporter": {
            "name": case.reporter_name if full else (case.reporter_name[:1] + "*" if case.reporter_name else ""),
            "phone": case.reporter_phone if full else case.reporter_phone_masked,
        },
        "timeline": timeline,
        "available_actions": actions,
    }


# ---------------------------------------------------------------------------------------------------------------
# Endpoints


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=workcal.tz())


@router.get("/cases", response=responses({200: CasePage}), summary="案件列表")
def list_cases(
    request,
    state: str | None = None,
    category: str | None = None,
    unit: int | None = None,
    district: str | None = None,
    grid_cell: str | None = None,
    created_from: dt.date | None = None,
    created_to: dt.date | None = None,
    overdue: bool | None = None,
    cursor: str | None = None,
    limit: int = 50,
):
    """Filters combine with AND. `created_from`/`created_to` are whole local days (Asia/Shanghai), inclusive."""
    limit_anonymous(request)
    who = principal(request)
    qs = visible_cases(who)
    if state:
        states = [s for s in state.split(",") if s]
        bad = [s for s in states if s not in Status.values]
        if bad:
            raise ApiError(400, "invalid", _("未知状态：%(s)s") % {"s": "、".join(bad)[:100]})
        qs = qs.filter(status__in=states)
    if category:
        qs = qs.filter(category__code=category)
    if unit is not None:
        found = OrgUnit.objects.filter(pk=unit).first()
        qs = qs.filter(assigned_unit__in=[u.pk for u in found.descendants_and_self()]) if found else qs.none()
    if district:
        qs = qs.filter(district__code=district)
    if grid_cell:
        qs = qs.filter(grid_cell__code=grid_cell)
    if created_from and created_to and created_from > created_to:
        raise ApiError(400, "invalid", _("起始日期不能晚于结束日期"))
    if created_from:
        qs = qs.filter(created_at__gte=_day_start(created_from))
    if created_to:
        qs = qs.filter(created_at__lt=_day_start(created_to + dt.timedelta(days=1)))
    if overdue is not None:
        now = clock.now()
        qs = qs.filter(pk__in=Case.objects.overdue(now).values("pk")) if overdue else qs.exclude(
            pk__in=Case.objects.overdue(now).values("pk")
        )
    rows, next_cursor = pagination.page(qs, cursor, limit)
    now = clock.now()
    return {"items": [case_out(c, now) for c in rows], "next_cursor": next_cursor}


def _create(request, response: HttpResponse, data: CaseIn, photos=()):
    who = principal(request)
    require(request, Scope.REPORT)
    limit_anonymous(request, "report")
    category = catalog.active_category(data.category)
    if category is None or (not category.is_public and not who.has(Scope.ADMIN)):
        raise ApiError(400, "invalid", _("请选择有效的问题类别"), [{"field": "category", "message": _("未知的问题类别")}])
    key = (request.headers.get("Idempotency-Key") or "").strip()
    if len(key) > IDEMPOTENCY_KEY_MAX or (key and not key.isprintable()):
        raise ApiError(400, "invalid", _("Idempotency-Key 不能超过%(n)s个字符") % {"n": IDEMPOTENCY_KEY_MAX})
    full_key = f"api:{who.idempotency_namespace()}:{key}" if key else None
    case = case_report(
        category=category,
        description=data.description,
        title=data.title,
        lat=data.lat,
        lng=data.lng,
        address=data.address,
        channel=Channel.API,
        reporter_name=data.reporter_name,
        reporter_phone=data.reporter_phone,
        photos=photos,
        idempotency_key=full_key,
        actor=who.user,
        is_urgent=data.is_urgent,
    )
    replayed = case.replayed  # case_report looked the key up once: the first case, or a new one
    response["Idempotent-Replayed"] = "true" if replayed else "false"
    response["Location"] = f"/api/v1/cases/{case.tracking_code}"
    # The reporter may follow the case by its tracking code, so the reply is the reporter's own (public) view.
    if replayed:
        case = Case.objects.select_related("category", "assigned_unit", "district", "street", "grid_cell").get(
            pk=case.pk
        )
        return Reply(200, case_detail(request, case, who))
    # A new case: everything the reply shows was just written and is in memory (its relations too), and its
    # timeline is the one public 'report' event with the photos saved on it — no need to read it all back.
    event = case.report_event
    attachments = event.attachments.order_by("pk") if case.report_attachment_count else ()
    return Reply(201, case_detail(request, case, who, timeline=[timeline_entry(request, event, attachments)]))


@router.post("/cases", response=responses({200: CaseDetail, 201: CaseDetail}), summary="上报问题（JSON）")
def create_case(request, response: HttpResponse, data: CaseIn):
    """Send `Idempotency-Key: <your id>` to make retries safe: the same key returns the first case (200)."""
    return _create(request, response, data)


@router.post("/cases/upload", response=responses({200: CaseDetail, 201: CaseDetail}), summary="上报问题（带照片）")
def create_case_with_photos(
    request, response: HttpResponse, data: Form[CaseIn], photos: File[list[UploadedFile]] = None
):
    """multipart/form-data: the same fields as the JSON form plus up to 9 `photos` (JPEG/PNG/WebP/GIF)."""
    reject_unknown_form_fields(request, CaseIn, files=("photos",))
    return _create(request, response, data, photos or ())


def _get_case(request, ref: str) -> Case:
    who = principal(request)
    base = Case.objects.select_related("category", "assigned_unit", "district", "street", "grid_cell")
    if ref.isdigit() and len(ref) < 19:
        case = visible_cases(who).filter(pk=int(ref)).first()
    elif len(ref) <= 40:
        # The tracking code is the reporter's key (not guessable): whoever holds it sees the public timeline.
        case = base.filter(tracking_code=normalise_tracking_code(ref)).first()
    else:
        case = None
    if case is None:
        raise not_found(_("未找到该案件"))
    return case


@router.get("/cases/{ref}", response=responses({200: CaseDetail}), summary="案件详情")
def get_case(request, ref: str):
    """`ref` is the case id or its tracking code. Units acting on the case and admins see the full timeline."""
    limit_anonymous(request)
    case = _get_case(request, ref)
    return case_detail(request, case, principal(request))


@router.post("/cases/{ref}/actions", response=responses({200: CaseDetail}), summary="办理案件")
def act_on_case(request, ref: str, data: ActionIn):
    """Apply a workflow action (the same table and checks as the pages). Illegal actions answer 409/403."""
    return _act(request, ref, data)


@router.post("/cases/{ref}/actions/upload", response=responses({200: CaseDetail}), summary="办理案件（带照片）")
def act_on_case_with_photos(request, ref: str, data: Form[ActionIn], photos: File[list[UploadedFile]] = None):
    """multipart/form-data: the fields of `POST /cases/{ref}/actions` plus up to 9 `photos` (JPEG/PNG/WebP/GIF,
    checked by content), e.g. a unit's 处置反馈 (feed_back) with after photos. The same transition() decides."""
    require(request, Scope.ACT_FOR_UNIT)
    reject_unknown_form_fields(request, ActionIn, files=("photos",))
    photos = list(photos or ())
    if len(photos) > ACTION_PHOTOS_MAX:
        raise ApiError(400, "invalid", _("最多上传%(n)s张照片") % {"n": ACTION_PHOTOS_MAX},
                       [{"field": "photos", "message": _("最多上传%(n)s张照片") % {"n": ACTION_PHOTOS_MAX}}])
    kind = "after" if data.action == Action.FEED_BACK else "evidence"
    attachments = [AttachmentIn(file=f, kind=kind, name=(f.name or "photo")[-100:]) for f in photos]
    return _act(request, ref, data, attachments)


def _act(request, ref: str, data: ActionIn, attachments=()):
    who = require(request, Scope.ACT_FOR_UNIT)
    if who.user is None:
        raise forbidden(_("该令牌未绑定用户账号，不能办理案件"))
    case = _get_case(request, ref)
    if data.action not in Action.values or data.action == Action.REPORT:
        raise ApiError(400, "unknown_action", _("未知操作「%(action)s」") % {"action": data.action[:32]})
    payload: dict = {}
    if data.unit_id is not None:
        unit = OrgUnit.objects.filter(pk=data.unit_id, is_active=True).first()
        if unit is None:
            raise ApiError(400, "invalid", _("未知的单位"), [{"field": "unit_id", "message": _("未知的单位")}])
        payload["unit"] = unit
    for name in ("due_at", "until"):
        value = getattr(data, name)
        if value is not None:
            if value.tzinfo is None:
                raise ApiError(400, "invalid", _("时间必须带时区（如 +08:00）"), [{"field": name, "message": _("缺少时区")}])
            payload[name] = value
    for name in ("working_days", "satisfaction", "into"):
        if getattr(data, name) is not None:
            payload[name] = getattr(data, name)
    transition(
        case, data.action, actor=who.user, note=data.note, data=payload, expected_version=data.expected_version,
        attachments=attachments,
    )
    case = Case.objects.select_related("category", "assigned_unit", "district", "street", "grid_cell").get(pk=case.pk)
    return case_detail(request, case, who)
