"""Fixtures for the case loop: an office, two units, an inspector, a category, and cases in any state."""

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

from wenming.accounts.models import Membership, OrgUnit, OrgUnitKind, Role, User
from wenming.cases.models import (
    Case,
    CaseEvent,
    Category,
    CategoryKind,
    Channel,
    LimitUnit,
    ResponsibilityRule,
)
from wenming.cases.workflow import Action, Actor, Status
from wenming.core import clock

SH = ZoneInfo("Asia/Shanghai")
# Friday before the 2019 National Day week: 29 Sep (Sunday) is a working day, 1–7 Oct are holidays.
START = dt.datetime(2019, 9, 27, 10, 0, tzinfo=SH)
_codes = itertools.count(1)


@pytest.fixture
def frozen_start():
    with clock.frozen(START) as moment:
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
        self.child_unit = OrgUnit.objects.create(name="荷塘区城管局", kind=OrgUnitKind.DISTRICT_DEPARTMENT, parent=self.unit)
        self.other_unit = OrgUnit.objects.create(name="市交通运输局", kind=OrgUnitKind.CITY_DEPARTMENT)
        self.office = make_user("office", self.office_unit, Role.OFFICE)
        self.unit_user = make_user("unit", self.unit, Role.UNIT)
        self.other_unit_user = make_user("other", self.other_unit, Role.UNIT)
        self.inspector = make_user("inspector", self.office_unit, Role.INSPECTOR)
        self.category = Category.objects.create(
            kind=CategoryKind.EVENT, main_code="04", main_class="街面秩序", code="SJ0401", name="占道经营",
            responsible_unit=self.unit, responsibility_rule=ResponsibilityRule.FUNCTIONAL,
            urgent_limit=4, urgent_limit_unit=LimitUnit.WORKING_HOURS,
            normal_limit=5, normal_limit_unit=LimitUnit.WORKING_DAYS, duplicate_radius_m=50,
        )

    def actor_kwargs(self, who):
        """transition() keyword arguments for one of the test roles."""
        return {
            "office": {"actor": self.office},
            "unit": {"actor": self.unit_user},
            "other_unit": {"actor": self.other_unit_user},
            "inspector": {"actor": self.inspector},
            "reporter": {"actor": None},
            "system": {"actor": None, "as_role": Actor.SYSTEM},
        }[who]

    def case(self, status=Status.REPORTED, **fields):
        """A case put straight into `status` (test set-up only; real cases move through workflow.transition)."""
        now = clock.now()
        working = status not in (Status.REPORTED, Status.ACCEPTED, Status.REJECTED, Status.MERGED)
        defaults = dict(
            tracking_code=f"WMTEST{next(_codes):08d}", description="人行道上有流动摊贩占道经营", category=self.category,
            lat=27.83, lng=113.13, channel=Channel.WEB, status=status,
            assigned_unit=self.unit if working else None,
            dispatched_at=now if working else None,
            due_at=now + dt.timedelta(days=5) if working else None,
        )
        defaults.update(fields)
        case = Case.objects.create(**defaults)
        CaseEvent.objects.create(case=case, action=Action.REPORT, from_status="", to_status=Status.REPORTED,
                                 actor_role=Actor.REPORTER, public=True)
        return case


@pytest.fixture
def world(db):
    return World()
