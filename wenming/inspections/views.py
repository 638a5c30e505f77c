"""Inspection pages: the office's points, round planning and results; the inspector's mobile round and point
pages (one htmx post per item); the public farmers' market grades (seed §25).

Access (DESIGN.md §7): office users plan rounds and see everything; inspectors see the rounds they are named
in; the market page is public and shows closed rounds only.
"""

from __future__ import annotations

from decimal import Decimal
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wenming.core import charts, clock
from wenming.geo.models import Jurisdiction, JurisdictionKind

from . import excel, scoring, services
from .forms import PointImportForm, RoundForm
from .models import (
    GradeBand,
    Inspection,
    InspectionPoint,
    ItemScore,
    PointType,
    Round,
    RoundPoint,
    RoundStatus,
)

MAP_POINTS_MAX = 3000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def office_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_office:
            raise PermissionDenied(_("仅创文办人员可以访问"))
        return view(request, *args, **kwargs)

    return wrapper


def _round_for(request, pk) -> Round:
    rnd = get_object_or_404(Round, pk=pk)
    if not (request.user.is_office or rnd.inspectors.filter(pk=request.user.pk).exists()):
        raise PermissionDenied(_("您不是本轮次的测评员"))
    return rnd


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


# ---------------------------------------------------------------------------------------------------------------
# Rounds


@login_required
@require_GET
def round_list(request):
    rounds = Round.objects.annotate(n_points=Count("round_points", distinct=True))
    if not request.user.is_office:
        rounds = rounds.for_inspector(request.user)
    return render(request, "inspections/round_list.html", {"rounds": rounds, "is_office": request.user.is_office})


@office_required
def round_new(request):
    form = RoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            rnd = services.round_create(
                name=d["name"], start_date=d["start_date"], end_date=d["end_date"], inspectors=d["inspectors"],
                point_types=d["point_types"], districts=d["districts"], sample_per_type=d["sample_per_type"],
                seed=d["seed"], actor=request.user,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("已创建测评轮次，共 %(n)d 个点位") % {"n": rnd.round_points.count()})
            return redirect("inspections:round", rnd.pk)
    return render(request, "inspections/round_form.html", {"form": form})


@login_required
@require_GET
def round_detail(request, pk):
    rnd = _round_for(request, pk)
    round_points = rnd.round_points.select_related("point__point_type", "point__district", "inspector")
    if not request.user.is_office:
        # The inspector's own points first; unassigned points are anyone's in the team.
        round_points = round_points.filter(Q(inspector=request.user) | Q(inspector__isnull=True))
    item_counts = {
        rc.point_type_id: rc.checklist.items.count() for rc in rnd.checklists.select_related("checklist")
    }
    done = dict(
        Inspection.objects.filter(round=rnd).annotate(n=Count("scores")).values_list("point_id", "n")
    )
    finished = set(Inspection.objects.filter(round=rnd, finished_at__isnull=False).values_list("point_id", flat=True))
    rows = [
        {"rp": rp, "scored": done.get(rp.point_id, 0), "total": item_counts.get(rp.point.point_type_id, 0),
         "finished": rp.point_id in finished}
        for rp in round_points
    ]
    return render(request, "inspections/round_detail.html", {
        "round": rnd, "rows": rows, "is_office": request.user.is_office,
        "can_score": rnd.status == RoundStatus.IN_PROGRESS,
    })


@office_required
@require_POST
def round_action(request, pk, action):
    rnd = get_object_or_404(Round, pk=pk)
    try:
        if action == "start":
            services.round_start(round=rnd, actor=request.user)
            messages.success(request, _("轮次已开始，测评标准版本已锁定"))
        elif action == "close":
            services.round_close(round=rnd, actor=request.user)
            messages.success(request, _("轮次已结束，结果已可公开"))
        else:
            raise PermissionDenied
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("inspections:round", rnd.pk)


# ---------------------------------------------------------------------------------------------------------------
# Scoring a point, item by item


def _point_in_round(request, pk, point_pk) -> tuple[Round, InspectionPoint]:
    rnd = _round_for(request, pk)
    point = get_object_or_404(InspectionPoint.objects.select_related("point_type"), pk=point_pk)
    if not RoundPoint.objects.filter(round=rnd, point=point).exists():
        raise PermissionDenied(_("该点位不在本轮次中"))
    return rnd, point


