"""Working-day calendar: holidays, 调休 working weekends, overrides, unknown years, working hours."""

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from wenming.core import workcal
from wenming.core.models import CalendarOverride

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=0, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=SH)


def test_national_day_2019_holidays_and_adjusted_sunday():
    assert workcal.is_workday(dt.date(2019, 9, 29))  # Sunday, 调休 working day
    assert not workcal.is_workday(dt.date(2019, 9, 28))  # ordinary Saturday
    for day in range(1, 8):
        assert not workcal.is_workday(dt.date(2019, 10, day))
    assert workcal.is_workday(dt.date(2019, 10, 12))  # Saturday, 调休 working day
    assert workcal.is_workday(at(2019, 9, 29, 10))  # a datetime is judged by its local date


def test_add_working_days_skips_golden_week_and_counts_the_working_sunday():
    # Friday 27 Sep 2019 10:00 + 5 working days: 29 Sep (Sun), 30 Sep, 8, 9, 10 Oct → close of business 10 Oct.
    assert workcal.add_working_days(at(2019, 9, 27, 10), 5) == at(2019, 10, 10, 18)
    # The starting day is not counted (民法典 §201), even when the report comes in at 08:00.
    assert workcal.add_working_days(at(2019, 9, 30, 8), 1) == at(2019, 10, 8, 18)


def test_add_working_days_zero_means_same_working_day():
    assert workcal.add_working_days(at(2019, 9, 30, 9), 0) == at(2019, 9, 30, 18)
    assert workcal.add_working_days(at(2019, 10, 3, 9), 0) == at(2019, 10, 8, 18)


def test_add_working_days_converts_utc_input_to_shanghai():
    utc_moment = dt.datetime(2019, 9, 27, 20, 0, tzinfo=dt.UTC)  # 28 Sep 04:00 in Shanghai (Saturday)
    assert workcal.add_working_days(utc_moment, 1) == at(2019, 9, 29, 18)


def test_add_working_hours_over_lunch_evening_and_holidays():
    assert workcal.add_working_hours(at(2019, 9, 30, 11), 2) == at(2019, 9, 30, 15)  # lunch break skipped
    # 17:00 on 30 Sep + 4 h: one hour that evening, then nothing until 08:30 on 8 Oct.
    assert workcal.add_working_hours(at(2019, 9, 30, 17), 4) == at(2019, 10, 8, 11, 30)
    # A report at night starts counting at 08:30 on the next working day.
    assert workcal.add_working_hours(at(2019, 9, 28, 22), 1) == at(2019, 9, 29, 9, 30)
    # Running out exactly at noon ends at noon, not at 14:00.
    assert workcal.add_working_hours(at(2019, 9, 30, 8, 30), 3.5) == at(2019, 9, 30, 12)
    assert workcal.add_working_hours(at(2019, 9, 30, 9), 0) == at(2019, 9, 30, 9)


def test_working_time_between():
    assert workcal.working_time_between(at(2019, 9, 30, 17), at(2019, 10, 8, 11, 30)) == dt.timedelta(hours=4)
    assert workcal.working_time_between(at(2019, 10, 8, 11, 30), at(2019, 9, 30, 17)) == -dt.timedelta(hours=4)
    assert workcal.working_time_between(at(2019, 10, 2), at(2019, 10, 5)) == dt.timedelta(0)
    assert workcal.working_time_between(at(2019, 9, 30, 0), at(2019, 10, 1, 0)) == dt.timedelta(hours=7.5)


def test_override_beats_the_library():
    CalendarOverride.objects.create(date=dt.date(2019, 10, 8), is_workday=False, note="测试：临时放假")
    assert not workcal.is_workday(dt.date(2019, 10, 8))
    assert workcal.add_working_days(at(2019, 9, 30, 10), 1) == at(2019, 10, 9, 18)
    CalendarOverride.objects.create(date=dt.date(2019, 10, 5), is_workday=True, note="测试：加班")
    assert workcal.add_working_hours(at(2019, 10, 4, 12), 1) == at(2019, 10, 5, 9, 30)


