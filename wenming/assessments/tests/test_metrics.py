"""Every metric at its edges, on cases driven through the workflow (standards.md digital city-management rates)."""

import datetime as dt
from decimal import Decimal

import pytest

from wenming.assessments import metrics
from wenming.assessments.metrics import DISTRICT, UNIT, city_totals, metric_rows
from wenming.assessments.periods import Period
from wenming.cases.workflow import Action
from wenming.core import workcal

from .conftest import at

SEPT, OCT, NOV = Period.month(2019, 9), Period.month(2019, 10), Period.month(2019, 11)
LATER = at(2020, 6, 1)  # "now" well after the periods, unless a test says otherwise


def row_for(rows, key):
    return next(r for r in rows if r.key == key)


def only(period, town, as_of=LATER, **kw):
    rows = metric_rows(period, UNIT, as_of=as_of, **kw)
    return row_for(rows, town.unit.pk)


def test_no_cases_gives_no_rows_and_no_fake_rates(town):
    assert metric_rows(OCT, UNIT, as_of=LATER) == []
    total = city_totals(OCT, as_of=LATER)
    assert total.due == 0
    for attr in ("closure_rate", "ontime_closure_rate", "ontime_handling_rate", "rework_rate", "return_rate",
                 "extension_rate", "satisfaction_rate", "avg_handling_hours", "score", "grade"):
        assert getattr(total, attr) is None, attr


def test_accepted_but_not_yet_due_has_count_but_no_rates(town):
    town.dispatched(at(2019, 10, 28, 10))  # due 4 Nov 18:00
    row = only(OCT, town)
    assert (row.accepted, row.due, row.handle_due) == (1, 0, 0)
    assert row.closure_rate is None and row.ontime_handling_rate is None and row.score is None
    assert row.dispatched == 1 and row.return_rate == Decimal("0.00")


def test_on_time_across_national_day_holidays(town):
    # Dispatched Fri 27 Sep 10:00; 5 working days end 10 Oct 18:00 (1–7 Oct are holidays, 29 Sep is 调休).
    case = town.dispatched(at(2019, 9, 27, 10))
    assert case.due_at == at(2019, 10, 10, 18)
    town.closed(case, at(2019, 10, 10, 17), handled_at=at(2019, 10, 9, 16))  # 12 calendar days, yet on time
    sept, octo = only(SEPT, town), only(OCT, town)
    assert (sept.accepted, sept.due) == (1, 0)  # accepted in September, settled in October
    assert (octo.accepted, octo.due, octo.closed, octo.closed_on_time) == (0, 1, 1, 1)
    assert octo.closure_rate == octo.ontime_closure_rate == octo.ontime_handling_rate == Decimal("100.00")
    assert octo.overdue == 0


def test_late_by_working_time_even_if_soon_by_calendar(town):
    case = town.dispatched(at(2019, 9, 27, 10))
    town.closed(case, at(2019, 10, 11, 9), handled_at=at(2019, 10, 11, 8, 45))  # 15 min after work began next day
    row = only(OCT, town)
    assert (row.due, row.closed, row.closed_on_time, row.handle_due, row.handled_on_time) == (1, 1, 0, 1, 0)
    assert row.overdue == 1
    assert row.closure_rate == Decimal("100.00") and row.ontime_closure_rate == Decimal("0.00")


def test_case_crossing_period_end_counts_once_where_its_deadline_falls(town):
    case = town.dispatched(at(2019, 10, 28, 10))  # due 4 Nov 18:00
    town.closed(case, at(2019, 10, 31, 11))  # closed early, before the period ends
    assert only(OCT, town).due == 1
    assert metric_rows(NOV, UNIT, as_of=LATER) == []  # not again in November

    late = town.dispatched(at(2019, 10, 14, 10))  # due 21 Oct 18:00
    town.closed(late, at(2019, 11, 4, 10))  # closed after October ended
    octo = only(OCT, town)
    assert (octo.due, octo.closed, octo.closed_on_time) == (2, 1, 1)  # October saw it overdue and open
    assert octo.overdue == 1
    assert metric_rows(NOV, UNIT, as_of=LATER) == []


def test_running_period_only_counts_deadlines_already_passed(town):
    town.dispatched(at(2019, 10, 14, 10))  # due 21 Oct 18:00, never handled
    assert only(OCT, town, as_of=at(2019, 10, 21, 17)).due == 0  # not yet due
    row = only(OCT, town, as_of=at(2019, 10, 22, 9))
    assert (row.due, row.closed, row.overdue) == (1, 0, 1)
    assert row.closure_rate == Decimal("0.00")