def _item_context(rnd, point, item, item_score=None, *, message="", outcome="", form=None):
    return {
        "round": rnd, "point": point, "item": item, "s": item_score, "message": message, "outcome": outcome,
        "form": form or {}, "editable": rnd.status == RoundStatus.IN_PROGRESS,
        "photos": list(item_score.photos.all()) if item_score else [],
    }


@login_required
@require_GET
def point_inspect(request, pk, point_pk):
    rnd, point = _point_in_round(request, pk, point_pk)
    checklist = rnd.checklist_for(point.point_type_id)
    items = list(checklist.items.all()) if checklist else []
    inspection = Inspection.objects.filter(round=rnd, point=point).first()
    scores = {}
    if inspection:
        scores = {
            s.item_id: s for s in inspection.scores.select_related("scored_by", "case").prefetch_related("photos")
        }
    return render(request, "inspections/point_inspect.html", {
        "round": rnd, "point": point, "checklist": checklist, "inspection": inspection,
        "network_error": _("网络连接中断，本项未保存；已填写的内容仍在页面上，请恢复网络后再点“保存本项”"),
        "server_error": _("服务器暂时无法保存本项，请稍后再点“保存本项”"),
        "items": [_item_context(rnd, point, item, scores.get(item.pk)) for item in items],
        "rate": scoring.Rate(
            sum((s.score for s in scores.values()), start=Decimal(0)),
            sum((s.item.points for s in scores.values()), start=Decimal(0)),
        ),
    })


@login_required
@require_POST
def item_save(request, pk, point_pk, item_pk):
    rnd, point = _point_in_round(request, pk, point_pk)
    checklist = rnd.checklist_for(point.point_type_id)
    item = get_object_or_404(checklist.items if checklist else InspectionPoint.objects.none(), pk=item_pk)
    result = request.POST.get("result", "")
    form = {"result": result, "score": request.POST.get("score", ""), "note": request.POST.get("note", "")}
    try:
        version = int(request.POST.get("version") or 0)
    except ValueError:
        version = -1
    status, outcome = 200, "saved"
    if result not in ("pass", "fail"):
        message, outcome, status = _("请选择“达标”或“不达标”"), "error", 400
        current = ItemScore.objects.filter(inspection__round=rnd, inspection__point=point, item=item).first()
    else:
        try:
            saved = services.item_score_save(
                round=rnd, point=point, item=item, actor=request.user, passed=result == "pass",
                score=form["score"], note=form["note"], photos=request.FILES.getlist("photos"),
                expected_version=version,
            )
        except services.ScoreConflict as exc:
            message, outcome, status, current = str(exc), "conflict", 409, exc.current
            form = {}
        except ValidationError as exc:
            message, outcome, status = "；".join(exc.messages), "error", 400
            current = ItemScore.objects.filter(inspection__round=rnd, inspection__point=point, item=item).first()
        else:
            current, form = saved.item_score, {}
            message = _("已保存 %(time)s") % {"time": clock.now().strftime("%H:%M:%S")}
            if saved.case is not None:
                message += _("；已生成问题案件 %(code)s") % {"code": saved.case.tracking_code}
            if saved.case_error:
                message += "；" + saved.case_error
    if current is not None:
        current = ItemScore.objects.select_related("scored_by", "case").get(pk=current.pk)
    context = _item_context(rnd, point, item, current, message=message, outcome=outcome, form=form)
    if request.htmx:
        # htmx does not swap 4xx bodies by default: answer 200 and let the fragment carry the outcome.
        return render(request, "inspections/_item.html", context)
    if outcome == "saved":
        messages.success(request, message)
        return redirect(reverse("inspections:point", args=[rnd.pk, point.pk]) + f"#item-{item.pk}")
    messages.error(request, message)
    return render(request, "inspections/_item_page.html", context, status=status)


@login_required
@require_POST
def inspection_finish(request, pk, point_pk):
    rnd, point = _point_in_round(request, pk, point_pk)
    if not Inspection.objects.filter(round=rnd, point=point).exists():
        messages.error(request, _("尚未评分，不能完成"))
        return redirect("inspections:point", rnd.pk, point.pk)
    services.inspection_finish(round=rnd, point=point, actor=request.user)
    messages.success(request, _("点位「%(p)s」测评已完成") % {"p": point.name})
    return redirect("inspections:round", rnd.pk)


# ---------------------------------------------------------------------------------------------------------------
# Results


