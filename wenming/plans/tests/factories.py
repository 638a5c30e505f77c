"""factory_boy factories for plans and the accounts they refer to (tests and the bench build data with these)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from wenming.accounts.models import Leader, Membership, OrgUnit, Role, User
from wenming.plans.models import Measure, Plan, ProgressReport, Responsibility, Section, Target

PASSWORD = "Wenming-test-2019"


class OrgUnitFactory(DjangoModelFactory):
    class Meta:
        model = OrgUnit
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"测试单位{n}")


class LeaderFactory(DjangoModelFactory):
    class Meta:
        model = Leader
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"领导{n}")
    position = "副市长"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.django.Password(PASSWORD)


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    org_unit = factory.SubFactory(OrgUnitFactory)
    role = Role.UNIT


def unit_user(unit: OrgUnit, username: str | None = None, role: str = Role.UNIT) -> User:
    user = UserFactory(**({"username": username} if username else {}))
    MembershipFactory(user=user, org_unit=unit, role=role)
    return user


def office_user(username: str = "office") -> User:
    return unit_user(OrgUnitFactory(name="市文明办"), username, Role.OFFICE)


class PlanFactory(DjangoModelFactory):
    class Meta:
        model = Plan

    title = factory.Sequence(lambda n: f"株洲市建设新时代全域化更高水平文明城市的实施意见（{n}）")
    issuer = "中共株洲市委办公室 株洲市人民政府办公室"
    issued_on = dt.date(2018, 6, 9)
    starts_on = dt.date(2018, 7, 1)
    ends_on = dt.date(2020, 12, 31)
    source_sha256 = factory.Sequence(lambda n: f"{n:064d}")
    is_default = False


class SectionFactory(DjangoModelFactory):
    class Meta:
        model = Section

    plan = factory.SubFactory(PlanFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = "深入推进十大文明行动"


class MeasureFactory(DjangoModelFactory):
    class Meta:
        model = Measure

    section = factory.SubFactory(SectionFactory)
    plan = factory.SelfAttribute("section.plan")
    number = factory.Sequence(lambda n: n + 1)
    title = "深化文明城管行动"
    body = "扎实开展“厕所革命”，2020年前新建改造公共厕所230座。"


class ResponsibilityFactory(DjangoModelFactory):
    """Pass ``lead_units=[...]``, ``member_units=[...]``, ``lead_leaders=[...]`` to fill the M2Ms."""

    class Meta:
        model = Responsibility
        skip_postgeneration_save = True

    measure = factory.SubFactory(MeasureFactory)
    raw_text = "（牵头领导：谭可敏；牵头单位：市城管局；成员单位：市环保局，各区政府）"
    member_phrases = factory.LazyFunction(list)

    @factory.post_generation
    def lead_units(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            obj.lead_units.set(extracted)

    @factory.post_generation
    def member_units(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            obj.member_units.set(extracted)

    @factory.post_generation
    def lead_leaders(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            obj.lead_leaders.set(extracted)


class TargetFactory(DjangoModelFactory):
    """Seed §11: 2020年前新建改造公共厕所230座."""

    class Meta:
        model = Target

    measure = factory.SubFactory(MeasureFactory)
    order = factory.Sequence(lambda n: n)
    text = "2020年前新建改造公共厕所230座"
    metric = "新建改造公共厕所"
    value = Decimal("230")
    unit = "座"
    comparator = "gte"
    baseline = None
    starts_on = dt.date(2018, 7, 1)
    deadline = dt.date(2020, 12, 31)
    recurrence = ""


class ProgressReportFactory(DjangoModelFactory):
    class Meta:
        model = ProgressReport

    target = factory.SubFactory(TargetFactory)
    org_unit = factory.SubFactory(OrgUnitFactory)
    period_start = dt.date(2019, 6, 1)
    value = Decimal("100")
    done = False
    note = ""
