"""Fixtures for the API and Open311 tests: units, users with roles, two public categories, tokens, a key."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from PIL import Image

from wenming.accounts.models import Membership, OrgUnit, OrgUnitKind, Role, User
from wenming.api.models import ApiClient, ApiToken, Open311Key
from wenming.cases.models import Category, CategoryKind, LimitUnit, ResponsibilityRule
from wenming.core import clock

SH = ZoneInfo("Asia/Shanghai")
# A plain working Tuesday, far from holidays.
NOW = dt.datetime(2019, 10, 15, 10, 0, tzinfo=SH)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # rate-limit windows must not leak between tests
    yield
    cache.clear()


@pytest.fixture
def frozen():
    with clock.frozen(NOW) as moment:
        yield moment


def make_user(username, unit=None, role=None):
    user = User.objects.create_user(username=username, password="x" * 12, display_name=username)
    if unit is not None:
        Membership.objects.create(user=user, org_unit=unit, role=role)
    return user


class World:
    def __init__(self):
        self.office_unit = OrgUnit.objects.create(name="市创文办", kind=OrgUnitKind.LEADERSHIP)
        self.unit = OrgUnit.objects.create(name="市城管局", kind=OrgUnitKind.CITY_DEPARTMENT)
        self.other_unit = OrgUnit.objects.create(name="市交通运输局", kind=OrgUnitKind.CITY_DEPARTMENT)
        self.office = make_user("office", self.office_unit, Role.OFFICE)
        self.unit_user = make_user("unit", self.unit, Role.UNIT)
        self.other_user = make_user("other", self.other_unit, Role.UNIT)
        self.category = Category.objects.create(
            kind=CategoryKind.EVENT, main_code="04", main_class="街面秩序", code="SJ0401", name="占道经营",
            description="流动摊贩或店外占用道路经营", responsible_unit=self.unit,
            responsibility_rule=ResponsibilityRule.FUNCTIONAL, urgent_limit=4,
            urgent_limit_unit=LimitUnit.WORKING_HOURS, normal_limit=5, normal_limit_unit=LimitUnit.WORKING_DAYS,
        )
        self.component = Category.objects.create(
            kind=CategoryKind.COMPONENT, main_code="01", main_class="公用设施", code="BJ0101", name="井盖破损",
            responsible_unit=self.unit, responsibility_rule=ResponsibilityRule.FUNCTIONAL,
        )
        self.hidden = Category.objects.create(
            kind=CategoryKind.EVENT, main_code="06", main_class="其他事件", code="SJ0699", name="内部核查",
            is_public=False,
        )
        self.client_system = ApiClient.objects.create(name="12345 热线系统")
        _t, self.report_token = ApiToken.issue(name="hotline", scopes=["read_public", "report"],
                                               client=self.client_system)
        _t, self.read_token = ApiToken.issue(name="reader", scopes=["read_public"], client=self.client_system)
        _t, self.unit_token = ApiToken.issue(name="unit", scopes=["read_public", "act_for_unit"], user=self.unit_user)
        _t, self.other_token = ApiToken.issue(name="other", scopes=["read_public", "act_for_unit"],
                                              user=self.other_user)
        _t, self.office_token = ApiToken.issue(name="office", scopes=["admin"], user=self.office)
        _k, self.open311_key = Open311Key.issue("测试客户端")


@pytest.fixture
def world(db):
    return World()


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def png_bytes(color=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buf, "PNG")
    return buf.getvalue()
