"""A report without a map pin is placed by its typed address (geo.geocode); one with a pin by the map alone."""

from __future__ import annotations

import pytest
from shapely.geometry import box

from wenming.accounts.models import OrgUnit
from wenming.cases.models import Case, Channel, ResponsibilityRule
from wenming.cases.services import case_report, routing_unit_for
from wenming.geo import locate as geo_locate
from wenming.geo import signals as geo_signals
from wenming.geo.divisions import load_divisions
from wenming.geo.geometry import to_geojson
from wenming.geo.models import Jurisdiction

ADDRESS = "株洲市芦淞区建宁街道某某小区门口"


@pytest.fixture(autouse=True)
def _fresh_geo():
    # Rows are rolled back after each test: in-memory tables built from them must not reach the next test.
    geo_signals.names.invalidate()
    geo_locate.invalidate()
    yield
    geo_signals.names.invalidate()
    geo_locate.invalidate()


@pytest.fixture
def city(world):
    load_divisions()
    # Placed by 属地: the street office, else the district government, answers.
    world.category.responsibility_rule = ResponsibilityRule.TERRITORIAL
    world.category.save()
    return world


def report(world, **kwargs) -> Case:
    fields = dict(category=world.category, description="小区门口垃圾堆放多日无人清理", channel=Channel.HOTLINE,
                  reporter_phone="13812345678")
    fields.update(kwargs)
    return Case.objects.get(pk=case_report(**fields).pk)  # as stored


def test_hotline_address_gives_district_and_street(city):
    case = report(city, address=ADDRESS)
    assert case.district == Jurisdiction.objects.get(name="芦淞区")
    assert case.street == Jurisdiction.objects.get(name="建宁街道")
    assert case.grid_cell is None and case.lat is None and case.address == ADDRESS
    # So the case goes to that street's office rather than to the category's unit.
    assert routing_unit_for(case) == OrgUnit.objects.get(name="建宁街道办事处")


def test_street_alone_and_former_county_name(city):
    case = report(city, address="株洲县朱亭镇老街卫生院旁")
    assert (case.district.name, case.street.name) == ("渌口区", "朱亭镇")
    case = report(city, address="芦淞区建设中路88号")  # a road, not 建设街道
    assert (case.district.name, case.street) == ("芦淞区", None)
    assert routing_unit_for(case) == OrgUnit.objects.get(name="芦淞区人民政府")


def test_contradicting_address_keeps_the_district(city):
    case = report(city, address="荷塘区建宁街道某小区")  # 建宁街道 is in 芦淞区
    assert (case.district.name, case.street) == ("荷塘区", None)


def test_unmatched_address_stays_without_place(city):
    case = report(city, address="某某小区门口东侧")
    assert (case.district, case.street, case.grid_cell) == (None, None, None)
    assert routing_unit_for(case) == city.unit  # the category's unit, as before


def test_report_with_coordinates_is_placed_by_the_map_not_the_address(city):
    hetang, yuetang = Jurisdiction.objects.get(name="荷塘区"), Jurisdiction.objects.get(name="月塘街道")
    for place in (hetang, yuetang):
        place.geometry = to_geojson(box(113.10, 27.80, 113.20, 27.90))
        place.save()
    case = report(city, address=ADDRESS, lat=27.85, lng=113.15)
    assert (case.district, case.street) == (hetang, yuetang)
    assert routing_unit_for(case) == OrgUnit.objects.get(name="月塘街道办事处")


def test_report_with_coordinates_and_no_boundaries_ignores_the_address(city):
    # No boundaries loaded (a fresh install): the pin cannot be placed, and the address is not used instead.
    case = report(city, address=ADDRESS, lat=27.85, lng=113.15)
    assert (case.district, case.street, case.grid_cell) == (None, None, None)