def test_rework_counts_the_case_once_and_only_the_standing_feedback_is_judged(town):
    case = town.dispatched(at(2019, 10, 14, 10))  # due 21 Oct 18:00
    town.handled(case, at(2019, 10, 15, 10))  # first feedback on time ...
    town.act(case, at(2019, 10, 16, 10), Action.VERIFY_FAIL, note="仍有摊点")
    town.handled(case, at(2019, 10, 17, 10))
    town.act(case, at(2019, 10, 17, 15), Action.VERIFY_FAIL, note="仍有摊点")
    town.closed(case, at(2019, 10, 22, 10))  # ... but the fix that stood came late
    other = town.dispatched(at(2019, 10, 14, 10))
    town.closed(other, at(2019, 10, 18, 10))
    row = only(OCT, town)
    assert case.rework_count == 2
    assert (row.due, row.reworked, row.rework_rate) == (2, 1, Decimal("50.00"))
    assert (row.handle_due, row.handled_on_time, row.overdue) == (2, 1, 1)


def test_extension_moves_the_deadline_and_is_counted(town):
    case = town.dispatched(at(2019, 10, 14, 10))  # due 21 Oct 18:00
    town.act(case, at(2019, 10, 15, 9), Action.SIGN, town.unit)
    town.act(case, at(2019, 10, 18, 9), Action.REQUEST_EXTENSION, town.unit, note="需协调", data={"working_days": 5})
    town.act(case, at(2019, 10, 18, 10), Action.APPROVE_EXTENSION)
    assert case.due_at == at(2019, 10, 28, 18)
    town.closed(case, at(2019, 10, 25, 10))  # after the first deadline, within the granted one
    plain = town.dispatched(at(2019, 10, 14, 10))
    town.closed(plain, at(2019, 10, 16, 10))
    row = only(OCT, town)
    assert (row.due, row.extended, row.extension_rate) == (2, 1, Decimal("50.00"))
    assert row.ontime_closure_rate == Decimal("100.00")


def test_returns_are_charged_to_the_unit_that_returned(town):
    case = town.dispatched(at(2019, 10, 14, 10), unit=town.other)
    town.act(case, at(2019, 10, 14, 15), Action.RETURN, town.other, note="不属于本单位职责")
    town.act(case, at(2019, 10, 15, 9), Action.DISPATCH, data={"unit": town.unit})
    town.closed(case, at(2019, 10, 18, 10))
    keep = town.dispatched(at(2019, 10, 14, 10), unit=town.other)
    town.closed(keep, at(2019, 10, 18, 10))
    rows = metric_rows(OCT, UNIT, as_of=LATER)
    other, unit = row_for(rows, town.other.pk), row_for(rows, town.unit.pk)
    assert (other.returned, other.dispatched, other.return_rate) == (1, 2, Decimal("50.00"))
    assert (unit.returned, unit.dispatched, unit.return_rate) == (0, 1, Decimal("0.00"))
    assert unit.due == 1 and other.due == 1  # each answers for what it holds
    district = metric_rows(OCT, DISTRICT, as_of=LATER)[0]
    assert (district.returned, district.dispatched) == (1, 3)


def test_satisfaction_levels_and_reopen(town, scheme):
    levels = {}
    for level in (5, 4, 3, 2, 1):
        case = town.dispatched(at(2019, 10, 14, 10))
        town.closed(case, at(2019, 10, 16, 10))
        reopen = level != 1  # the office finds the 非常不满意 was not the unit's doing
        town.act(case, at(2019, 10, 17, 10), Action.CALLBACK, data={"satisfaction": level, "reopen": reopen})
        levels[level] = case
    town.closed(levels[2], at(2019, 10, 18, 10))  # the reopened case is fixed again ...
    town.act(levels[2], at(2019, 10, 19, 10), Action.CALLBACK, data={"satisfaction": 4})  # ... and now satisfies
    row = only(OCT, town)
    # Callbacks: 5, 4, 3 (satisfied), 2 (reopened), 4 (after redo), 1 (kept on the case): six, four satisfied.
    assert (row.rated, row.satisfied, row.satisfaction_rate) == (6, 4, Decimal("66.67"))

    scheme.satisfied_levels = [4, 5]  # a city that does not count 基本满意
    scheme.save()
    strict = row_for(metric_rows(OCT, UNIT, as_of=LATER, scheme=scheme), town.unit.pk)
    assert (strict.rated, strict.satisfied) == (6, 3)


