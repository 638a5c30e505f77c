"""Reporting, duplicates, routing, the taxonomy seed, named reads and the overdue sweep."""

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from wenming import plans
from wenming.accounts.models import OrgUnit
from wenming.cases import services
from wenming.cases.models import (
    Case,
    CaseAttachment,
    Category,
    CategoryKind,
    Channel,
    ResponsibilityRule,
    normalise_tracking_code,
)
from wenming.cases.services import case_report, find_duplicates, haversine_m, routing_unit_for, sweep_overdue
from wenming.cases.taxonomy import ENTRIES, MEASURE_LEAD_UNIT, load_categories
from wenming.cases.workflow import Action, Actor, Status, transition
from wenming.core import clock
from wenming.geo.models import GridCell, Jurisdiction, JurisdictionKind

from .conftest import SH

LAT, LNG = 27.8300, 113.1300
METRE_LAT = 1 / 111_320  # degrees of latitude per metre
REAL_LOCATE_POINT = services.locate_point


@pytest.fixture(autouse=True)
def no_locator(monkeypatch):
    """The geo locator is another module's work: tests decide what it answers."""
    monkeypatch.setattr(services, "locate_point", lambda lat, lng: None)


def report(world, **kwargs):
    defaults = dict(category=world.category, description="人行道上有流动摊贩占道经营", lat=LAT, lng=LNG,
                    channel=Channel.H5)
    defaults.update(kwargs)
    return case_report(**defaults)


def test_report_creates_case_with_tracking_code_and_report_event(world):
    with clock.frozen(dt.datetime(2019, 9, 30, 10, tzinfo=SH)):
        case = report(world, reporter_phone="13812345678")
    assert re.fullmatch(r"WM20190930[0-9A-HJKMNP-TV-Z]{6}", case.tracking_code)
    assert case.status == Status.REPORTED and case.version == 0
    event = case.events.get()
    assert (event.action, event.from_status, event.to_status, event.public) == ("report", "", "reported", True)
    assert case.reporter_phone_masked == "138****5678"
    assert Case.objects.by_tracking_code(case.tracking_code.lower()).get() == case


def test_tracking_codes_are_unique_and_typeable(world):
    codes = {report(world).tracking_code for _ in range(30)}
    assert len(codes) == 30
    assert normalise_tracking_code(" wm-20190930-k7q2xo ") == "WM20190930K7Q2X0"


def test_anonymous_report_is_allowed(world):
    case = report(world, reporter_name="", reporter_phone="")
    assert case.reporter_name == "" and case.reporter_user is None


def test_same_idempotency_key_returns_same_case(world):
    first = report(world, idempotency_key="client-42")
    second = report(world, idempotency_key="client-42", description="另一段描述文字")
    assert first.pk == second.pk
    assert Case.objects.count() == 1 and first.events.count() == 1


def test_script_text_is_stored_as_typed(world):
    text = "<script>alert('x')</script> 门口占道"
    assert Case.objects.get(pk=report(world, description=text).pk).description == text


@pytest.mark.parametrize(
    "kwargs,field,message",
    [
        ({"description": "脏"}, "description", "请描述问题，至少5个字"),
        ({"description": "很" * 2001}, "description", "问题描述不能超过2000个字"),
        ({"channel": "fax"}, "channel", "来源渠道无效"),
        ({"reporter_phone": "12345abc"}, "reporter_phone", "联系电话格式不正确"),
        ({"lat": 95.0}, "location", "坐标无效，请在地图上重新选择位置"),
        ({"lat": "abc"}, "location", "坐标无效，请在地图上重新选择位置"),
        ({"lat": float("nan")}, "location", "坐标无效，请在地图上重新选择位置"),
        ({"lat": None, "lng": None}, "location", "请在地图上选择位置或填写地址"),
    ],
)
def test_bad_input_gets_a_chinese_error_and_changes_nothing(world, kwargs, field, message):
    with pytest.raises(ValidationError) as refused:
        report(world, **kwargs)
    assert refused.value.message_dict[field] == [message]
    assert not Case.objects.exists()


