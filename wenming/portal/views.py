"""Public pages (DESIGN.md §1 公众, §4, §7): home, report, receipt, tracking, callback, rejection slip, exposure board.

What the public may see, decided here once:
- A tracking code is a bearer token (30 random bits a day, models.new_tracking_code): whoever holds it sees that
  case's receipt and public timeline and may rate it. Only events the workflow table marks public are shown, with
  their notes; never who acted (staff names), never a phone number except the reporter's own, masked.
- The exposure board (seed §12/§36 曝光) shows exposed cases of public categories: category, street and district,
  status, days overdue, the description with phone and ID numbers masked; never the reporter or the address.
- Photos: uploads are not served from MEDIA_URL in production. `track_photo` and `exposure_photo` serve one
  attachment only when it is a before/after photo on a public event of a case the viewer may see: the case named by
  the tracking code in the URL, or an exposed public case. Evidence files (kind "evidence") are never public:
  they may be documents with personal data.
- A case merged into an original shows the original's status and public timeline, not its tracking code (the code
  would let a stranger rate the original).
- Every view that looks a case up by code counts against the client address's look-up budgets
  (api.ratelimit buckets "track" and "track_miss"), so the 30 bits cannot be enumerated by a bot; staff are not
  limited.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Max, Prefetch, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _g
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wenming.accounts.models import OrgUnitKind, Role
from wenming.api import ratelimit
from wenming.cases.models import Case, CaseAttachment, Channel
from wenming.cases.views_intake import ReportForm, form_context, phone_is_valid, same_as_code, take_report
from wenming.cases.workflow import (
    DISSATISFIED,
    SATISFACTION_LABELS,
    Action,
    Status,
    WorkflowError,
    transition,
)
from wenming.core import clock, workcal
from wenming.plans.models import Plan

from .forms import CallbackForm, QuickReportForm, TrackForm

PUBLIC_PHOTO_KINDS = (CaseAttachment.Kind.BEFORE, CaseAttachment.Kind.AFTER)
EXPOSURE_PAGE_SIZE = 20
MOBILE_UA = re.compile(r"Mobile|Android|iPhone|iPad|MicroMessenger", re.IGNORECASE)


def home(request):
    """Each signed-in role lands on its own work; everyone else on the public home.

    office → the progress board; a 牵头领导 → the measures they lead; a responsible unit → its own list (一单);
    an inspector → their inspection rounds.
    """
    user = request.user
    if user.is_authenticated:
        if user.is_office:
            return redirect("plans:board")
        leader = getattr(user, "leader", None)
        if leader is not None:
            return redirect("plans:leader", pk=leader.pk)
        units = user.units(Role.UNIT)
        if units:
            return redirect("plans:unit", pk=units[0].pk)
        if user.has_role(Role.INSPECTOR):
            return redirect("inspections:rounds")
        units = user.units()
        if units:
            return redirect("plans:unit", pk=units[0].pk)
    plan = Plan.objects.filter(is_default=True).first() or Plan.objects.first()
    exposed = Case.objects.public().filter(is_exposed=True).count()
    return render(request, "portal/home.html", {"plan": plan, "exposed_count": exposed, "track_form": TrackForm()})


# ---------------------------------------------------------------------------------------------------------------
# Reporting


@require_http_methods(["GET", "POST"])
def report(request):
    """/report/: anyone, anonymous allowed (DESIGN.md §1). The channel is H5 on a phone, web otherwise."""
    outcome = None
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES)
        channel = Channel.H5 if MOBILE_UA.search(request.headers.get("User-Agent", "")) else Channel.WEB
        outcome = take_report(request, form, channel=channel, key_prefix="portal")
        if outcome.case is not None:
            return redirect("portal:receipt", code=outcome.case.tracking_code)
    else:
        form = ReportForm()
    return render(request, "portal/report.html", form_context(form, outcome))


def _quick_channel(user) -> str:
    """The channel a reporter's account implies; they may choose another (a deputy who also volunteers)."""
    kinds = {unit.kind for unit in user.units()}
    return Channel.MEDIA if OrgUnitKind.MEDIA in kinds else Channel.INSPECTOR


@login_required
@require_http_methods(["GET", "POST"])
def report_quick(request):
    """/report/quick/: inspectors, 两代表一委员, media, volunteers with an account (seed §41 督查机制)."""
    user = request.user
    if not (user.is_office or user.has_role(Role.INSPECTOR)):
        raise PermissionDenied(_g("快速上报仅供督查员、两代表一委员、媒体和志愿者账号使用"))
    outcome = None
    if request.method == "POST":
        form = QuickReportForm(request.POST, request.FILES)
        phone = user.phone if phone_is_valid(user.phone or "") else ""
        contact = {"reporter_name": (user.display_name or user.username)[:50], "reporter_phone": phone}
        outcome = take_report(request, form, channel="", key_prefix="quick", actor=user, contact=contact)
        if outcome.case is not None:
            return redirect("portal:receipt", code=outcome.case.tracking_code)
    else:
        form = QuickReportForm(initial={"channel": _quick_channel(user)})
    return render(request, "portal/quick.html", form_context(form, outcome))


