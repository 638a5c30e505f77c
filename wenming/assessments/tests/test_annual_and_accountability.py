"""年考核 scoring at its edges, the annual product read back, accountability rules (seed §41 约谈和问责), and the
product and accountability pages as their users meet them."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook

from wenming.accounts.models import OrgUnit, OrgUnitKind, Role
from wenming.assessments import accountability
from wenming.assessments.models import (
    Accountability,
    AccountabilityRule,
    Interview,
    InterviewStatus,
    OfficeInput,
    Product,
    RuleKind,
    ScoringModel,
)
from wenming.assessments.periods import Period
from wenming.assessments.products import services
from wenming.assessments.products.builders import AnnualRow, score_annual, weighted_score
from wenming.core import clock
from wenming.plans.models import Measure, Plan, Responsibility, Section, Target

from .conftest import at, make_user
from .product_data import Field

D = Decimal
WEIGHTS = {"targets": D("0.4"), "cases": D("0.3"), "inspections": D("0.2"), "office": D("0.1")}


# --- scoring at the edges ---------------------------------------------------------------------------------------


def test_weighted_score_all_components():
    comps = {"targets": D(100), "cases": D(80), "inspections": D(90), "office": D(70)}
    assert weighted_score(comps, WEIGHTS) == D("89.00")  # 40 + 24 + 18 + 7


def test_missing_component_rescales_the_others():
    comps = {"targets": None, "cases": D(80), "inspections": D(90), "office": D(70)}
    assert weighted_score(comps, WEIGHTS) == D("81.67")  # (24 + 18 + 7) / 0.6


def test_weights_on_a_hundred_scale_give_the_same_score():
    comps = {"targets": D(100), "cases": D(80), "inspections": D(90), "office": D(70)}
    assert weighted_score(comps, {k: w * 100 for k, w in WEIGHTS.items()}) == D("89.00")


def test_nothing_measured_or_only_zero_weights_is_no_score():
    assert weighted_score(dict.fromkeys(WEIGHTS), WEIGHTS) is None
    assert weighted_score({"targets": D(50)}, {"targets": D(0), "cases": D(1)}) is None


def test_zero_and_full_marks():
    assert weighted_score(dict.fromkeys(WEIGHTS, D(0)), WEIGHTS) == D("0.00")
    assert weighted_score(dict.fromkeys(WEIGHTS, D(100)), WEIGHTS) == D("100.00")


def test_rounding_half_up_at_the_band_boundary(db):
    model = ScoringModel.objects.create(year=2019)
    # 89.995 rounds to 90.00: the published figure, which is what the band is judged on.
    score = weighted_score({"targets": D("89.995")}, {"targets": D(1)})
    assert score == D("90.00") and model.grade_for(score) == "优秀"
    assert model.grade_for(D("89.99")) == "良好"
    assert model.grade_for(D("60")) == "合格" and model.grade_for(D("59.99")) == "不合格"
    assert model.grade_for(None) is None


def test_ties_share_a_rank_and_unscorable_rows_come_last(db):
    model = ScoringModel.objects.create(year=2019)
    rows = [AnnualRow(1, "甲", cases=D(80)), AnnualRow(2, "乙", cases=D(90)), AnnualRow(3, "丙", cases=D(80)),
            AnnualRow(4, "丁"), AnnualRow(5, "戊", cases=D(70))]
    out = score_annual(rows, model)
    assert [r.rank for r in out] == [1, 2, 2, 4, None]
    assert out[0].name == "乙" and {out[1].name, out[2].name} == {"甲", "丙"} and [r.name for r in out[3:]] == ["戊", "丁"]
    assert out[-1].score is None and out[-1].grade is None


def test_scoring_model_rejects_bad_bands(db):
    from django.core.exceptions import ValidationError

    model = ScoringModel(year=2030, bands=[{"grade": "优秀", "min": 60}, {"grade": "良好", "min": 80}])
    with pytest.raises(ValidationError):
        model.clean()
    model = ScoringModel(year=2030, weight_targets=0, weight_cases=0, weight_inspections=0, weight_office=0)
    with pytest.raises(ValidationError):
        model.clean()


# --- the annual assessment with data -----------------------------------------------------------------------------


def plan_with_targets(town):
    plan = Plan.objects.create(title="测试方案", starts_on=dt.date(2019, 1, 1), ends_on=dt.date(2020, 12, 31),
                               source_sha256="x")
    section = Section.objects.create(plan=plan, number=1, title="一")
    measure = Measure.objects.create(plan=plan, section=section, number=11, title="城市管理")
    Responsibility.objects.create(measure=measure).lead_units.add(town.unit)
    done = Target.objects.create(measure=measure, text="建成公厕10座", metric="新建公厕", value=D(10), unit="座",
                                 starts_on=dt.date(2019, 1, 1), deadline=dt.date(2019, 6, 30))
    late = Target.objects.create(measure=measure, text="绿地率42.5%", metric="绿地率", value=D("42.5"), unit="%",
                                 starts_on=dt.date(2019, 1, 1), deadline=dt.date(2019, 8, 31))
    done.reports.create(org_unit=town.unit, period_start=dt.date(2019, 6, 1), value=D(10))
    late.reports.create(org_unit=town.unit, period_start=dt.date(2019, 8, 1), value=D(40))
    return plan


def test_annual_assessment_read_back(town):
    """市城管局: targets 1 of 2 achieved = 50; 10 cases closed on time (case score computed by metrics);
    inspections 7/10 = 70; office input mean of 80 and 90 = 85."""
    from wenming.assessments import metrics

    plan_with_targets(town)
    for _i in range(10):
        town.closed(town.dispatched(at(2019, 3, 4, 10)), at(2019, 3, 5, 10))
    field = Field(town)
    field.observe(field.point("城管点位", town.hetang), at(2019, 5, 6, 10), (6, 1))
    OfficeInput.objects.create(year=2019, unit=town.unit, item="材料审核", score=D(80))
    OfficeInput.objects.create(year=2019, unit=town.unit, item="问卷调查", score=D(90))
    with clock.frozen(at(2020, 1, 10, 9)):
        product = services.generate_now(kind="annual", period="2019")
        case_score = next(r for r in metrics.metric_rows(Period.year_of(2019)) if r.key == town.unit.pk).score
    expected = (D("0.4") * 50 + D("0.3") * case_score + D("0.2") * 70 + D("0.1") * 85).quantize(D("0.01"))
    doc = Document(io.BytesIO(product.docx.open("rb").read()))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "株洲市2019年度文明城市创建工作考核结果" in text and "二、责任单位考核结果" in text
    wb = load_workbook(io.BytesIO(product.xlsx.open("rb").read()))
    rows = {r[1].value: [c.value for c in r] for r in wb["单位考核"].iter_rows(min_row=2)}
    got = rows["市城管局"]
    assert got[2:6] == [50.0, float(case_score), 70.0, 85.0]
    assert got[6] == float(expected)
    assert got[7] == ScoringModel.objects.get(year=2019).grade_for(expected)
    assert len(doc.inline_shapes) >= 2  # unit scores and grade distribution
    assert product.snapshot["model"]["weights"] == {"targets": 0.4, "cases": 0.3, "inspections": 0.2, "office": 0.1}


def test_participants_limit_the_units(town):
    model = ScoringModel.objects.create(year=2019)
    model.units.add(town.other)
    OfficeInput.objects.create(year=2019, unit=town.unit, item="材料审核", score=D(80))
    with clock.frozen(at(2020, 1, 10, 9)):
        product = services.generate_now(kind="annual", period="2019")
    table = next(b for b in product.snapshot["blocks"] if b.get("id") == "units")
    assert [r[1] for r in table["rows"]] == ["市交通运输局"]


# --- accountability rules --------------------------------------------------------------------------------------


@pytest.fixture
def three_units(town):
    """Q1 and Q2 of 2019: 市城管局 best, 市交通运输局 worst (late), 第三单位 middling, 10 cases each."""
    third = OrgUnit.objects.create(name="第三单位", kind=OrgUnitKind.CITY_DEPARTMENT)
    town.third = third
    users = {town.unit.pk: town.unit_user, town.other.pk: town.other_user,
             third.pk: make_user("third", third, Role.UNIT)}
    town.users = lambda unit: users[unit.pk]
    for quarter_start in (at(2019, 1, 7, 10), at(2019, 4, 8, 10)):
        for i in range(10):
            town.closed(town.dispatched(quarter_start, unit=town.unit), quarter_start + dt.timedelta(days=1))
            late = town.dispatched(quarter_start, unit=town.other)
            town.closed(late, quarter_start + dt.timedelta(days=20 if i < 6 else 1))
            mid = town.dispatched(quarter_start, unit=third)
            town.closed(mid, quarter_start + dt.timedelta(days=20 if i < 2 else 1))
    AccountabilityRule.objects.update(is_active=False)
    return town


def bulletin(quarter, office):
    with clock.frozen(at(2019, 7, 15, 9)):
        product = services.generate_now(kind="quarterly", period=quarter)
        services.product_submit(product=product, by=office)
        return services.product_publish(product=product, by=office)


def test_last_twice_running_opens_one_interview(three_units):
    town = three_units
    rule = AccountabilityRule.objects.create(name="连续末位", kind=RuleKind.LAST_IN_BULLETIN,
                                             parameters={"positions": 1, "consecutive": 2})
    q1 = bulletin("2019-Q1", town.office)
    assert q1.snapshot["ranking"]["units"][-1]["name"] == "市交通运输局"
    assert not Interview.objects.exists()  # last once is not yet twice
    q2 = bulletin("2019-Q2", town.office)
    interview = Interview.objects.get()
    assert interview.unit == town.other and interview.rule == rule and interview.period_key == "2019-Q2"
    assert "连续2个季度" in interview.reason and "2019-Q1、2019-Q2" in interview.reason
    listed = next(b for b in q2.snapshot["blocks"] if b.get("id") == "accountability")
    assert listed["rows"][0][1] == "市交通运输局" and listed["rows"][0][2] == "约谈"
    # Praise and criticism name units.
    assert q2.snapshot["praise"][0]["name"] == "市城管局"
    assert q2.snapshot["criticism"][-1]["name"] == "市交通运输局"
    # Running again (on demand) never opens a duplicate.
    with clock.frozen(at(2019, 7, 16, 9)):
        assert accountability.run_rules(Period.quarter(2019, 2)) == []
    assert Interview.objects.count() == 1


def test_ontime_rate_under_threshold(three_units):
    AccountabilityRule.objects.create(name="按期结案率低于60%", kind=RuleKind.ONTIME_BELOW,
                                      parameters={"metric": "ontime_closure_rate", "threshold": 60, "min_cases": 10})
    with clock.frozen(at(2019, 7, 15, 9)):
        opened = accountability.run_rules(Period.quarter(2019, 2))
    # 市交通运输局 40% on time: caught; 第三单位 80%: not.
    assert [i.unit.name for i in opened] == ["市交通运输局"]
    assert "按期结案率 40.00% 低于 60%" in opened[0].reason


def test_overdue_target_and_escalation_on_repeat(town):
    plan_with_targets(town)
    AccountabilityRule.objects.update(is_active=False)
    AccountabilityRule.objects.create(name="目标逾期", kind=RuleKind.TARGET_OVERDUE,
                                      parameters={"min_targets": 1, "escalate_on_repeat": True})
    with clock.frozen(at(2019, 10, 15, 9)):
        first = accountability.run_rules(Period.quarter(2019, 3))
    assert [i.unit for i in first] == [town.unit] and "绿地率" in first[0].reason
    assert not Accountability.objects.exists()
    with clock.frozen(at(2020, 1, 15, 9)):
        accountability.run_rules(Period.quarter(2019, 4))
    record = Accountability.objects.get()
    assert record.unit == town.unit and record.period_key == "2019-Q4" and "上一季度已因同一规则被约谈" in record.reason
    assert Interview.objects.get(period_key="2019-Q4").status == InterviewStatus.ESCALATED


def test_rules_run_by_quarter_only(db):
    with pytest.raises(accountability.AccountabilityError, match="按季度运行"):
        accountability.run_rules(Period.month(2019, 5))


def test_interview_follow_up_close_and_escalate(town):
    interview = Interview.objects.create(unit=town.unit, period_key="2019-Q2", reason="测试")
    with clock.frozen(at(2019, 7, 20, 9)):
        accountability.interview_update(interview=interview, scheduled_at=at(2019, 7, 22, 9), interviewer="市文明办主任",
                                        commitments="一个月内整改到位")
        assert interview.status == InterviewStatus.DONE
        with pytest.raises(accountability.AccountabilityError, match="办结前请填写整改结果"):
            accountability.interview_update(interview=interview, close=True)
        record = accountability.interview_escalate(interview=interview, level="criticism", reason="整改不到位")
    assert record.interview == interview and Interview.objects.get().status == InterviewStatus.ESCALATED
    with pytest.raises(accountability.AccountabilityError):
        accountability.interview_update(interview=interview, follow_up="再改")


# --- pages -------------------------------------------------------------------------------------------------------


def test_units_read_published_products_only_and_their_own_records(town, client):
    with clock.frozen(at(2019, 11, 20, 10)):
        draft = services.generate_now(kind="monthly", period="2019-10")
        published = services.generate_now(kind="monthly", period="2019-09")
        services.product_submit(product=published, by=town.office)
        services.product_publish(product=published, by=town.office)
    mine = Interview.objects.create(unit=town.unit, period_key="2019-Q3", reason="本单位事由")
    theirs = Interview.objects.create(unit=town.other, period_key="2019-Q3", reason="他单位事由")
    client.force_login(town.unit_user)
    listing = client.get(reverse("assessments:products")).content.decode()
    assert published.title in listing and draft.title not in listing and "生成</button>" not in listing
    assert client.get(reverse("assessments:product", args=[draft.pk])).status_code == 404
    assert client.get(reverse("assessments:product", args=[published.pk])).status_code == 200
    assert client.get(reverse("assessments:product_download", args=[published.pk, "docx"])).status_code == 200
    assert client.post(reverse("assessments:product_publish", args=[draft.pk])).status_code == 403
    page = client.get(reverse("assessments:accountability")).content.decode()
    assert "本单位事由" in page and "他单位事由" not in page
    assert client.get(reverse("assessments:interview", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("assessments:interview", args=[mine.pk])).status_code == 200


def test_office_generates_from_the_page_and_sees_errors_in_chinese(town, client):
    client.force_login(town.office)
    with clock.frozen(at(2019, 11, 20, 10)):
        bad = client.post(reverse("assessments:product_generate"), {"kind": "monthly", "period": "2019/10"}, follow=True)
        assert "周期格式不正确" in bad.content.decode()
        response = client.post(reverse("assessments:product_generate"), {"kind": "monthly", "period": "2019-10"})
        product = Product.objects.get()
        assert response["Location"] == reverse("assessments:product", args=[product.pk])
        page = client.get(response["Location"]).content.decode()
        assert "送审" in page and product.title in page
        chart = client.get(reverse("assessments:product_chart", args=[product.pk, "trend"]))
        assert chart["Content-Type"].startswith("image/svg+xml") and b"<svg" in chart.content
        client.post(reverse("assessments:product_submit", args=[product.pk]))
        client.post(reverse("assessments:product_publish", args=[product.pk]))
        again = client.post(reverse("assessments:product_regenerate", args=[product.pk]), follow=True)
    assert "已发布，不能重新生成" in again.content.decode()
    assert Product.objects.get().document_number == "株文明办〔2019〕1号"


def test_progress_fragment_polls_while_running_and_refreshes_when_done(town, client):
    client.force_login(town.office)
    with clock.frozen(at(2019, 11, 20, 10)):
        product, token = services.generation_claim(kind="weekly", period="2019-W42")
        running = client.get(reverse("assessments:product_progress", args=[product.pk]), {"polling": 1})
        assert 'hx-trigger="every 1s"' in running.content.decode() and "HX-Refresh" not in running
        services.generation_run(product.pk, token)
        done = client.get(reverse("assessments:product_progress", args=[product.pk]), {"polling": 1})
    assert done["HX-Refresh"] == "true" and "every 1s" not in done.content.decode()


def test_leader_reads_published_products(town, client):
    leader = make_user("leader2")
    from wenming.accounts.models import Membership

    Membership.objects.create(user=leader, org_unit=town.office_unit, role=Role.LEADER)
    client.force_login(leader)
    assert client.get(reverse("assessments:products")).status_code == 200
    assert client.get(reverse("assessments:accountability")).status_code == 200  # a member of a unit: its own