def test_inactive_category_is_refused(world):
    world.category.is_active = False
    world.category.save()
    with pytest.raises(ValidationError) as refused:
        report(world)
    assert "category" in refused.value.message_dict


def test_point_outside_the_city_is_refused(world, monkeypatch):
    def outside(lat, lng):
        raise ValidationError({"location": "该位置不在本市管辖范围内，请在地图上重新选择问题发生的位置"})

    monkeypatch.setattr(services, "locate_point", outside)
    with pytest.raises(ValidationError) as refused:
        report(world, lat=39.9, lng=116.4)
    assert "不在本市管辖范围内" in refused.value.message_dict["location"][0]
    assert not Case.objects.exists()


def test_no_boundaries_loaded_means_no_refusal(db):
    assert REAL_LOCATE_POINT(LAT, LNG) is None


def test_located_report_records_grid_street_district(world, monkeypatch):
    district, street, community, cell = make_grid(world)
    monkeypatch.setattr(services, "locate_point",
                        lambda lat, lng: services.Location(grid_cell=cell, street=street, district=district))
    case = report(world)
    assert (case.grid_cell, case.street, case.district) == (cell, street, district)


def test_report_with_photos_and_fake_photo(world):
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, format="JPEG")
    case = report(world, photos=[SimpleUploadedFile("a.jpg", buf.getvalue(), content_type="image/jpeg")])
    attachment = CaseAttachment.objects.get()
    assert attachment.event.case == case and attachment.kind == "before" and attachment.content_type == "image/jpeg"
    with pytest.raises(ValidationError) as refused:
        report(world, photos=[SimpleUploadedFile("b.jpg", b"not an image", content_type="image/jpeg")])
    assert "不是有效的图片" in refused.value.message_dict["photos"][0]
    assert Case.objects.count() == 1


# Duplicates ------------------------------------------------------------------------------------------------------


def test_duplicates_within_radius_only_open_same_category(world):
    near = world.case(Status.IN_PROGRESS, lat=LAT + 30 * METRE_LAT, lng=LNG)
    world.case(Status.ACCEPTED, lat=LAT + 80 * METRE_LAT, lng=LNG)  # outside 50 m
    world.case(Status.CLOSED, lat=LAT, lng=LNG)  # not open
    other_category = Category.objects.create(kind=CategoryKind.EVENT, main_code="01", main_class="市容环境",
                                             code="SJ0101", name="暴露垃圾")
    world.case(Status.ACCEPTED, lat=LAT, lng=LNG, category=other_category)
    nearest = world.case(Status.REPORTED, lat=LAT + 10 * METRE_LAT, lng=LNG)
    found = find_duplicates((LAT, LNG), world.category)
    assert found == [nearest, near]
    assert 9 < found[0].distance_m < 11
    new = report(world)
    assert find_duplicates(new) == [nearest, near]  # a case is not its own duplicate


def test_duplicate_radius_is_per_category(world):
    world.category.duplicate_radius_m = 100
    world.category.save()
    far = world.case(Status.ACCEPTED, lat=LAT + 80 * METRE_LAT, lng=LNG)
    assert find_duplicates((LAT, LNG), world.category) == [far]


def test_haversine():
    assert haversine_m(LAT, LNG, LAT, LNG) == 0
    assert abs(haversine_m(LAT, LNG, LAT + 0.01, LNG) - 1112) < 2


# Routing ---------------------------------------------------------------------------------------------------------


def make_grid(world, cell_unit=None):
    district_gov = OrgUnit.objects.create(name="荷塘区人民政府", kind="district_government")
    street_gov = OrgUnit.objects.create(name="月塘街道办事处", kind="street")
    district = Jurisdiction.objects.create(code="430202", name="荷塘区", kind=JurisdictionKind.DISTRICT,
                                           government=district_gov)
    street = Jurisdiction.objects.create(code="430202001", name="月塘街道", kind=JurisdictionKind.STREET,
                                         parent=district, government=street_gov)
    community = Jurisdiction.objects.create(code="430202001001", name="某社区", kind=JurisdictionKind.COMMUNITY,
                                            parent=street)
    cell = GridCell.objects.create(code="43020200100101", community=community, geometry={}, responsible_unit=cell_unit)
    return district, street, community, cell


