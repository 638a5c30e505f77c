"""Typed addresses → district / street / community from the real Zhuzhou names (`geocode.match_address`)."""

from __future__ import annotations

import pytest

from wenming.accounts.models import OrgUnit
from wenming.geo import signals as geo_signals
from wenming.geo.divisions import load_divisions
from wenming.geo.geocode import match_address
from wenming.geo.models import Jurisdiction, JurisdictionKind

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_names():
    # Each test's rows are rolled back afterwards; a name table built from them must not leak into the next test.
    geo_signals.names.invalidate()
    yield
    geo_signals.names.invalidate()


@pytest.fixture(scope="module")
def divisions_db(django_db_setup, django_db_blocker):
    """The real NBS list (9 districts/counties, 112 streets/towns and their offices), loaded once per module
    (about 0.2 s each time) and removed afterwards, as geo's demo_grid_db does. Each test's own rows roll back."""
    with django_db_blocker.unblock():
        units_before = set(OrgUnit.objects.values_list("pk", flat=True))
        places_before = set(Jurisdiction.objects.values_list("pk", flat=True))
        load_divisions()
        yield
        # Children before parents (PROTECT).
        for kind in (JurisdictionKind.COMMUNITY, JurisdictionKind.STREET, JurisdictionKind.DISTRICT,
                     JurisdictionKind.CITY):
            Jurisdiction.objects.filter(kind=kind).exclude(pk__in=places_before).delete()
        new_units = OrgUnit.objects.exclude(pk__in=units_before)
        for _ in range(5):  # leaves first: city government → district governments → street offices
            new_units.filter(children__isnull=True).delete()


@pytest.fixture
def divisions(divisions_db, db):
    pass


def place(name: str) -> Jurisdiction:
    return Jurisdiction.objects.get(name=name)


def names(found) -> tuple:
    if found is None:
        return None
    return tuple(None if j is None else j.name for j in (found.district, found.street, found.community))


@pytest.mark.parametrize(
    ("address", "district", "street"),
    [
        ("株洲市芦淞区建宁街道某某小区门口", "芦淞区", "建宁街道"),
        ("石峰区田心街道田心大道旁", "石峰区", "田心街道"),
        ("湖南省株洲市天元区嵩山路街道泰山路口", "天元区", "嵩山路街道"),
        ("茶陵县思聪街道", "茶陵县", "思聪街道"),
        ("攸县工业园2号厂房", "攸县", "攸县工业园"),  # the street's name starts with its county's
        ("湖南醴陵经济开发区管委会", "醴陵市", "湖南醴陵经济开发区"),  # not read as 湖南 + 醴陵
        ("荷塘区仙庾镇某村", "荷塘区", "仙庾镇"),
    ],
)
def test_full_names(divisions, address, district, street):
    assert names(match_address(address)) == (district, street, None)


def test_city_and_province_alone_name_no_place(divisions):
    assert match_address("湖南省株洲市") is None
    assert match_address("株洲") is None


def test_street_without_district_gives_its_district(divisions):
    found = match_address("建宁街道某某小区门口")
    assert found.district == place("芦淞区") and found.street == place("建宁街道")
    assert found.matched == ("建宁街道",)


def test_matched_pieces_and_street_office_spellings(divisions):
    assert match_address("株洲市芦淞区建宁街道某某小区").matched == ("芦淞区", "建宁街道")
    for spelling in ("建宁街道办事处", "建宁街道办", "建宁街办"):
        assert names(match_address(f"{spelling}对面")) == ("芦淞区", "建宁街道", None), spelling


@pytest.mark.parametrize(
    ("address", "district", "street"),
    [
        ("芦淞建宁某某小区", "芦淞区", "建宁街道"),
        ("荷塘区仙庾某组", "荷塘区", "仙庾镇"),
        ("醴陵来龙门某商店", "醴陵市", "来龙门街道"),  # 来龙门, not 龙门 (渌口区 龙门镇)
        ("天元", "天元区", None),
        ("攸县丫江桥某村", "攸县", "丫江桥镇"),  # 丫江桥, not 江桥 (江桥街道, also 攸县)
        ("醴陵市浦口某村", "醴陵市", "浦口镇"),
    ],
)
def test_short_forms(divisions, address, district, street):
    assert names(match_address(address)) == (district, street, None)


