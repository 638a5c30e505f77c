"""Target status at its boundaries (status.py docstring lists the rules; seed §38/§41 give the reason)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from wenming.plans import status as st
from wenming.plans.models import Target
from wenming.plans.status import TargetStatus as S

D = dt.date.fromisoformat


def target(value="100", *, start="2019-01-01", deadline="2019-04-11", comparator="gte", baseline=None, recurrence=""):
    return Target(
        metric="测试指标",
        value=None if value is None else Decimal(value),
        comparator=comparator,
        baseline=None if baseline is None else Decimal(baseline),
        starts_on=D(start),
        deadline=D(deadline),
        recurrence=recurrence,
    )


_seq = iter(range(1, 10_000))


def rep(period, value=None, done=False, at=None):
    period = D(period)
    return SimpleNamespace(
        period_start=period,
        value=None if value is None else Decimal(str(value)),
        done=done,
        submitted_at=at or dt.datetime(period.year, period.month, 20, 9),
        pk=next(_seq),
    )


def status(t, reports, today, frequency="monthly"):
    return st.target_status(t, reports, D(today), frequency=frequency)


# 100 days from 2019-01-01 to 2019-04-11: the line reads 50 on 2019-02-20.


def test_before_start_is_pending():
    assert status(target(), [], "2018-12-31").status == S.PENDING
    assert status(target(), [], "2019-01-01").status != S.PENDING


def test_first_partial_period_without_report_is_not_unreported():
    t = target(start="2019-01-15", deadline="2019-12-31")
    assert status(t, [], "2019-01-31").status == S.ON_TRACK
    # the first day of the next period with nothing reported for it
    assert status(t, [], "2019-02-01").status == S.UNREPORTED


def test_report_in_previous_period_only_is_unreported():
    assert status(target(), [rep("2019-01-01", 40)], "2019-02-20").status == S.UNREPORTED


def test_exactly_on_the_line_is_on_track_and_just_below_is_behind():
    result = status(target(), [rep("2019-02-01", 50)], "2019-02-20")
    assert result.expected_value == Decimal(50)
    assert result.status == S.ON_TRACK
    assert status(target(), [rep("2019-02-01", "49.99")], "2019-02-20").status == S.BEHIND
    assert status(target(), [rep("2019-02-01", 51)], "2019-02-20").status == S.ON_TRACK


def test_baseline_shifts_the_line():
    t = target(baseline="40")  # 40 → 100 over 100 days: 70 on day 50
    assert status(t, [rep("2019-02-01", 70)], "2019-02-20").status == S.ON_TRACK
    assert status(t, [rep("2019-02-01", 69)], "2019-02-20").status == S.BEHIND


def test_deadline_day_is_not_overdue_the_day_after_is():
    unmet = [rep("2019-04-01", 99)]
    on_deadline = status(target(), unmet, "2019-04-11")
    assert on_deadline.status == S.BEHIND
    assert on_deadline.expected_value == Decimal(100)
    assert status(target(), unmet, "2019-04-12").status == S.OVERDUE


def test_met_on_or_after_deadline_is_achieved():
    assert status(target(), [rep("2019-04-01", 100)], "2019-04-11").status == S.ACHIEVED
    assert status(target(), [rep("2019-04-01", 100)], "2019-04-12").status == S.ACHIEVED
    # completed late: 逾期 is "past the deadline and not met", so a late completion counts as met
    assert status(target(), [rep("2019-03-01", 80), rep("2019-05-01", 100)], "2019-05-20").status == S.ACHIEVED


def test_met_early_is_achieved_even_without_a_report_this_period():
    assert status(target(), [rep("2019-01-01", 120)], "2019-03-05").status == S.ACHIEVED


def test_latest_report_wins():
    reports = [rep("2019-02-01", 100, at=dt.datetime(2019, 2, 3)), rep("2019-02-01", 50, at=dt.datetime(2019, 2, 9))]
    assert status(target(), reports, "2019-02-20").latest_value == Decimal(50)


def test_reports_for_future_periods_are_ignored():
    assert status(target(), [rep("2019-03-01", 100)], "2019-02-20").status == S.UNREPORTED


def test_lte_mirrors_the_line():
    t = target("10", comparator="lte", baseline="20")  # 20 → 10: 15 on day 50
    assert status(t, [rep("2019-02-01", 15)], "2019-02-20").status == S.ON_TRACK
    assert status(t, [rep("2019-02-01", "15.01")], "2019-02-20").status == S.BEHIND
    assert status(t, [rep("2019-02-01", 10)], "2019-02-20").status == S.ACHIEVED


def test_lte_without_baseline_is_a_ceiling_from_day_one():
    t = target("10", comparator="lte")
    assert status(t, [rep("2019-02-01", 11)], "2019-02-20").status == S.BEHIND
    assert status(t, [rep("2019-02-01", 11)], "2019-02-20").expected_value == Decimal(10)


def test_reduce_reports_the_reduction_achieved():
    """Seed §23: 全市非法营运车辆下降20%以上 — the unit reports the reduction so far, in %."""
    t = target("20", comparator="reduce")
    assert status(t, [rep("2019-02-01", 10)], "2019-02-20").status == S.ON_TRACK
    assert status(t, [rep("2019-02-01", 9)], "2019-02-20").status == S.BEHIND
    assert status(t, [rep("2019-02-01", 20)], "2019-02-20").status == S.ACHIEVED


def test_eq_target_met_only_when_equal():
    t = target("100", comparator="eq")
    assert status(t, [rep("2019-04-01", 100)], "2019-04-11").status == S.ACHIEVED
    assert status(t, [rep("2019-04-01", 99)], "2019-04-11").status == S.BEHIND


class TestYearly:
    """Seed §9: 每年认定株洲好人100名 — judged per calendar year on that year's reports only."""

    def t(self):
        return target("100", start="2018-07-01", deadline="2020-12-31", recurrence="yearly")

    def test_first_year_starts_at_starts_on(self):
        r = status(self.t(), [], "2018-07-10")
        assert (r.year, r.window_start, r.deadline) == (2018, D("2018-07-01"), D("2018-12-31"))
        assert status(self.t(), [], "2018-06-30").status == S.PENDING

    def test_last_years_reports_do_not_count_this_year(self):
        reports = [rep("2018-12-01", 100)]
        assert status(self.t(), reports, "2018-12-31").status == S.ACHIEVED
        jan = status(self.t(), reports, "2019-01-15")
        assert (jan.year, jan.latest_value, jan.status) == (2019, None, S.ON_TRACK)  # January: the year's first period
        assert status(self.t(), reports, "2019-02-01").status == S.UNREPORTED

    def test_line_runs_from_jan_1_to_dec_31(self):
        # 2019-07-02 is day 182 of 364: the line reads 50
        r = status(self.t(), [rep("2019-07-01", 50)], "2019-07-02")
        assert r.expected_value == Decimal(50)
        assert r.status == S.ON_TRACK
        assert status(self.t(), [rep("2019-07-01", 49)], "2019-07-02").status == S.BEHIND

    def test_dec_31_is_not_overdue_and_a_missed_year_is_history(self):
        reports = [rep("2018-12-01", 100), rep("2019-12-01", 99)]
        assert status(self.t(), reports, "2019-12-31").status == S.BEHIND
        history = st.yearly_history(self.t(), reports, D("2020-03-01"), frequency="monthly")
        assert [(h.year, h.status) for h in history] == [(2018, S.ACHIEVED), (2019, S.OVERDUE)]
        assert history[1].latest_value == Decimal(99)

    def test_after_the_plan_the_last_year_is_judged(self):
        r = status(self.t(), [rep("2020-11-01", 80)], "2021-01-05")
        assert (r.year, r.status) == (2020, S.OVERDUE)

    def test_year_cut_by_an_earlier_deadline(self):
        t = target("100", start="2018-07-01", deadline="2020-06-30", recurrence="yearly")
        r = status(t, [rep("2020-06-01", 90)], "2020-07-01")
        assert (r.year, r.deadline, r.status) == (2020, D("2020-06-30"), S.OVERDUE)