def test_event_goes_territorial_first_then_functional(world):
    world.category.responsibility_rule = ResponsibilityRule.TERRITORIAL
    world.category.save()
    district, street, community, cell = make_grid(world)
    case = world.case(grid_cell=cell)
    assert routing_unit_for(case).name == "月塘街道办事处"
    street.government = None
    street.save()
    assert routing_unit_for(world.case(grid_cell=cell)).name == "荷塘区人民政府"
    assert routing_unit_for(world.case()) == world.unit  # no place known: the functional department answers


def test_grid_cell_responsible_subject_comes_first_for_territorial(world):
    world.category.responsibility_rule = ResponsibilityRule.TERRITORIAL
    world.category.save()
    owner = OrgUnit.objects.create(name="某物业公司", kind="enterprise")
    *_, cell = make_grid(world, cell_unit=owner)
    assert routing_unit_for(world.case(grid_cell=cell)) == owner


def test_component_goes_owner_first_then_territorial(world):
    world.category.kind = CategoryKind.COMPONENT
    world.category.responsibility_rule = ResponsibilityRule.FUNCTIONAL
    world.category.save()
    *_, cell = make_grid(world)
    assert routing_unit_for(world.case(grid_cell=cell)) == world.unit
    world.category.responsible_unit = None
    world.category.save()
    assert routing_unit_for(world.case(grid_cell=cell)).name == "月塘街道办事处"  # 属地兜底


# Taxonomy --------------------------------------------------------------------------------------------------------

SEED_PHENOMENA = {
    "露天烧烤": (22, "市城管局"), "油烟污染": (22, "市城管局"), "占道经营": (22, "市城管局"),
    "出店经营": (22, "市城管局"), "非法小广告": (22, "市城管局"), "牛皮癣": (22, "市城管局"),
    "违法建筑": (22, "市城管局"), "工地扬尘": (22, "市城管局"), "渣土车": (22, "市城管局"),
    "乱停乱靠": (23, "市交通运输局"), "不礼让斑马线": (12, "市交通运输局"), "车窗抛物": (12, "市交通运输局"),
    "行人乱穿马路": (12, "市交通运输局"), "非法营运": (23, "市交通运输局"), "公厕脏乱": (24, "市城管局"),
    "垃圾桶破损": (22, "市城管局"), "设施破损": (24, "市城管局"), "路灯不亮": (24, "市城管局"),
    "农贸市场脏乱差": (25, "市商务和粮食局"), "无证经营": (25, "市商务和粮食局"), "黑臭水体": (27, "市环保局"),
    "网吧接纳未成年人": (28, "市委网信办"), "食品安全隐患": (13, "市食药监局"),
}


def test_load_categories_is_idempotent_and_names_lead_units(db):
    assert load_categories() == {"created": len(ENTRIES), "existing": 0}
    edited = Category.objects.get(name="露天烧烤")
    edited.normal_limit = 2
    edited.save()
    assert load_categories() == {"created": 0, "existing": len(ENTRIES)}
    assert Category.objects.get(name="露天烧烤").normal_limit == 2  # an administrator's change survives
    assert Category.objects.count() == len(ENTRIES)
    for name, (measure, unit) in SEED_PHENOMENA.items():
        category = Category.objects.get(name=name)
        assert (category.seed_measure_number, category.responsible_unit.name) == (measure, unit), name
    assert OrgUnit.objects.get(name="市委网信办").kind == "party_department"
    assert OrgUnit.objects.filter(name="市城管局").count() == 1
    kinds = dict(Category.objects.values_list("main_class", "kind").distinct())
    assert {"宣传广告", "施工管理", "街面秩序", "突发事件", "其他事件", "公用设施", "园林绿化", "扩展部件"} <= set(kinds)
    assert set(Category.objects.filter(kind="component").values_list("responsibility_rule", flat=True)) == {
        "functional"
    }


