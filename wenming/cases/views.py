"""Workbench pages for the case loop (issue #3 §4): the office's queues and case pages, a unit's cases, the map,
the Excel export and notifications.

Every state change goes through `notifications.case_act()` → `workflow.transition()` with the version the user saw;
a page only offers the actions `selectors.actions_for()` allows for (state, role).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wenming.accounts.models import Role
from wenming.core import clock
from wenming.geo.geometry import parse_bbox

from . import exports, selectors
from .context_processors import notifications as unread_context
from .forms import ActionForm, CaseFilterForm
from .models import Case, CaseAttachment, Notification
from .notifications import case_act
from .services import find_duplicates, routing_unit_for
from .workflow import Action, CaseChanged, IllegalTransition, Status

PAGE_SIZE = 50


def _render(request, template, context, status=200):
    user = request.user
    context = {
        **unread_context(request),
        "is_office_user": selectors.is_office(user),
        "is_unit_user": user.is_authenticated and user.has_role(Role.UNIT),
        **context,
    }
    return render(request, template, context, status=status)


def _office_only(request):
    if not selectors.is_office(request.user):
        raise PermissionDenied(_("仅创文办用户可以使用该页面。"))


def _query_without(request, *keys) -> str:
    params = request.GET.copy()
    for key in keys:
        params.pop(key, None)
    return params.urlencode()


# ---------------------------------------------------------------------------------------------------------------
# Office workbench


@login_required
@require_GET
def office_workbench(request):
    """Queues (新上报, 待派遣, 超期, 待核查, 延期审批, 挂账) and all cases with search and filters."""
    _office_only(request)
    queue = request.GET.get("queue", "reported")
    if queue not in selectors.QUEUE_KEYS:
        queue = "all"
    form = CaseFilterForm(request.GET or None)
    now = clock.now()
    qs = selectors.filter_cases(selectors.office_queue(queue, now), form.filters(), now)
    page = selectors.keyset_page(qs.select_related(*selectors.LIST_RELATED), "-created_at",
                                 request.GET.get("after"), PAGE_SIZE)
    selectors.annotate_rows(page.rows, now)
    return _render(
        request,
        "cases/office.html",
        {
            "queues": selectors.OFFICE_QUEUES,
            "queue": queue,
            "queue_counts": selectors.queue_counts(selectors.QUEUE_KEYS),
            "form": form,
            "page": page,
            "total": selectors.list_total(qs, page),
            "filter_query": _query_without(request, "after", "queue"),
            "page_query": _query_without(request, "after"),
            "export_url": reverse("cases:export") + "?" + _query_without(request, "after"),
            "nav": "office",
        },
    )


@login_required
@require_GET
def office_export(request):
    _office_only(request)
    queue = request.GET.get("queue", "all")
    if queue not in selectors.QUEUE_KEYS:
        queue = "all"
    form = CaseFilterForm(request.GET or None)
    now = clock.now()
    qs = selectors.filter_cases(selectors.office_queue(queue, now), form.filters(), now)
    return _xlsx_response(qs.order_by("-created_at", "-pk"), _("案件清单"))


def _xlsx_response(qs, title: str):
    handle = exports.cases_workbook_file(qs, title=title)
    name = f"{title}-{clock.now():%Y%m%d-%H%M}.xlsx"
    response = FileResponse(
        handle, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f"attachment; filename=\"cases.xlsx\"; filename*=UTF-8''{quote(name)}"
    return response


# ---------------------------------------------------------------------------------------------------------------
# Unit workbench


def _unit_ids_or_403(request) -> list[int]:
    ids = selectors.unit_ids_for(request.user)
    if not ids:
        raise PermissionDenied(_("您不是责任单位用户，没有单位工作台。"))
    return ids


@login_required
@require_GET
def unit_workbench(request):
    """A unit's cases (and its child units'), by state and deadline, with working time left."""
    ids = _unit_ids_or_403(request)
    queue = request.GET.get("queue", "todo")
    if queue not in selectors.UNIT_QUEUE_KEYS:
        queue = "todo"
    form = CaseFilterForm(request.GET or None, units=ids)
    now = clock.now()
    base = selectors.cases_for_unit_user(request.user)
    qs = selectors.filter_cases(selectors.unit_queue(base, queue, now), form.filters(), now)
    order = "-created_at" if queue in ("closed", "all") else "due_at"
    page = selectors.keyset_page(qs.select_related(*selectors.LIST_RELATED), order, request.GET.get("after"),
                                 PAGE_SIZE)
    selectors.annotate_rows(page.rows, now)
    for case in page.rows:
        case.my_actions = selectors.actions_for(case, request.user)
    counts = {k: selectors.capped_count(selectors.unit_queue(base, k, now), 999).label
              for k in ("todo", "sign", "working", "overdue", "handled")}
    return _render(
        request,
        "cases/unit.html",
        {
            "queues": selectors.UNIT_QUEUES,
            "queue": queue,
            "queue_counts": counts,
            "form": form,
            "page": page,
            "total": selectors.list_total(qs, page),
            "filter_query": _query_without(request, "after", "queue"),
            "page_query": _query_without(request, "after"),
            "export_url": reverse("cases:unit_export") + "?" + _query_without(request, "after"),
            "units": request.user.units(role="unit"),
            "action_labels": Action.choices,
            "nav": "unit",
        },
    )


@login_required
@require_GET
def unit_export(request):
    ids = _unit_ids_or_403(request)
    queue = request.GET.get("queue", "all")
    if queue not in selectors.UNIT_QUEUE_KEYS:
        queue = "all"
    form = CaseFilterForm(request.GET or None, units=ids)
    now = clock.now()
    qs = selectors.unit_queue(selectors.cases_for_unit_user(request.user), queue, now)
    qs = selectors.filter_cases(qs, form.filters(), now)
    return _xlsx_response(qs.order_by("-created_at", "-pk"), _("本单位案件"))


# ---------------------------------------------------------------------------------------------------------------
# Case page and actions


def _case_or_404(request, pk) -> Case:
    case = get_object_or_404(
        Case.objects.select_related("category", "assigned_unit", "district", "street", "grid_cell", "merged_into"),
        pk=pk,
    )
    if not selectors.can_view_case(request.user, case):
        raise PermissionDenied(_("您无权查看该案件。"))
    return case


def _action_forms(request, case: Case, *, bound: ActionForm | None = None):
    actions = selectors.actions_for(case, request.user)
    duplicates = find_duplicates(case) if case.status == Status.REPORTED else []
    default_unit = None
    if Action.DISPATCH in actions:
        default_unit = routing_unit_for(case)
    elif Action.CONFIRM_ASSIGNMENT in actions:
        last_return = case.events.filter(action=Action.RETURN).select_related("actor_unit").last()
        default_unit = last_return.actor_unit if last_return else None
    forms = []
    for action in actions:
        if bound is not None and bound.action == action:
            forms.append(bound)
        else:
            forms.append(ActionForm(action=action, case=case, duplicates=duplicates, default_unit=default_unit))
    return forms, duplicates, default_unit


def _detail_context(request, case: Case, *, bound: ActionForm | None = None, kept_note: str = ""):
    now = clock.now()
    forms, duplicates, default_unit = _action_forms(request, case, bound=bound)
    events = list(
        case.events.select_related("actor", "actor_unit").prefetch_related("attachments").order_by("at", "pk")
    )
    due_preview = None
    if any(f.action in (Action.DISPATCH, Action.CONFIRM_ASSIGNMENT) for f in forms):
        due_preview = case.category.deadline_from(now, urgent=case.is_urgent)
    config = settings.LEAFLET_CONFIG
    return {
        "case": case,
        "events": events,
        "forms": forms,
        "duplicates": duplicates,
        "default_unit": default_unit,
        "due_preview": due_preview,
        "left": selectors.time_left(case, now),
        "overdue": case.is_overdue(now),
        "kept_note": kept_note,
        "public": selectors.public_status_for(case) if case.status == Status.MERGED else None,
        "map_config": {
            "tiles": [{"name": str(n), "url": u, "options": o} for n, u, o in config.get("TILES") or []],
            "zoom": 16,
        },
        "back_url": _back_url(request),
        "nav": "office" if selectors.is_office(request.user) else "unit",
    }


def _back_url(request) -> str:
    if selectors.is_office(request.user):
        return reverse("cases:office")
    return reverse("cases:unit")


@login_required
@require_GET
def case_detail(request, pk):
    case = _case_or_404(request, pk)
    return _render(request, "cases/detail.html", _detail_context(request, case))


@login_required
@require_POST
def case_action(request, pk, action):
    """POST one action with the version the user saw; errors re-show the page with what was typed."""
    case = _case_or_404(request, pk)
    if action not in Action.values or action == Action.REPORT:
        raise Http404
    duplicates = find_duplicates(case) if action == Action.MERGE else []
    form = ActionForm(request.POST, request.FILES, action=action, case=case, duplicates=duplicates)
    if action not in selectors.actions_for(case, request.user):
        if str(case.version) != request.POST.get(f"{action}-version"):
            return _changed(request, case, form)  # the case moved on since the page was shown
        raise PermissionDenied(_("您无权对该案件执行此操作。"))
    if not form.is_valid():
        return _render(request, "cases/detail.html", _detail_context(request, case, bound=form), status=400)
    try:
        event = case_act(case, action, actor=request.user, expected_version=form.cleaned_data["version"],
                         **form.transition_kwargs())
    except CaseChanged:
        case.refresh_from_db()
        return _changed(request, case, form)
    except IllegalTransition as exc:
        form.add_error(None, exc.message)
        return _render(request, "cases/detail.html", _detail_context(request, case, bound=form), status=400)
    messages.success(request, _("已%(action)s：%(code)s") % {"action": event.get_action_display(),
                                                            "code": case.tracking_code})
    nxt = request.POST.get("next")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(nxt)
    return redirect("cases:detail", pk=case.pk)


def _changed(request, case: Case, form: ActionForm):
    """Optimistic concurrency lost: tell the user and give back what they typed, against the fresh case."""
    case = _case_or_404(request, case.pk)
    note = request.POST.get(f"{form.action}-note", "")
    bound = None
    if form.action in selectors.actions_for(case, request.user):
        data = request.POST.copy()
        data[f"{form.action}-version"] = str(case.version)
        bound = ActionForm(data, action=form.action, case=case,
                           duplicates=find_duplicates(case) if form.action == Action.MERGE else [])
        bound.is_valid()
    context = _detail_context(request, case, bound=bound, kept_note=note if bound is None else "")
    context["changed_error"] = _("该案件已被他人处理，请刷新后重试")
    context["changed_action"] = form.action
    return _render(request, "cases/detail.html", context, status=409)


@login_required
@require_GET
def attachment(request, pk):
    """Photos are not served from MEDIA_URL: only those who may see the case fetch them."""
    att = get_object_or_404(CaseAttachment.objects.select_related("event__case"), pk=pk)
    if not selectors.can_view_case(request.user, att.event.case):
        raise PermissionDenied(_("您无权查看该附件。"))
    try:
        handle = att.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("文件已不存在。")) from None
    response = FileResponse(handle, content_type=att.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


# ---------------------------------------------------------------------------------------------------------------
# Map


@login_required
@require_GET
def case_map(request):
    _office_only(request)
    config = settings.LEAFLET_CONFIG
    form = CaseFilterForm(request.GET or None)
    return _render(
        request,
        "cases/map.html",
        {
            "form": form,
            "nav": "map",
            "feed_query": _query_without(request, "bbox"),
            "map_config": {
                "center": list(config.get("DEFAULT_CENTER", (27.83, 113.13))),
                "zoom": config.get("DEFAULT_ZOOM", 12),
                "minZoom": config.get("MIN_ZOOM", 3),
                "maxZoom": config.get("MAX_ZOOM", 18),
                "tiles": [{"name": str(n), "url": u, "options": o} for n, u, o in config.get("TILES") or []],
            },
            "legend": [(str(s.label), selectors.STATUS_COLORS[s]) for s in Status if s in _MAP_STATES]
            + [(_("超期"), selectors.OVERDUE_COLOR)],
            "labels": {
                "truncated": _("当前范围案件过多，仅显示最新 %(n)d 件，请放大地图或筛选") % {"n": selectors.MAP_MAX_FEATURES},
                "failed": _("加载失败，请稍后再试"),
                "shown": _("显示 %(n)s 件"),
                "unit": _("责任单位"),
                "status": _("状态"),
                "open": _("查看案件"),
            },
        },
    )


_MAP_STATES = {Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS, Status.HANDLED,
               Status.SUSPENDED}


@login_required
@require_GET
def case_map_geojson(request):
    """Open cases (or the filtered status) inside `bbox`, capped at MAP_MAX_FEATURES, newest first."""
    if not selectors.is_office(request.user):
        return JsonResponse({"error": _("仅创文办用户可以查看案件地图。")}, status=403,
                            json_dumps_params={"ensure_ascii": False})
    bbox = None
    if request.GET.get("bbox"):
        bbox = parse_bbox(request.GET["bbox"])
        if bbox is None:
            return JsonResponse({"error": _("bbox 参数应为“最小经度,最小纬度,最大经度,最大纬度”"), "code": "invalid"},
                                status=400, json_dumps_params={"ensure_ascii": False})
    form = CaseFilterForm(request.GET or None)
    filters = form.filters()
    qs = Case.objects.all() if filters.get("status") else Case.objects.open()
    qs = selectors.filter_cases(qs, filters)
    features, truncated = selectors.map_features(qs, bbox)
    return JsonResponse({"type": "FeatureCollection", "features": features, "truncated": truncated},
                        json_dumps_params={"ensure_ascii": False})


# ---------------------------------------------------------------------------------------------------------------
# Notifications


@login_required
@require_GET
def notification_list(request):
    qs = Notification.objects.for_user(request.user).select_related("case", "unit")
    only_unread = request.GET.get("unread") == "1"
    if only_unread:
        qs = qs.unread()
    page = selectors.keyset_page(qs, "-created_at", request.GET.get("after"), PAGE_SIZE)
    return _render(request, "cases/notifications.html", {
        "page": page, "only_unread": only_unread, "nav": "notifications",
        "page_query": urlencode({"unread": "1"}) if only_unread else "",
    })


@login_required
@require_http_methods(["POST"])
def notification_read(request, pk):
    """Mark one notification read and open its case."""
    n = get_object_or_404(Notification, pk=pk, recipient=request.user)
    if n.read_at is None:
        n.read_at = clock.now()
        n.save(update_fields=["read_at"])
    return redirect("cases:detail", pk=n.case_id)


@login_required
@require_POST
def notifications_read_all(request):
    n = Notification.objects.for_user(request.user).unread().update(read_at=clock.now())
    messages.success(request, _("已将 %(n)s 条通知标为已读") % {"n": n})
    return redirect("cases:notifications")