def test_no_callbacks_means_no_satisfaction_rate(town):
    town.closed(town.dispatched(at(2019, 10, 14, 10)), at(2019, 10, 16, 10))
    assert only(OCT, town).satisfaction_rate is None


def test_suspended_cases_are_left_out(town):
    case = town.dispatched(at(2019, 10, 14, 10))
    town.act(case, at(2019, 10, 15, 9), Action.SIGN, town.unit)
    town.act(case, at(2019, 10, 15, 10), Action.SUSPEND, note="待拆迁")
    row = only(OCT, town)
    assert (row.accepted, row.due, row.handle_due) == (1, 0, 0)


def test_average_handling_time_in_working_hours(town):
    case = town.dispatched(at(2019, 9, 27, 10))
    town.handled(case, at(2019, 10, 8, 10))
    expected = workcal.working_time_between(at(2019, 9, 27, 10), at(2019, 10, 8, 10))
    # 27 Sep 10:00–12:00 + 14:00–18:00 (6 h), 29 Sep 调休 (7.5 h), 30 Sep (7.5 h), 8 Oct 08:30–10:00 (1.5 h)
    assert expected == dt.timedelta(hours=22.5)
    fast = town.dispatched(at(2019, 10, 14, 11))
    town.handled(fast, at(2019, 10, 14, 15))  # 1 h before lunch + 1 h after = 2 h
    row = only(OCT, town)
    assert row.handled_timed == 2
    assert row.avg_handling_hours == Decimal("12.25")


def test_handling_time_starts_in_the_evening_and_on_a_holiday(town):
    case = town.dispatched(at(2019, 10, 3, 20))  # a holiday evening: the clock starts on 8 Oct 08:30
    town.handled(case, at(2019, 10, 8, 21))
    assert only(OCT, town).avg_handling_hours == Decimal("7.50")


def test_grouping_by_district_and_city(town):
    for district in (town.hetang, town.hetang, town.lusong):
        town.closed(town.dispatched(at(2019, 10, 14, 10), district=district), at(2019, 10, 15, 10))
    rows = metric_rows(OCT, DISTRICT, as_of=LATER)
    assert [(r.name, r.code, r.due) for r in rows] == [("芦淞区", "430203", 1), ("荷塘区", "430202", 2)]
    assert city_totals(OCT, as_of=LATER).due == 3


def test_year_and_quarter_periods_add_up(town):
    town.closed(town.dispatched(at(2019, 9, 27, 10)), at(2019, 10, 9, 10))
    town.closed(town.dispatched(at(2019, 11, 4, 10)), at(2019, 11, 6, 10))
    assert only(Period.year_of(2019), town).due == 2
    assert only(Period.quarter(2019, 4), town).due == 2
    assert only(Period.quarter(2019, 3), town).accepted == 1


def test_population_can_be_narrowed(town):
    from wenming.cases.models import Case

    town.closed(town.dispatched(at(2019, 10, 14, 10)), at(2019, 10, 15, 10))
    rows = metric_rows(OCT, UNIT, as_of=LATER, cases=Case.objects.filter(category__code="nope"))
    assert rows == []


def test_trend_and_top_categories(town):
    town.closed(town.dispatched(at(2019, 9, 27, 10)), at(2019, 10, 9, 10))
    town.dispatched(at(2019, 10, 14, 10))
    trend = metrics.monthly_trend(Period.quarter(2019, 4))
    assert [(m.code, a, c) for m, a, c in trend] == [("2019-10", 1, 1), ("2019-11", 0, 0), ("2019-12", 0, 0)]
    assert metrics.top_categories(Period.year_of(2019)) == [("占道经营", 2)]


def test_query_count_does_not_grow_with_cases(town, django_assert_max_num_queries):
    """Aggregate SQL, not a Python loop over cases: the same handful of queries for 1 case or 30."""
    town.closed(town.dispatched(at(2019, 10, 14, 10)), at(2019, 10, 15, 10))
    with django_assert_max_num_queries(8) as one:
        metric_rows(OCT, UNIT, as_of=LATER)
    for day in range(14, 29):
        for unit in (town.unit, town.other):
            town.closed(town.dispatched(at(2019, 10, day, 10), unit=unit), at(2019, 10, day, 16))
    with django_assert_max_num_queries(len(one.captured_queries)):
        rows = metric_rows(OCT, UNIT, as_of=LATER)
    assert sum(r.due for r in rows) == 31