def test_unknown_year_falls_back_to_weekdays_and_warns(caplog):
    assert not workcal.library_knows(2099)
    handler_logger = logging.getLogger("wenming.core.workcal")
    handler_logger.addHandler(caplog.handler)
    workcal._warned_years.discard(2099)
    try:
        assert workcal.is_workday(dt.date(2099, 1, 1))  # a Thursday: no holiday data, so a working day
        assert not workcal.is_workday(dt.date(2099, 1, 3))  # Saturday
    finally:
        handler_logger.removeHandler(caplog.handler)
    assert any("2099" in r.getMessage() for r in caplog.records)
    # Until the library knows the year, an administrator enters New Year's Day.
    CalendarOverride.objects.create(date=dt.date(2099, 1, 1), is_workday=False, note="元旦")
    assert workcal.add_working_days(at(2098, 12, 31, 10), 1) == at(2099, 1, 2, 18)


def test_working_periods_are_configurable(settings):
    settings.WENMING_WORKING_PERIODS = [("09:00", "12:00"), ("13:30", "17:30")]
    assert workcal.add_working_hours(at(2019, 9, 30, 11), 2) == at(2019, 9, 30, 14, 30)
    assert workcal.add_working_days(at(2019, 9, 30, 11), 1) == at(2019, 10, 8, 17, 30)
    assert workcal.working_hours_per_day() == dt.timedelta(hours=7)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        workcal.add_working_days(dt.datetime(2019, 9, 30, 10), 1)


def test_workdays_between_agrees_with_is_workday_and_reads_overrides_once_per_year(django_assert_max_num_queries):
    CalendarOverride.objects.create(date=dt.date(2019, 10, 8), is_workday=False, note="测试：临时放假")
    first, last = dt.date(2018, 12, 25), dt.date(2019, 10, 10)
    with django_assert_max_num_queries(2):  # 2018 and 2019
        days = workcal.workdays_between(first, last)
    assert list(days) == [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    assert all(days[d] == workcal.is_workday(d) for d in days)
    assert days[dt.date(2019, 9, 29)] and not days[dt.date(2019, 10, 1)] and not days[dt.date(2019, 10, 8)]
    assert workcal.workdays_between(last, first) == {}


def _day_by_day(a: dt.datetime, b: dt.datetime) -> dt.timedelta:
    """The definition, walked one day at a time: the reference the fast count must equal."""
    if b < a:
        return -_day_by_day(b, a)
    a, b = a.astimezone(SH), b.astimezone(SH)
    total, day, cal = dt.timedelta(0), a.date(), workcal.Calendar()
    while day <= b.date():
        if cal.is_workday(day):
            for start, end in workcal.working_periods():
                lo = max(a, dt.datetime.combine(day, start, tzinfo=SH))
                hi = min(b, dt.datetime.combine(day, end, tzinfo=SH))
                if hi > lo:
                    total += hi - lo
        day += dt.timedelta(days=1)
    return total


@pytest.mark.django_db
@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.datetimes(min_value=dt.datetime(2017, 12, 1), max_value=dt.datetime(2021, 3, 1)),
    span_minutes=st.integers(min_value=-3 * 366 * 24 * 60, max_value=3 * 366 * 24 * 60),
)
def test_working_time_between_counts_whole_days_by_year_and_equals_the_day_by_day_walk(start, span_minutes):
    """Overdue cases can be years late (a workbench row computes this for each): the per-year counting must give
    exactly the day-by-day answer, across year ends, golden weeks, 调休 Sundays and an administrator's override."""
    CalendarOverride.objects.get_or_create(date=dt.date(2019, 12, 31), defaults={"is_workday": False})
    a = start.replace(tzinfo=SH)
    b = a + dt.timedelta(minutes=span_minutes)
    assert workcal.working_time_between(a, b) == _day_by_day(a, b)
