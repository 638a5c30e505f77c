"""Accountability (seed §41: 强化工作约谈和问责机制): configured rules open 约谈 records; 约谈 escalate to 问责.

Rules run when a quarterly bulletin is generated (and on demand from the accountability page). A rule never opens
a second record for the same unit, rule and period: the unique constraint on (unit, rule, period_key) is the
guarantee, `get_or_create` the way in, so two runs at once still leave one record.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from wenming.core import clock
from wenming.plans import status as plan_status

from . import metrics
from .models import (
    Accountability,
    AccountabilityLevel,
    AccountabilityRule,
    Interview,
    InterviewStatus,
    Product,
    ProductKind,
    RuleKind,
)
from .periods import QUARTER, Period


class AccountabilityError(ValueError):
    pass


@dataclasses.dataclass
class Hit:
    unit_id: int
    reason: str
    evidence: dict


RATE_LABELS = {
    "ontime_closure_rate": "按期结案率",
    "ontime_handling_rate": "按期处置率",
    "closure_rate": "结案率",
    "satisfaction_rate": "满意率",
}


def _bottom(entries: list[dict], positions: int) -> set[int]:
    """Units among the last `positions` of a ranking (a tie with the cut-off place counts as last too)."""
    if not entries or positions <= 0:
        return set()
    ordered = sorted(entries, key=lambda e: (e["rank"], e["name"]))
    cut = ordered[-positions:] if positions < len(ordered) else ordered
    floor_rank = min(e["rank"] for e in cut)
    return {e["unit"] for e in ordered if e["rank"] >= floor_rank}


def _published_ranking(period: Period) -> list[dict] | None:
    """The unit ranking of the newest published bulletin of `period`, or None if none was published."""
    product = (
        Product.objects.published().of(ProductKind.QUARTERLY, period.code).order_by("-version").first()
    )
    if product is None:
        return None
    return product.snapshot.get("ranking", {}).get("units", [])


def _last_in_bulletin(rule: AccountabilityRule, period: Period, ranking: metrics.Ranking) -> list[Hit]:
    positions = int(rule.param("positions", 1))
    consecutive = max(1, int(rule.param("consecutive", 2)))
    current = [{"unit": r.key, "name": r.name, "rank": r.rank} for r in ranking.ranked]
    caught = _bottom(current, positions)
    names = {e["unit"]: e["name"] for e in current}
    quarters = [period.code]
    cursor = period
    for _i in range(consecutive - 1):
        cursor = cursor.previous()
        earlier = _published_ranking(cursor)
        if earlier is None:
            return []
        caught &= _bottom(earlier, positions)
        quarters.append(cursor.code)
    return [
        Hit(unit, _("连续%(n)s个季度通报（%(q)s）综合指标值排名位列末%(p)s位") % {
            "n": consecutive, "q": "、".join(reversed(quarters)), "p": positions},
            {"quarters": list(reversed(quarters)), "positions": positions, "name": names.get(unit, "")})
        for unit in sorted(caught)
    ]


def _rate_below(rule: AccountabilityRule, rows: list[metrics.MetricRow]) -> list[Hit]:
    metric = str(rule.param("metric", "ontime_closure_rate"))
    if metric not in RATE_LABELS:
        raise AccountabilityError(_("规则“%(r)s”的指标 %(m)s 不受支持") % {"r": rule.name, "m": metric})
    threshold = Decimal(str(rule.param("threshold", 60)))
    min_cases = int(rule.param("min_cases", 10))
    hits = []
    for r in rows:
        value = getattr(r, metric)
        if r.key is None or r.due < min_cases or value is None or value >= threshold:
            continue
        hits.append(Hit(r.key, _("%(m)s %(v).2f%% 低于 %(t)s%%（应结案 %(d)s 件）") % {
            "m": RATE_LABELS[metric], "v": value, "t": threshold, "d": r.due},
            {"metric": metric, "value": float(value), "threshold": float(threshold), "due": r.due}))
    return hits


def _target_overdue(rule: AccountabilityRule, period: Period) -> list[Hit]:
    from wenming.plans.models import Target

    day = min(period.end - dt.timedelta(days=1), clock.today())
    targets = list(Target.objects.select_related("measure__plan").prefetch_related("measure__responsibility__lead_units"))
    statuses = plan_status.statuses_for(targets, day)
    overdue: dict[int, list[str]] = {}
    for t in targets:
        if statuses[t.pk].status != plan_status.TargetStatus.OVERDUE:
            continue
        resp = getattr(t.measure, "responsibility", None)
        for unit in resp.lead_units.all() if resp else []:
            overdue.setdefault(unit.pk, []).append(t.metric)
    minimum = int(rule.param("min_targets", 1))
    return [
        Hit(unit, _("牵头的 %(n)s 项目标任务逾期未完成：%(t)s") % {"n": len(metrics_), "t": "、".join(metrics_[:5])},
            {"targets": metrics_})
        for unit, metrics_ in sorted(overdue.items()) if len(metrics_) >= minimum
    ]


def rule_hits(rule: AccountabilityRule, period: Period, ranking: metrics.Ranking) -> list[Hit]:
    if rule.kind == RuleKind.LAST_IN_BULLETIN:
        return _last_in_bulletin(rule, period, ranking)
    if rule.kind == RuleKind.ONTIME_BELOW:
        return _rate_below(rule, ranking.ranked + ranking.insufficient)
    if rule.kind == RuleKind.TARGET_OVERDUE:
        return _target_overdue(rule, period)
    return []


def _quarter_ranking(period: Period) -> metrics.Ranking:
    scheme = metrics.scheme_for(period)
    rows = metrics.metric_rows(period, metrics.UNIT, scheme=scheme, as_of=min(period.end_at, clock.now()))
    return metrics.rank(rows, scheme) if scheme else metrics.Ranking([], [r for r in rows if r.key], 0)


def run_rules(period: Period, *, ranking: metrics.Ranking | None = None) -> list[Interview]:
    """Open the 约谈 records the active rules call for in quarter `period`; returns the ones newly opened."""
    if period.kind != QUARTER:
        raise AccountabilityError(_("约谈问责规则按季度运行，请选择季度（如 2026-Q3）。"))
    if ranking is None:
        ranking = _quarter_ranking(period)
    opened = []
    for rule in AccountabilityRule.objects.filter(is_active=True).order_by("pk"):
        for hit in rule_hits(rule, period, ranking):
            with transaction.atomic():
                interview, created = Interview.objects.get_or_create(
                    unit_id=hit.unit_id, rule=rule, period_key=period.code,
                    defaults={"reason": hit.reason, "evidence": hit.evidence},
                )
            if created:
                opened.append(interview)
            if rule.param("escalate_on_repeat", False) and Interview.objects.filter(
                unit_id=hit.unit_id, rule=rule, period_key=period.previous().code
            ).exists():
                _escalate(interview, AccountabilityLevel.CRITICISM,
                          _("%(r)s，上一季度已因同一规则被约谈") % {"r": hit.reason})
    return opened


def _escalate(interview: Interview, level: str, reason: str, decided_by: str = "") -> Accountability:
    with transaction.atomic():
        if interview.rule_id:
            record, _created = Accountability.objects.get_or_create(
                unit=interview.unit, rule=interview.rule, period_key=interview.period_key,
                defaults={"interview": interview, "level": level, "reason": reason, "decided_by": decided_by,
                          "decided_at": clock.now()},
            )
        else:
            record = Accountability.objects.create(
                unit=interview.unit, interview=interview, period_key=interview.period_key, level=level,
                reason=reason, decided_by=decided_by, decided_at=clock.now(),
            )
        Interview.objects.filter(pk=interview.pk).update(status=InterviewStatus.ESCALATED, updated_at=clock.now())
    interview.status = InterviewStatus.ESCALATED
    return record


def interview_escalate(*, interview: Interview, level: str, reason: str, decided_by: str = "") -> Accountability:
    """问责: escalate an interview whose commitments were not kept."""
    if level not in AccountabilityLevel.values:
        raise AccountabilityError(_("问责方式不正确"))
    if not reason.strip():
        raise AccountabilityError(_("请填写问责事由"))
    if interview.status == InterviewStatus.CLOSED:
        raise AccountabilityError(_("该约谈已办结，不能转为问责"))
    return _escalate(interview, level, reason.strip(), decided_by)


FOLLOW_UP_FIELDS = ("scheduled_at", "interviewer", "commitments", "follow_up", "outcome")


def interview_update(*, interview: Interview, close: bool = False, **fields) -> Interview:
    """Record when and by whom the interview is held, the commitments, the follow-up and the outcome."""
    unknown = set(fields) - set(FOLLOW_UP_FIELDS)
    if unknown:
        raise AccountabilityError(f"unknown fields {sorted(unknown)}")
    if interview.status in (InterviewStatus.CLOSED, InterviewStatus.ESCALATED):
        raise AccountabilityError(_("该约谈已办结或已转问责，不能再修改"))
    for key, value in fields.items():
        setattr(interview, key, value)
    if close:
        if not (interview.outcome or "").strip():
            raise AccountabilityError(_("办结前请填写整改结果"))
        interview.status = InterviewStatus.CLOSED
        interview.closed_at = clock.now()
    elif interview.scheduled_at and interview.commitments:
        interview.status = InterviewStatus.DONE
    interview.save()
    return interview
