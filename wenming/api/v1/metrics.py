"""/api/v1/metrics: case metrics per unit, district, street or grid cell for a period, composite scores and rankings
(issue #3 §5; the same `assessments.metrics` functions as the dashboard).

Access: the metrics name and rank every unit, so they are internal, as the dashboard is (DESIGN.md §1: the office
and leaders read them; a unit's own users are refused). Allowed: a token with the admin scope, or any caller
(token of any scope, or a login session) whose user is an office or leader user
(`assessments.views.can_view_dashboard`). Refused: anonymous callers (401), client-system tokens without the
admin scope and unit users (403).

Periods: `2019-09` (month), `2019-Q3` (quarter) or `2019` (year); default the current month. A running period
is measured as of now.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import Field

from wenming.api.models import Scope
from wenming.assessments import metrics
from wenming.assessments.periods import MONTH, QUARTER, YEAR, Period
from wenming.assessments.views import can_view_dashboard
from wenming.core import clock

from .auth import Principal, principal, require
from .cases import local
from .errors import ApiError, forbidden, responses

router = Router(tags=["考核指标"])

PERIOD_KINDS = (MONTH, QUARTER, YEAR)
RANKABLE = ("unit", "district", "street", "grid")


class PeriodOut(Schema):
    code: str
    kind: str
    label: str
    start: dt.date
    end: dt.date = Field(..., description="不含当日（左闭右开）")


class SchemeOut(Schema):
    id: int
    name: str
    year: int | None
    min_cases: int
    weights: dict[str, Decimal]
    volume_points: Decimal
    volume_full_count: int
    grade_bands: list[dict]
    lowest_grade: str


class MetricOut(Schema):
    id: int | None = Field(None, description="单位、区县、街道或网格的编号；null 为未派遣/未定位")
    code: str
    name: str
    accepted: int = Field(..., description="立案数")
    due: int = Field(..., description="应结案数")
    closed: int = Field(..., description="结案数")
    closed_on_time: int = Field(..., description="按期结案数")
    handle_due: int = Field(..., description="应处置数")
    handled_on_time: int = Field(..., description="按期处置数")
    overdue: int = Field(..., description="超期数")
    reworked: int = Field(..., description="返工数")
    extended: int = Field(..., description="延期数")
    dispatched: int = Field(..., description="派遣数")
    returned: int = Field(..., description="退单数")
    rated: int = Field(..., description="回访数")
    satisfied: int = Field(..., description="满意数")
    closure_rate: Decimal | None = Field(None, description="结案率（%）")
    ontime_closure_rate: Decimal | None = Field(None, description="按期结案率（%）")
    ontime_handling_rate: Decimal | None = Field(None, description="按期处置率（%）")
    rework_rate: Decimal | None = Field(None, description="返工率（%）")
    extension_rate: Decimal | None = Field(None, description="延期率（%）")
    return_rate: Decimal | None = Field(None, description="退单率（%）")
    satisfaction_rate: Decimal | None = Field(None, description="满意率（%）")
    avg_handling_hours: Decimal | None = Field(None, description="平均处置时长（工作小时）")
    score: Decimal | None = Field(None, description="综合指标值")
    grade: str | None
    rank: int | None


class MetricTable(Schema):
    period: PeriodOut
    by: str
    as_of: dt.datetime
    scheme: SchemeOut | None
    totals: MetricOut
    rows: list[MetricOut]


class RankingOut(Schema):
    period: PeriodOut
    by: str
    as_of: dt.datetime
    scheme: SchemeOut
    min_cases: int = Field(..., description="参与排名的最低应结案数")
    ranked: list[MetricOut]
    insufficient: list[MetricOut] = Field(..., description="案件数不足，不参与排名")


_FIELDS = [name for name in MetricOut.model_fields if name != "id"]


def metric_out(row: metrics.MetricRow) -> dict:
    return {"id": row.key, **{name: getattr(row, name) for name in _FIELDS}}


def period_out(p: Period) -> dict:
    return {"code": p.code, "kind": p.kind, "label": p.label, "start": p.start, "end": p.end}


def scheme_out(s) -> dict | None:
    if s is None:
        return None
    return {
        "id": s.pk, "name": s.name, "year": s.year, "min_cases": s.min_cases, "weights": s.weights,
        "volume_points": s.volume_points, "volume_full_count": s.volume_full_count,
        "grade_bands": [{"grade": str(b.get("grade", "")), "min": b.get("min")} for b in s.grade_bands or []],
        "lowest_grade": s.lowest_grade,
    }


def _guard(request) -> Principal:
    who = principal(request)
    if who.has(Scope.ADMIN) or (who.user is not None and can_view_dashboard(who.user)):
        return who
    if who.is_anonymous:
        require(request, Scope.ADMIN)  # 401 with the usual message
    raise forbidden(_("仅创文办和领导可以查看考核指标"))


def _period(text: str | None) -> Period:
    if text is None or not text.strip():
        return Period.containing(clock.today(), MONTH)
    period = None
    if len(text) <= 20 and text.isascii():  # \d in the parser would take full-width digits too
        try:
            period = Period.parse(text)
        except ValueError:
            period = None
    if period is None or period.kind not in PERIOD_KINDS:
        raise ApiError(400, "bad_period", _("统计周期格式不正确：应为 2019（年）、2019-Q3（季度）或 2019-09（月）"),
                       [{"field": "period", "message": _("取值无效")}])
    return period


def _by(value: str, allowed) -> str:
    if value not in allowed:
        raise ApiError(400, "invalid", _("统计对象应为 %(list)s 之一") % {"list": "、".join(allowed)},
                       [{"field": "by", "message": _("取值无效")}])
    return value


@router.get("/metrics", response=responses({200: MetricTable}), summary="案件指标（按单位、区县、街道或网格）")
def get_metrics(request, period: str | None = None, by: str = "unit"):
    """Office and leaders (see the module notes). `by`: unit, district, street, grid or all (the whole city).
    Rows carry every metric for the period, the composite score (综合指标值) and grade; a rate whose denominator
    is zero is null. `totals` is the whole city. Rows with no case in the period are left out."""
    _guard(request)
    by = _by(by, (*RANKABLE, "all"))
    p = _period(period)
    now = clock.now()
    scheme = metrics.scheme_for(p)
    rows = metrics.metric_rows(p, by, scheme=scheme, as_of=now)
    totals = metrics.combine(rows, scheme=scheme)
    return {"period": period_out(p), "by": by, "as_of": local(now), "scheme": scheme_out(scheme),
            "totals": metric_out(totals), "rows": [metric_out(r) for r in rows]}


@router.get("/metrics/rankings", response=responses({200: RankingOut}), summary="综合指标排名")
def get_rankings(request, period: str | None = None, by: str = "unit"):
    """Office and leaders. Ranked by 综合指标值, highest first; ties share a rank. Units (or areas) under the
    scheme's minimum 应结案数 are listed apart in `insufficient` (案件数不足，不参与排名); cases with no unit or
    area are never ranked. 409 when no metric scheme is configured."""
    _guard(request)
    by = _by(by, RANKABLE)
    p = _period(period)
    now = clock.now()
    scheme = metrics.scheme_for(p)
    if scheme is None:
        raise ApiError(409, "no_scheme", _("尚未启用考核指标方案，无法计算综合指标值和排名"))
    ranking = metrics.rank(metrics.metric_rows(p, by, scheme=scheme, as_of=now), scheme)
    return {"period": period_out(p), "by": by, "as_of": local(now), "scheme": scheme_out(scheme),
            "min_cases": ranking.min_cases, "ranked": [metric_out(r) for r in ranking.ranked],
            "insufficient": [metric_out(r) for r in ranking.insufficient]}
