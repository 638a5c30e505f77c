"""综合指标值, grade bands and rankings (standards.md: volume score + 结案率×0.3 + 按期处置率×0.3 + (100−返工率)×0.3;
A ≥ 90, B 75–<90, C 60–<75, D 40–<60, E < 40)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from wenming.assessments.metrics import MetricRow, composite_score, rank, score_rows
from wenming.assessments.models import DEFAULT_SCHEME_NAME, MetricScheme, ensure_default_scheme
from wenming.assessments.periods import Period


def row(key=1, name="甲", due=100, closed=100, handle_due=100, on_time=100, reworked=0, **kw):
    return MetricRow(key=key, name=name, due=due, closed=closed, closed_on_time=closed, handle_due=handle_due,
                     handled_on_time=on_time, reworked=reworked, **kw)


def closure_only(db_scheme, **changes):
    """A scheme whose score is just 结案率 (volume and other weights 0): boundaries are easy to hit exactly."""
    for field in ("weight_ontime_handling", "weight_rework"):
        setattr(db_scheme, field, Decimal(0))
    db_scheme.volume_points = Decimal(0)
    for k, v in changes.items():
        setattr(db_scheme, k, v)
    return db_scheme


def test_default_scheme_exists_once_and_matches_the_reference(db):
    first = MetricScheme.objects.get(name=DEFAULT_SCHEME_NAME)  # from the data migration
    assert ensure_default_scheme().pk == first.pk
    assert MetricScheme.objects.filter(name=DEFAULT_SCHEME_NAME).count() == 1
    assert (first.weight_closure, first.weight_ontime_handling, first.weight_rework) == (Decimal("0.3"),) * 3
    assert first.volume_points == Decimal(10)
    assert [b["min"] for b in first.grade_bands] == [90, 75, 60, 40] and first.lowest_grade == "E"


def test_perfect_unit_scores_100_with_full_volume(db):
    scheme = ensure_default_scheme()
    assert composite_score(row(), scheme) == Decimal("100.00")
    # Half the volume base: 5 volume points; rates perfect.
    assert composite_score(row(due=50, closed=50, handle_due=50, on_time=50), scheme) == Decimal("95.00")


def test_reference_formula(db):
    scheme = ensure_default_scheme()
    # 结案率 90, 按期处置率 80, 返工率 10 → 10 + 27 + 24 + 27 = 88
    r = row(closed=90, on_time=80, reworked=10)
    assert composite_score(r, scheme) == Decimal("88.00")
    assert scheme.grade_for(composite_score(r, scheme)) == "B"


@pytest.mark.parametrize(
    ("closed", "grade"),
    [(10000, "A"), (9000, "A"), (8999, "B"), (7500, "B"), (7499, "C"), (6000, "C"), (5999, "D"), (4000, "D"),
     (3999, "E"), (0, "E")],
)
def test_grade_bands_at_exact_boundaries(db, closed, grade):
    scheme = closure_only(ensure_default_scheme(), weight_closure=Decimal(1))
    r = row(due=10000, closed=closed)
    assert composite_score(r, scheme) == Decimal(closed) / 100
    assert scheme.grade_for(composite_score(r, scheme)) == grade


def test_grade_bands_are_configuration(db):
    scheme = ensure_default_scheme()
    scheme.grade_bands = [{"grade": "优秀", "min": 95}, {"grade": "合格", "min": 60}]
    scheme.lowest_grade = "不合格"
    assert [scheme.grade_for(Decimal(v)) for v in ("95", "94.99", "60", "59.99")] == ["优秀", "合格", "合格", "不合格"]
    assert scheme.grade_for(None) is None


def test_zero_denominators_give_no_score(db):
    scheme = ensure_default_scheme()
    empty = MetricRow(key=1, name="甲", accepted=3)
    assert empty.closure_rate is None and composite_score(empty, scheme) is None


def test_unmeasured_component_is_reweighted_not_scored_zero(db):
    scheme = ensure_default_scheme()
    scheme.weight_satisfaction = Decimal("0.1")
    scheme.weight_closure = Decimal("0.2")  # weights still total 0.9
    r = row(closed=80)  # no callbacks: 满意率 is None
    assert r.satisfaction_rate is None
    # Measured: 0.2×80 + 0.3×100 + 0.3×100 = 76 over weight 0.8, scaled to 0.9 → 85.5; + 10 volume
    assert composite_score(r, scheme) == Decimal("95.50")
    r.rated, r.satisfied = 10, 5
    assert composite_score(r, scheme) == Decimal("91.00")  # 10 + 16 + 30 + 30 + 5


def test_ranking_skips_units_under_minimum_and_shares_ties(db):
    scheme = ensure_default_scheme()
    scheme.min_cases = 10
    rows = [
        row(1, "甲", due=10, closed=10, handle_due=10, on_time=10),
        row(2, "乙", due=9, closed=9, handle_due=9, on_time=9),  # one short of the minimum
        row(3, "丙", due=20, closed=10, handle_due=20, on_time=20),
        row(4, "丁", due=10, closed=10, handle_due=10, on_time=10),
        row(None, "（未派遣）", due=50, closed=50),
        MetricRow(key=5, name="戊", accepted=4),
    ]
    score_rows(rows, scheme)
    result = rank(rows, scheme)
    assert [(r.name, r.rank) for r in result.ranked] == [("丁", 1), ("甲", 1), ("丙", 3)]
    assert [r.name for r in result.insufficient] == ["乙", "戊"]
    assert all(r.rank is None for r in result.insufficient)
    assert result.min_cases == 10


def test_scheme_for_a_year_wins_over_the_general_one(db):
    general = ensure_default_scheme()
    special = MetricScheme.objects.create(name="2019年度方案", year=2019, min_cases=3)
    assert MetricScheme.objects.for_date(Period.year_of(2019).start) == special
    assert MetricScheme.objects.for_date(Period.year_of(2020).start) == general
    general.is_active = special.is_active = False
    general.save()
    special.save()
    assert MetricScheme.objects.for_date(Period.year_of(2020).start) is None


def test_scheme_validation(db):
    scheme = ensure_default_scheme()
    scheme.grade_bands = [{"grade": "A", "min": 60}, {"grade": "B", "min": 90}]
    with pytest.raises(ValidationError):
        scheme.full_clean()
    scheme.grade_bands = [{"grade": "A", "min": 90}]
    scheme.satisfied_levels = [6]
    with pytest.raises(ValidationError):
        scheme.full_clean()
    scheme.satisfied_levels = [4, 5]
    scheme.full_clean()


def test_periods_parse_and_label():
    assert Period.parse("2019-09") == Period.month(2019, 9)
    assert Period.parse("2019-q4").end.isoformat() == "2020-01-01"
    assert Period.parse("2019").code == "2019"
    for bad in ("2019-13", "19-01", "2019-Q5", "", "1999"):
        with pytest.raises(ValueError):
            Period.parse(bad)
    assert Period.month(2019, 1).previous() == Period.month(2018, 12)
    assert Period.quarter(2019, 1).previous() == Period.quarter(2018, 4)
    assert [m.code for m in Period.quarter(2019, 4).months()] == ["2019-10", "2019-11", "2019-12"]
