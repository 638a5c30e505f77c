"""A tiny hand-drawn grid (exact coordinates, easy to reason about) and a clean spatial index per test."""

from __future__ import annotations

import pytest
from shapely.geometry import box

from wenming.accounts.models import OrgUnit, OrgUnitKind
from wenming.geo import locate as geo_locate
from wenming.geo.geometry import bbox_fields, grid_code, to_geojson
from wenming.geo.models import GridCell, Jurisdiction, JurisdictionKind


@pytest.fixture(autouse=True)
def _fresh_index():
    # Each test's data is rolled back afterwards; an index built from it must not leak into the next test.
    geo_locate.invalidate()
    yield
    geo_locate.invalidate()


def square(min_lng, min_lat, max_lng, max_lat) -> dict:
    return to_geojson(box(min_lng, min_lat, max_lng, max_lat))


def make_cell(community: Jurisdiction, seq: int, bounds, **extra) -> GridCell:
    geom = box(*bounds)
    return GridCell.objects.create(
        code=grid_code(community.code, seq),
        name=f"{community.name}第{seq}网格",
        community=community,
        geometry=to_geojson(geom),
        **bbox_fields(geom),
        **extra,
    )


class TinyGrid:
    """测试区 (112.0–112.2, 29.0–29.2, outside the Zhuzhou demo): street 001 (west half) holds community 001
    (its south half) with two
    cells side by side; street 002 (east half) has no community and no cells."""

    def __init__(self):
        self.district_office = OrgUnit.objects.create(name="测试区人民政府", kind=OrgUnitKind.DISTRICT_GOVERNMENT)
        self.street_office = OrgUnit.objects.create(name="测试街道办事处", kind=OrgUnitKind.STREET)
        self.other_office = OrgUnit.objects.create(name="东测街道办事处", kind=OrgUnitKind.STREET)
        self.unit = OrgUnit.objects.create(name="测试物业公司", kind=OrgUnitKind.ENTERPRISE)
        self.district = Jurisdiction.objects.create(
            code="430299", name="测试区", kind=JurisdictionKind.DISTRICT, government=self.district_office,
            geometry=square(112.0, 29.0, 112.2, 29.2),
        )
        self.street = Jurisdiction.objects.create(
            code="430299001", name="测试街道", kind=JurisdictionKind.STREET, parent=self.district,
            government=self.street_office, geometry=square(112.0, 29.0, 112.1, 29.2),
        )
        self.other_street = Jurisdiction.objects.create(
            code="430299002", name="东测街道", kind=JurisdictionKind.STREET, parent=self.district,
            government=self.other_office, geometry=square(112.1, 29.0, 112.2, 29.2),
        )
        self.community = Jurisdiction.objects.create(
            code="430299001001", name="测试社区", kind=JurisdictionKind.COMMUNITY, parent=self.street,
            geometry=square(112.0, 29.0, 112.1, 29.1),
        )
        # Created in reverse order so "lowest code wins" cannot come from insertion order.
        self.east_cell = make_cell(self.community, 2, (112.05, 29.0, 112.1, 29.1))
        self.west_cell = make_cell(self.community, 1, (112.0, 29.0, 112.05, 29.1), responsible_unit=self.unit)


@pytest.fixture
def tiny_grid(db) -> TinyGrid:
    return TinyGrid()


@pytest.fixture(scope="module")
def demo_grid_db(django_db_setup, django_db_blocker):
    """The full demo grid, built once per module (about a second) and removed afterwards."""
    from wenming.geo.demo import build_demo_grid

    with django_db_blocker.unblock():
        units_before = set(OrgUnit.objects.values_list("pk", flat=True))
        places_before = set(Jurisdiction.objects.values_list("pk", flat=True))
        result = build_demo_grid()
        geo_locate.invalidate()
        yield result
        GridCell.objects.filter(is_demo=True).delete()
        # Children before parents (PROTECT): communities, streets, districts, city.
        for kind in (JurisdictionKind.COMMUNITY, JurisdictionKind.STREET, JurisdictionKind.DISTRICT,
                     JurisdictionKind.CITY):
            Jurisdiction.objects.filter(kind=kind).exclude(pk__in=places_before).delete()
        new_units = OrgUnit.objects.exclude(pk__in=units_before)
        for _ in range(10):  # leaves first; the unit tree is a few levels deep
            new_units.filter(children__isnull=True).delete()
        geo_locate.invalidate()
