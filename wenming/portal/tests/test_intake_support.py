"""Shared set-up for the public-side tests (imported by test_intake*, test_track*, test_exposure*, the browser test).

The real taxonomy (`load_categories`) and the real Zhuzhou divisions with the demo grid (`load_divisions` +
`build_demo_grid`) take about three seconds, so `city_world` builds them once per module and removes them
afterwards (as geo's demo_grid_db does); each test's own rows roll back with the test. The browser test, whose
database is flushed after it, builds its own with `build_city_world()`. A point inside a demo grid cell is read
from the cell's own geometry.
"""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from shapely.geometry import shape

from wenming.accounts.models import Membership, OrgUnit, OrgUnitKind, Role, User
from wenming.cases.models import Case, Category
from wenming.cases.taxonomy import load_categories
from wenming.cases.workflow import Action, transition
from wenming.geo import locate as geo_locate
from wenming.geo.demo import build_demo_grid
from wenming.geo.divisions import load_divisions
from wenming.geo.models import GridCell, Jurisdiction, JurisdictionKind

OUTSIDE_CITY = ("39.9042", "116.4074")  # Beijing: a valid point far outside Zhuzhou


def png_bytes(size=(40, 30), color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def png_upload(name="photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def build_city_world() -> None:
    load_categories()
    load_divisions()
    build_demo_grid()
    geo_locate.invalidate()


@pytest.fixture(scope="module")
def city_world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        units_before = set(OrgUnit.objects.values_list("pk", flat=True))
        places_before = set(Jurisdiction.objects.values_list("pk", flat=True))
        categories_before = set(Category.objects.values_list("pk", flat=True))
        build_city_world()
        yield
        GridCell.objects.filter(is_demo=True).delete()
        for kind in (JurisdictionKind.COMMUNITY, JurisdictionKind.STREET, JurisdictionKind.DISTRICT,
                     JurisdictionKind.CITY):  # children before parents (PROTECT)
            Jurisdiction.objects.filter(kind=kind).exclude(pk__in=places_before).delete()
        Category.objects.exclude(pk__in=categories_before).delete()
        new_units = OrgUnit.objects.exclude(pk__in=units_before)
        for _ in range(10):  # leaves first; the unit tree is a few levels deep
            new_units.filter(children__isnull=True).delete()
        geo_locate.invalidate()


class City:
    """The module's world plus an office user and an inspector, created inside the test's transaction."""

    def __init__(self):
        geo_locate.invalidate()
        self.cell = GridCell.objects.filter(is_demo=True).select_related("community__parent__parent").order_by("code")[0]
        point = shape(self.cell.geometry).representative_point()
        self.lat, self.lng = round(point.y, 6), round(point.x, 6)
        self.street = self.cell.community.parent
        self.district = self.street.parent
        self.category = Category.objects.public().get(name="占道经营")
        office_unit, _ = OrgUnit.objects.get_or_create(name="市文明办", defaults={"kind": OrgUnitKind.LEADERSHIP})
        self.office = self.user("office-staff", office_unit, Role.OFFICE, display_name="王科长")
        self.inspector = self.user("inspector-1", office_unit, Role.INSPECTOR, display_name="李督查")

    @staticmethod
    def user(username, unit, role, display_name=""):
        user = User.objects.create_user(username=username, password="x" * 12, display_name=display_name)
        Membership.objects.create(user=user, org_unit=unit, role=role)
        return user

    def report_data(self, **overrides):
        data = {
            "category": str(self.category.pk),
            "lat": str(self.lat),
            "lng": str(self.lng),
            "address": "建设路与新华路交叉口",
            "description": "人行道上有流动摊贩占道经营，行人只能走机动车道",
            "reporter_name": "张三",
            "reporter_phone": "13812345678",
            "idempotency_key": "test-key-0123456789abcdef",
        }
        data.update(overrides)
        return data

    def unit_user_for(self, case: Case, username="unit-handler"):
        """A handler in the unit the case was dispatched to (so `sign`/`feed_back` are the unit's acts)."""
        return self.user(username, case.assigned_unit, Role.UNIT, display_name="赵处长")

    def close(self, case: Case, *, after_photo=None) -> Case:
        """Move a reported case through the loop to closed: accept, dispatch, sign, feed back, verify."""
        transition(case, Action.ACCEPT, actor=self.office)
        transition(case, Action.DISPATCH, actor=self.office)
        handler = self.unit_user_for(case)
        transition(case, Action.SIGN, actor=handler)
        transition(case, Action.FEED_BACK, actor=handler, note="已劝离摊贩并清理路面",
                   attachments=[after_photo] if after_photo else ())
        transition(case, Action.VERIFY_PASS, actor=self.office, note="现场核查已整改")
        return case


@pytest.fixture
def city(city_world, db):
    yield City()
    geo_locate.invalidate()
