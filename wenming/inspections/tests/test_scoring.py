"""Score rates and grades at their edges (seed §25 grading; standards.md score rates)."""

from decimal import Decimal

import pytest

from wenming.geo.models import Jurisdiction, JurisdictionKind
from wenming.inspections import scoring, services
from wenming.inspections.models import Checklist, ChecklistItem, GradeBand, PointType


@pytest.fixture
def graded(world):
    """A graded type with one 10-point item, so a score of 9 is a rate of exactly 90%."""
    pt = PointType.objects.create(code="test_market", name="测试市场", graded=True, order=999)
    checklist = Checklist.objects.create(point_type=pt, year=2019)
    ChecklistItem.objects.create(checklist=checklist, code="T-01", text="划行归市", points=Decimal(10), order=1)
    for grade, rate in (("A", 90), ("B", 80), ("C", 70), ("D", 0)):
        GradeBand.objects.create(point_type=pt, grade=grade, min_rate=Decimal(rate))
    return pt


def _rate_of(world, graded, score, passed=None):
    point = world.point("市场甲", graded)
    rnd = world.round([point])
    item = rnd.checklist_for(graded.pk).items.get()
    services.item_score_save(round=rnd, point=point, item=item, actor=world.inspector,
                             passed=passed if passed is not None else Decimal(score) >= 10, score=score)
    row = scoring.round_rates(rnd, "point")[0]
    return row


@pytest.mark.parametrize(
    ("score", "grade", "rate"),
    [("9", "A", "90.0%"), ("8.9", "B", "89.0%"), ("8", "B", "80.0%"), ("7.9", "C", "79.0%"), ("7", "C", "70.0%"),
     ("6.9", "D", "69.0%"), ("0", "D", "0.0%"), ("10", "A", "100.0%")],
)
def test_grade_exactly_on_and_just_below_each_threshold(world, graded, score, grade, rate):
    row = _rate_of(world, graded, score)
    assert row.grade.grade == grade
    assert row.rate.rate_display == rate


def test_no_items_scored_has_no_rate_and_no_grade(world, graded):
    point = world.point("市场乙", graded)
    rnd = world.round([point])
    [row] = scoring.round_rates(rnd, "point")
    assert row.rate.rate is None and row.rate.rate_display == "—"
    assert row.grade is None
    assert scoring.round_total(rnd).rate is None


def test_all_failed_is_zero_rate_and_lowest_grade(world):
    point = world.point("荷塘农贸市场")
    rnd = world.round([point])
    world.score_all(rnd, point, passed=False)
    [row] = scoring.round_rates(rnd, "point")
    assert row.rate.rate == 0
    assert row.rate.failed == row.rate.items == 11
    assert row.grade.grade == "D"


def test_rate_counts_only_scored_items(world):
    point = world.point("芦淞农贸市场")
    rnd = world.round([point])
    items = list(rnd.checklist_for(point.point_type_id).items.all())
    services.item_score_save(round=rnd, point=point, item=items[0], actor=world.inspector, passed=True)  # 4/4
    services.item_score_save(round=rnd, point=point, item=items[2], actor=world.inspector, passed=False,
                             score="1.5")  # 1.5/3
    [row] = scoring.round_rates(rnd, "point")
    assert row.rate.scored == Decimal("5.5") and row.rate.possible == Decimal("7")
    assert row.rate.rate_display == "78.6%"


def test_rates_by_type_street_district_and_unit(world):
    district = Jurisdiction.objects.create(code="430202", name="荷塘区", kind=JurisdictionKind.DISTRICT)
    street = Jurisdiction.objects.create(code="430202001", name="月塘街道", kind=JurisdictionKind.STREET,
                                         parent=district)
    a = world.point("市场A", street=street, district=district, responsible_unit=world.market_unit)
    b = world.point("公厕B", world.toilet_type, street=street, district=district)
    rnd = world.round([a, b])
    world.score_all(rnd, a, passed=True)
    world.score_all(rnd, b, passed=False)
    by_type = {r.name: r.rate for r in scoring.round_rates(rnd, "point_type")}
    assert by_type["农贸市场"].rate == 100 and by_type["室外公共厕所"].rate == 0
    [d] = scoring.round_rates(rnd, "district")
    assert d.name == "荷塘区" and d.rate.possible == Decimal(32 + 20)
    assert d.rate.rate_display == f"{Decimal(3200) / 52:.1f}%"
    [s] = scoring.round_rates(rnd, "street")
    assert s.name == "月塘街道"
    units = {r.name: r.rate for r in scoring.round_rates(rnd, "unit")}
    assert units["市商务和粮食局"].rate == 100
    assert "未定位" in units  # 公厕B has no responsible unit


def test_grade_bands_are_configuration(world, graded):
    GradeBand.objects.filter(point_type=graded, grade="A").update(min_rate=Decimal(95))
    row = _rate_of(world, graded, "9")
    assert row.grade.grade == "B"


def test_default_market_bands_loaded_idempotently(world):
    services.load_grade_bands()
    services.load_grade_bands()
    bands = list(GradeBand.objects.filter(point_type__code="market").values_list("grade", "min_rate"))
    assert bands == [("A", Decimal(90)), ("B", Decimal(80)), ("C", Decimal(70)), ("D", Decimal(0))]


def test_trend_across_rounds(world):
    point = world.point("石峰农贸市场")
    r1 = world.round([point], name="第一轮")
    world.score_all(r1, point, passed=False)
    services.round_close(round=r1)
    import datetime as dt

    r2 = world.round([point], name="第二轮", start_date=dt.date(2019, 10, 1))
    world.score_all(r2, point, passed=True)
    series = scoring.trend([r2, r1])
    assert [(r.name, rate.rate) for r, rate in series] == [("第一轮", 0), ("第二轮", 100)]