@office_required
@require_GET
def round_results(request, pk):
    rnd = get_object_or_404(Round, pk=pk)
    tables = [
        {"key": dim, "label": label, "rows": scoring.round_rates(rnd, dim)}
        for dim, (_path, _model, label) in scoring.DIMENSIONS.items()
    ]
    return render(request, "inspections/round_results.html", {
        "round": rnd, "tables": tables, "total": scoring.round_total(rnd),
        "has_trend": Round.objects.exclude(status=RoundStatus.PLANNED).count() > 0,
    })


@office_required
@require_GET
def round_results_xlsx(request, pk):
    rnd = get_object_or_404(Round, pk=pk)
    return _xlsx(excel.export_round(rnd), f"round-{rnd.pk}-results.xlsx")


@office_required
@require_GET
def trend_chart(request):
    """Score rate per round (up to 12 most recent started rounds), overall or for one district / point type."""
    rounds = list(Round.objects.exclude(status=RoundStatus.PLANNED).order_by("-start_date", "-pk")[:12])
    dimension = request.GET.get("dimension") or None
    key = request.GET.get("key")
    if dimension not in (None, "district", "point_type", "street", "unit", "point") or (
        dimension and not (key or "").isdigit()
    ):
        dimension, key = None, None
    series = scoring.trend(rounds, dimension, int(key) if key else None)
    labels = [r.name for r, _rate in series]
    values = [float(round(rate.rate, 1)) if rate.rate is not None else 0 for _r, rate in series]
    svg = charts.bar_chart(labels, values, title=_("各轮次得分率"), value_label=_("得分率（%）"))
    return HttpResponse(svg, content_type="image/svg+xml")


# ---------------------------------------------------------------------------------------------------------------
# Points


@office_required
@require_GET
def point_list(request):
    points = InspectionPoint.objects.select_related("point_type", "district", "street", "responsible_unit")
    type_id, district_id = request.GET.get("type", ""), request.GET.get("district", "")
    if type_id.isdigit():
        points = points.filter(point_type_id=type_id)
    if district_id.isdigit():
        points = points.filter(district_id=district_id)
    config = settings.LEAFLET_CONFIG
    tiles = [{"name": str(n), "url": u, "options": o} for n, u, o in config.get("TILES") or []]
    features = [
        {"lat": p.lat, "lng": p.lng, "name": p.name, "type": p.point_type.name, "active": p.is_active}
        for p in points[:MAP_POINTS_MAX] if p.lat is not None and p.lng is not None
    ]
    return render(request, "inspections/point_list.html", {
        "points": points, "types": PointType.objects.all(),
        "districts": Jurisdiction.objects.filter(kind=JurisdictionKind.DISTRICT),
        "type_id": type_id, "district_id": district_id, "import_form": PointImportForm(),
        "map_config": {
            "center": list(config.get("DEFAULT_CENTER", (27.83, 113.13))), "zoom": config.get("DEFAULT_ZOOM", 12),
            "tiles": tiles, "points": features,
        },
    })


@office_required
@require_GET
def point_export(request):
    return _xlsx(excel.export_points(InspectionPoint.objects.all()), "inspection-points.xlsx")


@office_required
@require_POST
def point_import(request):
    form = PointImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择要导入的 Excel 文件"))
        return redirect("inspections:points")
    try:
        result = excel.import_points(form.cleaned_data["file"], dry_run=form.cleaned_data["dry_run"])
    except excel.ImportRefused as exc:
        return render(request, "inspections/import_errors.html", {"errors": exc.errors}, status=400)
    text = _("新增 %(c)d 个点位，更新 %(u)d 个点位") % {"c": result.created, "u": result.updated}
    messages.success(request, (_("校验通过（未保存）：") if result.dry_run else _("导入完成：")) + text)
    return redirect("inspections:points")


# ---------------------------------------------------------------------------------------------------------------
# Public


@require_GET
def markets(request):
    """Seed §25: 定期公布各市场经营主体量化评分 — grades from closed rounds only."""
    bands = GradeBand.objects.filter(point_type__graded=True).select_related("point_type").order_by("-min_rate")
    return render(request, "inspections/markets.html", {"markets": scoring.market_history(), "bands": bands})


@login_required
@require_GET
def photo(request, pk):
    """Inspection photos are not served from MEDIA_URL: the office and the round's inspectors may see them."""
    from django.http import FileResponse, Http404

    from .models import ItemPhoto

    ph = get_object_or_404(ItemPhoto.objects.select_related("item_score__inspection__round"), pk=pk)
    _round_for(request, ph.item_score.inspection.round_id)
    try:
        handle = ph.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("文件已不存在。")) from None
    response = FileResponse(handle, content_type=ph.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
