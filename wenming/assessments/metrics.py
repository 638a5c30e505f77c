"""Case metrics per unit, district, street or grid cell and period (DESIGN.md §3 "Metrics are pure functions", §4).

Every function here reads the database and returns numbers; nothing is written, and the same data and period
give the same result. Weights, grade bands and the ranking threshold come from a `MetricScheme` row.

Where the numbers come from
---------------------------
The case row carries copies that `workflow.transition()` keeps in step with the event log (status, due_at,
accepted/dispatched/handled/closed times, rework/extension/reopen counters, satisfaction). The metrics read those
copies: one row per case, so a year of a million cases is one grouped scan, not a walk over eight million
events. Only 退单 needs the log itself: the case row knows how often it was returned but not by whom, and the
unit that returned it is the one to answer for it (CaseEvent.actor_unit of the RETURN event).

Definitions (standards.md, "Digital city management" rates; the period is [start, end) in local days)
-------------------------------------------------------------------------------------------------------
Let ``end`` be the period's end, or now if the period is still running ("as of" moment).

- **立案数** — cases accepted (立案, ``accepted_at``) in the period.
- **应结案数** — cases whose closing was *due or done* in the period. A dispatched case is settled at one
  moment: when it is closed, if that is no later than its handling deadline (``due_at``), else at the deadline.
  It counts in the period that moment falls in. So a case crossing period boundaries counts exactly once: in the
  period it was closed on time, or in the period its deadline passed; an open case whose deadline has not come
  is not yet due anywhere. Cases on hold (挂账/缓办, status suspended) are left out, as some cities subtract
  缓办数 (standards.md). The deadline is the one in force: a granted extension (延期) moves it.
- **结案数** — of those, cases closed before ``end``; **按期结案数** — closed no later than ``due_at``.
  结案率 = 结案数/应结案数; 按期结案率 = 按期结案数/应结案数.
- **应处置数** — the same rule with the unit's feedback (处置反馈, ``handled_at``) in place of closing: a case is
  settled for the unit when it is fed back on time, else at its deadline. **按期处置数** — fed back no later
  than ``due_at``. 按期处置率 = 按期处置数/应处置数. A fix sent back for rework (返工) clears ``handled_at``;
  only the feedback that stood counts.
- **超期数** — 应处置数 − 按期处置数: cases whose handling deadline passed in the period before the unit fed
  back (the same test as ``Case.objects.overdue()``, which leaves fed-back cases to the office).
- **返工数** — cases in 应结案数 sent back at least once at verification (核查不通过); 返工率 = 返工数/应结案数.
  Counted per case, not per rework, so the rate stays within 0–100 and 100 − 返工率 is a valid score part.
- **延期数** — cases in 应结案数 with at least one granted extension; 延期率 = 延期数/应结案数.
- **退单数** — RETURN events in the period, charged to the unit that returned the case. **派遣数** — dispatches
  the unit received in the period = cases dispatched to it in the period that it still holds + its returns
  (every dispatch ends either in a return or with the unit holding the case). 退单率 = 退单数/派遣数.
- **满意率** — over the callbacks (回访) of cases in 应结案数: satisfied = the case's callback level is one of
  the scheme's satisfied levels (default 非常满意, 满意, 基本满意); each 重办 counts as one dissatisfied callback
  (a dissatisfied callback reopens the case and clears its level: workflow._callback). 满意率 = 满意数/回访数.
- **平均处置时长** — mean working hours from the last dispatch to the feedback that stood, over cases in
  应处置数 fed back before ``end``, in the working-day calendar of `wenming.core.workcal` (holidays, 调休 and
  working periods), computed exactly in SQL by bucketing per local day (see `_working_seconds`).

A rate whose denominator is zero is None ("—" on pages), never 0 or 100.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Count, F, FloatField, Func, Q, Sum, Value
from django.db.models.functions import (
    Coalesce,
    ExtractHour,
    ExtractMinute,
    ExtractSecond,
    Greatest,
    Least,
    TruncDate,
    TruncMonth,
)
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wenming.accounts.models import OrgUnit
from wenming.cases.models import Case, CaseEvent, Category
from wenming.cases.workflow import Action, Status
from wenming.core import clock, workcal
from wenming.geo.models import GridCell, Jurisdiction

from .models import MetricScheme
from .periods import Period

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


# ---------------------------------------------------------------------------------------------------------------
# Groupings


@dataclasses.dataclass(frozen=True)
class Grouping:
    code: str
    label: object
    case_field: str | None  # None: the whole city in one row
    event_field: str | None  # where a RETURN event finds the group
    none_label: object


UNIT = Grouping("unit", gettext_lazy("责任单位"), "assigned_unit", "actor_unit", gettext_lazy("（未派遣）"))
DISTRICT = Grouping("district", gettext_lazy("区县"), "district", "case__district", gettext_lazy("（未定位区县）"))
STREET = Grouping("street", gettext_lazy("街道"), "street", "case__street", gettext_lazy("（未定位街道）"))
GRID = Grouping("grid", gettext_lazy("单元网格"), "grid_cell", "case__grid_cell", gettext_lazy("（未落网格）"))
ALL = Grouping("all", gettext_lazy("全市"), None, None, gettext_lazy("全市"))
GROUPINGS = {g.code: g for g in (UNIT, DISTRICT, STREET, GRID, ALL)}


def grouping(code: str | Grouping) -> Grouping:
    if isinstance(code, Grouping):
        return code
    try:
        return GROUPINGS[code]
    except KeyError:
        raise ValueError(f"unknown grouping {code!r}; use one of {sorted(GROUPINGS)}") from None


# ---------------------------------------------------------------------------------------------------------------
# Rows


def rate(numerator: int, denominator: int) -> Decimal | None:
    """numerator/denominator on a 0–100 scale, rounded to 0.01 (as published); None when nothing to divide by."""
    if not denominator:
        return None
    return (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(CENT, ROUND_HALF_UP)


@dataclasses.dataclass
class MetricRow:
    key: int | None
    name: str
    accepted: int = 0  # 立案数
    due: int = 0  # 应结案数
    closed: int = 0  # 结案数
    closed_on_time: int = 0  # 按期结案数
    handle_due: int = 0  # 应处置数
    handled_on_time: int = 0  # 按期处置数
    reworked: int = 0  # 返工数
    extended: int = 0  # 延期数
    dispatched_held: int = 0  # dispatched in the period and still held
    returned: int = 0  # 退单数
    rated: int = 0  # 回访数
    satisfied: int = 0  # 满意数
    handled_timed: int = 0  # cases in 平均处置时长
    handling_seconds: float = 0.0  # their working seconds, summed
    score: Decimal | None = None  # 综合指标值, set by `score_rows`
    grade: str | None = None
    rank: int | None = None
    code: str = ""  # district/street/grid code, for maps and exports

    @property
    def closure_rate(self) -> Decimal | None:
        return rate(self.closed, self.due)

    @property
    def ontime_closure_rate(self) -> Decimal | None:
        return rate(self.closed_on_time, self.due)

    @property
    def ontime_handling_rate(self) -> Decimal | None:
        return rate(self.handled_on_time, self.handle_due)

    @property
    def overdue(self) -> int:
        return self.handle_due - self.handled_on_time

    @property
    def rework_rate(self) -> Decimal | None:
        return rate(self.reworked, self.due)

    @property
    def extension_rate(self) -> Decimal | None:
        return rate(self.extended, self.due)

    @property
    def dispatched(self) -> int:
        return self.dispatched_held + self.returned

    @property
    def return_rate(self) -> Decimal | None:
        return rate(self.returned, self.dispatched)

    @property
    def satisfaction_rate(self) -> Decimal | None:
        return rate(self.satisfied, self.rated)

    @property
    def avg_handling_hours(self) -> Decimal | None:
        if not self.handled_timed:
            return None
        hours = Decimal(self.handling_seconds) / Decimal(3600 * self.handled_timed)
        return hours.quantize(CENT, ROUND_HALF_UP)


# The columns of a metric table, in order: attribute, Chinese heading (pages and Excel share them).
COLUMNS = [
    ("accepted", gettext_lazy("立案数")),
    ("due", gettext_lazy("应结案数")),
    ("closed", gettext_lazy("结案数")),
    ("closure_rate", gettext_lazy("结案率(%)")),
    ("ontime_closure_rate", gettext_lazy("按期结案率(%)")),
    ("handle_due", gettext_lazy("应处置数")),
    ("ontime_handling_rate", gettext_lazy("按期处置率(%)")),
    ("overdue", gettext_lazy("超期数")),
    ("rework_rate", gettext_lazy("返工率(%)")),
    ("return_rate", gettext_lazy("退单率(%)")),
    ("extension_rate", gettext_lazy("延期率(%)")),
    ("satisfaction_rate", gettext_lazy("满意率(%)")),
    ("avg_handling_hours", gettext_lazy("平均处置时长(工作小时)")),
    ("score", gettext_lazy("综合指标值")),
    ("grade", gettext_lazy("等级")),
]


# ---------------------------------------------------------------------------------------------------------------
# The queries


def _bounds(period: Period, as_of: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    start, end = period.start_at, period.end_at
    moment = as_of or clock.now()
    return start, max(start, min(end, moment))


@dataclasses.dataclass(frozen=True)
class _Cohort:
    """Conditions for one "settled in [start, end)" rule (see the module docstring), as plain comparisons.

    Split into the on-time part and the late part, each a conjunction of simple comparisons with the most
    selective first: PostgreSQL evaluates every FILTER clause for every row, so cheap short-circuiting
    conditions are what keeps a year of a million cases under a second (no CASE expressions per row).
    """

    on_time: Q  # done (closed / fed back) no later than due_at, and done in the period
    late: Q  # not done by due_at, and due_at in the period

    @property
    def all(self) -> Q:
        return self.on_time | self.late


def _cohort(field: str, start: dt.datetime, end: dt.datetime) -> _Cohort:
    not_held = ~Q(status=Status.SUSPENDED)
    done_in = Q(**{f"{field}__gte": start, f"{field}__lt": end, f"{field}__lte": F("due_at")})
    due_in = Q(due_at__gte=start, due_at__lt=end)
    not_done_by_due = Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gt": F("due_at")})
    return _Cohort(on_time=done_in & not_held, late=due_in & not_done_by_due & not_held)


def _base(start: dt.datetime, end: dt.datetime, cases=None):
    """Case rows that can count in [start, end) at all; the narrowing is index-friendly (due_at, created_at)."""
    qs = Case.objects.all() if cases is None else cases
    may_settle = Q(due_at__gte=start) & (Q(due_at__lt=end) | Q(closed_at__lt=end) | Q(handled_at__lt=end))
    touched = Q(accepted_at__gte=start, accepted_at__lt=end) | Q(dispatched_at__gte=start, dispatched_at__lt=end)
    return qs.filter(may_settle | touched).order_by()


def _aggregates(start, end, satisfied_levels: Iterable[int]) -> dict:
    close, handle = _cohort("closed_at", start, end), _cohort("handled_at", start, end)
    return {
        "accepted": Count("pk", filter=Q(accepted_at__gte=start, accepted_at__lt=end)),
        "closed_on_time": Count("pk", filter=close.on_time),
        "due_late": Count("pk", filter=close.late),
        "closed_late": Count("pk", filter=Q(closed_at__lt=end) & close.late),
        "handled_on_time": Count("pk", filter=handle.on_time),
        "handle_due_late": Count("pk", filter=handle.late),
        "reworked": Count("pk", filter=Q(rework_count__gt=0) & close.all),
        "extended": Count("pk", filter=Q(extension_count__gt=0) & close.all),
        "dispatched_held": Count(
            "pk", filter=Q(dispatched_at__gte=start, dispatched_at__lt=end, assigned_unit__isnull=False)
        ),
        "rated_levels": Count("pk", filter=Q(satisfaction__isnull=False) & close.all),
        "reopened": Coalesce(Sum("reopen_count", filter=Q(reopen_count__gt=0) & close.all), 0),
        "satisfied": Count("pk", filter=Q(satisfaction__in=list(satisfied_levels)) & close.all),
    }


def _timed(start, end) -> Q:
    """Cases in 应处置数 fed back before `end`: the ones 平均处置时长 is taken over."""
    handle = _cohort("handled_at", start, end)
    return handle.on_time | (Q(handled_at__lt=end) & handle.late)


def _returns(start, end, group: Grouping) -> dict[int | None, int]:
    qs = CaseEvent.objects.filter(action=Action.RETURN, at__gte=start, at__lt=end).order_by()
    if group.event_field is None:
        return {None: qs.count()}
    return {row[group.event_field]: row["n"] for row in qs.values(group.event_field).annotate(n=Count("pk"))}


class _LocalSecondsOfDay(Func):
    """Seconds since local midnight of a timestamp. PostgreSQL: one zone conversion and float arithmetic
    (EXTRACT returns numeric there, several times slower over a million rows); elsewhere hour/minute/second."""

    output_field = FloatField()

    def __init__(self, field: str):
        super().__init__(F(field))
        self.field_name = field

    def as_postgresql(self, compiler, connection, **extra):
        inner, params = compiler.compile(self.source_expressions[0])
        return f"date_part('epoch', ({inner} AT TIME ZONE %s)::time)", [*params, str(workcal.tz())]

    def as_sql(self, compiler, connection, **extra):
        tz = workcal.tz()
        tod = (
            ExtractHour(self.field_name, tzinfo=tz) * 3600
            + ExtractMinute(self.field_name, tzinfo=tz) * 60
            + ExtractSecond(self.field_name, tzinfo=tz)
        )
        return compiler.compile(tod.resolve_expression(compiler.query))


def _seconds_of_day_worked(field: str):
    """SQL: working seconds from the start of the local day to `field`'s time of day (e.g. 10:00 → 5,400 s)."""
    tod = _LocalSecondsOfDay(field)
    parts = []
    for a, b in workcal.working_periods():
        lo, hi = _secs(a), _secs(b)
        parts.append(Least(Greatest(tod, Value(float(lo))), Value(float(hi))) - Value(float(lo)))
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total