@require_GET
def report_duplicates(request):
    """The duplicate question asked before submitting (fetched by the report page's script, so photos stay chosen)."""
    from wenming.cases.models import Category
    from wenming.cases.services import find_duplicates

    try:
        lat, lng = float(request.GET["lat"]), float(request.GET["lng"])
        category = Category.objects.active().get(pk=int(request.GET["category"]))
    except (KeyError, ValueError, TypeError, Category.DoesNotExist):
        duplicates = []
    else:
        duplicates = find_duplicates((lat, lng), category) if math.isfinite(lat) and math.isfinite(lng) else []
    return render(request, "cases/intake/_duplicates.html", {"duplicates": duplicates})


def _find(code: str) -> Case | None:
    return (
        Case.objects.by_tracking_code(code)
        .select_related("category", "street", "district", "merged_into__category")
        .first()
    )


def _not_found(request, code: str):
    """An unknown or malformed code: a Chinese message and the look-up form again, with status 404."""
    form = TrackForm(initial={"code": code[:40]})
    return render(request, "portal/track.html", {"form": form, "not_found": code[:40]}, status=404)


# Look-up limits. Two fixed-window budgets per client address (api.ratelimit): "track" counts every look-up and
# only stops floods; "track_miss" counts codes that match nothing, which is what guessing produces. A miss is only
# known after the look-up and `ratelimit.hit` refuses the request that goes over, so the first miss over the budget
# is answered 429 and closes look-ups from that address, hits included, until its window ends: a guesser learns at
# most one more answer per window, and a blocked address cannot tell a real code from a wrong one.


def _unlimited(request) -> bool:
    """Signed-in staff (any role, or Django staff) check cases for callers all day; a bare account is a citizen."""
    user = request.user
    return user.is_authenticated and (user.is_staff or user.is_superuser or user.memberships.exists())


def _blocked_key(request) -> str:
    return f"wm:track:blocked:{ratelimit.client_ip(request)}"


