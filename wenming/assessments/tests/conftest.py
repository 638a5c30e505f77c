"""A small city for the metrics: an office, units, a leader, two districts, a category, and cases driven through
`workflow.transition` under a frozen clock, so the event log and the case rows are what production writes."""

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

from wenming.accounts.models import Leader, Membership, OrgUnit, OrgUnitKind, Role, User
from wenming.assessments.models import MetricScheme, ensure_default_scheme
from wenming.cases.models import (
    Case,
    CaseEvent,
    Category,
    CategoryKind,
    Channel,
    LimitUnit,
    ResponsibilityRule,
)
from wenming.cases.workflow import Action, Actor, Status, transition
from wenming.core import clock
from wenming.geo.models import Jurisdiction, JurisdictionKind

SH = ZoneInfo("Asia/Shanghai")
_codes = itertools.count(1)


def at(y, m, d, hh=0, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=SH)


def make_user(username, unit=None, role=None):
    user = User.objects.create_user(username=username, password="x" * 12, display_name=username)
    if unit is not None:
        Membership.objects.create(user=user, org_unit=unit, role=role)
    return user


class City:
    def __init__(self):
        self.office_unit = OrgUnit.objects.create(name="市创文办", kind=OrgUnitKind.LEADERSHIP)
        self.unit = OrgUnit.objects.create(name="市城管局", kind=OrgUnitKind.CITY_DEPARTMENT)
        self.other = OrgUnit.objects.create(name="市交通运输局", kind=OrgUnitKind.CITY_DEPARTMENT)
        self.office = make_user("office", self.office_unit, Role.OFFICE)
        self.unit_user = make_user("unit", self.unit, Role.UNIT)
        self.other_user = make_user("other", self.other, Role.UNIT)
        self.leader_user = make_user("leader")
        Leader.objects.create(name="张副市长", position="副市长", user=self.leader_user)
        city = Jurisdiction.objects.create(code="430200", name="株洲市", kind=JurisdictionKind.CITY)
        self.hetang = Jurisdiction.objects.create(code="430202", name="荷塘区", kind=JurisdictionKind.DISTRICT, parent=city)
        self.lusong = Jurisdiction.objects.create(code="430203", name="芦淞区", kind=JurisdictionKind.DISTRICT, parent=city)
        self.category = Category.objects.create(
            kind=CategoryKind.EVENT, main_code="04", main_class="街面秩序", code="SJ0401", name="占道经营",
            responsible_unit=self.unit, responsibility_rule=ResponsibilityRule.FUNCTIONAL,
            urgent_limit=4, urgent_limit_unit=LimitUnit.WORKING_HOURS,
            normal_limit=5, normal_limit_unit=LimitUnit.WORKING_DAYS,
        )
        self.scheme = ensure_default_scheme()

    def users(self, unit):
        return {self.unit.pk: self.unit_user, self.other.pk: self.other_user}[unit.pk]

    def reported(self, moment, district=None, **fields):
        with clock.frozen(moment):
            case = Case.objects.create(
                tracking_code=f"WMTEST{next(_codes):08d}", description="人行道上有流动摊贩占道经营",
                category=self.category, lat=27.83, lng=113.13, channel=Channel.WEB,
                district=district or self.hetang, **fields,
            )
            CaseEvent.objects.create(case=case, action=Action.REPORT, from_status="", to_status=Status.REPORTED,
                                     actor_role=Actor.REPORTER, public=True)
        return case

    def act(self, case, moment, action, who="office", **kwargs):
        actor = self.office if who == "office" else self.users(who)
        with clock.frozen(moment):
            return transition(case, action, actor=actor, **kwargs)

    def dispatched(self, moment, unit=None, district=None, **fields):
        """Reported, accepted and dispatched at `moment` (5 working days to handle)."""
        case = self.reported(moment, district=district, **fields)
        self.act(case, moment, Action.ACCEPT)
        self.act(case, moment, Action.DISPATCH, data={"unit": unit or self.unit})
        return case

    def handled(self, case, moment):
        unit = case.assigned_unit
        if case.status == Status.DISPATCHED:
            self.act(case, moment, Action.SIGN, unit)
        self.act(case, moment, Action.FEED_BACK, unit, note="已清理")
        return case

    def closed(self, case, moment, handled_at=None):
        self.handled(case, handled_at or moment)
        self.act(case, moment, Action.VERIFY_PASS)
        return case


@pytest.fixture
def town(db):
    return City()


@pytest.fixture
def scheme(db):
    return MetricScheme.objects.get(name=ensure_default_scheme().name)
