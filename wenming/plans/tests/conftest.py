"""A small plan in the seed's shape (§11 城管: 厕所 230座, 绿地率 42.5%; §9 每年株洲好人100名; a milestone),
one lead unit, one member unit, an unrelated unit, and a user for each role."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from wenming.accounts.models import Role

from .factories import (
    LeaderFactory,
    MeasureFactory,
    OrgUnitFactory,
    PlanFactory,
    ResponsibilityFactory,
    SectionFactory,
    TargetFactory,
    office_user,
    unit_user,
)


@pytest.fixture
def world(db):
    plan = PlanFactory(
        title="株洲市建设新时代全域化更高水平文明城市的实施意见",
        is_default=True,
        starts_on=dt.date(2018, 7, 1),
        ends_on=dt.date(2020, 12, 31),
    )
    section = SectionFactory(plan=plan, number=2, title="二、深入推进十大文明行动")
    measure = MeasureFactory(plan=plan, section=section, number=11, title="深化文明城管行动")
    other_measure = MeasureFactory(plan=plan, section=section, number=12, title="深化文明交通行动")
    chengguan = OrgUnitFactory(name="市城管局")
    huanbao = OrgUnitFactory(name="市环保局")
    jiaotong = OrgUnitFactory(name="市交通运输局")
    tan = LeaderFactory(name="谭可敏")
    he = LeaderFactory(name="何剑波")
    ResponsibilityFactory(
        measure=measure, lead_units=[chengguan], member_units=[huanbao], lead_leaders=[tan], member_phrases=["各区政府"]
    )
    ResponsibilityFactory(measure=other_measure, lead_units=[jiaotong], lead_leaders=[he])
    toilets = TargetFactory(measure=measure, order=1, metric="新建改造公共厕所", value=Decimal(230), unit="座")
    green = TargetFactory(
        measure=measure,
        order=2,
        metric="建成区绿地率",
        text="到2020年，建成区绿地率达42.5%",
        value=Decimal("42.5"),
        unit="%",
        baseline=Decimal("40"),
    )
    milestone = TargetFactory(
        measure=measure,
        order=3,
        metric="出台城管执法工作方案",
        text="2019年6月底前出台工作方案",
        value=None,
        unit="",
        deadline=dt.date(2019, 6, 30),
    )
    yielding = TargetFactory(
        measure=other_measure,
        order=1,
        metric="公交车让行率",
        text="力争到2020年全市公交车让行率达到100%",
        value=Decimal(100),
        unit="%",
        baseline=Decimal(60),
    )
    users = SimpleNamespace(
        chengguan=unit_user(chengguan, "chengguan"),
        huanbao=unit_user(huanbao, "huanbao"),
        jiaotong=unit_user(jiaotong, "jiaotong"),
        office=office_user("office"),
    )
    leader_user = unit_user(OrgUnitFactory(name="市人民政府"), "tankemin", Role.LEADER)
    tan.user = leader_user
    tan.save()
    users.leader = leader_user
    return SimpleNamespace(
        plan=plan,
        section=section,
        measure=measure,
        other_measure=other_measure,
        chengguan=chengguan,
        huanbao=huanbao,
        jiaotong=jiaotong,
        tan=tan,
        he=he,
        toilets=toilets,
        green=green,
        milestone=milestone,
        yielding=yielding,
        users=users,
    )
