import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from wenming.geo.demo import CENTRAL_DISTRICTS, OUTER, build_demo_grid
from wenming.geo.locate import locate, locate_many
from wenming.geo.models import GridCell, Jurisdiction, JurisdictionKind

pytestmark = pytest.mark.django_db


def test_demo_grid_size_codes_and_units(demo_grid_db, settings):
    cells = list(GridCell.objects.select_related("community__parent"))
    assert 300 <= len(cells) <= 1500
    assert demo_grid_db.cells == len(cells)
    for cell in cells:
        assert len(cell.code) == settings.WENMING_GRID_CODE_LENGTH
        assert cell.code.isdigit() and cell.code[:12] == cell.community.code
        street = cell.community.parent
        assert street.kind == JurisdictionKind.STREET and cell.code[:9] == street.code
        assert cell.responsible_unit_id == street.government_id  # 属地兜底: the street office
        assert cell.is_demo
        assert shape(cell.geometry).is_valid
        assert shape(cell.geometry).bounds == pytest.approx((cell.min_lng, cell.min_lat, cell.max_lng, cell.max_lat))


def test_demo_boundaries_are_flagged_and_real_names_kept(demo_grid_db):
    for code in (*CENTRAL_DISTRICTS, *OUTER):
        district = Jurisdiction.objects.get(code=code)
        assert district.is_demo_geometry and shape(district.geometry).is_valid
    names = set(Jurisdiction.objects.filter(kind=JurisdictionKind.DISTRICT).values_list("name", flat=True))
    assert {"荷塘区", "芦淞区", "石峰区", "天元区", "渌口区", "醴陵市", "攸县", "茶陵县", "炎陵县"} <= names
    streets = Jurisdiction.objects.filter(kind=JurisdictionKind.STREET, parent__code__in=CENTRAL_DISTRICTS)
    assert streets.count() == 30 and not streets.filter(geometry__isnull=True).exists()
    communities = Jurisdiction.objects.filter(kind=JurisdictionKind.COMMUNITY)
    assert all(c.name.endswith("社区（演示）") and len(c.code) == 12 for c in communities)


def test_demo_cells_tile_each_district(demo_grid_db):
    for code in CENTRAL_DISTRICTS:
        district = shape(Jurisdiction.objects.get(code=code).geometry)
        cells = [shape(g) for g in GridCell.objects.filter(code__startswith=code).values_list("geometry", flat=True)]
        covered = shapely.union_all(cells)
        assert covered.symmetric_difference(district).area < district.area * 1e-4
        assert sum(c.area for c in cells) == pytest.approx(covered.area, rel=1e-4)  # no overlaps


def test_demo_grid_is_idempotent(demo_grid_db):
    before = dict(GridCell.objects.values_list("code", "geometry"))
    again = build_demo_grid()
    assert (again.cells_created, again.cells_updated, again.cells_deleted, again.communities_created) == (0, 0, 0, 0)
    assert dict(GridCell.objects.values_list("code", "geometry")) == before


def test_demo_grid_honours_15_digit_codes(demo_grid_db, settings):
    settings.WENMING_GRID_CODE_LENGTH = 15
    result = build_demo_grid()
    assert result.cells_deleted == demo_grid_db.cells  # the 14-digit demo cells are replaced
    codes = list(GridCell.objects.values_list("code", flat=True))
    assert len(codes) == result.cells and all(len(c) == 15 for c in codes)
    assert len(locate(27.87, 113.20).cell.code) == 15  # the index follows the new codes


def test_demo_grid_keeps_real_boundaries_and_cells(demo_grid_db):
    district = Jurisdiction.objects.get(code="430202")
    real = {"type": "Polygon", "coordinates": [[[113.1, 27.8], [113.3, 27.8], [113.3, 27.9], [113.1, 27.8]]]}
    Jurisdiction.objects.filter(pk=district.pk).update(geometry=real, is_demo_geometry=False)
    cell = GridCell.objects.filter(code__startswith="430202").first()
    GridCell.objects.filter(pk=cell.pk).update(is_demo=False, name="办公室自绘网格")
    result = build_demo_grid()
    assert Jurisdiction.objects.get(pk=district.pk).geometry == real
    assert GridCell.objects.get(pk=cell.pk).name == "办公室自绘网格"
    assert result.cells_skipped == 1


def test_demo_central_city_points(demo_grid_db):
    assert locate(27.83, 113.08).district.name == "天元区"  # west bank of the Xiang
    assert locate(27.87, 113.20).district.name == "荷塘区"
    assert locate(27.93, 113.15).district.name == "石峰区"
    assert locate(27.79, 113.18).district.name == "芦淞区"
    found = locate(27.87, 113.20)
    assert found.cell is not None and found.cell.is_demo
    assert found.responsible_unit == found.street.government


@pytest.mark.parametrize(
    "lat, lng, county",
    [(27.65, 113.50, "醴陵市"), (27.70, 113.15, "渌口区"), (27.00, 113.34, "攸县"), (26.79, 113.54, "茶陵县"),
     (26.49, 113.77, "炎陵县")],
)
def test_demo_rural_points_name_their_county(demo_grid_db, lat, lng, county):
    found = locate(lat, lng)
    assert found.district.name == county
    assert found.cell is None and found.street is None


def test_demo_hierarchy_matches_codes_everywhere(demo_grid_db):
    rng = np.random.default_rng(7)
    points = np.column_stack([rng.uniform(27.76, 27.97, 5000), rng.uniform(113.05, 113.25, 5000)])
    results = locate_many(points)
    assert all(r is not None and r.cell is not None for r in results)  # the demo grid covers the central city
    for r in results:
        assert r.cell.code.startswith(r.community.code)
        assert r.community.parent == r.street and r.street.parent == r.district
        assert r.cell.code[:6] == r.district.code