def test_full_name_wins_over_short_form(divisions):
    # 龙门 (渌口区 龙门镇) sits inside 来龙门街道 (醴陵市); the full name is the one meant.
    assert names(match_address("来龙门街道")) == ("醴陵市", "来龙门街道", None)
    # 江桥街道 sits inside 丫江桥镇: the longer full name wins.
    assert names(match_address("丫江桥镇政府旁")) == ("攸县", "丫江桥镇", None)


def test_one_character_short_form_is_not_used(divisions):
    # 攸县 without 县 would be 攸: one character is no place name.
    assert match_address("攸某某路1号") is None
    assert names(match_address("攸县某某路1号")) == ("攸县", None, None)


def test_former_name_zhuzhou_county_is_lukou_district(divisions):
    assert names(match_address("株洲县朱亭镇某村")) == ("渌口区", "朱亭镇", None)
    found = match_address("湖南省株洲县某某村")
    assert names(found) == ("渌口区", None, None) and found.matched == ("株洲县",)
    # A town of another district is no street of 株洲县 (渌口区).
    found = match_address("株洲县建宁街道")
    assert names(found) == ("渌口区", None, None) and found.conflict == "建宁街道"


@pytest.mark.parametrize(
    "road",
    ["建设路88号", "建设中路88号", "建设南路", "建设北路口", "建设大道", "建设一路", "建设2路", "建设街12号",
     "建设巷3号"],
)
def test_roads_are_not_street_offices(divisions, road):
    # 建设 is 建设街道's short form, but 建设路/建设中路/建设大道 are roads (and run far beyond that street).
    assert match_address(road) is None
    assert names(match_address(f"芦淞区{road}")) == ("芦淞区", None, None)
    assert names(match_address(f"荷塘区{road}")) == ("荷塘区", None, None)  # and no contradiction either
    assert match_address(f"荷塘区{road}").conflict == ""


def test_road_does_not_hide_the_street_named_after_it(divisions):
    assert names(match_address("建设街道建设中路12号")) == ("芦淞区", "建设街道", None)
    assert names(match_address("芦淞区建设北路与建宁街道交汇处")) == ("芦淞区", "建宁街道", None)
    # The short form still works where no road word follows.
    assert names(match_address("芦淞区建设某某小区")) == ("芦淞区", "建设街道", None)


def test_street_named_after_a_road_needs_its_full_name(divisions):
    # 嵩山路街道's short form would be 嵩山路: the road itself, which crosses more than one street.
    assert names(match_address("天元区嵩山路100号")) == ("天元区", None, None)
    assert match_address("嵩山路100号") is None
    assert names(match_address("嵩山路街道某小区")) == ("天元区", "嵩山路街道", None)
    assert names(match_address("泰山路街办")) == ("天元区", "泰山路街道", None)


@pytest.mark.parametrize("address", ["荷塘区建宁街道某小区", "荷塘区 建宁街道办事处"])
def test_district_and_street_that_contradict_keep_the_district(divisions, address):
    found = match_address(address)
    assert names(found) == ("荷塘区", None, None)
    assert found.conflict in ("建宁街道", "建宁街道办事处")
    assert found.matched == ("荷塘区",)


@pytest.mark.parametrize("address", ["仙庾某组", "新市场旁", "明月小区3栋", "桂花小区门口", "荷塘区建宁某小区"])
def test_a_street_or_towns_short_form_outside_its_named_district_is_no_place(divisions, address):
    """仙庾, 新市, 明月, 桂花 are towns' and streets' short forms and everyday words: a wrong route would send the
    case to another government, so without their district in the text they name nothing (and are no conflict)."""
    found = match_address(address)
    assert found is None or (found.street is None and found.conflict == "")


def test_consistent_address_has_no_conflict(divisions):
    found = match_address("芦淞区建宁街道")
    assert found.conflict == "" and found.ambiguous == ""


