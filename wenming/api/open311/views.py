"""The six GeoReport v2 calls (spec: wiki.open311.org/GeoReport_v2, "API Methods") and Service Discovery
(spec: wiki.open311.org/Service_Discovery), plain Django views.

Every answer is JSON or XML by the path suffix, errors included (an array of {code, description}); bad input of
any kind is a 400/403/404 in that format and stores nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    ValidationError,
)
from django.core.validators import validate_email
from django.db.models import F, Max
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from wenming.api import ratelimit
from wenming.api.models import Open311Intake, Open311Key
from wenming.cases import catalog
from wenming.cases.models import Case, CaseAttachment, CaseEvent, Category, Channel
from wenming.cases.services import case_report
from wenming.cases.workflow import OPEN_STATES, Action
from wenming.core import clock, workcal

from . import services as svc
from .formats import FORMATS, Open311Error, error_response, respond

logger = logging.getLogger(__name__)

MAX_POST_BYTES = 64 * 1024  # a GeoReport POST is a handful of short fields; media is sent as a URL
MAX_WINDOW = dt.timedelta(days=90)  # spec: start_date/end_date "may not span more than 90 days"
POST_FIELDS = {
    "api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string", "address_id", "email",
    "device_id", "account_id", "first_name", "last_name", "phone", "description", "media_url",
}
FIELD_LIMITS = {
    "address_string": 200, "address_id": 100, "email": 254, "device_id": 100, "account_id": 100,
    "first_name": 50, "last_name": 50, "phone": 20, "media_url": 500, "description": 4000, "service_code": 16,
    "lat": 40, "long": 40, "jurisdiction_id": 50, "api_key": 200,
}


def endpoint(methods: tuple[str, ...]):
    """Common frame: known format, allowed method, known jurisdiction, anonymous rate limit, errors in format."""

    def wrap(view):
        @csrf_exempt
        @functools.wraps(view)
        def inner(request, fmt: str, **kwargs):
            fmt = fmt.lower()
            if fmt not in FORMATS:
                return error_response("json", 400, [_("不支持的格式“%(fmt)s”，请使用 .json 或 .xml") % {"fmt": fmt[:10]}])
            try:
                if request.method not in methods:
                    raise Open311Error(400, _("不支持的请求方法 %(m)s") % {"m": request.method[:10]})
                if request.method == "POST":
                    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_POST_BYTES:
                        raise Open311Error(400, _("请求内容过大（上限 %(kb)s KB）") % {"kb": MAX_POST_BYTES // 1024})
                    params = request.POST
                else:
                    params = request.GET
                    wait = ratelimit.hit(request, "read")
                    if wait is not None:
                        response = error_response(fmt, 429, [_("请求过于频繁，请 %(s)s 秒后再试") % {"s": wait}])
                        response["Retry-After"] = str(wait)
                        return response
                check_jurisdiction(params.get("jurisdiction_id"))
                return view(request, fmt, params, **kwargs)
            except Open311Error as exc:
                return error_response(fmt, exc.status, exc.descriptions)
            except (RequestDataTooBig, TooManyFieldsSent):
                return error_response(fmt, 400, [_("请求内容过大")])
            except (SuspiciousOperation, ValueError, UnicodeError):
                return error_response(fmt, 400, [_("请求格式不正确")])
            except Exception:
                logger.exception("Open311 error on %s", request.path)
                return error_response(fmt, 500, [_("服务器内部错误，请稍后重试")])

        return inner

    return wrap


def check_jurisdiction(value: str | None) -> None:
    """Spec: jurisdiction_id is needed only where one server covers several cities; ours names this city."""
    if value is None or value == "":
        return
    known = {str(getattr(settings, "WENMING_CITY_CODE", "")), str(getattr(settings, "WENMING_CITY_NAME", ""))}
    if value.strip() not in known - {""}:
        raise Open311Error(400, _("未知的 jurisdiction_id：%(j)s") % {"j": value[:50]})


def _service(code: str) -> Category:
    found = catalog.public_category(code[:16])
    if found is None:
        raise Open311Error(404, _("未找到服务“%(code)s”") % {"code": code[:16]})
    return found


# ---------------------------------------------------------------------------------------------------------------
# Service discovery

GEOREPORT_V2 = "http://wiki.open311.org/GeoReport_v2"  # spec: the endpoint's "specification" token
NO_CHANGE_YET = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def services_changeset() -> str:
    """Spec: an endpoint's changeset moves when its service list or service definitions change, so clients know to
    refresh what they cached. Both are made from the categories (services.py), so the latest category change is it
    (deleting a category is not seen; cases protect theirs, and retiring one is an edit: 启用 unticked).
    Written like every Open311 time (W3C ISO 8601, the deployment's zone): one zone keeps the strings sortable."""
    latest = Category.objects.aggregate(latest=Max("updated_at"))["latest"]
    return iso(latest or NO_CHANGE_YET)


@endpoint(("GET",))
def discovery(request, fmt, params):
    """Spec: changeset, contact, key_service and the endpoints, all required; XML and JSON both."""
    city = getattr(settings, "WENMING_CITY_NAME", "")
    changeset = services_changeset()
    # The v2 root as this deployment serves it (script prefix included), without the trailing slash: clients
    # append "/services.json" to the endpoint url, as in the spec's examples.
    root = reverse("open311-services", kwargs={"fmt": "json"}).rsplit("/", 1)[0]
    document = {
        "changeset": changeset,
        "contact": getattr(settings, "WENMING_OPEN311_CONTACT", "")
        or _("本接口由%(city)s文明办负责运行维护，如有问题请与该办联系。") % {"city": city},
        "key_service": _("提交问题（POST）需要 api_key，由%(city)s文明办的系统管理员在管理后台签发，请向该办申请；"
                         "查询无需密钥。") % {"city": city},
        "endpoints": [{
            "specification": GEOREPORT_V2,
            "url": request.build_absolute_uri(root),
            "changeset": changeset,
            "type": "production",
            "formats": ["application/json", "text/xml"],
        }],
    }
    return respond(fmt, document, root="discovery", item=None,
                   list_items={"endpoints": "endpoint", "formats": "format"})


# ---------------------------------------------------------------------------------------------------------------
# Services


@endpoint(("GET",))
def services(request, fmt, params):
    items = [svc.service_out(c) for c in Category.objects.public()]
    return respond(fmt, items, root="services", item="service")


@endpoint(("GET",))
def service_definition(request, fmt, params, code: str):
    definition = svc.definition_out(_service(code))
    return respond(fmt, definition, root="service_definition", item=None,
                   list_items={"attributes": "attribute", "values": "value"})


# ---------------------------------------------------------------------------------------------------------------
# Requests: reading


def visible_cases():
    """Auto-accept: every request in a public category is listed from the moment it arrives. Moderated intake:
    only what the office accepted (the public site's rule, DESIGN.md §7)."""
    if svc.moderated():
        return Case.objects.public()
    return Case.objects.filter(category__is_public=True)


def iso(moment: dt.datetime | None) -> str | None:
    """Spec "Date/time format": ISO 8601 with the zone; the deployment's zone gives +08:00."""
    if moment is None:
        return None
    return moment.astimezone(workcal.tz()).replace(microsecond=0).isoformat()


def request_rows(qs, request):
    rows = list(qs.annotate(
        service_code=F("category__code"),
        service_name=F("category__name"),
        agency=F("assigned_unit__name"),
        intake_media=F("open311__media_url"),
        intake_address_id=F("open311__address_id"),
    ).values(
        "pk", "status", "service_code", "service_name", "agency", "intake_media",
        "intake_address_id", "description", "created_at", "updated_at", "due_at", "address", "lat", "lng",
    ))
    # The latest public note and the reporter's first photo for the whole page in two queries (a correlated
    # subquery per row cost ~0.1 ms each: 1,000 requests took 190 ms instead of the spec list's goal < 150 ms).
    ids = [r["pk"] for r in rows]
    notes: dict[int, str] = {}
    for case_id, note in (
        CaseEvent.objects.filter(case_id__in=ids, public=True).exclude(note="")
        .order_by("case_id", "-at", "-pk").values_list("case_id", "note")
    ):
        notes.setdefault(case_id, note)
    photos: dict[int, int] = {}
    for case_id, attachment_id in (
        CaseAttachment.objects.filter(event__case_id__in=ids, event__action=Action.REPORT)
        .order_by("event__case_id", "pk").values_list("event__case_id", "pk")
    ):
        photos.setdefault(case_id, attachment_id)
    for r in rows:
        r["status_notes"] = notes.get(r["pk"], "")
        r["photo"] = photos.get(r["pk"])
    media_base = request.build_absolute_uri("/open311/v2/media/")
    out = []
    for r in rows:
        out.append({
            "service_request_id": str(r["pk"]),
            "status": "open" if r["status"] in OPEN_STATES else "closed",
            "status_notes": r["status_notes"] or "",
            "service_name": r["service_name"],
            "service_code": r["service_code"],
            "description": r["description"],
            "agency_responsible": r["agency"] or "",
            "service_notice": "",
            "requested_datetime": iso(r["created_at"]),
            "updated_datetime": iso(r["updated_at"]),
            "expected_datetime": iso(r["due_at"]),
            "address": r["address"],
            "address_id": r["intake_address_id"] or "",
            "zipcode": "",
            "lat": r["lat"],
            "long": r["lng"],
            "media_url": r["intake_media"] or (f"{media_base}{r['photo']}" if r["photo"] else ""),
        })
    return out


def _when(params, name: str) -> dt.datetime | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        moment = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        raise Open311Error(400, _("%(name)s 不是有效的 ISO 8601 时间，如 2019-10-08T09:00:00+08:00") % {"name": name}) from None
    if moment.tzinfo is None:
        raise Open311Error(400, _("%(name)s 必须带时区（Z 或 +08:00）") % {"name": name})
    return moment


def _ids(text: str) -> list[int]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts or len(parts) > 1000 or not all(p.isdigit() and len(p) < 19 for p in parts):
        raise Open311Error(400, _("service_request_id 应为以逗号分隔的编号"))
    return [int(p) for p in parts]


@endpoint(("GET", "POST"))
def requests_collection(request, fmt, params):
    if request.method == "POST":
        return create_request(request, fmt, params)
    qs = visible_cases()
    if params.get("service_request_id"):
        # Spec: service_request_id "overrides all other arguments".
        qs = qs.filter(pk__in=_ids(params["service_request_id"]))
    else:
        codes = [c.strip() for c in (params.get("service_code") or "").split(",") if c.strip()]
        if codes:
            known = set(Category.objects.public().filter(code__in=codes).values_list("code", flat=True))
            missing = [c for c in codes if c not in known]
            if missing:
                raise Open311Error(404, _("未找到服务“%(code)s”") % {"code": "、".join(missing)[:100]})
            qs = qs.filter(category__code__in=codes)
        start, end = _when(params, "start_date"), _when(params, "end_date")
        # Spec: without dates the range is the most recent 90 days; with one, the other follows from it.
        if start is None and end is None:
            end = clock.now()
        if start is None:
            start = end - MAX_WINDOW
        if end is None:
            end = start + MAX_WINDOW
        if end < start:
            raise Open311Error(400, _("end_date 不能早于 start_date"))
        if end - start > MAX_WINDOW:
            raise Open311Error(400, _("start_date 与 end_date 相差不能超过 90 天"))
        qs = qs.filter(created_at__gte=start, created_at__lte=end)
        statuses = [s.strip() for s in (params.get("status") or "").split(",") if s.strip()]
        if statuses:
            if any(s not in ("open", "closed") for s in statuses):
                raise Open311Error(400, _("status 只能是 open 或 closed"))
            if statuses == ["open"] or set(statuses) == {"open"}:
                qs = qs.filter(status__in=OPEN_STATES)
            elif set(statuses) == {"closed"}:
                qs = qs.exclude(status__in=OPEN_STATES)
    limit = int(getattr(settings, "WENMING_OPEN311_MAX_REQUESTS", 1000))
    rows = request_rows(qs.order_by("-created_at", "-pk")[:limit], request)
    return respond(fmt, rows, root="service_requests", item="request")


@endpoint(("GET",))
def request_detail(request, fmt, params, request_id: str):
    if not request_id.isdigit() or len(request_id) > 18:
        raise Open311Error(404, _("未找到编号为“%(id)s”的服务请求") % {"id": request_id[:20]})
    rows = request_rows(visible_cases().filter(pk=int(request_id)), request)
    if not rows:
        raise Open311Error(404, _("未找到编号为“%(id)s”的服务请求") % {"id": request_id})
    return respond(fmt, rows, root="service_requests", item="request")


@endpoint(("GET",))
def token_detail(request, fmt, params, token: str):
    """Spec: a token answers with the service_request_id once the request exists (here: once it is accepted)."""
    case = Case.objects.filter(tracking_code=token[:20], channel=Channel.OPEN311).only("pk").first()
    if case is None:
        raise Open311Error(404, _("未找到该令牌"))
    item = {"token": token}
    if visible_cases().filter(pk=case.pk).exists():
        item = {"service_request_id": str(case.pk), "token": token}
    return respond(fmt, [item], root="service_requests", item="request")


# ---------------------------------------------------------------------------------------------------------------
# Requests: creating


def _clean_post(params) -> dict[str, str]:
    unknown = sorted(k for k in params if k not in POST_FIELDS and not k.startswith("attribute["))
    if unknown:
        raise Open311Error(400, _("不支持的字段：%(f)s") % {"f": "、".join(unknown)[:200]})
    values: dict[str, str] = {}
    errors = []
    for name in POST_FIELDS:
        items = params.getlist(name)
        if len(items) > 1:
            errors.append(_("字段 %(f)s 只能出现一次") % {"f": name})
            continue
        value = (items[0] if items else "").strip()
        if "\x00" in value:
            errors.append(_("字段 %(f)s 含有不允许的字符") % {"f": name})
        elif len(value) > FIELD_LIMITS.get(name, 200):
            errors.append(_("字段 %(f)s 过长（上限 %(n)s 字）") % {"f": name, "n": FIELD_LIMITS.get(name, 200)})
        values[name] = value
    if errors:
        raise Open311Error(400, *errors)
    return values


def _coordinates(values) -> tuple[float | None, float | None]:
    lat, lng = values["lat"], values["long"]
    if not lat and not lng:
        return None, None
    if not (lat and lng):
        raise Open311Error(400, _("lat 和 long 必须同时提供"))
    try:
        flat, flng = float(lat), float(lng)
    except ValueError:
        raise Open311Error(400, _("lat/long 必须是数字")) from None
    if not (math.isfinite(flat) and math.isfinite(flng) and -90 <= flat <= 90 and -180 <= flng <= 180):
        raise Open311Error(400, _("lat/long 超出范围"))
    return flat, flng


def create_request(request, fmt, params):
    values = _clean_post(params)
    key = Open311Key.matching(values["api_key"])
    if key is None:
        raise Open311Error(403, _("api_key 无效或已停用"))
    if not values["service_code"]:
        raise Open311Error(400, _("缺少 service_code"))
    category = _service(values["service_code"])
    attributes = svc.parse_attributes(category, params)
    lat, lng = _coordinates(values)
    address = values["address_string"]
    if values["address_id"] and not address:
        address = _("地址编号 %(id)s") % {"id": values["address_id"]}
    if lat is None and not address:
        raise Open311Error(400, _("请提供位置：lat 与 long、address_string 或 address_id"))
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            raise Open311Error(400, _("email 格式不正确")) from None
    if values["media_url"] and urlsplit(values["media_url"]).scheme not in ("http", "https"):
        raise Open311Error(400, _("media_url 必须是 http 或 https 地址"))
    if len(values["description"]) > 2000:
        raise Open311Error(400, _("问题描述不能超过2000个字"))
    # Chinese order: family name first.
    name = f"{values['last_name']}{values['first_name']}".strip()
    def write_intake(case):
        Open311Intake.objects.create(
            case=case, key=key, attributes=attributes, media_url=values["media_url"],
            address_id=values["address_id"], first_name=values["first_name"], last_name=values["last_name"],
            email=values["email"], device_id=values["device_id"], account_id=values["account_id"],
        )

    try:
        case = case_report(
            category=category,
            description=values["description"],
            lat=lat,
            lng=lng,
            address=address,
            channel=Channel.OPEN311,
            reporter_name=name,
            reporter_phone=values["phone"],
            is_urgent=attributes.get("is_urgent") == "true",
            also_write=write_intake,  # in the case's own transaction: both rows or neither
        )
    except ValidationError as exc:
        messages = [m for ms in exc.message_dict.values() for m in ms] if hasattr(exc, "error_dict") else exc.messages
        raise Open311Error(400, *messages) from None
    now = clock.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        Open311Key.objects.filter(pk=key.pk).update(last_used_at=now)  # at most once a minute: no write per call
    if svc.moderated():
        item = {"token": case.tracking_code, "service_notice": _("已收到，待受理后可凭令牌查询编号"),
                "account_id": values["account_id"]}
    else:
        item = {"service_request_id": str(case.pk), "service_notice": _("已收到，查询码 %(code)s") % {
            "code": case.tracking_code}, "account_id": values["account_id"]}
    return respond(fmt, [item], root="service_requests", item="request")


@csrf_exempt
def not_found(request, rest: str = ""):
    fmt = "xml" if rest.lower().endswith(".xml") else "json"
    return error_response(fmt, 404, [_("未找到该接口")])


def media(request, pk: int):
    """The reporter's photo of a listed request (spec: `media_url`): only photos attached to the report itself,
    only for requests this endpoint lists; staff evidence and later photos stay behind their own views."""
    from django.http import FileResponse

    attachment = (
        CaseAttachment.objects.filter(pk=pk, event__action=Action.REPORT, event__case__in=visible_cases())
        .select_related("event")
        .first()
    )
    if attachment is None:
        return error_response("json", 404, [_("没有这张照片")])
    try:
        handle = attachment.file.open("rb")
    except OSError:
        return error_response("json", 404, [_("没有这张照片")])
    response = FileResponse(handle, content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