def test_load_categories_reuses_units_known_by_alias(db):
    unit = OrgUnit.objects.create(name="株洲市城市管理和综合执法局", aliases="市城管局")
    load_categories()
    assert Category.objects.get(name="露天烧烤").responsible_unit == unit


def test_every_measure_lead_unit_is_named_in_the_seed():
    """The lead units come from the responsibility block of each measure in the shipped seed plan."""
    seed = (Path(plans.__file__).parent / "data" / "zhuzhou_2018.txt").read_text(encoding="utf-8")
    for measure, unit in MEASURE_LEAD_UNIT.items():
        block = re.search(rf"\n\s*{measure}\.(.*?)牵头单位[:：]([^;；)）]+)", seed, re.S)
        assert block and block.group(2).split("、")[0] == unit, measure


def test_shipped_limits_follow_practice():
    for entry in ENTRIES:
        assert entry.urgent[0] > 0 and entry.normal[0] > 0
        assert entry.normal[1] == "hours" or entry.normal[0] <= 15  # 13–15 working days at most (hotline practice)


# Named reads and the sweep ---------------------------------------------------------------------------------------


def test_named_reads(world):
    now = dt.datetime(2019, 10, 9, 9, tzinfo=SH)
    late = world.case(Status.IN_PROGRESS, due_at=now - dt.timedelta(hours=1))
    on_time = world.case(Status.DISPATCHED, due_at=now + dt.timedelta(hours=1))
    child = world.case(Status.IN_PROGRESS, assigned_unit=world.child_unit, due_at=now + dt.timedelta(days=1))
    elsewhere = world.case(Status.IN_PROGRESS, assigned_unit=world.other_unit, due_at=now - dt.timedelta(days=1))
    suspended = world.case(Status.SUSPENDED, due_at=now - dt.timedelta(days=1))
    fresh = world.case(Status.REPORTED)
    closed = world.case(Status.CLOSED)
    rejected = world.case(Status.REJECTED)
    assert set(Case.objects.overdue(now)) == {late, elsewhere}
    assert set(Case.objects.for_unit(world.unit)) == {late, on_time, child, suspended, closed}
    assert set(Case.objects.for_unit(world.child_unit)) == {child}
    assert closed not in Case.objects.open() and fresh in Case.objects.open() and suspended in Case.objects.open()
    public = set(Case.objects.public())
    assert fresh not in public and rejected not in public and closed in public
    world.category.is_public = False
    world.category.save()
    assert not Case.objects.public().exists()
    assert late.is_overdue(now) and not suspended.is_overdue(now)


def test_in_period(world):
    with clock.frozen(dt.datetime(2019, 9, 30, 23, 30, tzinfo=SH)):
        september = world.case()
    with clock.frozen(dt.datetime(2019, 10, 1, 0, 30, tzinfo=SH)):
        october = world.case()
    assert list(Case.objects.in_period(dt.date(2019, 10, 1), dt.date(2019, 11, 1))) == [october]
    assert list(Case.objects.in_period(dt.date(2019, 9, 1), dt.date(2019, 10, 1))) == [september]


def test_sweep_supervises_overdue_cases_once(world):
    now = dt.datetime(2019, 10, 9, 9, tzinfo=SH)
    late = world.case(Status.IN_PROGRESS, due_at=now - dt.timedelta(hours=1))
    world.case(Status.IN_PROGRESS, due_at=now + dt.timedelta(hours=1))
    with clock.frozen(now):
        assert sweep_overdue() == 1
        assert sweep_overdue() == 0
    late.refresh_from_db()
    event = late.events.get(action=Action.SUPERVISE)
    assert late.is_supervised and event.actor is None and event.actor_role == Actor.SYSTEM


def test_system_cannot_do_office_work(world):
    from wenming.cases.workflow import IllegalTransition

    with pytest.raises(IllegalTransition):
        transition(world.case(), Action.ACCEPT, as_role=Actor.SYSTEM)