class TestMilestone:
    def t(self):
        return target(None, start="2019-01-01", deadline="2019-06-30")

    def test_done_is_achieved(self):
        assert status(self.t(), [rep("2019-03-01", done=True)], "2019-06-30").status == S.ACHIEVED
        assert status(self.t(), [rep("2019-03-01", done=True)], "2019-09-01").status == S.ACHIEVED

    def test_not_done_on_its_date_is_not_yet_overdue(self):
        assert status(self.t(), [rep("2019-06-01")], "2019-06-30").status == S.ON_TRACK
        assert status(self.t(), [rep("2019-06-01")], "2019-07-01").status == S.OVERDUE

    def test_nothing_this_period_is_unreported(self):
        assert status(self.t(), [rep("2019-05-01")], "2019-06-30").status == S.UNREPORTED
        assert status(self.t(), [], "2019-01-20").status == S.ON_TRACK  # first period


def test_quarterly_periods():
    t = target(start="2019-01-01", deadline="2019-12-31")
    assert st.period_start(D("2019-05-20"), "quarterly") == D("2019-04-01")
    assert st.next_period_start(D("2019-10-01"), "quarterly") == D("2020-01-01")
    assert status(t, [rep("2019-04-01", 40)], "2019-05-20", "quarterly").status == S.ON_TRACK
    assert status(t, [rep("2019-04-01", 40)], "2019-07-01", "quarterly").status == S.UNREPORTED
    assert status(t, [rep("2019-04-01", 40)], "2019-05-20", "monthly").status == S.UNREPORTED


def test_fmt_num():
    assert st.fmt_num(Decimal("230.0000")) == "230"
    assert st.fmt_num(Decimal("42.5000")) == "42.5"
    assert st.fmt_num(None) == ""


@pytest.mark.django_db
def test_bulk_statuses_use_one_query(world, django_assert_num_queries):
    from wenming.plans.tests.factories import ProgressReportFactory

    ProgressReportFactory(target=world.toilets, org_unit=world.chengguan, period_start=D("2019-06-01"), value=200)
    targets = list(Target.objects.select_related("measure__plan"))
    with django_assert_num_queries(1):
        results = st.statuses_for(targets, D("2019-06-30"))
    assert results[world.toilets.pk].latest_value == Decimal(200)
    assert results[world.green.pk].status == S.UNREPORTED
    counts = st.count_statuses(results.values())
    assert sum(counts.values()) == 4
