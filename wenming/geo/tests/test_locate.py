import math
from decimal import Decimal

import numpy as np
import pytest

from wenming.geo import locate as geo_locate
from wenming.geo import signals as geo_signals
from wenming.geo.locate import InvalidCoordinates, LocateResult, OutsideJurisdiction, locate, locate_many
from wenming.geo.models import GridCell

from .conftest import make_cell, square

pytestmark = pytest.mark.django_db


def test_point_inside_a_cell_gives_the_whole_branch(tiny_grid):
    found = locate(29.05, 112.02)
    assert isinstance(found, LocateResult)
    assert found.cell == tiny_grid.west_cell
    assert found.community == tiny_grid.community
    assert found.street == tiny_grid.street
    assert found.district == tiny_grid.district
    assert found.cell.code.startswith(found.community.code)
    assert found.community.code.startswith(found.street.code)
    assert found.street.code.startswith(found.district.code)
    assert found.responsible_unit == tiny_grid.unit


def test_shared_edge_and_corner_go_to_the_lowest_code(tiny_grid):
    assert tiny_grid.east_cell.pk < tiny_grid.west_cell.pk  # the higher code was stored first
    assert locate(29.05, 112.05).cell == tiny_grid.west_cell  # on the shared edge
    assert locate(29.1, 112.05).cell == tiny_grid.west_cell  # on the shared corner
    assert locate(29.05, 112.07).cell == tiny_grid.east_cell


def test_cell_without_unit_is_answered_by_the_street_office(tiny_grid):
    found = locate(29.05, 112.07)
    assert found.cell.responsible_unit is None
    assert found.responsible_unit == tiny_grid.street_office


def test_point_in_district_without_cells_gives_street_and_no_cell(tiny_grid):
    found = locate(29.15, 112.15)
    assert found.cell is None and found.community is None
    assert found.street == tiny_grid.other_street
    assert found.district == tiny_grid.district
    assert found.responsible_unit == tiny_grid.other_office


def test_point_in_street_outside_community_gives_street(tiny_grid):
    found = locate(29.15, 112.02)
    assert (found.cell, found.community, found.street) == (None, None, tiny_grid.street)


def test_outside_the_city_is_refused_with_a_clear_message(tiny_grid):
    with pytest.raises(OutsideJurisdiction) as info:
        locate(39.9, 116.4)  # Beijing
    assert str(info.value) == "该位置不在本市管辖范围内"


@pytest.mark.parametrize(
    "lat, lng",
    [(91, 113), (-90.5, 113), (27, 181), (27, -180.01), (math.nan, 113), (27, math.inf), ("abc", 113), (None, 113),
     (True, 113), ([27], 113), ("", 113)],
)
def test_invalid_coordinates(tiny_grid, lat, lng):
    with pytest.raises(InvalidCoordinates) as info:
        locate(lat, lng)
    assert isinstance(info.value, ValueError)
    assert str(info.value).startswith("坐标无效")


def test_range_message_names_the_ranges(tiny_grid):
    with pytest.raises(InvalidCoordinates, match="纬度应在 -90 到 90 之间"):
        locate(120, 27)


def test_numbers_in_other_types_are_accepted(tiny_grid):
    assert locate("29.05", "112.02").cell == tiny_grid.west_cell
    assert locate(Decimal("29.05"), Decimal("112.07")).cell == tiny_grid.east_cell
    assert locate(np.float64(29.05), np.float32(112.02)).cell == tiny_grid.west_cell


def test_locate_many_agrees_with_locate(tiny_grid):
    points = [(29.05, 112.02), (29.05, 112.05), (29.15, 112.15), (39.9, 116.4), (29.05, 112.07), (29.15, 112.02)]
    many = locate_many(points)
    assert len(many) == len(points)
    for (lat, lng), found in zip(points, many, strict=True):
        try:
            assert found == locate(lat, lng)
        except OutsideJurisdiction:
            assert found is None
    assert locate_many([]) == []
    assert locate_many(np.array(points))[1].cell == tiny_grid.west_cell
    assert locate_many(iter(points))[0].cell == tiny_grid.west_cell


def test_locate_many_names_the_bad_point(tiny_grid):
    with pytest.raises(InvalidCoordinates, match="第 2 个坐标无效"):
        locate_many([(29.05, 112.02), (95, 112.0)])
    with pytest.raises(InvalidCoordinates, match="第 1 个坐标无效"):
        locate_many([("x", 112.0)])
    with pytest.raises(InvalidCoordinates, match="第 2 个坐标无效"):
        locate_many([(29.05, 112.02), (29.05,)])


def test_index_sees_a_cell_added_in_this_process(tiny_grid):
    assert locate(29.15, 112.15).cell is None
    community = tiny_grid.community
    community.geometry = square(112.0, 29.0, 112.2, 29.2)
    community.save()
    cell = make_cell(community, 3, (112.1, 29.1, 112.2, 29.2))
    assert locate(29.15, 112.15).cell == cell
    cell.delete()
    assert locate(29.15, 112.15).cell is None


def test_index_sees_changes_that_bypass_signals(tiny_grid, monkeypatch):
    """Another process's writes send no signal here; the fingerprint check catches them."""
    assert locate(29.05, 112.02).cell.name == "测试社区第1网格"
    monkeypatch.setattr(geo_signals.index, "check_seconds", 0)
    GridCell.objects.filter(pk=tiny_grid.west_cell.pk).update(name="改名", updated_at=tiny_grid.west_cell.updated_at
                                                              .replace(year=2100))
    assert locate(29.05, 112.02).cell.name == "改名"
    GridCell.objects.filter(pk=tiny_grid.east_cell.pk).delete()  # a queryset delete: count changes
    assert locate(29.05, 112.07).cell is None


def test_index_is_reused_between_calls(tiny_grid):
    locate(29.05, 112.02)
    first = geo_locate.get_index()
    locate(29.05, 112.07)
    assert geo_locate.get_index() is first


def test_as_dict(tiny_grid):
    data = locate(29.05, 112.07).as_dict()
    assert data["cell"]["code"] == tiny_grid.east_cell.code
    assert data["district"] == {"id": tiny_grid.district.pk, "code": "430299", "name": "测试区"}
    assert data["responsible_unit"]["name"] == "测试街道办事处"


def test_rolled_back_cells_leave_the_index(tiny_grid):
    from django.db import transaction

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        make_cell(tiny_grid.community, 9, (112.1, 29.1, 112.2, 29.2))
        assert locate(29.15, 112.15).cell is not None
        raise Undo
    assert locate(29.15, 112.15).cell is None  # no signal tells of a rollback; the fingerprint does
