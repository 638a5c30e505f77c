"""/api/v1/plans, measures, targets and progress reports (seed §38 任务书、时间表、路线图; §41 一单四制).

Units submit progress through `plans.services.progress_report_submit`, the same rules as the pages.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema
from ninja import Status as Reply
from ninja.files import UploadedFile
from pydantic import Field

from wenming.accounts.models import OrgUnit
from wenming.api.models import Scope
from wenming.core import clock, workcal
from wenming.plans import status as st
from wenming.plans.models import Measure, Plan, ProgressReport, Target
from wenming.plans.services import progress_report_submit

from . import pagination
from .auth import limit_anonymous, require
from .errors import ApiError, forbidden, not_found, responses
from .schemas import Strict, reject_unknown_form_fields

router = Router(tags=["实施方案"])


class PlanOut(Schema):
    id: int
    title: str
    issuer: str
    issued_on: dt.date | None
    starts_on: dt.date
    ends_on: dt.date
    report_frequency: str
    is_default: bool


class SectionOut(Schema):
    number: int
    title: str


class PlanDetail(PlanOut):
    sections: list[SectionOut]


class MeasureOut(Schema):
    id: int
    plan_id: int
    section: int
    number: int
    title: str


class MeasureDetail(MeasureOut):
    body: str
    lead_leaders: list[str]
    lead_units: list[str]
    member_units: list[str]
    member_phrases: list[str]
    target_ids: list[int]


class MeasurePage(Schema):
    items: list[MeasureOut]
    next_cursor: str | None


class TargetOut(Schema):
    id: int
    measure_id: int
    metric: str
    text: str
    value: Decimal | None
    unit: str
    comparator: str
    baseline: Decimal | None
    starts_on: dt.date
    deadline: dt.date
    recurrence: str
    status: str
    status_label: str
    latest_value: Decimal | None
    expected_value: Decimal | None


class TargetPage(Schema):
    items: list[TargetOut]
    next_cursor: str | None


class ReportOut(Schema):
    id: int
    target_id: int
    org_unit: str
    period_start: dt.date
    value: Decimal | None
    done: bool
    note: str
    submitted_at: dt.datetime
    evidence: list[str]


class ReportPage(Schema):
    items: list[ReportOut]
    next_cursor: str | None


class ReportIn(Strict):
    org_unit_id: int = Field(..., ge=1)
    period_start: dt.date
    value: Decimal | None = Field(None, max_digits=14, decimal_places=4)
    done: bool = False
    note: str = Field("", max_length=2000)
    unit: str | None = Field(None, max_length=20, description="计量单位（核对用，可省略）")


def plan_out(p: Plan) -> dict:
    return {"id": p.pk, "title": p.title, "issuer": p.issuer, "issued_on": p.issued_on, "starts_on": p.starts_on,
            "ends_on": p.ends_on, "report_frequency": p.report_frequency, "is_default": p.is_default}


def measure_out(m: Measure) -> dict:
    return {"id": m.pk, "plan_id": m.plan_id, "section": m.section.number, "number": m.number, "title": m.title}


def target_out(t: Target, result) -> dict:
    return {
        "id": t.pk, "measure_id": t.measure_id, "metric": t.metric, "text": t.text, "value": t.value, "unit": t.unit,
        "comparator": t.comparator, "baseline": t.baseline, "starts_on": t.starts_on, "deadline": t.deadline,
        "recurrence": t.recurrence, "status": result.status, "status_label": str(result.status.label),
        "latest_value": result.latest_value, "expected_value": result.expected_value,
    }


def report_out(request, r: ProgressReport) -> dict:
    return {
        "id": r.pk, "target_id": r.target_id, "org_unit": r.org_unit.name, "period_start": r.period_start,
        "value": r.value, "done": r.done, "note": r.note, "submitted_at": r.submitted_at.astimezone(workcal.tz()),
        "evidence": [request.build_absolute_uri(e.file.url) for e in r.evidence.all()],
    }


def _positive(value: int) -> bool:
    return 0 < value < 2**62


@router.get("/plans", response=responses({200: list[PlanOut]}), summary="实施方案列表")
def list_plans(request):
    limit_anonymous(request)
    return [plan_out(p) for p in Plan.objects.defer("source_text")]


@router.get("/plans/{plan_id}", response=responses({200: PlanDetail}), summary="实施方案详情")
def get_plan(request, plan_id: int):
    limit_anonymous(request)
    plan = Plan.objects.defer("source_text").filter(pk=plan_id).first() if _positive(plan_id) else None
    if plan is None:
        raise not_found(_("未找到该实施方案"))
    return {**plan_out(plan), "sections": [{"number": s.number, "title": s.title} for s in plan.sections.all()]}


@router.get("/measures", response=responses({200: MeasurePage}), summary="措施列表")
def list_measures(request, plan: int | None = None, cursor: str | None = None, limit: int = 100):
    limit_anonymous(request)
    qs = Measure.objects.select_related("section")
    if plan is not None:
        qs = qs.filter(plan_id=plan)
    rows, next_cursor = pagination.page(qs, cursor, limit, descending=False)
    return {"items": [measure_out(m) for m in rows], "next_cursor": next_cursor}


@router.get("/measures/{measure_id}", response=responses({200: MeasureDetail}), summary="措施详情（一单四制）")
def get_measure(request, measure_id: int):
    limit_anonymous(request)
    m = Measure.objects.select_related("section").filter(pk=measure_id).first() if _positive(measure_id) else None
    if m is None:
        raise not_found(_("未找到该措施"))
    resp = getattr(m, "responsibility", None)
    return {
        **measure_out(m),
        "body": m.body,
        "lead_leaders": [str(x.name) for x in resp.lead_leaders.all()] if resp else [],
        "lead_units": [u.name for u in resp.lead_units.all()] if resp else [],
        "member_units": [u.name for u in resp.member_units.all()] if resp else [],
        "member_phrases": list(resp.member_phrases or []) if resp else [],
        "target_ids": list(m.targets.values_list("pk", flat=True)),
    }


@router.get("/targets", response=responses({200: TargetPage}), summary="目标列表（含进度状态）")
def list_targets(request, plan: int | None = None, measure: int | None = None, unit: int | None = None,
                 cursor: str | None = None, limit: int = 100):
    limit_anonymous(request)
    qs = Target.objects.select_related("measure__plan")
    if plan is not None:
        qs = qs.filter(measure__plan_id=plan)
    if measure is not None:
        qs = qs.filter(measure_id=measure)
    if unit is not None:
        found = OrgUnit.objects.filter(pk=unit).first() if _positive(unit) else None
        qs = qs.for_unit(found) if found else qs.none()
    rows, next_cursor = pagination.page(qs, cursor, limit, descending=False)
    results = st.statuses_for(rows, clock.today())
    return {"items": [target_out(t, results[t.pk]) for t in rows], "next_cursor": next_cursor}


def _target(target_id: int) -> Target:
    t = Target.objects.select_related("measure__plan").filter(pk=target_id).first() if _positive(target_id) else None
    if t is None:
        raise not_found(_("未找到该目标"))
    return t


@router.get("/targets/{target_id}", response=responses({200: TargetOut}), summary="目标详情")
def get_target(request, target_id: int):
    limit_anonymous(request)
    t = _target(target_id)
    return target_out(t, st.statuses_for([t], clock.today())[t.pk])


@router.get("/targets/{target_id}/reports", response=responses({200: ReportPage}), summary="进度报送记录")
def list_reports(request, target_id: int, cursor: str | None = None, limit: int = 50):
    require(request, Scope.ACT_FOR_UNIT)
    t = _target(target_id)
    qs = ProgressReport.objects.filter(target=t).select_related("org_unit").prefetch_related("evidence")
    rows, next_cursor = pagination.page(qs, cursor, limit)
    return {"items": [report_out(request, r) for r in rows], "next_cursor": next_cursor}


@router.post("/targets/{target_id}/reports", response=responses({201: ReportOut}), summary="报送目标进度")
def submit_report(request, target_id: int, data: Form[ReportIn], files: File[list[UploadedFile]] = None):
    """multipart/form-data; `files` are evidence (JPEG/PNG/WebP, PDF, .docx, .xlsx). Rules as on the pages."""
    who = require(request, Scope.ACT_FOR_UNIT)
    if who.user is None:
        raise forbidden(_("该令牌未绑定用户账号，不能报送进度"))
    reject_unknown_form_fields(request, ReportIn, files=("files",))
    t = _target(target_id)
    unit = OrgUnit.objects.filter(pk=data.org_unit_id).first() if _positive(data.org_unit_id) else None
    if unit is None:
        raise ApiError(400, "invalid", _("未知单位，请从列表中选择报送单位。"))
    report = progress_report_submit(
        target=t, org_unit=unit, user=who.user, period_start=data.period_start, value=data.value, done=data.done,
        note=data.note, files=files or (), unit=data.unit,
    )
    return Reply(201, report_out(request, report))