def test_brute_force_agrees_with_sql(town):
    """The grouped SQL against the docstring definitions applied case by case in Python."""
    import random

    from wenming.cases.models import Case

    rng = random.Random(7)
    for i in range(24):
        start = at(2019, 10, 8 + i % 20, 9 + i % 8)
        case = town.dispatched(start, unit=rng.choice([town.unit, town.other]))
        if rng.random() < 0.2:
            continue  # left open
        town.handled(case, start + dt.timedelta(days=rng.randint(0, 12), hours=rng.randint(0, 5)))
        if rng.random() < 0.25:
            town.act(case, case.handled_at + dt.timedelta(hours=2), Action.VERIFY_FAIL, note="返工")
            town.handled(case, case.events.last().at + dt.timedelta(days=rng.randint(0, 4)))
        if rng.random() < 0.8:
            town.act(case, case.handled_at + dt.timedelta(hours=rng.randint(1, 60)), Action.VERIFY_PASS)
    as_of = at(2019, 10, 30, 12)
    start, end = OCT.start_at, as_of
    expected = {}
    for c in Case.objects.exclude(due_at=None):
        settle_close = c.closed_at if c.closed_at and c.closed_at <= c.due_at else c.due_at
        settle_handle = c.handled_at if c.handled_at and c.handled_at <= c.due_at else c.due_at
        e = expected.setdefault(c.assigned_unit_id, dict(due=0, closed=0, on_time=0, handle_due=0, handled=0,
                                                          reworked=0, hours=[]))
        if start <= settle_close < end:
            e["due"] += 1
            e["closed"] += bool(c.closed_at and c.closed_at < end)
            e["on_time"] += bool(c.closed_at and c.closed_at <= c.due_at)
            e["reworked"] += c.rework_count > 0
        if start <= settle_handle < end:
            e["handle_due"] += 1
            e["handled"] += bool(c.handled_at and c.handled_at <= c.due_at)
            if c.handled_at and c.handled_at < end:
                e["hours"].append(workcal.working_time_between(c.dispatched_at, c.handled_at).total_seconds())
    rows = {r.key: r for r in metric_rows(OCT, UNIT, as_of=as_of)}
    for key, e in expected.items():
        r = rows[key]
        assert (r.due, r.closed, r.closed_on_time, r.handle_due, r.handled_on_time, r.reworked) == (
            e["due"], e["closed"], e["on_time"], e["handle_due"], e["handled"], e["reworked"]
        )
        assert r.handled_timed == len(e["hours"])
        assert r.handling_seconds == pytest.approx(sum(e["hours"]))


def test_unit_rows_combine_to_the_city(town):
    case = town.dispatched(at(2019, 10, 14, 10), unit=town.other)
    town.act(case, at(2019, 10, 14, 15), Action.RETURN, town.other, note="不属于本单位职责")
    for unit in (town.unit, town.other, town.unit):
        town.closed(town.dispatched(at(2019, 10, 14, 10), unit=unit), at(2019, 10, 18, 10))
    combined = metrics.combine(metric_rows(OCT, UNIT, as_of=LATER))
    city = city_totals(OCT, as_of=LATER)
    for field in metrics._COUNTS:
        assert getattr(combined, field) == pytest.approx(getattr(city, field)), field
    assert combined.accepted == 4 and combined.returned == 1


def test_handling_time_of_a_case_dispatched_long_before_the_period(town):
    """Older than the fast path's calendar window (a year before the period): timed exactly all the same."""
    case = town.reported(at(2018, 6, 1, 9))
    town.act(case, at(2018, 6, 1, 9), Action.ACCEPT)
    town.act(case, at(2018, 6, 1, 10), Action.DISPATCH, data={"unit": town.unit, "due_at": "2019-10-20T18:00:00"})
    town.handled(case, at(2019, 10, 15, 10))
    row = only(OCT, town)
    expected = workcal.working_time_between(at(2018, 6, 1, 10), at(2019, 10, 15, 10)).total_seconds()
    assert row.handled_timed == 1 and row.handling_seconds == pytest.approx(expected)
