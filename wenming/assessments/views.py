"""The metrics dashboard (issue #3 §5): period picker, headline figures, rankings by unit and district, charts, a
district map and the Excel export. For the campaign office and leaders (DESIGN.md §1: leaders read dashboards);
a unit's own users are refused, since the page ranks every unit by name."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from wenming.accounts.models import Role
from wenming.core import charts, clock

from . import exports, metrics
from .models import MetricScheme
from .periods import MONTH, QUARTER, YEAR, Period, recent_periods


def can_view_dashboard(user) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_office or getattr(user, "leader", None) is not None or user.has_role(Role.LEADER)


def _guard(request) -> None:
    if not can_view_dashboard(request.user):
        raise PermissionDenied(_("仅创文办和领导可以查看考核指标。"))


def period_from(request) -> Period:
    raw = request.GET.get("p", "")
    if raw:
        try:
            return Period.parse(raw)
        except ValueError:
            raise Http404(_("统计周期格式不正确：应为 2019、2019-Q3 或 2019-09。")) from None
    return Period.containing(clock.today(), MONTH)


@dataclasses.dataclass
class Dashboard:
    period: Period
    scheme: MetricScheme | None
    totals: metrics.MetricRow
    units: list[metrics.MetricRow]
    districts: list[metrics.MetricRow]
    unit_ranking: metrics.Ranking | None
    district_ranking: metrics.Ranking | None


def dashboard_for(period: Period) -> Dashboard:
    scheme = metrics.scheme_for(period)
    now = clock.now()
    units = metrics.metric_rows(period, metrics.UNIT, scheme=scheme, as_of=now)
    totals = metrics.combine(units, scheme=scheme)
    districts = metrics.metric_rows(period, metrics.DISTRICT, scheme=scheme, as_of=now)
    return Dashboard(
        period=period,
        scheme=scheme,
        totals=totals,
        units=units,
        districts=districts,
        unit_ranking=metrics.rank(units, scheme) if scheme else None,
        district_ranking=metrics.rank(districts, scheme) if scheme else None,
    )


GRADE_COLOURS = ["#2f855a", "#68d391", "#f6e05e", "#ed8936", "#dd6b20", "#9c4221"]
LOWEST_COLOUR = "#c53030"


def _map_config(scheme: MetricScheme | None) -> dict:
    config = settings.LEAFLET_CONFIG
    bands = []
    if scheme is not None:
        bands = [
            {"grade": str(b["grade"]), "min": b["min"], "colour": GRADE_COLOURS[min(i, len(GRADE_COLOURS) - 1)]}
            for i, b in enumerate(scheme.grade_bands)
        ] + [{"grade": scheme.lowest_grade, "min": None, "colour": LOWEST_COLOUR}]
    return {
        "center": list(config.get("DEFAULT_CENTER", (27.83, 113.13))),
        "zoom": max(config.get("DEFAULT_ZOOM", 12) - 2, config.get("MIN_ZOOM", 3)),
        "tiles": [{"name": str(n), "url": u, "options": o} for n, u, o in config.get("TILES") or []],
        "bands": bands,
    }


def fmt(value) -> str:
    """Pages show "—" for a metric that cannot be computed (zero denominator), never 0 or 100."""
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def _attach_cells(rows: list[metrics.MetricRow]) -> None:
    for r in rows:
        r.cells = [(label, fmt(getattr(r, attr))) for attr, label in metrics.COLUMNS]


def _headline(d: Dashboard) -> list[tuple[str, str]]:
    t = d.totals
    pct = lambda v: "—" if v is None else f"{v:.2f}%"  # noqa: E731
    return [
        (_("立案数"), fmt(t.accepted)),
        (_("应结案数"), fmt(t.due)),
        (_("结案率"), pct(t.closure_rate)),
        (_("按期结案率"), pct(t.ontime_closure_rate)),
        (_("按期处置率"), pct(t.ontime_handling_rate)),
        (_("超期数"), fmt(t.overdue)),
        (_("返工率"), pct(t.rework_rate)),
        (_("退单率"), pct(t.return_rate)),
        (_("延期率"), pct(t.extension_rate)),
        (_("满意率"), pct(t.satisfaction_rate)),
        (_("平均处置时长（工作小时）"), fmt(t.avg_handling_hours)),
        (_("全市综合指标值"), fmt(t.score) + (f"（{t.grade}）" if t.grade else "")),
    ]


def _map_data(rows: list[metrics.MetricRow]) -> dict:
    return {
        r.code: {
            "name": r.name,
            "score": float(r.score) if r.score is not None else None,
            "grade": r.grade,
            "closure_rate": float(r.closure_rate) if r.closure_rate is not None else None,
            "due": r.due,
        }
        for r in rows
        if r.code
    }


@login_required
@require_GET
def dashboard(request):
    _guard(request)
    period = period_from(request)
    data = dashboard_for(period)
    _attach_cells(data.units + data.districts)
    choices = recent_periods(clock.today())
    return render(
        request,
        "assessments/dashboard.html",
        {
            "d": data,
            "period": period,
            "columns": metrics.COLUMNS,
            "headline": _headline(data),
            "unit_heading": _("责任单位"),
            "district_heading": _("区县"),
            "picker": [
                (_("月度"), choices[MONTH]),
                (_("季度"), choices[QUARTER]),
                (_("年度"), choices[YEAR]),
            ],
            "map_config": _map_config(data.scheme),
            "map_data": _map_data(data.districts),
            "map_labels": {
                "score": _("综合指标值"),
                "grade": _("等级"),
                "closure": _("结案率"),
                "due": _("应结案数"),
                "none": "—",
                "failed": _("区县边界加载失败"),
                "empty": _("尚无区县边界数据"),
            },
        },
    )


@login_required
@require_GET
def metrics_xlsx(request):
    _guard(request)
    period = period_from(request)
    body = exports.metrics_workbook(dashboard_for(period), street_rows=_street_rows(period))
    response = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = _("考核指标-%(p)s.xlsx") % {"p": period.code}
    response["Content-Disposition"] = (
        f"attachment; filename=\"metrics-{period.code}.xlsx\"; filename*=UTF-8''{quote(name)}"
    )
    return response


def _street_rows(period: Period) -> list[metrics.MetricRow]:
    return metrics.metric_rows(period, metrics.STREET, as_of=clock.now())


# --- charts (SVG through wenming.core.charts) ---------------------------------------------------------------


def _svg(body: bytes) -> HttpResponse:
    response = HttpResponse(body, content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


def _short(text: str, n: int = 12) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


@login_required
@require_GET
def chart(request, name: str):
    _guard(request)
    period = period_from(request)
    if name == "scores":
        scheme = metrics.scheme_for(period)
        rows = metrics.metric_rows(period, metrics.UNIT, scheme=scheme, as_of=clock.now())
        ranked = metrics.rank(rows, scheme).ranked[:20] if scheme else []
        return _svg(
            charts.bar_chart(
                [_short(r.name) for r in ranked],
                [float(r.score) for r in ranked],
                horizontal=True,
                title=_("各单位综合指标值（%(p)s）") % {"p": period.label},
                value_label=_("综合指标值"),
            )
        )
    if name == "trend":
        trend = metrics.monthly_trend(period if period.kind != MONTH else Period.containing(period.start, YEAR))
        accepted, closed = _("立案数"), _("办结数")
        return _svg(
            charts.line_chart(
                [m.label for m, _a, _c in trend],
                {accepted: [a for _m, a, _c in trend], closed: [c for _m, _a, c in trend]},
                colors={accepted: "#b81c22", closed: "#2f855a"},
                title=_("立案数与办结数（按月）"),
            )
        )
    if name == "categories":
        top = metrics.top_categories(period)
        return _svg(
            charts.bar_chart(
                [_short(n) for n, _c in top],
                [c for _n, c in top],
                horizontal=True,
                color="#c05621",
                title=_("立案数最多的问题类别（%(p)s）") % {"p": period.label},
                value_label=_("立案数"),
            )
        )
    raise Http404(_("没有这个图表。"))
