"""Assessment periods (seed §38/§41: 一月一分析、一季一通报、一年一考核): half-open local-date ranges [start, end)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from django.utils.translation import gettext as _

from wenming.core import workcal

WEEK, MONTH, QUARTER, YEAR, CUSTOM = "week", "month", "quarter", "year", "custom"
_PATTERNS = (
    (re.compile(r"^(\d{4})-[Ww](\d{1,2})$"), WEEK),
    (re.compile(r"^(\d{4})-(\d{1,2})$"), MONTH),
    (re.compile(r"^(\d{4})-[Qq]([1-4])$"), QUARTER),
    (re.compile(r"^(\d{4})$"), YEAR),
)


def _add_months(day: dt.date, n: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclasses.dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # exclusive
    kind: str = CUSTOM

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("a period must end after it starts")

    # --- constructors ----------------------------------------------------------------------------------------
    @classmethod
    def week(cls, year: int, week: int) -> Period:
        """ISO 8601 week (Monday to Sunday): 2026-W47 starts on Monday 16 November 2026. ValueError if the
        year has no such week (only some years have a week 53)."""
        start = dt.date.fromisocalendar(year, week, 1)
        return cls(start, start + dt.timedelta(days=7), WEEK)

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        start = dt.date(year, month, 1)
        return cls(start, _add_months(start, 1), MONTH)

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        start = dt.date(year, 3 * (quarter - 1) + 1, 1)
        return cls(start, _add_months(start, 3), QUARTER)

    @classmethod
    def year_of(cls, year: int) -> Period:
        return cls(dt.date(year, 1, 1), dt.date(year + 1, 1, 1), YEAR)

    @classmethod
    def containing(cls, day: dt.date, kind: str = MONTH) -> Period:
        if kind == YEAR:
            return cls.year_of(day.year)
        if kind == WEEK:
            iso = day.isocalendar()
            return cls.week(iso.year, iso.week)
        if kind == QUARTER:
            return cls.quarter(day.year, (day.month - 1) // 3 + 1)
        return cls.month(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> Period:
        """"2019-W38" (ISO week), "2019-09" (month), "2019-Q3" (quarter) or "2019" (year); ValueError otherwise."""
        text = (text or "").strip()
        for pattern, kind in _PATTERNS:
            m = pattern.match(text)
            if not m:
                continue
            year = int(m.group(1))
            if not 2000 <= year <= 2100:
                break
            if kind == WEEK:
                try:
                    return cls.week(year, int(m.group(2)))
                except ValueError:
                    break
            if kind == MONTH:
                month = int(m.group(2))
                if not 1 <= month <= 12:
                    break
                return cls.month(year, month)
            if kind == QUARTER:
                return cls.quarter(year, int(m.group(2)))
            return cls.year_of(year)
        raise ValueError(f"not a period: {text!r}")

    # --- views -----------------------------------------------------------------------------------------------
    @property
    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time.min, tzinfo=workcal.tz())

    @property
    def end_at(self) -> dt.datetime:
        return dt.datetime.combine(self.end, dt.time.min, tzinfo=workcal.tz())

    @property
    def code(self) -> str:
        if self.kind == WEEK:
            iso = self.start.isocalendar()
            return f"{iso.year}-W{iso.week:02d}"
        if self.kind == MONTH:
            return f"{self.start:%Y-%m}"
        if self.kind == QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == YEAR:
            return f"{self.start.year}"
        return f"{self.start:%Y%m%d}-{self.end:%Y%m%d}"

    @property
    def label(self) -> str:
        if self.kind == WEEK:
            iso = self.start.isocalendar()
            last = self.end - dt.timedelta(days=1)
            return _("%(y)s年第%(w)s周（%(a)s至%(b)s）") % {
                "y": iso.year, "w": iso.week, "a": f"{self.start.month}月{self.start.day}日",
                "b": f"{last.month}月{last.day}日",
            }
        if self.kind == MONTH:
            return _("%(y)s年%(m)s月") % {"y": self.start.year, "m": self.start.month}
        if self.kind == QUARTER:
            return _("%(y)s年第%(q)s季度") % {"y": self.start.year, "q": (self.start.month - 1) // 3 + 1}
        if self.kind == YEAR:
            return _("%(y)s年") % {"y": self.start.year}
        last = self.end - dt.timedelta(days=1)
        return _("%(a)s至%(b)s") % {"a": f"{self.start:%Y-%m-%d}", "b": f"{last:%Y-%m-%d}"}

    def months(self) -> list[Period]:
        """The calendar months the period covers (for trends)."""
        out, cursor = [], dt.date(self.start.year, self.start.month, 1)
        while cursor < self.end:
            out.append(Period.month(cursor.year, cursor.month))
            cursor = _add_months(cursor, 1)
        return out

    def previous(self) -> Period:
        if self.kind == WEEK:
            return Period.containing(self.start - dt.timedelta(days=7), WEEK)
        if self.kind == MONTH:
            return Period.month(*_ym(_add_months(self.start, -1)))
        if self.kind == QUARTER:
            return Period.containing(_add_months(self.start, -3), QUARTER)
        if self.kind == YEAR:
            return Period.year_of(self.start.year - 1)
        return Period(self.start - (self.end - self.start), self.start)


def _ym(day: dt.date) -> tuple[int, int]:
    return day.year, day.month


def recent_periods(today: dt.date, *, months: int = 24, quarters: int = 8, years: int = 3) -> dict[str, list[Period]]:
    """Choices for the period picker, newest first."""
    this_month = Period.containing(today, MONTH)
    this_quarter = Period.containing(today, QUARTER)
    out: dict[str, list[Period]] = {MONTH: [this_month], QUARTER: [this_quarter], YEAR: [Period.year_of(today.year)]}
    for _i in range(months - 1):
        out[MONTH].append(out[MONTH][-1].previous())
    for _i in range(quarters - 1):
        out[QUARTER].append(out[QUARTER][-1].previous())
    for _i in range(years - 1):
        out[YEAR].append(out[YEAR][-1].previous())
    return out
