"""The Chinese working-day calendar: statutory holidays and adjusted working days (调休), DESIGN.md §3 "One clock".

Case deadlines are counted in working time (standards.md, hotline practice: "3–5 working days", "13–15 working
days"; digital city management: time limits in working hours). Whether a day is a working day comes from, in
order:

1. a `CalendarOverride` row (administrators enter the State Council's holiday notice for years the library does
   not know yet, or local exceptions);
2. the `chinesecalendar` package (it knows the published years, e.g. 2019-09-29, a Sunday, was a working day and
   2019-10-01..07 were holidays);
3. for years the package does not know, Monday–Friday only — and a warning is logged, because deadlines in such a
   year ignore holidays until someone enters overrides.

All arithmetic is done in the deployment's time zone (Asia/Shanghai by default, `settings.TIME_ZONE`).
Working hours default to 08:30–12:00 and 14:00–18:00 and can be set with `WENMING_WORKING_PERIODS`
(e.g. `[("09:00", "12:00"), ("13:30", "17:30")]` for a city on summer hours).

Day-based limits follow the Civil Code's reckoning of periods (民法典 第二百零一条: the starting day is not counted;
第二百零三条: where there are business hours, the period ends when business stops): n working days from a moment
end at the close of business on the n-th working day after the day of that moment.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Iterable
from decimal import Decimal
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings

logger = logging.getLogger(__name__)

DEFAULT_WORKING_PERIODS = (("08:30", "12:00"), ("14:00", "18:00"))
# No real calendar has a year without working days; the limit only guards against a misconfigured override table.
_MAX_SCAN_DAYS = 3 * 366

_warned_years: set[int] = set()


def tz() -> ZoneInfo:
    return ZoneInfo(getattr(settings, "TIME_ZONE", "Asia/Shanghai") or "Asia/Shanghai")


def _as_time(value: str | dt.time) -> dt.time:
    return value if isinstance(value, dt.time) else dt.time.fromisoformat(value)


def working_periods() -> list[tuple[dt.time, dt.time]]:
    """The day's working periods, sorted; from `WENMING_WORKING_PERIODS` or the 08:30–12:00, 14:00–18:00 default."""
    raw = getattr(settings, "WENMING_WORKING_PERIODS", None) or DEFAULT_WORKING_PERIODS
    periods = sorted((_as_time(a), _as_time(b)) for a, b in raw)
    if not periods or any(a >= b for a, b in periods):
        raise ValueError("WENMING_WORKING_PERIODS must be non-empty (start, end) pairs with start < end")
    return periods


def library_knows(year: int) -> bool:
    """Whether `chinesecalendar` has the State Council's holiday notice for this year."""
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


