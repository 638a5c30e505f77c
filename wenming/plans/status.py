"""Target status (达标/正常/滞后/逾期/未报送): pure functions over a target and its reports, no database writes.

Seed §38 asks for 任务书、时间表、路线图 and §41 for 一单四制 with a "问题发现、落实反馈" chain: every quantified
target has a deadline, units report progress per period, and the office sees who lags. The rules, in the order
they are checked (`judge`):

1. ``today`` before the target's start (or, for a yearly target, before this year's window) → 未开始 (pending).
2. The latest report in the window meets the target → 已达标 (achieved). A target met late still counts as met:
   逾期 means "past the deadline **and not met**".
3. ``today`` after the window's deadline → 逾期 (overdue). The deadline day itself is not overdue.
4. No report in the current reporting period → 未报送 (unreported), except in the window's very first period:
   a target that starts mid-month (or on January 1st for a yearly target) has not yet had a full period to
   report in, so it is judged on its baseline (→ 正常) instead of being flagged on day one.
5. The latest reported value is behind the straight line from baseline (at the start) to the target value (at
   the deadline) on ``today`` → 滞后 (behind). Exactly on the line is not behind.
6. Otherwise → 正常 (on track).

Values are cumulative: a report carries the standing to date (year to date for yearly targets), so the latest
report is the current standing. For 下降 (reduce) targets the reported value is the reduction achieved, in %.

Yearly targets (每年, e.g. §9 每年认定株洲好人100名) are judged on the current calendar year's reports only, with
that year's Dec 31 (or the target's deadline if earlier) as deadline and Jan 1 (or the start) as start; past
years' outcomes are available from `yearly_history`. 每三年 (triennial) targets are judged over the whole period.

Milestones (no value, e.g. 出台《……工作方案》) are achieved by a report marked done; otherwise overdue after their
date, unreported when this period has no report, else on track.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import pgettext_lazy

from .models import Comparator, ProgressReport, Recurrence, ReportFrequency, Target


class TargetStatus(models.TextChoices):
    ACHIEVED = "achieved", pgettext_lazy("目标状态", "已达标")
    ON_TRACK = "on_track", pgettext_lazy("目标状态", "正常")
    BEHIND = "behind", pgettext_lazy("目标状态", "滞后")
    OVERDUE = "overdue", pgettext_lazy("目标状态", "逾期")
    UNREPORTED = "unreported", pgettext_lazy("目标状态", "未报送")
    PENDING = "pending", pgettext_lazy("目标状态", "未开始")


#: The statuses the office board lists (seed §41: 督查督办).
LAGGING = (TargetStatus.BEHIND, TargetStatus.OVERDUE, TargetStatus.UNREPORTED)

#: Display order and colours shared by pages, charts and exports (colours match site.css).
STATUS_ORDER = (
    TargetStatus.ACHIEVED,
    TargetStatus.ON_TRACK,
    TargetStatus.BEHIND,
    TargetStatus.OVERDUE,
    TargetStatus.UNREPORTED,
    TargetStatus.PENDING,
)
STATUS_COLORS = {
    TargetStatus.ACHIEVED: "#1a7f37",
    TargetStatus.ON_TRACK: "#2b6cb0",
    TargetStatus.BEHIND: "#b7791f",
    TargetStatus.OVERDUE: "#c53030",
    TargetStatus.UNREPORTED: "#718096",
    TargetStatus.PENDING: "#a0aec0",
}


@dataclasses.dataclass(frozen=True)
class StatusResult:
    status: TargetStatus
    latest_value: Decimal | None
    expected_value: Decimal | None
    period_start: dt.date
    year: int | None = None
    window_start: dt.date | None = None
    deadline: dt.date | None = None
    latest_report: Any = None

    @property
    def label(self) -> str:
        return str(self.status.label)

    @property
    def is_lagging(self) -> bool:
        return self.status in LAGGING

    @property
    def latest_text(self) -> str:
        return fmt_num(self.latest_value)

    @property
    def expected_text(self) -> str:
        return fmt_num(self.expected_value.quantize(Decimal("0.01")) if self.expected_value is not None else None)


def fmt_num(value: Decimal | float | None) -> str:
    """230.0000 → "230", 42.5000 → "42.5"; empty for None."""
    if value is None:
        return ""
    d = Decimal(value).normalize()
    return f"{d:f}"


# --- periods ---------------------------------------------------------------------------------------------


def period_start(day: dt.date, frequency: str = ReportFrequency.MONTHLY) -> dt.date:
    """The first day of the reporting period holding ``day``: the calendar month, or the calendar quarter."""
    if frequency == ReportFrequency.QUARTERLY:
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return dt.date(day.year, day.month, 1)


def next_period_start(start: dt.date, frequency: str = ReportFrequency.MONTHLY) -> dt.date:
    step = 3 if frequency == ReportFrequency.QUARTERLY else 1
    month = start.month - 1 + step
    return dt.date(start.year + month // 12, month % 12 + 1, 1)


def is_period_start(day: dt.date, frequency: str = ReportFrequency.MONTHLY) -> bool:
    return period_start(day, frequency) == day


def periods_between(first: dt.date, last: dt.date, frequency: str = ReportFrequency.MONTHLY) -> list[dt.date]:
    """Period starts from the period holding ``first`` to the one holding ``last``, oldest first."""
    out, cur, end = [], period_start(first, frequency), period_start(last, frequency)
    while cur <= end:
        out.append(cur)
        cur = next_period_start(cur, frequency)
    return out


def frequency_of(target: Target) -> str:
    return target.measure.plan.report_frequency


# --- windows ---------------------------------------------------------------------------------------------


def window_for(target: Target, today: dt.date) -> tuple[dt.date, dt.date, int | None]:
    """(start, deadline, year) of the stretch ``target`` is judged over on ``today``.

    Yearly targets: the calendar year of ``today``, clamped to the target's own years (before the first year the
    first year's window, after the deadline the last year's); the window is Jan 1–Dec 31 cut to starts_on and
    deadline.
    """
    if target.recurrence != Recurrence.YEARLY:
        return target.starts_on, target.deadline, None
    year = min(max(today.year, target.starts_on.year), target.deadline.year)
    return year_window(target, year) + (year,)


def year_window(target: Target, year: int) -> tuple[dt.date, dt.date]:
    return max(dt.date(year, 1, 1), target.starts_on), min(dt.date(year, 12, 31), target.deadline)


# --- judging ---------------------------------------------------------------------------------------------


def is_met(target: Target, value: Decimal | None, done: bool = False) -> bool:
    if target.is_milestone:
        return bool(done)
    if value is None:
        return False
    goal = target.value
    if target.comparator == Comparator.LTE:
        return value <= goal
    if target.comparator == Comparator.EQ:
        return value == goal
    return value >= goal  # gte, and reduce (the reported value is the reduction achieved)


def expected_value(target: Target, start: dt.date, deadline: dt.date, today: dt.date) -> Decimal | None:
    """The straight line from the baseline on ``start`` to the target value on ``deadline``, read on ``today``.

    The baseline defaults to 0 (for 下降 it is always 0: the reduction achieved so far). A 不高于 (lte) target
    with no baseline is a ceiling from day one: its expectation is the target value throughout.
    """
    if target.is_milestone:
        return None
    goal = Decimal(target.value)
    if target.comparator == Comparator.REDUCE:
        base = Decimal(0)
    elif target.baseline is None:
        if target.comparator == Comparator.LTE:
            return goal
        base = Decimal(0)
    else:
        base = Decimal(target.baseline)
    duration = (deadline - start).days
    if duration <= 0 or today >= deadline:
        return goal
    elapsed = max((today - start).days, 0)
    return base + (goal - base) * Decimal(elapsed) / Decimal(duration)


def _is_behind(target: Target, value: Decimal, expected: Decimal) -> bool:
    if target.comparator == Comparator.LTE:
        return value > expected
    if target.comparator == Comparator.EQ and target.baseline is not None and target.baseline > target.value:
        return value > expected  # an 等于 target approached from above mirrors lte
    return value < expected


def _latest(reports: Iterable[Any]) -> Any:
    latest = None
    for r in reports:
        key = (r.period_start, r.submitted_at, r.pk or 0)
        if latest is None or key > (latest.period_start, latest.submitted_at, latest.pk or 0):
            latest = r
    return latest


def judge(
    target: Target,
    reports: Sequence[Any],
    today: dt.date,
    *,
    start: dt.date,
    deadline: dt.date,
    year: int | None = None,
    frequency: str = ReportFrequency.MONTHLY,
) -> StatusResult:
    """Apply the rules of the module docstring over one window [start, deadline]; ``reports`` may be any."""
    current = period_start(today, frequency)
    # A yearly window holds that year's reports only; a one-off target keeps counting late reports (met late is
    # still met).
    last = deadline if year is not None else today
    window = [
        r for r in reports if r.period_start <= today and period_start(start, frequency) <= r.period_start <= last
    ]
    latest = _latest(window)
    latest_value = latest.value if latest is not None else None
    done = any(r.done for r in window)
    expected = expected_value(target, start, deadline, today)

    def result(status: TargetStatus) -> StatusResult:
        return StatusResult(status, latest_value, expected, current, year, start, deadline, latest)

    if today < start:
        return result(TargetStatus.PENDING)
    if is_met(target, latest_value, done):
        return result(TargetStatus.ACHIEVED)
    if today > deadline:
        return result(TargetStatus.OVERDUE)
    first_period = current == period_start(start, frequency)
    if not first_period and not any(r.period_start == current for r in window):
        return result(TargetStatus.UNREPORTED)
    if target.is_milestone or latest_value is None:
        return result(TargetStatus.ON_TRACK)
    if _is_behind(target, Decimal(latest_value), expected):
        return result(TargetStatus.BEHIND)
    return result(TargetStatus.ON_TRACK)


def target_status(
    target: Target, reports: Sequence[Any], today: dt.date, *, frequency: str | None = None
) -> StatusResult:
    """The status of ``target`` on ``today`` given its ``reports`` (any objects with period_start, value, done,
    submitted_at, pk). ``frequency`` defaults to the plan's report frequency."""
    frequency = frequency or frequency_of(target)
    start, deadline, year = window_for(target, today)
    return judge(target, reports, today, start=start, deadline=deadline, year=year, frequency=frequency)