def _too_many(request, wait: int) -> HttpResponse:
    response = render(request, "portal/rate_limited.html", {"wait": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response


def _refuse_lookup(request) -> HttpResponse | None:
    """Before a look-up: 429 while the address is blocked for misses or over its total budget, else None."""
    if _unlimited(request):
        return None
    until = cache.get(_blocked_key(request))
    if until is not None and until > time.time():
        return _too_many(request, max(1, math.ceil(until - time.time())))
    wait = ratelimit.hit(request, "track")
    return _too_many(request, wait) if wait is not None else None


def _refuse_miss(request) -> HttpResponse | None:
    """After a look-up that matched nothing: count it; over the budget, block the address (see above) and 429."""
    if _unlimited(request):
        return None
    wait = ratelimit.hit(request, "track_miss")
    if wait is None:
        return None
    cache.set(_blocked_key(request), time.time() + wait, timeout=wait)
    return _too_many(request, wait)


def _lookup(request, code: str) -> Case | HttpResponse:
    """`_find` within the look-up limits: the case, or the response to send instead (429, or the Chinese 404)."""
    refused = _refuse_lookup(request)
    if refused is not None:
        return refused
    case = _find(code)
    if case is None:
        return _refuse_miss(request) or _not_found(request, code)
    return case


def _limit_text(category) -> str:
    return _g("%(n)s个%(unit)s") % {"n": category.normal_limit, "unit": category.get_normal_limit_unit_display()}


@require_GET
def receipt(request, code: str):
    """受理回单 (seed §21): printable; the code, time, category, masked phone, what happens next and the limits."""
    case = _lookup(request, code)
    if not isinstance(case, Case):
        return case
    accept_days = getattr(settings, "WENMING_ACCEPT_LIMIT_WORKING_DAYS", 1)
    return render(
        request,
        "portal/receipt.html",
        {
            "case": case,
            "accept_days": accept_days,
            "accept_by": workcal.add_working_days(case.created_at, accept_days),
            "handling_limit": _limit_text(case.category),
            "same_as": same_as_code(case),
        },
    )


# ---------------------------------------------------------------------------------------------------------------
# Tracking


@require_GET
def track(request):
    form = TrackForm(request.GET or None)
    if form.is_valid():
        # Only letters and digits go into the URL: spaces, dashes and slashes people type are dropped here.
        # Nothing is looked up yet, so nothing is counted: the page redirected to counts the look-up.
        code = re.sub(r"[^0-9A-Za-z]", "", form.cleaned_data["code"]).upper()
        if not code:
            return _not_found(request, form.cleaned_data["code"])
        return redirect("portal:track_detail", code=code)
    return render(request, "portal/track.html", {"form": form})


def _timeline(case: Case, *, with_photos: bool) -> list[dict]:
    """Public events as the public may read them: what happened and when, public notes, no actor."""
    rows = []
    events = case.public_events().prefetch_related(
        Prefetch("attachments", queryset=CaseAttachment.objects.filter(kind__in=PUBLIC_PHOTO_KINDS))
    )
    for event in events:
        data = event.data or {}
        detail = ""
        if event.action == Action.DISPATCH and data.get("unit"):
            detail = _g("责任单位：%(unit)s") % {"unit": data["unit"]}
        elif event.action == Action.CALLBACK:
            detail = _g("评价：%(label)s") % {"label": data.get("satisfaction_label", "")}
            if data.get("reopened"):
                detail += _g("；已转回责任单位重办")
        elif event.action == Action.MERGE:
            detail = _g("与同一问题合并办理")
        rows.append(
            {
                "at": event.at,
                "action": event.get_action_display(),
                "status": event.get_to_status_display(),
                "detail": detail,
                "note": event.note,
                "photos": list(event.attachments.all()) if with_photos else [],
            }
        )
    return rows


def _photos(case: Case, kind: str) -> list[CaseAttachment]:
    return list(
        CaseAttachment.objects.filter(event__case=case, event__public=True, kind=kind).order_by("pk")
    )


@require_GET
def track_detail(request, code: str):
    case = _lookup(request, code)
    if not isinstance(case, Case):
        return case
    if case.tracking_code != code:
        return redirect("portal:track_detail", code=case.tracking_code)
    return render(request, "portal/track_detail.html", _track_context(case))


def _track_context(case: Case, callback_form: CallbackForm | None = None) -> dict:
    now = clock.now()
    original = case.merged_into if case.status == Status.MERGED else None
    latest_callback = case.events.filter(action=Action.CALLBACK).order_by("-at", "-pk").first()
    closed = case.status == Status.CLOSED
    return {
        "case": case,
        "timeline": _timeline(case, with_photos=False),
        "original": original,
        "original_timeline": _timeline(original, with_photos=False) if original else [],
        "before_photos": _photos(case, CaseAttachment.Kind.BEFORE),
        "after_photos": _photos(case, CaseAttachment.Kind.AFTER) if closed else [],
        "show_due": case.status in (Status.DISPATCHED, Status.IN_PROGRESS, Status.HANDLED) and case.due_at,
        "overdue": case.is_overdue(now),
        "can_rate": closed and case.satisfaction is None,
        "rating": SATISFACTION_LABELS.get(case.satisfaction) if case.satisfaction else None,
        "latest_callback": (latest_callback.data or {}) if latest_callback else None,
        "callback_form": callback_form or CallbackForm(initial={"version": case.version}),
    }


@require_POST
def track_callback(request, code: str):
    """回访 by the holder of the tracking code: workflow action callback, actor None = the reporter (roles_of)."""
    case = _lookup(request, code)
    if not isinstance(case, Case):
        return case
    form = CallbackForm(request.POST)
    if form.is_valid():
        level = form.cleaned_data["satisfaction"]
        try:
            transition(
                case,
                Action.CALLBACK,
                actor=None,
                note=form.cleaned_data["comment"],
                data={"satisfaction": level},
                expected_version=form.cleaned_data.get("version"),
            )
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            if level in DISSATISFIED:
                messages.success(request, _g("您的评价已记录。问题已转回责任单位重办，请继续关注办理进度。"))
            else:
                messages.success(
                    request, _g("感谢您的评价：%(label)s") % {"label": SATISFACTION_LABELS[level]}
                )
            return redirect("portal:track_detail", code=case.tracking_code)
    return render(request, "portal/track_detail.html", _track_context(case, form), status=400)


@require_GET
def rejection(request, code: str):
    """退理回单 (seed §21): why the report was not taken up, printable."""
    case = _lookup(request, code)
    if not isinstance(case, Case):
        return case
    event = case.events.filter(action=Action.REJECT, public=True).order_by("-at", "-pk").first()
    if case.status != Status.REJECTED or event is None:
        return redirect("portal:track_detail", code=case.tracking_code)
    return render(request, "portal/rejection.html", {"case": case, "event": event})


# ---------------------------------------------------------------------------------------------------------------
# Exposure board (曝光台, seed §12/§36 主动曝光存在的突出问题)

MOBILE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
ID_IN_TEXT = re.compile(r"(?<![\dXx])(\d{6})\d{8}(\d{3}[\dXx])(?![\dXx])")
LANDLINE_IN_TEXT = re.compile(r"(?<!\d)(0\d{2,3}-?)\d{3,4}(\d{4})(?!\d)")


def mask_personal(text: str) -> str:
    """DESIGN.md §7: phone and ID numbers typed into a description are masked before the public sees them."""
    text = ID_IN_TEXT.sub(r"\1********\2", text or "")
    text = MOBILE_IN_TEXT.sub(r"\1****\2", text)
    return LANDLINE_IN_TEXT.sub(r"\1****\2", text)


def _overdue_span(case: Case, now: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
    """From the handling deadline to now (while the unit holds the case) or to handling/closing; None when on time."""
    if case.due_at is None:
        return None
    end = case.closed_at or case.handled_at or now
    if case.status in (Status.DISPATCHED, Status.IN_PROGRESS):
        end = now
    return (case.due_at, end) if end > case.due_at else None


def overdue_days(case: Case, now: dt.datetime, cal: workcal.Calendar | None = None) -> int:
    """Working days on which the case was past its handling deadline (0 when on time).

    Time limits are working time (core.workcal), so a National Day week is not seven days overdue. A working day
    counts when the overdue span reaches into its business hours (opening to close of business), so a deadline
    missed at 10:00 counts its own day and a case still open at 09:00 counts today. Once the deadline has passed
    it is at least 1, as the calendar count was: a case due on Friday and still open on Saturday is overdue,
    not on time. The days between the first and the last are counted per year (Calendar.workdays_in); pass one
    `cal` for a page of rows.
    """
    span = _overdue_span(case, now)
    if span is None:
        return 0
    start, end = (moment.astimezone(workcal.tz()) for moment in span)
    cal = cal or workcal.Calendar()
    periods = workcal.working_periods()
    opens, closes = periods[0][0], periods[-1][1]

    def reached(day: dt.date) -> bool:
        return cal.is_workday(day) and max(start, dt.datetime.combine(day, opens, tzinfo=start.tzinfo)) < min(
            end, dt.datetime.combine(day, closes, tzinfo=start.tzinfo)
        )

    first, last = start.date(), end.date()
    if first == last:
        days = int(reached(first))
    else:
        days = reached(first) + reached(last) + cal.workdays_in(first + dt.timedelta(days=1),
                                                                 last - dt.timedelta(days=1))
    return max(days, 1)


@require_GET
def exposure(request):
    now = clock.now()
    cases = (
        Case.objects.public()
        .filter(is_exposed=True)
        .select_related("category", "street", "district")
        .annotate(exposed_at=Max("events__at", filter=Q(events__action=Action.EXPOSE)))
        .order_by("-exposed_at", "-created_at", "-pk")
    )
    page = Paginator(cases, EXPOSURE_PAGE_SIZE).get_page(request.GET.get("page"))
    photos: dict[int, dict[str, list]] = {}
    for att in CaseAttachment.objects.filter(
        event__case__in=[c.pk for c in page], event__public=True, kind__in=PUBLIC_PHOTO_KINDS
    ).select_related("event").order_by("pk"):
        photos.setdefault(att.event.case_id, {}).setdefault(att.kind, []).append(att)
    cal = workcal.Calendar()  # one calendar for the page: holiday overrides read once per year, not per row
    rows = [
        {
            "case": c,
            "description": mask_personal(c.description),
            "overdue_days": overdue_days(c, now, cal),
            "before": photos.get(c.pk, {}).get(CaseAttachment.Kind.BEFORE, []),
            "after": photos.get(c.pk, {}).get(CaseAttachment.Kind.AFTER, []),
        }
        for c in page
    ]
    return render(request, "portal/exposure.html", {"page": page, "rows": rows})


# ---------------------------------------------------------------------------------------------------------------
# Photos


def _serve(attachment: CaseAttachment):
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404(_g("照片不存在")) from exc
    response = FileResponse(handle, content_type=attachment.content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _public_attachment(pk: int, **case_filter) -> CaseAttachment:
    attachment = (
        CaseAttachment.objects.filter(pk=pk, event__public=True, kind__in=PUBLIC_PHOTO_KINDS, **case_filter)
        .select_related("event")
        .first()
    )
    if attachment is None:
        raise Http404(_g("照片不存在或不公开"))
    return attachment


@require_GET
def track_photo(request, code: str, pk: int):
    # A photo URL names a code too, so it counts like a page; a wrong photo number under a real code is no guess.
    refused = _refuse_lookup(request)
    if refused is not None:
        return refused
    case = _find(code)
    if case is None:
        refused = _refuse_miss(request)
        if refused is not None:
            return refused
        raise Http404(_g("照片不存在或不公开"))
    return _serve(_public_attachment(pk, event__case=case))


@require_GET
def exposure_photo(request, pk: int):
    public_ids = Case.objects.public().filter(is_exposed=True).values("pk")
    return _serve(_public_attachment(pk, event__case__in=public_ids))

