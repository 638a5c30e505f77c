"""/api/v1/metrics and /metrics/rankings: who may read them, periods, groupings, figures equal to the dashboard's
functions, rankings with the "insufficient cases" list, bad input."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from wenming.accounts.models import Leader, Role
from wenming.api.models import ApiToken
from wenming.assessments import metrics
from wenming.assessments.models import MetricScheme
from wenming.assessments.periods import Period
from wenming.cases.models import Case, Channel
from wenming.cases.services import case_report
from wenming.cases.workflow import Action, transition
from wenming.core import clock
from wenming.geo.models import Jurisdiction, JurisdictionKind

from .conftest import bearer, make_user

pytestmark = pytest.mark.django_db
V1 = "/api/v1"
SH = ZoneInfo("Asia/Shanghai")
ASKED = dt.datetime(2019, 11, 20, 10, 0, tzinfo=SH)


def at(m, d, hh=10):
    return dt.datetime(2019, m, d, hh, 0, tzinfo=SH)


def assert_error(r, status, code=None):
    assert r.status_code == status, r.content.decode()
    body = r.json()
    assert set(body) >= {"code", "message"}
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body
    if code:
        assert body["code"] == code
    return body


def closed_case(world, unit, dispatched, closed, district=None):
    with clock.frozen(dispatched):
        case = case_report(category=world.category, description="人行道上有流动摊贩占道经营", address="建设路",
                           lat=27.83, lng=113.13, channel=Channel.WEB)
        if district is not None:
            Case.objects.filter(pk=case.pk).update(district=district)
            case.refresh_from_db()
        transition(case, Action.ACCEPT, actor=world.office)
        transition(case, Action.DISPATCH, actor=world.office, data={"unit": unit})
    user = world.unit_user if unit == world.unit else world.other_user
    with clock.frozen(closed):
        transition(case, Action.SIGN, actor=user)
        transition(case, Action.FEED_BACK, actor=user, note="已清理")
        transition(case, Action.VERIFY_PASS, actor=world.office)
    return case


@pytest.fixture
def october(world):
    """October 2019: 市城管局 closes three cases (one late), 市交通运输局 one; a scheme that ranks from two."""
    hetang = Jurisdiction.objects.create(code="430202", name="荷塘区", kind=JurisdictionKind.DISTRICT)
    lusong = Jurisdiction.objects.create(code="430203", name="芦淞区", kind=JurisdictionKind.DISTRICT)
    closed_case(world, world.unit, at(10, 14), at(10, 16), hetang)
    closed_case(world, world.unit, at(10, 14), at(10, 16), hetang)
    closed_case(world, world.unit, at(10, 14), at(10, 28), lusong)  # five working days passed: late
    closed_case(world, world.other_unit, at(10, 14), at(10, 15), lusong)
    scheme = MetricScheme.objects.for_date(dt.date(2019, 10, 1))
    scheme.min_cases = 2
    scheme.save()
    world.hetang, world.lusong, world.scheme = hetang, lusong, scheme
    return world


def get(client, path, token=None, **params):
    with clock.frozen(ASKED):
        return client.get(f"{V1}{path}", params, **(bearer(token) if token else {}))


def test_metrics_per_unit_match_the_dashboard_functions(client, october):
    body = get(client, "/metrics", october.office_token, period="2019-10").json()
    assert body["period"] == {"code": "2019-10", "kind": "month", "label": "2019年10月", "start": "2019-10-01",
                              "end": "2019-11-01"}
    assert body["by"] == "unit" and body["scheme"]["min_cases"] == 2
    assert body["as_of"] == "2019-11-20T10:00:00+08:00"
    expected = metrics.metric_rows(Period.month(2019, 10), "unit", as_of=ASKED)
    rows = {r["name"]: r for r in body["rows"]}
    assert set(rows) == {r.name for r in expected} == {"市城管局", "市交通运输局"}
    mine = rows["市城管局"]
    row = next(r for r in expected if r.name == "市城管局")
    assert mine["id"] == october.unit.pk
    assert (mine["accepted"], mine["due"], mine["closed"], mine["closed_on_time"]) == (3, 3, 3, 2)
    assert mine["closure_rate"] == "100.00" and mine["ontime_closure_rate"] == "66.67"
    assert mine["score"] == str(row.score) and mine["grade"] == row.grade
    assert mine["satisfaction_rate"] is None  # no callbacks: null, never 0
    assert body["totals"]["due"] == 4 and body["totals"]["accepted"] == 4


def test_groupings_and_periods(client, october):
    token = october.office_token
    districts = get(client, "/metrics", token, period="2019-10", by="district").json()["rows"]
    assert {(r["code"], r["due"]) for r in districts} == {("430202", 2), ("430203", 2)}
    city = get(client, "/metrics", token, period="2019-Q4", by="all").json()
    assert len(city["rows"]) == 1 and city["rows"][0]["due"] == 4 and city["period"]["kind"] == "quarter"
    assert get(client, "/metrics", token, period="2019", by="street").json()["period"]["label"] == "2019年"
    assert get(client, "/metrics", token, period="2019-09").json()["rows"] == []
    assert get(client, "/metrics", token, period="2019-10", by="grid").status_code == 200
    default = get(client, "/metrics", token).json()
    assert default["period"]["code"] == "2019-11"  # the current month of the clock


@pytest.mark.parametrize("period", ["2019-13", "2019-Q5", "19-10", "1999", "2019-W42", "x" * 300, "2019-10-01",
                                    "２０１９"])
def test_bad_period_is_400(client, october, period):
    body = assert_error(get(client, "/metrics", october.office_token, period=period), 400, "bad_period")
    assert "2019-Q3" in body["message"]
    assert_error(get(client, "/metrics/rankings", october.office_token, period=period), 400, "bad_period")


def test_bad_grouping_is_400(client, october):
    assert_error(get(client, "/metrics", october.office_token, by="planet"), 400, "invalid")
    assert_error(get(client, "/metrics/rankings", october.office_token, by="all"), 400, "invalid")


def test_rankings_with_insufficient_cases(client, october):
    body = get(client, "/metrics/rankings", october.office_token, period="2019-10").json()
    assert body["min_cases"] == 2
    assert [(r["name"], r["rank"]) for r in body["ranked"]] == [("市城管局", 1)]
    assert [(r["name"], r["rank"], r["due"]) for r in body["insufficient"]] == [("市交通运输局", None, 1)]
    districts = get(client, "/metrics/rankings", october.office_token, period="2019-10", by="district").json()
    assert {r["name"] for r in districts["ranked"]} == {"荷塘区", "芦淞区"}
    assert districts["ranked"][0]["rank"] == 1 and districts["insufficient"] == []


def test_no_scheme_is_409_for_rankings(client, october):
    MetricScheme.objects.update(is_active=False)
    assert_error(get(client, "/metrics/rankings", october.office_token, period="2019-10"), 409, "no_scheme")
    body = get(client, "/metrics", october.office_token, period="2019-10").json()
    assert body["scheme"] is None and all(r["score"] is None for r in body["rows"])


def test_who_may_read_metrics(client, october):
    for path in ("/metrics", "/metrics/rankings"):
        assert_error(get(client, path), 401, "unauthorized")
        assert_error(get(client, path, october.read_token), 403, "forbidden")  # a client system, no admin
        assert_error(get(client, path, october.unit_token), 403, "forbidden")  # units do not see rankings
        assert get(client, path, october.office_token).status_code == 200
    # A leader's own token (no admin scope) and a leader's login session are enough.
    leader = make_user("leader")
    Leader.objects.create(name="张副市长", position="副市长", user=leader)
    _t, raw = ApiToken.issue(name="leader", scopes=["read_public"], user=leader)
    assert get(client, "/metrics/rankings", raw, period="2019-10").status_code == 200
    by_role = make_user("leader2", october.office_unit, Role.LEADER)
    client.force_login(by_role)
    assert get(client, "/metrics", period="2019-10").status_code == 200
    client.logout()
    client.force_login(october.unit_user)
    assert_error(get(client, "/metrics"), 403, "forbidden")
    # An office user's token without the admin scope still reads them (an office user).
    _t, office_read = ApiToken.issue(name="office-read", scopes=["read_public"], user=october.office)
    client.logout()
    assert get(client, "/metrics", office_read).status_code == 200
