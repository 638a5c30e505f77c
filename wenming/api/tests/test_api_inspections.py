"""/api/v1/inspections: point types, points (filters, pagination), rounds for the office and the round's inspectors,
a point's items and scores, scoring an item (version conflict, photo check), results, public market grades."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from wenming.accounts.models import Role
from wenming.api.models import ApiToken
from wenming.geo.models import Jurisdiction, JurisdictionKind
from wenming.inspections import services
from wenming.inspections.models import InspectionPoint, ItemPhoto, ItemScore, PointType, Round, RoundStatus

from .conftest import bearer, make_user, png_bytes

pytestmark = pytest.mark.django_db
V1 = "/api/v1"


def assert_error(r, status, code=None):
    assert r.status_code == status, r.content.decode()
    body = r.json()
    assert set(body) >= {"code", "message"}
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body
    if code:
        assert body["code"] == code
    return body


class Field:
    """Reference data, two districts with a street, three points, two inspectors with tokens, a started round."""

    def __init__(self, world):
        services.load_reference_data()
        self.world = world
        self.hetang = Jurisdiction.objects.create(code="430202", name="荷塘区", kind=JurisdictionKind.DISTRICT)
        self.lusong = Jurisdiction.objects.create(code="430203", name="芦淞区", kind=JurisdictionKind.DISTRICT)
        self.street = Jurisdiction.objects.create(code="430202001", name="月塘街道", kind=JurisdictionKind.STREET,
                                                  parent=self.hetang)
        self.market_type = PointType.objects.get(code="market")
        self.toilet_type = PointType.objects.get(code="toilet")
        self.market = self.point("荷塘农贸市场", self.market_type, district=self.hetang, street=self.street,
                                 responsible_unit=world.unit)
        self.market2 = self.point("芦淞农贸市场", self.market_type, district=self.lusong)
        self.toilet = self.point("建设路公厕", self.toilet_type, district=self.hetang, street=self.street)
        self.inspector = make_user("inspector", world.office_unit, Role.INSPECTOR)
        self.inspector2 = make_user("inspector2", world.office_unit, Role.INSPECTOR)
        self.outsider = make_user("outsider", world.office_unit, Role.INSPECTOR)
        _t, self.inspector_token = ApiToken.issue(name="insp", scopes=["read_public", "act_for_unit"],
                                                  user=self.inspector)
        _t, self.inspector2_token = ApiToken.issue(name="insp2", scopes=["read_public", "act_for_unit"],
                                                   user=self.inspector2)
        _t, self.outsider_token = ApiToken.issue(name="out", scopes=["read_public", "act_for_unit"],
                                                 user=self.outsider)
        self.round = self.make_round([self.market, self.market2, self.toilet])

    def point(self, name, point_type, **fields):
        return InspectionPoint.objects.create(point_type=point_type, name=name, lat=27.83, lng=113.13,
                                              address=f"{name}门口", **fields)

    def make_round(self, points, *, name="2019年第三季度测评", start=True, inspectors=None):
        rnd = services.round_create(
            name=name, start_date=dt.date(2019, 9, 1), end_date=dt.date(2019, 9, 10),
            inspectors=inspectors or [self.inspector, self.inspector2], point_types={p.point_type for p in points},
            actor=self.world.office,
        )
        rnd.round_points.exclude(point__in=points).delete()
        return services.round_start(round=rnd, actor=self.world.office) if start else rnd

    def items(self, point, rnd=None):
        return list((rnd or self.round).checklist_for(point.point_type_id).items.all())


@pytest.fixture
def field(world):
    return Field(world)


def get(client, path, token=None, **params):
    return client.get(f"{V1}{path}", params, **(bearer(token) if token else {}))


def score(client, field, item, token=None, point=None, rnd=None, **fields):
    point = point or field.market
    rnd = rnd or field.round
    fields.setdefault("passed", "true")
    return client.post(f"{V1}/inspections/rounds/{rnd.pk}/points/{point.pk}/items/{item.pk}", fields,
                       **(bearer(token or field.inspector_token)))


def photo(name="现场.png"):
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


# ---------------------------------------------------------------------------------------------------------------
# Point types and points


def test_point_types_are_public_with_grade_bands(client, field):
    types = get(client, "/inspections/point-types").json()
    market = next(t for t in types if t["code"] == "market")
    assert market["graded"] is True
    assert [b["grade"] for b in market["grade_bands"]] == ["A", "B", "C", "D"]
    assert next(t for t in types if t["code"] == "toilet")["grade_bands"] == []


def test_points_need_admin_scope(client, field):
    assert_error(get(client, "/inspections/points"), 401, "unauthorized")
    assert_error(get(client, "/inspections/points", field.world.read_token), 403, "forbidden")
    assert_error(get(client, "/inspections/points", field.inspector_token), 403, "forbidden")
    assert_error(get(client, f"/inspections/points/{field.market.pk}", field.world.unit_token), 403)


def test_points_filters_and_pagination(client, field):
    token = field.world.office_token

    def names(**params):
        body = get(client, "/inspections/points", token, **params).json()
        return [p["name"] for p in body["items"]]

    assert names() == ["荷塘农贸市场", "芦淞农贸市场", "建设路公厕"]
    assert names(type="market") == ["荷塘农贸市场", "芦淞农贸市场"]
    assert names(district="430202") == ["荷塘农贸市场", "建设路公厕"]
    assert names(street="430202001", type="toilet") == ["建设路公厕"]
    assert names(unit=field.world.unit.pk) == ["荷塘农贸市场"]
    assert names(unit=2**63) == [] and names(type="nope") == []
    field.market2.is_active = False
    field.market2.save()
    assert names(active=False) == ["芦淞农贸市场"]
    first = get(client, "/inspections/points", token, limit=2).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = get(client, "/inspections/points", token, limit=2, cursor=first["next_cursor"]).json()
    assert [p["name"] for p in second["items"]] == ["建设路公厕"] and second["next_cursor"] is None
    assert_error(get(client, "/inspections/points", token, cursor="!!"), 400, "bad_cursor")
    assert_error(get(client, "/inspections/points", token, limit=0), 400, "bad_limit")
    assert_error(get(client, "/inspections/points", token, unit="one"), 400, "invalid")
    assert_error(get(client, "/inspections/points", token, active="perhaps"), 400, "invalid")


def test_point_detail(client, field):
    body = get(client, f"/inspections/points/{field.market.pk}", field.world.office_token).json()
    assert body["district"] == {"code": "430202", "name": "荷塘区"}
    assert body["responsible_unit"]["name"] == "市城管局" and body["point_type"]["code"] == "market"
    assert [r["id"] for r in body["rounds"]] == [field.round.pk]
    assert_error(get(client, "/inspections/points/99999999", field.world.office_token), 404, "not_found")
    assert_error(get(client, f"/inspections/points/{2**63}", field.world.office_token), 404)


# ---------------------------------------------------------------------------------------------------------------
# Rounds


def test_rounds_for_office_and_inspectors(client, field):
    other = field.make_round([field.toilet], name="另一轮", start=False, inspectors=[field.outsider])
    office = get(client, "/inspections/rounds", field.world.office_token).json()
    assert {r["id"] for r in office["items"]} == {field.round.pk, other.pk}
    mine = get(client, "/inspections/rounds", field.inspector_token).json()["items"]
    assert [r["id"] for r in mine] == [field.round.pk]
    assert mine[0]["status"] == "in_progress" and mine[0]["status_label"] == "测评中" and mine[0]["points"] == 3
    assert [r["id"] for r in get(client, "/inspections/rounds", field.outsider_token).json()["items"]] == [other.pk]
    planned = get(client, "/inspections/rounds", field.world.office_token, status="planned").json()["items"]
    assert [r["id"] for r in planned] == [other.pk]
    assert_error(get(client, "/inspections/rounds", field.world.office_token, status="bogus"), 400, "invalid")
    assert_error(get(client, "/inspections/rounds", field.world.office_token, limit=500), 400, "bad_limit")
    # The inspector may not see a round they are not named in: 404, as if it did not exist.
    assert_error(get(client, f"/inspections/rounds/{other.pk}", field.inspector_token), 404, "not_found")


def test_rounds_refusals(client, field):
    assert_error(get(client, "/inspections/rounds"), 401, "unauthorized")
    assert_error(get(client, "/inspections/rounds", field.world.read_token), 403, "forbidden")
    _t, raw = ApiToken.issue(name="sys", scopes=["act_for_unit"], client=field.world.client_system)
    assert_error(get(client, "/inspections/rounds", raw), 403, "forbidden")  # no user behind the token


def test_round_detail(client, field):
    # Split the round's points: the inspector sees their own and the unassigned ones, the office all.
    field.round.round_points.filter(point=field.market).update(inspector=field.inspector)
    field.round.round_points.filter(point=field.market2).update(inspector=field.inspector2)
    field.round.round_points.filter(point=field.toilet).update(inspector=None)
    services.item_score_save(round=field.round, point=field.market, item=field.items(field.market)[0],
                             actor=field.inspector, passed=True)
    office = get(client, f"/inspections/rounds/{field.round.pk}", field.world.office_token).json()
    assert office["points"] == 3 and len(office["round_points"]) == 3
    assert {c["point_type"] for c in office["checklists"]} == {"农贸市场", "室外公共厕所"}
    assert {i["name"] for i in office["inspectors"]} == {"inspector", "inspector2"}
    mine = get(client, f"/inspections/rounds/{field.round.pk}", field.inspector_token).json()
    rows = {rp["point"]["name"]: rp for rp in mine["round_points"]}
    assert set(rows) == {"荷塘农贸市场", "建设路公厕"}
    assert rows["荷塘农贸市场"]["scored_items"] == 1
    assert rows["荷塘农贸市场"]["total_items"] == len(field.items(field.market))
    assert rows["建设路公厕"]["inspector"] is None and rows["荷塘农贸市场"]["finished"] is False
    assert_error(get(client, "/inspections/rounds/99999999", field.world.office_token), 404)
    assert_error(get(client, f"/inspections/rounds/{2**63}", field.world.office_token), 404)
    assert_error(get(client, "/inspections/rounds/abc", field.world.office_token), 400, "invalid")


def test_point_inspection_shows_items_and_versions(client, field):
    item = field.items(field.market)[0]
    path = f"/inspections/rounds/{field.round.pk}/points/{field.market.pk}"
    body = get(client, path, field.inspector_token).json()
    assert body["checklist"]["version"] >= 1 and body["rate"]["rate"] is None
    assert all(i["current"] is None for i in body["items"])
    services.item_score_save(round=field.round, point=field.market, item=item, actor=field.inspector, passed=True)
    body = get(client, path, field.inspector_token).json()
    first = body["items"][0]
    assert first["id"] == item.pk and first["current"]["version"] == 1 and first["current"]["passed"] is True
    assert body["rate"]["rate"] == "100.0" and body["rate"]["scored"] == body["rate"]["possible"] == f"{item.points:.1f}"
    other = Field.point(field, "不在轮次的市场", field.market_type)
    assert_error(get(client, f"/inspections/rounds/{field.round.pk}/points/{other.pk}", field.inspector_token), 404)
    assert_error(get(client, path, field.outsider_token), 404)


# ---------------------------------------------------------------------------------------------------------------
# Scoring


def test_inspector_scores_an_item_with_photos(client, field):
    item = field.items(field.market)[0]
    r = score(client, field, item, passed="true", note="划行归市整齐", photos=[photo(), photo("二.png")])
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["item_id"] == item.pk and body["current"]["version"] == 1
    assert body["current"]["score"] == str(item.points) and body["current"]["case"] is None
    assert len(body["current"]["photos"]) == 2
    stored = ItemScore.objects.get()
    assert stored.scored_by == field.inspector and stored.note == "划行归市整齐"
    # The photo comes back through the API, to the round's people only.
    url = body["current"]["photos"][0]["url"]
    assert url.startswith("http://testserver/api/v1/inspections/photos/")
    path = url.removeprefix("http://testserver")
    got = client.get(path, **bearer(field.inspector2_token))
    assert got.status_code == 200 and got["Content-Type"] == "image/png"
    assert b"".join(got.streaming_content) == png_bytes()
    assert_error(client.get(path, **bearer(field.outsider_token)), 404)
    assert_error(client.get(path), 401)
    assert_error(client.get(f"{V1}/inspections/photos/99999999", **bearer(field.world.office_token)), 404)


def test_second_save_needs_the_version_it_saw(client, field):
    item = field.items(field.market)[1]
    assert score(client, field, item).status_code == 200
    # inspector2 loaded the page before the first save (version 0): refused, nothing overwritten.
    body = assert_error(score(client, field, item, field.inspector2_token, passed="false", score="0",
                              expected_version="0"), 409, "score_conflict")
    assert "inspector" in body["message"] and "您的修改未保存" in body["message"]
    assert body["details"][0]["field"] == "expected_version" and "1" in body["details"][0]["message"]
    assert ItemScore.objects.get().passed is True and ItemScore.objects.get().version == 1
    r = score(client, field, item, field.inspector2_token, passed="true", score=str(item.points - Decimal("0.5")),
              expected_version="1")
    assert r.status_code == 200 and r.json()["current"]["version"] == 2
    assert r.json()["current"]["scored_by"] == "inspector2"


def test_failed_item_reports_a_case_once(client, field):
    from wenming.cases.models import Case

    item = field.items(field.market)[2]
    r = score(client, field, item, passed="false", score="0", note="有活禽宰杀")
    assert r.status_code == 200, r.content
    body = r.json()
    # Whether a case is created depends on the category list; either the case or the reason is returned.
    assert body["current"]["case"] or body["case_error"]
    n = Case.objects.count()
    score(client, field, item, passed="false", score="0", expected_version="1")
    assert Case.objects.count() == n


def test_photo_check(client, field):
    item = field.items(field.market)[0]
    fake = SimpleUploadedFile("a.png", b"<?php system($_GET['c']); ?>", content_type="image/png")
    body = assert_error(score(client, field, item, photos=[fake]), 400, "photo_type")
    assert "a.png" in body["message"]
    too_many = [photo(f"{i}.png") for i in range(10)]
    assert_error(score(client, field, item, photos=too_many), 400, "too_many_photos")
    assert ItemScore.objects.count() == 0 and ItemPhoto.objects.count() == 0


def test_scoring_refusals(client, field):
    item = field.items(field.market)[0]
    assert_error(score(client, field, item, field.world.read_token), 403, "forbidden")
    assert_error(client.post(f"{V1}/inspections/rounds/{field.round.pk}/points/{field.market.pk}/items/{item.pk}",
                             {"passed": "true"}), 401, "unauthorized")
    assert_error(score(client, field, item, field.outsider_token), 404, "not_found")  # not their round
    # A unit user with act_for_unit is no inspector of the round: the round is not theirs to see.
    assert_error(score(client, field, item, field.world.unit_token), 404)
    _t, raw = ApiToken.issue(name="sys", scopes=["admin"], client=field.world.client_system)
    assert_error(score(client, field, item, raw), 403, "forbidden")  # no user behind the token
    assert ItemScore.objects.count() == 0


def test_office_scores_and_closed_rounds_refuse(client, field):
    item = field.items(field.market)[0]
    assert score(client, field, item, field.world.office_token).status_code == 200
    services.round_close(round=field.round, actor=field.world.office)
    assert_error(score(client, field, item, expected_version="1", passed="false", score="1"), 409,
                 "round_not_open")
    assert ItemScore.objects.get().version == 1


def test_scoring_bad_input(client, field):
    item = field.items(field.market)[0]
    toilet_item = field.items(field.toilet)[0]
    assert_error(score(client, field, item, passed="perhaps"), 400, "invalid")
    assert_error(score(client, field, item, passed=""), 400, "invalid")
    assert_error(score(client, field, item, score="abc"), 400, "invalid")
    assert_error(score(client, field, item, score="NaN"), 400, "invalid")
    assert_error(score(client, field, item, score="-1"), 400, "invalid")
    assert_error(score(client, field, item, score=str(item.points + 1)), 400, "score_range")
    assert_error(score(client, field, item, passed="false", score=str(item.points)), 400, "score_fail_full")
    assert_error(score(client, field, item, note="长" * 1001), 400, "invalid")
    assert_error(score(client, field, item, note="a\x00b"), 400, "invalid")
    assert_error(score(client, field, item, evil="1"), 400, "invalid")
    assert_error(score(client, field, item, expected_version="-1"), 400, "invalid")
    assert_error(score(client, field, item, expected_version="5"), 409, "gone")  # never saved
    assert_error(score(client, field, toilet_item), 404, "wrong_item")  # a toilet item on a market
    r = client.post(f"{V1}/inspections/rounds/{field.round.pk}/points/{field.market.pk}/items/99999999",
                    {"passed": "true"}, **bearer(field.inspector_token))
    assert_error(r, 404, "not_found")
    assert ItemScore.objects.count() == 0


# ---------------------------------------------------------------------------------------------------------------
# Results and public market grades


def _score_market(field, rnd, point, fail_first=False):
    for i, item in enumerate(field.items(point, rnd)):
        services.item_score_save(round=rnd, point=point, item=item, actor=field.inspector,
                                 passed=not (fail_first and i == 0), score=0 if fail_first and i == 0 else None)


def test_round_results(client, field):
    _score_market(field, field.round, field.market)
    _score_market(field, field.round, field.market2, fail_first=True)
    path = f"/inspections/rounds/{field.round.pk}/results"
    body = get(client, path, field.world.office_token).json()
    assert [t["by"] for t in body["tables"]] == ["point", "point_type", "street", "district", "unit"]
    points = body["tables"][0]["rows"]
    assert [p["name"] for p in points][:2] == [str(field.market), str(field.market2)]
    assert points[0]["grade"] == "A" and Decimal(str(points[0]["rate"]["rate"])) == Decimal("100.0")
    assert points[-1]["rate"]["rate"] is None and points[-1]["grade"] is None  # the toilet: nothing scored
    districts = get(client, path, field.world.office_token, by="district").json()["tables"]
    assert len(districts) == 1 and {r["name"] for r in districts[0]["rows"]} == {"荷塘区", "芦淞区"}
    assert body["total"]["items"] == points[0]["rate"]["items"] + points[1]["rate"]["items"]
    assert_error(get(client, path, field.world.office_token, by="planet"), 400, "invalid")
    assert_error(get(client, path, field.inspector_token), 403, "forbidden")  # office only, as the page
    assert_error(get(client, path), 401)


def test_markets_show_closed_rounds_only(client, field):
    _score_market(field, field.round, field.market)
    body = get(client, "/inspections/markets").json()
    assert {b["grade"] for b in body["bands"]} >= {"A", "B", "C", "D"}
    market = next(m for m in body["markets"] if m["point_id"] == field.market.pk)
    assert market["latest"] is None and market["history"] == []  # the round is still open
    assert all(m["point_type"]["code"] == "market" for m in body["markets"])  # graded types only
    services.round_close(round=field.round, actor=field.world.office)
    later = field.make_round([field.market], name="2019年第四季度测评")
    _score_market(field, later, field.market, fail_first=True)  # open: not shown
    body = get(client, "/inspections/markets").json()
    market = next(m for m in body["markets"] if m["point_id"] == field.market.pk)
    assert market["latest"]["round"]["id"] == field.round.pk and market["latest"]["grade"] == "A"
    assert [h["round"]["id"] for h in market["history"]] == [field.round.pk]
    assert Round.objects.get(pk=later.pk).status == RoundStatus.IN_PROGRESS