def yearly_history(
    target: Target, reports: Sequence[Any], today: dt.date, *, frequency: str | None = None
) -> list[StatusResult]:
    """For a yearly target, each finished year's outcome (achieved or overdue), judged the day after that year's
    window closed on that year's reports only; oldest first. Empty for other targets."""
    if target.recurrence != Recurrence.YEARLY:
        return []
    frequency = frequency or frequency_of(target)
    out = []
    for year in range(target.starts_on.year, min(today.year, target.deadline.year + 1)):
        start, deadline = year_window(target, year)
        if deadline >= today:
            break
        out.append(
            judge(
                target,
                reports,
                deadline + dt.timedelta(days=1),
                start=start,
                deadline=deadline,
                year=year,
                frequency=frequency,
            )
        )
    return out


# --- many targets at once --------------------------------------------------------------------------------


def reports_by_target(targets: Iterable[Target] | models.QuerySet, today: dt.date) -> dict[int, list[Any]]:
    """Every report up to ``today`` of ``targets``, grouped by target id, in one query."""
    if isinstance(targets, models.QuerySet):
        scope = models.Q(target__in=targets.order_by().values("pk"))
    else:
        scope = models.Q(target_id__in=[t.pk for t in targets])
    grouped: dict[int, list[Any]] = defaultdict(list)
    rows = ProgressReport.objects.filter(scope, period_start__lte=today).only(
        "pk", "target_id", "period_start", "value", "done", "submitted_at", "org_unit_id"
    )
    for r in rows:
        grouped[r.target_id].append(r)
    return grouped


def statuses_for(
    targets: Iterable[Target],
    today: dt.date,
    *,
    reports: dict[int, list[Any]] | None = None,
) -> dict[int, StatusResult]:
    """Statuses of many targets with one query for their reports (or none when ``reports`` is given).

    Targets should come with ``select_related("measure__plan")`` so the plan's frequency costs no query.
    """
    targets = list(targets)
    if reports is None:
        reports = reports_by_target(targets, today)
    return {t.pk: target_status(t, reports.get(t.pk, ()), today) for t in targets}


def count_statuses(results: Iterable[StatusResult]) -> dict[TargetStatus, int]:
    counts = dict.fromkeys(STATUS_ORDER, 0)
    for r in results:
        counts[r.status] += 1
    return counts