@functools.lru_cache(maxsize=8192)  # the library's tables are fixed for the process; its lookup costs ~40 µs
def _library_is_workday(day: dt.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            logger.warning(
                "chinesecalendar has no holiday data for %s: counting Monday-Friday as working days; "
                "enter that year's holidays and 调休 days as calendar overrides",
                day.year,
            )
        return day.weekday() < 5


class Calendar:
    """One computation's view of the calendar (a page, a report): overrides are read once per year, not once per
    day, and working days are counted per year once, so spans of years cost a few lookups (`workdays_in`)."""

    def __init__(self) -> None:
        self._overrides: dict[int, dict[dt.date, bool]] = {}
        self._running_counts: dict[int, list[int]] = {}

    def _year(self, year: int) -> dict[dt.date, bool]:
        if year not in self._overrides:
            from .models import CalendarOverride

            rows = CalendarOverride.objects.filter(date__year=year).values_list("date", "is_workday")
            self._overrides[year] = dict(rows)
        return self._overrides[year]

    def is_workday(self, day: dt.date) -> bool:
        override = self._year(day.year).get(day)
        return override if override is not None else _library_is_workday(day)

    def _counts(self, year: int) -> list[int]:
        """counts[i]: working days among the first i days of `year`."""
        counts = self._running_counts.get(year)
        if counts is None:
            counts, day = [0], dt.date(year, 1, 1)
            while day.year == year:
                counts.append(counts[-1] + self.is_workday(day))
                day += dt.timedelta(days=1)
            self._running_counts[year] = counts
        return counts

    def workdays_in(self, first: dt.date, last: dt.date) -> int:
        """How many working days from `first` to `last`, both included (0 when last < first)."""
        total = 0
        for year in range(first.year, last.year + 1):
            counts, jan1 = self._counts(year), dt.date(year, 1, 1)
            lo = (first - jan1).days if year == first.year else 0
            hi = (last - jan1).days + 1 if year == last.year else len(counts) - 1
            total += max(0, counts[hi] - counts[lo])
        return total

    def workdays_from(self, day: dt.date) -> Iterable[dt.date]:
        """Working days from `day` (inclusive) onwards."""
        for offset in range(_MAX_SCAN_DAYS):
            candidate = day + dt.timedelta(days=offset)
            if self.is_workday(candidate):
                yield candidate
        raise ValueError(f"no working day within {_MAX_SCAN_DAYS} days of {day}: check the calendar overrides")


def _local(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("working-time arithmetic needs an aware datetime")
    return moment.astimezone(tz())


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=tz())


def is_workday(day: dt.date | dt.datetime) -> bool:
    """Whether `day` (a date, or the local date of an aware datetime) is a working day."""
    if isinstance(day, dt.datetime):
        day = _local(day).date()
    return Calendar().is_workday(day)


def workdays_between(first: dt.date, last: dt.date) -> dict[dt.date, bool]:
    """Whether each day from `first` to `last` (both included) is a working day, in date order.

    One calendar for the whole range: overrides are read once per year, so a report can look up a two-year
    span in a handful of queries (e.g. the working-day arrays of the case metrics).
    """
    cal, days, day = Calendar(), {}, first
    while day <= last:
        days[day] = cal.is_workday(day)
        day += dt.timedelta(days=1)
    return days


def end_of_business(day: dt.date) -> dt.datetime:
    return _at(day, working_periods()[-1][1])


def add_working_days(start: dt.datetime, n: int) -> dt.datetime:
    """Close of business on the n-th working day after `start`'s day (民法典 §201, §203: the first day is not counted).

    n = 0 means "the same day": close of business today if today is a working day, else on the next working day.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    cal = Calendar()
    first = _local(start).date() if n == 0 else _local(start).date() + dt.timedelta(days=1)
    for count, day in enumerate(cal.workdays_from(first), start=1):
        if count >= max(n, 1):
            return end_of_business(day)
    raise AssertionError("unreachable")  # pragma: no cover - workdays_from raises first


def _as_timedelta(hours: float | int | Decimal | dt.timedelta) -> dt.timedelta:
    return hours if isinstance(hours, dt.timedelta) else dt.timedelta(hours=float(hours))


def add_working_hours(start: dt.datetime, hours: float | int | Decimal | dt.timedelta) -> dt.datetime:
    """The moment `hours` of working time after `start`; time outside working periods does not count.

    A limit that runs out exactly at a period's end ends there (12:00, not 14:00).
    """
    remaining = _as_timedelta(hours)
    if remaining < dt.timedelta(0):
        raise ValueError("hours must not be negative")
    local = _local(start)
    if not remaining:
        return local
    cal, periods = Calendar(), working_periods()
    for day in cal.workdays_from(local.date()):
        for period_start, period_end in periods:
            begin, end = max(local, _at(day, period_start)), _at(day, period_end)
            if begin >= end:
                continue
            if remaining <= end - begin:
                return begin + remaining
            remaining -= end - begin
    raise AssertionError("unreachable")  # pragma: no cover - workdays_from raises first


def working_time_between(a: dt.datetime, b: dt.datetime, cal: Calendar | None = None) -> dt.timedelta:
    """Working time from `a` to `b` (negative when `b` is before `a`): how long a case really had.

    The first and last days are counted period by period; the whole days between by `Calendar.workdays_in`, so a
    case seven years overdue costs what a case a day overdue does. Pass one `cal` for many calls (a page of rows).
    """
    a, b = _local(a), _local(b)
    if b < a:
        return -working_time_between(b, a, cal)
    cal, periods = cal or Calendar(), working_periods()

    def on(day: dt.date, lo: dt.datetime, hi: dt.datetime) -> dt.timedelta:
        if not cal.is_workday(day):
            return dt.timedelta(0)
        total = dt.timedelta(0)
        for period_start, period_end in periods:
            overlap = min(hi, _at(day, period_end)) - max(lo, _at(day, period_start))
            if overlap > dt.timedelta(0):
                total += overlap
        return total

    first, last = a.date(), b.date()
    if first == last:
        return on(first, a, b)
    whole_days = cal.workdays_in(first + dt.timedelta(days=1), last - dt.timedelta(days=1))
    return (
        on(first, a, _at(first + dt.timedelta(days=1), dt.time.min))
        + whole_days * working_hours_per_day()
        + on(last, _at(last, dt.time.min), b)
    )


def working_hours_per_day() -> dt.timedelta:
    return sum(
        (_at(dt.date(2000, 1, 3), b) - _at(dt.date(2000, 1, 3), a) for a, b in working_periods()), dt.timedelta(0)
    )