def _secs(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _day_buckets(cases, group: Grouping, field: str) -> list[dict]:
    """Per group and local day of `field`: case count `n` and `w`, the working seconds of that day up to `field`."""
    keys = [group.case_field] if group.case_field else []
    return list(
        cases.annotate(_day=TruncDate(field, tzinfo=workcal.tz()))
        .values(*keys, "_day")
        .annotate(n=Count("pk"), w=Sum(_seconds_of_day_worked(field), output_field=FloatField()))
    )


def _working_seconds(
    cases, group: Grouping, start_field: str, end_field: str
) -> dict[int | None, tuple[int, float]]:
    """Σ working time from `start_field` to `end_field` per group, exactly, without a row per case.

    With W(t) the working time from a fixed origin to t, each case's time is W(end) − W(start), and
    W(t) = C(day) + w(t): C(day) the working seconds of all earlier days (from the calendar, in Python) and w(t)
    the working seconds of t's own day up to t (in SQL; zero on a day off). Summing per group and local day keeps
    it exact with one row per group and day. Returns (number of cases, working seconds) per group.
    """
    ends, starts = _day_buckets(cases, group, end_field), _day_buckets(cases, group, start_field)
    days = [r["_day"] for r in ends + starts]
    if not days:
        return {}
    cumulative, workday = _calendar_index(min(days), max(days))
    totals: dict[int | None, float] = defaultdict(float)
    counts: dict[int | None, int] = defaultdict(int)
    for rows, sign in ((ends, 1), (starts, -1)):
        for r in rows:
            day = r["_day"]
            key = r[group.case_field] if group.case_field else None
            totals[key] += sign * (r["n"] * cumulative[day] + ((r["w"] or 0) if workday[day] else 0))
            if sign > 0:
                counts[key] += r["n"]
    return {key: (counts[key], totals[key]) for key in totals}


class _PgWorkClock(Func):
    """W(t) in SQL on PostgreSQL: working seconds from the origin day's local midnight to t.

    W(t) = C[day] + worked[day] × w(time of day), with C (working seconds of all earlier days) and worked (1 on a
    working day, 0 on a day off) constant arrays built from `core.workcal` for the few hundred days in play, and
    w the working seconds of a working day up to that time (a clamp per working period). The day number and the
    time of day come from one fixed-offset conversion (``AT TIME ZONE INTERVAL``, ``::date``, ``::time``: no
    zone lookup, no floor/modulo), so a case costs a few dozen cheap operations and 平均处置时长 rides in the main
    aggregate (no second scan, no per-case calendar walk). Only for a time zone with a fixed UTC offset over the
    range (Asia/Shanghai has had one since 1991), see `_day_index`. All numbers inlined are computed here, never
    user input.
    """

    output_field = FloatField()

    def __init__(self, field: str, index: _DayIndex):
        super().__init__(F(field))
        self.index = index

    def as_sql(self, compiler, connection, **extra):  # pragma: no cover - only built for PostgreSQL
        raise NotImplementedError("the working-time clock in SQL is PostgreSQL-only")

    def as_postgresql(self, compiler, connection, **extra):
        col, params = compiler.compile(self.source_expressions[0])
        ix = self.index
        local = f"({col} AT TIME ZONE INTERVAL '{ix.utc_offset} seconds')"
        day = f"({local}::date - DATE '{ix.first.isoformat()}')"  # 0 = ix.first, the arrays' lower bound
        tod = f"date_part('epoch', {local}::time)"
        worked = " + ".join(f"LEAST(GREATEST({tod}, {float(lo)!r}), {float(hi)!r})" for lo, hi in ix.periods)
        lows = float(sum(lo for lo, _hi in ix.periods))
        last = len(ix.cumulative) - 1
        cumulative = f"'[0:{last}]={{" + ",".join(repr(v) for v in ix.cumulative) + "}'::float8[]"
        workday = f"'[0:{last}]={{" + ",".join("1" if v else "0" for v in ix.workday) + "}'::float8[]"
        return f"(({cumulative})[{day}] + ({workday})[{day}] * ({worked} - {lows!r}))", params


@dataclasses.dataclass(frozen=True)
class _DayIndex:
    first: dt.date
    utc_offset: int  # seconds east of UTC, the same on every day of the range
    cumulative: tuple[float, ...]
    workday: tuple[bool, ...]
    periods: tuple[tuple[int, int], ...]

    @property
    def first_at(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time.min, tzinfo=workcal.tz())

    @property
    def last_at(self) -> dt.datetime:
        return self.first_at + dt.timedelta(days=len(self.cumulative))


def _day_index(first: dt.date, last: dt.date) -> _DayIndex | None:
    """The arrays for `_PgWorkClock`, or None when the zone's UTC offset changes in the range (DST)."""
    tz = workcal.tz()
    offsets = {
        dt.datetime.combine(first + dt.timedelta(days=i), t, tzinfo=tz).utcoffset()
        for i in range(0, (last - first).days + 2)
        for t in (dt.time.min, dt.time(12))
    }
    if len(offsets) != 1:
        return None
    offset = offsets.pop().total_seconds()
    if offset != int(offset):
        return None  # pragma: no cover - no zone in use has sub-second offsets
    cumulative, workday = _calendar_index(first, last)
    return _DayIndex(
        first=first,
        utc_offset=int(offset),
        cumulative=tuple(cumulative[d] for d in sorted(cumulative)),
        workday=tuple(workday[d] for d in sorted(workday)),
        periods=tuple((_secs(a), _secs(b)) for a, b in workcal.working_periods()),
    )


def _calendar_index(first: dt.date, last: dt.date) -> tuple[dict[dt.date, float], dict[dt.date, bool]]:
    """Working seconds before each day (from `first`) and whether each day is a working day (core.workcal)."""
    per_day = workcal.working_hours_per_day().total_seconds()
    workday = workcal.workdays_between(first, last)
    cumulative, running = {}, 0.0
    for day, worked in workday.items():
        cumulative[day] = running
        if worked:
            running += per_day
    return cumulative, workday


def metric_rows(
    period: Period,
    group: str | Grouping = UNIT,
    *,
    scheme: MetricScheme | None = None,
    as_of: dt.datetime | None = None,
    cases=None,
    handling_time: bool = True,
) -> list[MetricRow]:
    """One row per group (unit, district, street, grid cell, or the whole city) with every metric for `period`.

    `cases` narrows the population (e.g. one category); `as_of` fixes "now" for a running period (default
    clock.now()). Rows come scored and graded with `scheme` (default: the scheme for the period's year).
    """
    group = grouping(group)
    scheme = scheme or scheme_for(period)
    levels = scheme.satisfied_levels if scheme else [3, 4, 5]
    start, end = _bounds(period, as_of)
    base = _base(start, end, cases)
    aggs = _aggregates(start, end, levels)
    index = None
    if handling_time and connection.vendor == "postgresql":
        # Cases dispatched up to a year before the period are timed in the main scan; any older → exact fallback.
        index = _day_index(start.date() - dt.timedelta(days=366), end.date() + dt.timedelta(days=1))
    if index is not None:
        # Timed = fed back on time (counted above as handled_on_time) or late but before `end`: only the late
        # part needs a count of its own. Every timed case was fed back at or after `start`, so "dispatched
        # before the arrays and fed back since `start`" (a cheap test, false at once for nearly every row)
        # catches every case the arrays cannot time.
        handle = _cohort("handled_at", start, end)
        aggs["_timed_late"] = Count("pk", filter=Q(handled_at__lt=end) & handle.late)
        aggs["_timed_s"] = Sum(
            _PgWorkClock("handled_at", index) - _PgWorkClock("dispatched_at", index), filter=_timed(start, end)
        )
        aggs["_timed_out"] = Count("pk", filter=Q(dispatched_at__lt=index.first_at, handled_at__gte=start))
    if group.case_field is None:
        raw = [{**base.aggregate(**aggs), "_key": None}]
    else:
        raw = [{**r, "_key": r[group.case_field]} for r in base.values(group.case_field).annotate(**aggs)]
    if index is not None and any(r["_timed_out"] for r in raw):
        index = None  # a case older than the arrays: time every group the exact way below
    returns = _returns(start, end, group) if cases is None else {}
    rows: dict[int | None, MetricRow] = {}
    for r in raw:
        rows[r["_key"]] = MetricRow(
            key=r["_key"],
            name="",
            accepted=r["accepted"],
            due=r["closed_on_time"] + r["due_late"],
            closed=r["closed_on_time"] + r["closed_late"],
            closed_on_time=r["closed_on_time"],
            handle_due=r["handled_on_time"] + r["handle_due_late"],
            handled_on_time=r["handled_on_time"],
            reworked=r["reworked"],
            extended=r["extended"],
            dispatched_held=r["dispatched_held"],
            rated=r["rated_levels"] + r["reopened"],
            satisfied=r["satisfied"],
        )
    for key, n in returns.items():
        rows.setdefault(key, MetricRow(key=key, name="")).returned = n
    if index is not None:
        for r in raw:
            row = rows[r["_key"]]
            row.handled_timed, row.handling_seconds = r["handled_on_time"] + r["_timed_late"], r["_timed_s"] or 0.0
    elif handling_time:
        timed = base.filter(_timed(start, end))
        seconds = _working_seconds(timed, group, "dispatched_at", "handled_at")
        for key, row in rows.items():
            row.handled_timed, row.handling_seconds = seconds.get(key, (0, 0.0))
    result = [r for r in rows.values() if _has_data(r)]
    _name(result, group)
    if scheme is not None:
        score_rows(result, scheme)
    return sorted(result, key=lambda r: (r.key is None, r.name))


def _has_data(row: MetricRow) -> bool:
    return bool(row.accepted or row.due or row.handle_due or row.dispatched or row.rated)


def _name(rows: list[MetricRow], group: Grouping) -> None:
    keys = [r.key for r in rows if r.key is not None]
    names: dict[int, tuple[str, str]] = {}
    if group is UNIT:
        names = {pk: (name, "") for pk, name in OrgUnit.objects.filter(pk__in=keys).values_list("pk", "name")}
    elif group in (DISTRICT, STREET):
        names = {
            pk: (name, code) for pk, name, code in Jurisdiction.objects.filter(pk__in=keys).values_list("pk", "name", "code")
        }
    elif group is GRID:
        names = {
            pk: (f"{code} {name}".strip(), code)
            for pk, code, name in GridCell.objects.filter(pk__in=keys).values_list("pk", "code", "name")
        }
    for r in rows:
        r.name, r.code = names.get(r.key, (str(group.none_label), "")) if r.key is not None else (str(group.none_label), "")


_COUNTS = [f.name for f in dataclasses.fields(MetricRow) if f.type in ("int", "float") and f.name != "rank"]


def combine(rows: Iterable[MetricRow], name: str = "", *, scheme: MetricScheme | None = None) -> MetricRow:
    """The sum of rows that partition the cases (e.g. every unit row, the unassigned one included) = the city.

    Saves the dashboard a second scan: each case and each return lands in exactly one group.
    """
    total = MetricRow(key=None, name=name or str(ALL.none_label))
    for r in rows:
        for f in _COUNTS:
            setattr(total, f, getattr(total, f) + getattr(r, f))
    if scheme is not None:
        score_rows([total], scheme)
    return total


def city_totals(period: Period, *, scheme: MetricScheme | None = None, as_of: dt.datetime | None = None) -> MetricRow:
    rows = metric_rows(period, ALL, scheme=scheme, as_of=as_of)
    return rows[0] if rows else MetricRow(key=None, name=str(ALL.none_label))


# ---------------------------------------------------------------------------------------------------------------
# Composite score, grades, ranking


def scheme_for(period: Period) -> MetricScheme | None:
    return MetricScheme.objects.for_date(period.start)


def composite_score(row: MetricRow, scheme: MetricScheme) -> Decimal | None:
    """综合指标值 (standards.md): volume score + Σ weight × component, rounded to 0.01.

    Components are the published (0.01-rounded) rates, so anyone can check a score from the table; 返工率 and
    退单率 enter as 100 − rate. No 应结案数 → None (nothing to judge). A weighted component with a zero
    denominator (e.g. no callbacks yet) is left out and the other weights are scaled up to the same total, so a
    unit is neither rewarded nor punished for what could not be measured.
    The volume score is `volume_points` × min(1, 应结案数 / `volume_full_count`).
    """
    if not row.due:
        return None
    full = scheme.volume_full_count
    volume = scheme.volume_points if not full else scheme.volume_points * min(Decimal(1), Decimal(row.due) / full)
    components = {
        "closure_rate": row.closure_rate,
        "ontime_handling_rate": row.ontime_handling_rate,
        "rework_rate": _complement(row.rework_rate),
        "ontime_closure_rate": row.ontime_closure_rate,
        "return_rate": _complement(row.return_rate),
        "satisfaction_rate": row.satisfaction_rate,
    }
    weights = {k: w for k, w in scheme.weights.items() if w}
    total_weight = sum(weights.values(), Decimal(0))
    measured = {k: w for k, w in weights.items() if components[k] is not None}
    measured_weight = sum(measured.values(), Decimal(0))
    if total_weight and not measured_weight:
        return None
    part = sum((w * components[k] for k, w in measured.items()), Decimal(0))
    if measured_weight and measured_weight != total_weight:
        part = part * total_weight / measured_weight
    return (volume + part).quantize(CENT, ROUND_HALF_UP)


def _complement(value: Decimal | None) -> Decimal | None:
    return None if value is None else HUNDRED - value


def score_rows(rows: Iterable[MetricRow], scheme: MetricScheme) -> None:
    for r in rows:
        r.score = composite_score(r, scheme)
        r.grade = scheme.grade_for(r.score)


@dataclasses.dataclass
class Ranking:
    ranked: list[MetricRow]
    insufficient: list[MetricRow]  # 案件数不足，不参与排名
    min_cases: int


def rank(rows: Iterable[MetricRow], scheme: MetricScheme) -> Ranking:
    """Rank by 综合指标值, highest first; rows under the scheme's minimum 应结案数 are listed apart.

    Ties share a rank (1, 2, 2, 4), ordered by 应结案数 then name for display. Rows with no group (未派遣,
    未定位) are not ranked: nobody answers for them.
    """
    ranked, short = [], []
    for r in rows:
        if r.key is None:
            continue
        if r.due < scheme.min_cases or r.score is None:
            r.rank = None
            short.append(r)
        else:
            ranked.append(r)
    ranked.sort(key=lambda r: (-r.score, -r.due, r.name))
    previous = None
    for position, r in enumerate(ranked, start=1):
        r.rank = previous.rank if previous is not None and previous.score == r.score else position
        previous = r
    short.sort(key=lambda r: (-r.due, r.name))
    return Ranking(ranked, short, scheme.min_cases)


# ---------------------------------------------------------------------------------------------------------------
# Dashboard series


def monthly_trend(period: Period) -> list[tuple[Period, int, int]]:
    """Per month of `period`: (month, 立案数 by acceptance time, 办结数 by closing time)."""
    start, end = period.start_at, period.end_at
    tz = workcal.tz()
    months = period.months()

    def counts(field: str) -> dict[dt.date, int]:
        rows = (
            Case.objects.filter(**{f"{field}__gte": start, f"{field}__lt": end})
            .order_by()
            .annotate(_m=TruncMonth(field, tzinfo=tz))
            .values("_m")
            .annotate(n=Count("pk"))
        )
        return {(r["_m"].date() if isinstance(r["_m"], dt.datetime) else r["_m"]): r["n"] for r in rows}

    accepted, closed = counts("accepted_at"), counts("closed_at")
    return [(m, accepted.get(m.start, 0), closed.get(m.start, 0)) for m in months]


def top_categories(period: Period, n: int = 10) -> list[tuple[str, int]]:
    """The categories with the most cases accepted in the period (月分析: top problem categories)."""
    start, end = period.start_at, period.end_at
    rows = (
        Case.objects.filter(accepted_at__gte=start, accepted_at__lt=end)
        .order_by()
        .values("category")
        .annotate(n=Count("pk"))
        .order_by("-n", "category")[:n]
    )
    names = dict(Category.objects.filter(pk__in=[r["category"] for r in rows]).values_list("pk", "name"))
    return [(names.get(r["category"], _("（未知类别）")), r["n"]) for r in rows]
