"""Pages of the periodic products (seed §38/§41) and of accountability (§41 约谈和问责).

Who sees what (DESIGN.md §1, §7): the campaign office generates, reviews, publishes and corrects, and sees drafts;
leaders and units read published products; each unit sees its own 约谈/问责 records. The product page renders the
snapshot only (products.html), so a published page never changes.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wenming.core import clock

from . import accountability
from .models import (
    Accountability,
    AccountabilityLevel,
    Interview,
    InterviewStatus,
    Product,
    ProductKind,
)
from .products import figures
from .products import html as product_html
from .products.periods import EXAMPLES, PeriodError, last_complete, parse_period
from .products.services import (
    ProductError,
    correction_request,
    generation_request,
    product_publish,
    product_return,
    product_submit,
)


def _office(request) -> None:
    if not request.user.is_office:
        raise PermissionDenied(_("仅创文办可以执行此操作。"))


def _visible(request):
    qs = Product.objects.all()
    return qs if request.user.is_office else qs.published()


def _product(request, pk: int) -> Product:
    return get_object_or_404(_visible(request), pk=pk)


@login_required
@require_GET
def product_list(request):
    kind = request.GET.get("kind", "")
    qs = _visible(request).select_related("correction_of")
    if kind in ProductKind.values:
        qs = qs.filter(kind=kind)
    today = clock.today()
    return render(request, "assessments/products/list.html", {
        "products": qs.order_by("-period_start", "kind", "-version")[:200],
        "kinds": ProductKind.choices,
        "kind": kind,
        "examples": [(k, ProductKind(k).label, EXAMPLES[k], last_complete(k, today).code) for k in ProductKind.values],
        "can_generate": request.user.is_office,
    })


@login_required
@require_POST
def product_generate(request):
    _office(request)
    kind, period = request.POST.get("kind", ""), request.POST.get("period", "")
    try:
        product = generation_request(kind=kind, period=parse_period(kind, period), by=request.user)
    except (PeriodError, ProductError) as exc:
        messages.error(request, str(exc))
        return redirect("assessments:products")
    messages.success(request, _("已开始生成，页面会显示进度。"))
    return redirect("assessments:product", pk=product.pk)


@login_required
@require_GET
def product_detail(request, pk: int):
    product = _product(request, pk)
    versions = _visible(request).of(product.kind, product.period_key).order_by("-version")
    return render(request, "assessments/products/detail.html", {
        "product": product,
        "body": product_html.blocks(product.snapshot),
        "headline": product_html.headline(product.snapshot),
        "correction": product.snapshot.get("correction"),
        "versions": versions,
        "is_office": request.user.is_office,
        "latest": versions.first(),
    })


@login_required
@require_GET
def product_progress(request, pk: int):
    product = _product(request, pk)
    response = render(request, "assessments/products/_progress.html", {"product": product})
    if request.GET.get("polling") and not product.is_busy:
        response["HX-Refresh"] = "true"  # the job ended: reload the page to show the result
    return response


def _action(request, pk: int, fn, done: str, **kwargs):
    _office(request)
    product = get_object_or_404(Product, pk=pk)
    try:
        result = fn(product=product, by=request.user, **kwargs)
    except ProductError as exc:
        messages.error(request, exc.message)
        return redirect("assessments:product", pk=pk)
    messages.success(request, done)
    return redirect("assessments:product", pk=result.pk)


@login_required
@require_POST
def product_regenerate(request, pk: int):
    _office(request)
    product = get_object_or_404(Product, pk=pk)
    try:
        generation_request(kind=product.kind, period=product.period_key, by=request.user)
    except ProductError as exc:
        messages.error(request, exc.message)
    return redirect("assessments:product", pk=pk)


@login_required
@require_POST
def product_submit_view(request, pk: int):
    return _action(request, pk, product_submit, _("已送审。"))


@login_required
@require_POST
def product_return_view(request, pk: int):
    return _action(request, pk, product_return, _("已退回修改。"))


@login_required
@require_POST
def product_publish_view(request, pk: int):
    return _action(request, pk, product_publish, _("已发布。发布后的内容不再改变。"))


@login_required
@require_POST
def product_correct_view(request, pk: int):
    return _action(request, pk, lambda product, by, note: correction_request(product=product, note=note, by=by),
                   _("已开始生成更正版本。"), note=request.POST.get("note", ""))


@login_required
@require_GET
def product_download(request, pk: int, fmt: str):
    product = _product(request, pk)
    field = {"docx": product.docx, "xlsx": product.xlsx}.get(fmt)
    if field is None or not field.name:
        raise Http404(_("没有这个文件。"))
    content_type = {
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }[fmt]
    name = f"{product.get_kind_display()}-{product.period_key}-v{product.version}.{fmt}"
    response = FileResponse(default_storage.open(field.name, "rb"), content_type=content_type)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{product.kind}-{product.period_key}-v{product.version}.{fmt}\"; "
        f"filename*=UTF-8''{quote(name)}"
    )
    return response


@login_required
@require_GET
def product_chart(request, pk: int, chart_id: str):
    product = _product(request, pk)
    block = figures.chart_blocks(product.snapshot).get(chart_id)
    if block is None:
        raise Http404(_("没有这个图表。"))
    response = HttpResponse(figures.render(block, "svg"), content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_GET
def product_photo(request, pk: int, index: int):
    product = _product(request, pk)
    items = figures.photo_items(product.snapshot)
    if not 0 <= index < len(items):
        raise Http404(_("没有这张照片。"))
    try:
        handle = default_storage.open(items[index]["path"], "rb")
    except OSError:
        raise Http404(_("照片文件缺失。")) from None
    return FileResponse(handle, content_type="image/jpeg")


# --- accountability ---------------------------------------------------------------------------------------------


@login_required
@require_GET
def accountability_list(request):
    """Office: every record; a unit: its own (the same page, narrowed)."""
    interviews = Interview.objects.select_related("unit", "rule").order_by("-created_at", "-pk")
    escalations = Accountability.objects.select_related("unit", "interview").order_by("-created_at", "-pk")
    if not request.user.is_office:
        units = request.user.units()
        if not units:
            raise PermissionDenied(_("仅创文办和责任单位可以查看约谈问责记录。"))
        interviews = interviews.filter(unit__in=units)
        escalations = escalations.filter(unit__in=units)
    return render(request, "assessments/accountability/list.html", {
        "interviews": interviews[:500],
        "escalations": escalations[:500],
        "is_office": request.user.is_office,
        "quarter": last_complete(ProductKind.QUARTERLY, clock.today()).code,
    })


def _interview(request, pk: int) -> Interview:
    interview = get_object_or_404(Interview.objects.select_related("unit", "rule"), pk=pk)
    if not request.user.is_office and interview.unit not in request.user.units():
        raise Http404(_("没有这条记录。"))
    return interview


@login_required
def interview_detail(request, pk: int):
    interview = _interview(request, pk)
    if request.method == "POST":
        _office(request)
        try:
            if request.POST.get("action") == "escalate":
                accountability.interview_escalate(
                    interview=interview, level=request.POST.get("level", ""), reason=request.POST.get("reason", ""),
                    decided_by=request.POST.get("decided_by", ""),
                )
                messages.success(request, _("已转为问责。"))
            else:
                fields = {k: request.POST.get(k, "").strip() for k in ("interviewer", "commitments", "follow_up", "outcome")}
                fields["scheduled_at"] = _parse_dt(request.POST.get("scheduled_at", ""))
                accountability.interview_update(interview=interview, close=request.POST.get("action") == "close",
                                                **fields)
                messages.success(request, _("已保存。"))
        except accountability.AccountabilityError as exc:
            messages.error(request, str(exc))
        return redirect("assessments:interview", pk=pk)
    return render(request, "assessments/accountability/interview.html", {
        "interview": interview,
        "escalations": interview.escalations.all(),
        "is_office": request.user.is_office,
        "editable": request.user.is_office and interview.status not in (InterviewStatus.CLOSED, InterviewStatus.ESCALATED),
        "levels": AccountabilityLevel.choices,
    })


def _parse_dt(text: str) -> dt.datetime | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise accountability.AccountabilityError(_("约谈时间格式不正确，应为 2026-10-12 09:30。")) from None
    return value if value.tzinfo else value.replace(tzinfo=clock.now().tzinfo)


@login_required
@require_POST
def accountability_run(request):
    _office(request)
    try:
        period = parse_period(ProductKind.QUARTERLY, request.POST.get("period", ""))
        opened = accountability.run_rules(period)
    except (PeriodError, accountability.AccountabilityError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("规则已运行，新开约谈 %(n)s 件。") % {"n": len(opened)})
    return redirect("assessments:accountability")

