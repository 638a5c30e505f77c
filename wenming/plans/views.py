"""Plan pages: the plan (public), a unit's and a leader's list (一单), progress reporting, the office board."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, prefetch_related_objects
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from wenming.accounts.models import Leader, OrgUnit, Role
from wenming.core import charts, clock

from . import exports
from . import status as st
from .forms import ProgressReportForm
from .models import Evidence, Measure, Plan, ProgressReport, ReportFrequency, Target
from .services import progress_report_submit, responsible_units


def default_plan() -> Plan | None:
    return Plan.objects.filter(is_default=True).first() or Plan.objects.first()


def _plan_from(request) -> Plan | None:
    pk = request.GET.get("plan")
    if pk and pk.isdigit():
        return get_object_or_404(Plan, pk=pk)
    return default_plan()


def _is_office(request) -> bool:
    if not hasattr(request, "_wm_office"):
        request._wm_office = request.user.is_authenticated and request.user.is_office
    return request._wm_office


def _user_unit_ids(request) -> set[int]:
    if not hasattr(request, "_wm_units"):
        request._wm_units = (
            set(request.user.memberships.values_list("org_unit_id", flat=True)) if request.user.is_authenticated else set()
        )
    return request._wm_units


def _is_leader(request) -> bool:
    user = request.user
    return getattr(user, "leader", None) is not None or user.memberships.filter(role=Role.LEADER).exists()


def can_view_unit(request, unit: OrgUnit) -> bool:
    """Office staff and leaders see every unit's list; a unit's users see their unit and the units below it."""
    if _is_office(request) or _is_leader(request):
        return True
    mine = _user_unit_ids(request)
    return unit.pk in mine or any(a.pk in mine for a in unit.ancestors())


def can_submit_for(request, unit: OrgUnit) -> bool:
    return _is_office(request) or unit.pk in _user_unit_ids(request)


# --- shared loading --------------------------------------------------------------------------------------


def _measures(plan: Plan):
    return (
        Measure.objects.filter(plan=plan)
        .select_related("responsibility", "section")
        .prefetch_related("responsibility__lead_leaders", "responsibility__lead_units", "responsibility__member_units")
        .order_by("number")
    )


def _load(plan: Plan, measures, today: dt.date, *, with_history: bool = False):
    """Targets of ``measures`` with their status (``t.st``) and, optionally, report history (``t.history``)."""
    measures = list(measures)
    by_id = {m.pk: m for m in measures}
    urls: dict[tuple[str, int], str] = {}

    def url(name: str, obj) -> str:
        # Reversing is costly per row on a 41-measure page; each unit/leader's link is built once.
        key = (name, obj.pk)
        if key not in urls:
            urls[key] = reverse(name, args=[obj.pk]) + f"?plan={plan.pk}"
        obj.url = urls[key]
        return obj

    for m in measures:
        m.plan = plan
        m.resp = getattr(m, "responsibility", None)
        m.leaders = [url("plans:leader", x) for x in m.resp.lead_leaders.all()] if m.resp else []
        m.leads = [url("plans:unit", x) for x in m.resp.lead_units.all()] if m.resp else []
        m.members = [url("plans:unit", x) for x in m.resp.member_units.all()] if m.resp else []
        m.phrases = m.resp.member_phrases if m.resp else []
        m.target_list = []
    targets = list(Target.objects.filter(measure_id__in=by_id).order_by("measure__number", "order", "pk"))
    for t in targets:
        t.measure = by_id[t.measure_id]
        t.measure.target_list.append(t)
    if with_history:
        reports = (
            ProgressReport.objects.filter(target_id__in=[t.pk for t in targets])
            .select_related("org_unit", "submitted_by")
            .latest_first()
        )
        grouped = defaultdict(list)
        for r in reports:
            grouped[r.target_id].append(r)
        prefetch_related_objects([rs[0] for rs in grouped.values()], "evidence")
    else:
        grouped = st.reports_by_target(targets, today)
    results = st.statuses_for(targets, today, reports=grouped)
    report_url = reverse("plans:report", args=[0]).replace("/0/", "/{}/")
    for t in targets:
        t.st = results[t.pk]
        t.report_url = report_url.format(t.pk)
        t.value_text = st.fmt_num(t.value)
        # Only the latest report is drawn; the full history loads when it is opened (plans:history), so a unit
        # with years of monthly reports keeps a fast list.
        t.history = grouped.get(t.pk, [])
        t.recent_history = t.history[:1]
        for r in t.recent_history:
            r.value_text = st.fmt_num(r.value)
        t.years = st.yearly_history(t, t.history, today) if with_history else []
    return measures, targets, results


def _summary(results) -> list[dict]:
    counts = st.count_statuses(results.values() if isinstance(results, dict) else results)
    return [{"status": s.value, "label": s.label, "n": counts[s]} for s in st.STATUS_ORDER]


# --- pages -----------------------------------------------------------------------------------------------


def overview(request):
    plan = default_plan()
    if plan is None:
        return render(request, "portal/home.html", {"plan": None})
    return redirect("plans:detail", pk=plan.pk)


def plan_detail(request, pk):
    """The plan as published, with who answers for each measure and how each target stands (public)."""
    plan = get_object_or_404(Plan, pk=pk)
    today = clock.today()
    measures, targets, results = _load(plan, _measures(plan), today)
    sections = list(plan.sections.all())
    by_section = defaultdict(list)
    for m in measures:
        by_section[m.section_id].append(m)
    for s in sections:
        s.measure_list = by_section.get(s.pk, [])
    return render(
        request,
        "plans/plan_detail.html",
        {
            "plan": plan,
            "sections": sections,
            "summary": _summary(results),
            "n_targets": len(targets),
            "n_measures": len(measures),
            "today": today,
        },
    )


@login_required
def unit_list(request, pk):
    """一单 for a unit: every measure it leads or joins and every target under them, with deadline and status."""
    unit = get_object_or_404(OrgUnit, pk=pk)
    if not can_view_unit(request, unit):
        raise PermissionDenied(_("您无权查看该单位的任务清单。"))
    plan = _plan_from(request)
    today = clock.today()
    measures, targets, results = [], [], {}
    if plan is not None:
        qs = _measures(plan).filter(Q(responsibility__lead_units=unit) | Q(responsibility__member_units=unit)).distinct()
        measures, targets, results = _load(plan, qs, today, with_history=True)
        for m in measures:
            m.role = _("牵头") if any(u.pk == unit.pk for u in m.leads) else _("成员")
    plans = Plan.objects.filter(
        Q(measures__responsibility__lead_units=unit) | Q(measures__responsibility__member_units=unit)
    ).distinct()
    return render(
        request,
        "plans/unit_list.html",
        {
            "unit": unit,
            "plan": plan,
            "plans": plans,
            "measures": measures,
            "n_targets": len(targets),
            "summary": _summary(results),
            "can_submit": can_submit_for(request, unit),
            "today": today,
        },
    )


@login_required
def leader_list(request, pk):
    """The measures a 牵头领导 leads and their targets (DESIGN.md §1: leaders read dashboards)."""
    leader = get_object_or_404(Leader, pk=pk)
    if not (_is_office(request) or leader.user_id == request.user.pk or _is_leader(request)):
        raise PermissionDenied(_("您无权查看该领导牵头的措施。"))
    plan = _plan_from(request)
    today = clock.today()
    measures, targets, results = [], [], {}
    if plan is not None:
        measures, targets, results = _load(
            plan, _measures(plan).filter(responsibility__lead_leaders=leader).distinct(), today, with_history=True
        )
    plans = Plan.objects.filter(measures__responsibility__lead_leaders=leader).distinct()
    return render(
        request,
        "plans/leader_list.html",
        {
            "leader": leader,
            "plan": plan,
            "plans": plans,
            "measures": measures,
            "n_targets": len(targets),
            "summary": _summary(results),
            "today": today,
        },
    )


def _office_only(request):
    if not _is_office(request):
        raise PermissionDenied(_("仅创文办用户可以查看进度督办。"))


@login_required
def board(request):
    """The office's board: lagging, overdue and unreported targets by lead unit and by leader (seed §41)."""
    _office_only(request)
    plan = _plan_from(request)
    data = exports.board_for(plan, clock.today()) if plan else None
    return render(
        request,
        "plans/board.html",
        {
            "plan": plan,
            "plans": Plan.objects.all(),
            "board": data,
            "summary": _summary_counts(data.counts) if data else [],
        },
    )


