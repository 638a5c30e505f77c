"""The dashboard as its users meet it: who may see it, what it shows for a period, the charts, the Excel file."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from wenming.accounts.models import Membership, Role
from wenming.cases.workflow import Action
from wenming.core import clock

from .conftest import at, make_user

URL = reverse("assessments:dashboard")


@pytest.fixture
def october(town):
    """October 2019: 市城管局 closes 10 cases (enough to be ranked), 市交通运输局 returns one and closes two."""
    for i in range(10):
        case = town.dispatched(at(2019, 10, 14, 10), district=town.hetang if i % 2 else town.lusong)
        town.closed(case, at(2019, 10, 16, 10) if i else at(2019, 10, 23, 10))  # one late
    returned = town.dispatched(at(2019, 10, 14, 10), unit=town.other)
    town.act(returned, at(2019, 10, 14, 15), Action.RETURN, town.other, note="不属于本单位职责")
    for _i in range(2):
        town.closed(town.dispatched(at(2019, 10, 14, 10), unit=town.other), at(2019, 10, 15, 10))
    return town


def get(client, user, url=URL, **params):
    client.force_login(user)
    with clock.frozen(at(2019, 11, 20, 10)):
        return client.get(url, params)


def test_anonymous_is_sent_to_login(client, town):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_unit_users_are_refused(client, town):
    assert get(client, town.unit_user).status_code == 403
    assert get(client, town.unit_user, reverse("assessments:metrics_xlsx")).status_code == 403
    assert get(client, town.unit_user, reverse("assessments:chart", args=["scores"])).status_code == 403


def test_leaders_see_it(client, town):
    assert get(client, town.leader_user).status_code == 200
    by_role = make_user("leader2", town.office_unit, Role.LEADER)
    assert get(client, by_role).status_code == 200


def test_default_period_is_this_month_and_empty_shows_dashes(client, town):
    response = get(client, town.office)
    html = response.content.decode()
    assert response.status_code == 200
    assert "2019年11月" in html
    assert "本期暂无参与排名的对象" in html
    assert "—" in html and "0.00%" not in html


def test_office_sees_rankings_for_a_month(client, october):
    town = october
    response = get(client, town.office, p="2019-10")
    html = response.content.decode()
    assert response.status_code == 200
    ranked = response.context["d"].unit_ranking
    assert [r.name for r in ranked.ranked] == ["市城管局"]
    unit = ranked.ranked[0]
    assert (unit.due, unit.closed_on_time, unit.rank) == (10, 9, 1)
    assert [r.name for r in ranked.insufficient] == ["市交通运输局"]
    assert "案件数不足，不参与排名" in html
    other = ranked.insufficient[0]
    assert other.return_rate is not None and f"{other.return_rate:.2f}" in html  # 1 of 3 dispatches returned
    districts = response.context["d"].districts
    assert {r.name for r in districts} == {"荷塘区", "芦淞区"}
    assert response.context["map_data"]["430202"]["name"] == "荷塘区"
    assert "leaflet/leaflet.js" in html and "kind=district" in html


def test_quarter_and_year_periods(client, october):
    for p, label in (("2019-Q4", "2019年第4季度"), ("2019", "2019年")):
        response = get(client, october.office, p=p)
        assert response.status_code == 200 and label in response.content.decode()
        totals = response.context["d"].totals
        assert (totals.accepted, totals.due) == (13, 12)  # the returned case awaits a new dispatch


def test_bad_period_is_404(client, town):
    assert get(client, town.office, p="2019-13").status_code == 404


@pytest.mark.parametrize("name", ["scores", "trend", "categories"])
def test_charts_are_svg(client, october, name):
    response = get(client, october.office, reverse("assessments:chart", args=[name]), p="2019-10")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in response.content


def test_unknown_chart_is_404(client, town):
    assert get(client, town.office, reverse("assessments:chart", args=["pie"])).status_code == 404


def test_excel_reads_back(client, october):
    response = get(client, october.office, reverse("assessments:metrics_xlsx"), p="2019-10")
    assert response.status_code == 200
    assert "metrics-2019-10.xlsx" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["按单位", "按区县", "按街道", "说明"]
    ws = wb["按单位"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["排名", "责任单位", "立案数", "应结案数"]
    rows = {r[1]: dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)}
    unit = rows["市城管局"]
    assert unit["排名"] == 1 and unit["应结案数"] == 10 and unit["按期结案率(%)"] == 90.0
    # 1 volume point (10 of 100 cases) + 结案率 100×0.3 + 按期处置率 90×0.3 + (100 − 返工率 0)×0.3
    assert (unit["综合指标值"], unit["等级"]) == (88, "B")
    other = rows["市交通运输局"]
    assert other["排名"] == "案件数不足，不参与排名"
    assert other["满意率(%)"] == "—"  # no callbacks: a dash, not 0
    about = {r[0]: r[1] for r in wb["说明"].iter_rows(values_only=True) if r and r[0]}
    assert about["统计周期"] == "2019年10月"
    assert about["参与排名最低案件数（应结案数）"] == 10


def test_leader_without_membership_but_unit_role_elsewhere(client, town):
    """A leader who is also a unit member still sees the dashboard (the leader role decides)."""
    Membership.objects.create(user=town.leader_user, org_unit=town.unit, role=Role.UNIT)
    assert get(client, town.leader_user).status_code == 200