def test_short_street_name_in_two_districts(divisions):
    # The real list has no such pair; a 月塘镇 in 天元区 makes 月塘 (荷塘区 月塘街道) ambiguous.
    assert match_address("月塘某某小区") is None  # a short form alone names nothing
    assert names(match_address("荷塘区月塘某某小区")) == ("荷塘区", "月塘街道", None)
    tianyuan = place("天元区")
    Jurisdiction.objects.create(code="430211199", name="月塘镇", kind=JurisdictionKind.STREET, parent=tianyuan)
    # Seen at once (the name table watches Jurisdiction), and now no guess: neither street nor district.
    assert match_address("月塘某某小区") is None
    # Inside a district already named it is unambiguous again, whichever comes first in the text.
    assert names(match_address("天元区月塘某某小区")) == ("天元区", "月塘镇", None)
    assert names(match_address("荷塘区月塘某某小区")) == ("荷塘区", "月塘街道", None)
    assert names(match_address("月塘某某小区（天元区）")) == ("天元区", "月塘镇", None)
    # Full names are never ambiguous.
    assert names(match_address("月塘街道某某小区")) == ("荷塘区", "月塘街道", None)
    assert names(match_address("月塘镇某某小区")) == ("天元区", "月塘镇", None)


def test_district_and_town_of_the_same_short_name(divisions):
    # 渌口 is both 渌口区 and its town 渌口镇: the district is certain, the town is not.
    assert names(match_address("渌口某某村")) == ("渌口区", None, None)
    # Inside 渌口区, 渌口 can only be the town.
    assert names(match_address("渌口区渌口某某村")) == ("渌口区", "渌口镇", None)
    assert names(match_address("渌口镇某某村")) == ("渌口区", "渌口镇", None)


def test_full_width_and_spaces(divisions):
    assert names(match_address("株洲市　芦淞区　建宁街道　１２号")) == ("芦淞区", "建宁街道", None)
    assert names(match_address(" 芦 淞 区 建 宁 街 道 ")) == ("芦淞区", "建宁街道", None)
    assert names(match_address("芦淞区建设中路１２号")) == ("芦淞区", None, None)
    assert names(match_address("建宁街道（芦淞区）")) == ("芦淞区", "建宁街道", None)


@pytest.mark.parametrize(
    "garbage",
    ["", "   ", "\u3000", None, 42, b"\xe8\x8a\xa6", "?!@#￥%……&*（）", "abc 123", "北京市朝阳区建国路88号",
     "路" * 10_000, "某某小区门口"],
)
def test_empty_and_garbage_is_no_match(divisions, garbage):
    assert match_address(garbage) is None


def test_communities(divisions):
    jianning, qingyun = place("建宁街道"), place("庆云街道")
    one = Jurisdiction.objects.create(code="430203003001", name="建宁一社区（演示）",
                                      kind=JurisdictionKind.COMMUNITY, parent=jianning)
    Jurisdiction.objects.create(code="430203005001", name="庆云山村", kind=JurisdictionKind.COMMUNITY, parent=qingyun)
    found = match_address("建宁一社区3栋")
    assert (found.district, found.street, found.community) == (place("芦淞区"), jianning, one)
    assert match_address("建宁一社区(演示)").community == one  # as stored, typed half-width
    assert names(match_address("芦淞区建宁街道建宁一社区")) == ("芦淞区", "建宁街道", "建宁一社区（演示）")
    assert names(match_address("芦淞区庆云山某组")) == ("芦淞区", "庆云街道", "庆云山村")  # short form of 庆云山村
    assert match_address("庆云山某组") is None  # a community's short form alone names nothing
    # A community outside the street named keeps the street.
    found = match_address("建宁街道庆云山村")
    assert names(found) == ("芦淞区", "建宁街道", None) and found.conflict == "庆云山村"


def test_renamed_place_is_seen_at_once(divisions):
    street = place("建宁街道")
    assert match_address("建宁街道").street == street
    street.name = "新建宁街道"
    street.save()
    assert match_address("新建宁街道").street == street
    assert match_address("芦淞区建宁街道").street is None  # the old name is gone (not registered as former)


def test_no_query_per_call(divisions, monkeypatch, django_assert_num_queries):
    match_address("芦淞区建宁街道")  # builds the table
    # As in a running server: nothing changed in this process's open transaction, fingerprint checked rarely.
    monkeypatch.setattr(geo_signals.names, "uncommitted", False)
    monkeypatch.setattr(geo_signals.names, "check_seconds", 3600)
    match_address("芦淞区建宁街道")
    with django_assert_num_queries(0):
        found = match_address("株洲县朱亭镇")
        assert found.street.name == "朱亭镇" and found.district.government.name == "渌口区人民政府"