def _summary_counts(counts) -> list[dict]:
    return [{"status": s.value, "label": s.label, "n": counts[s]} for s in st.STATUS_ORDER]


@login_required
def board_xlsx(request):
    _office_only(request)
    plan = _plan_from(request)
    if plan is None:
        raise Http404(_("尚未导入实施方案。"))
    today = clock.today()
    body = exports.board_workbook(exports.board_for(plan, today))
    response = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = f"进度督办-{today:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f"attachment; filename=\"board-{today:%Y%m%d}.xlsx\"; filename*=UTF-8''{_quote(name)}"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


# --- progress reporting ----------------------------------------------------------------------------------


def _period_choices(target: Target, today: dt.date, n: int = 12) -> list[tuple[dt.date, str]]:
    freq = target.measure.plan.report_frequency
    periods = st.periods_between(max(target.starts_on, today - dt.timedelta(days=400)), today, freq)
    if target.starts_on > today:
        periods = []
    out = []
    for p in reversed(periods[-n:]):
        if freq == ReportFrequency.QUARTERLY:
            label = _("%(y)s年第%(q)s季度") % {"y": p.year, "q": (p.month - 1) // 3 + 1}
        else:
            label = _("%(y)s年%(m)s月") % {"y": p.year, "m": p.month}
        out.append((p, label))
    return out


def _unit_choices(request, target: Target) -> list[OrgUnit]:
    responsible = responsible_units(target)
    if _is_office(request):
        ids = responsible | _user_unit_ids(request)
    else:
        ids = responsible & _user_unit_ids(request)
    return list(OrgUnit.objects.filter(pk__in=ids))


def _safe_next(request, fallback: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return nxt
    return fallback


@login_required
@require_http_methods(["GET", "POST"])
def report_progress(request, pk):
    """GET: the report form (a fragment for htmx, a page otherwise). POST: submit through the service."""
    target = get_object_or_404(Target.objects.select_related("measure__plan"), pk=pk)
    units = _unit_choices(request, target)
    if not units:
        raise PermissionDenied(_("您所在单位不负责该目标，不能报送进度。"))
    today = clock.today()
    selected = request.POST.get("org_unit") or request.GET.get("unit")
    fallback = reverse("plans:unit", args=[units[0].pk]) + f"?plan={target.measure.plan_id}"
    if selected and str(selected).isdigit() and int(selected) in {u.pk for u in units}:
        fallback = reverse("plans:unit", args=[int(selected)]) + f"?plan={target.measure.plan_id}"
    nxt = _safe_next(request, fallback)
    status_code = 200
    if request.method == "POST":
        form = ProgressReportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                progress_report_submit(
                    target=target,
                    org_unit=data["org_unit"],
                    user=request.user,
                    period_start=data["period_start"],
                    value=data["value"],
                    done=data["done"],
                    note=data["note"],
                    files=data["files"],
                    unit=data["unit"] or None,
                )
            except ValidationError as e:
                _errors_to_form(form, e)
            else:
                messages.success(request, _("已报送“%(metric)s”的进度。") % {"metric": target.metric})
                return redirect(nxt.split("#")[0] + f"#target-{target.pk}")
        status_code = 400
    else:
        form = ProgressReportForm(initial={"unit": target.unit})
    context = {
        "target": target,
        "form": form,
        "units": units,
        "selected_unit": int(selected) if selected and str(selected).isdigit() else units[0].pk,
        "periods": _period_choices(target, today),
        "selected_period": request.POST.get("period_start", ""),
        "next": nxt,
    }
    template = "plans/_report_form.html" if request.htmx and request.method == "GET" else "plans/report_form.html"
    return render(request, template, context, status=status_code)


def _errors_to_form(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errs in error.error_dict.items():
            for e in errs:
                form.add_error(field if field in form.fields else None, e.messages)
    else:
        form.add_error(None, error.messages)


@login_required
def target_history(request, pk):
    """Every progress report of a target (the list pages show only the latest few)."""
    target = get_object_or_404(Target.objects.select_related("measure__responsibility"), pk=pk)
    resp = getattr(target.measure, "responsibility", None)
    units = list(resp.lead_units.all()) + list(resp.member_units.all()) if resp else []
    if not (_is_office(request) or _is_leader(request) or any(can_view_unit(request, u) for u in units)):
        raise PermissionDenied(_("您无权查看该目标的报送记录。"))
    history = list(
        ProgressReport.objects.filter(target=target)
        .select_related("org_unit", "submitted_by")
        .prefetch_related("evidence")
        .latest_first()
    )
    for r in history:
        r.value_text = st.fmt_num(r.value)
    return render(request, "plans/_history_rows.html", {"t": target, "rows": history})


@login_required
def evidence_download(request, pk):
    """Evidence is not served from MEDIA_URL: only the office and the submitting unit may fetch it."""
    ev = get_object_or_404(Evidence.objects.select_related("report"), pk=pk)
    if not (_is_office(request) or ev.report.org_unit_id in _user_unit_ids(request)):
        raise PermissionDenied(_("您无权下载该佐证材料。"))
    try:
        handle = ev.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("文件已不存在。")) from None
    response = FileResponse(handle, as_attachment=True, filename=ev.original_name, content_type=ev.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- charts ----------------------------------------------------------------------------------------------


def _svg(body: bytes) -> HttpResponse:
    response = HttpResponse(body, content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


def _donut(results) -> bytes:
    counts = st.count_statuses(results)
    return charts.donut(
        [str(s.label) for s in st.STATUS_ORDER],
        [counts[s] for s in st.STATUS_ORDER],
        colors=[st.STATUS_COLORS[s] for s in st.STATUS_ORDER],
        center_text=_("%(n)s 项") % {"n": sum(counts.values())},
    )


def plan_chart(request, pk, kind):
    """status: a donut of target statuses; sections: one stacked bar of statuses per section."""
    plan = get_object_or_404(Plan, pk=pk)
    today = clock.today()
    measures, targets, results = _load(plan, _measures(plan), today)
    if kind == "status":
        return _svg(_donut(results.values()))
    if kind != "sections":
        raise Http404
    sections = list(plan.sections.all())
    index = {s.pk: i for i, s in enumerate(sections)}
    series = {str(s.label): [0] * len(sections) for s in st.STATUS_ORDER}
    for t in targets:
        series[str(t.st.status.label)][index[t.measure.section_id]] += 1
    return _svg(
        charts.stacked_status_chart(
            [_short(s.title) for s in sections],
            series,
            colors={str(s.label): st.STATUS_COLORS[s] for s in st.STATUS_ORDER},
            title=_("各部分目标状态"),
        )
    )


@login_required
def unit_chart(request, pk):
    unit = get_object_or_404(OrgUnit, pk=pk)
    if not can_view_unit(request, unit):
        raise PermissionDenied(_("您无权查看该单位的任务清单。"))
    plan = _plan_from(request)
    results = {}
    if plan is not None:
        qs = _measures(plan).filter(Q(responsibility__lead_units=unit) | Q(responsibility__member_units=unit)).distinct()
        _m, _t, results = _load(plan, qs, clock.today())
    return _svg(_donut(results.values()))


@login_required
def board_chart(request):
    _office_only(request)
    plan = _plan_from(request)
    if plan is None:
        raise Http404
    data = exports.board_for(plan, clock.today())
    groups = data.by_unit[:15]
    series = {
        str(s.label): [g.counts[s.value] for g in groups] for s in st.LAGGING
    }
    return _svg(
        charts.stacked_status_chart(
            [g.name for g in groups],
            series,
            colors={str(s.label): st.STATUS_COLORS[s] for s in st.LAGGING},
            title=_("各牵头单位需督办目标"),
        )
    )


def _short(title: str, n: int = 14) -> str:
    return title if len(title) <= n else title[: n - 1] + "…"
