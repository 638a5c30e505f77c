"""Fixtures for inspections: reference data loaded, an office user, two inspectors, points and a started round."""

import datetime as dt
import io

import pytest
from PIL import Image

from wenming.accounts.models import Membership, OrgUnit, OrgUnitKind, Role, User
from wenming.inspections import services
from wenming.inspections.models import InspectionPoint, PointType


def make_user(username, unit, role):
    user = User.objects.create_user(username=username, password="pw-" + "x" * 12, display_name=username)
    Membership.objects.create(user=user, org_unit=unit, role=role)
    return user


def png_bytes(color="red", size=(8, 8)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


class World:
    def __init__(self):
        services.load_reference_data()
        self.office_unit, _ = OrgUnit.objects.get_or_create(name="市创文办", defaults={"kind": OrgUnitKind.LEADERSHIP})
        self.market_unit, _ = OrgUnit.objects.get_or_create(
            name="市商务和粮食局", defaults={"kind": OrgUnitKind.CITY_DEPARTMENT}
        )
        self.office = make_user("office", self.office_unit, Role.OFFICE)
        self.inspector = make_user("inspector", self.office_unit, Role.INSPECTOR)
        self.inspector2 = make_user("inspector2", self.office_unit, Role.INSPECTOR)
        self.outsider = make_user("outsider", self.office_unit, Role.INSPECTOR)
        self.market_type = PointType.objects.get(code="market")
        self.toilet_type = PointType.objects.get(code="toilet")

    def point(self, name, point_type=None, **fields):
        fields.setdefault("lat", 27.83)
        fields.setdefault("lng", 113.13)
        fields.setdefault("address", f"{name}门口")
        return InspectionPoint.objects.create(point_type=point_type or self.market_type, name=name, **fields)

    def round(self, points, *, start=True, name="2019年第三季度测评", start_date=dt.date(2019, 9, 1), inspectors=None):
        types = {p.point_type for p in points}
        rnd = services.round_create(
            name=name, start_date=start_date, end_date=start_date + dt.timedelta(days=10),
            inspectors=inspectors or [self.inspector, self.inspector2], point_types=types,
            actor=self.office,
        )
        rnd.round_points.exclude(point__in=points).delete()
        if start:
            rnd = services.round_start(round=rnd, actor=self.office)
        return rnd

    def score_all(self, rnd, point, *, passed=True, actor=None, score=None):
        checklist = rnd.checklist_for(point.point_type_id)
        for item in checklist.items.all():
            services.item_score_save(
                round=rnd, point=point, item=item, actor=actor or self.inspector, passed=passed,
                score=score(item) if callable(score) else score,
            )


@pytest.fixture
def world(db):
    return World()
