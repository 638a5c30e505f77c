"""Deterministic demo data: users for every role and progress reports spread over the plan years.

The same inputs give the same data (a seeded RNG, choices keyed on target text, never on database ids), and running
it twice changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from wenming.accounts.models import Leader, Membership, OrgUnit, OrgUnitKind, Role, User
from wenming.plans.models import Plan, ProgressReport, ReportFrequency, Target

DEMO_PASSWORD = "Wenming@2026"
DEMO_NOTE = "（演示数据）"
OFFICE_UNIT = "市文明办"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    unit: str
    description: str


# One login for each role in DESIGN.md §1 (citizens need none) and the three 等保 administrators.
DEMO_LOGINS = [
    DemoLogin("office", Role.OFFICE, OFFICE_UNIT, "创文办工作人员：受理、派遣、核查、督办、发布"),
    DemoLogin("chengguan", Role.UNIT, "市城管局", "责任单位（市城管局）：责任清单、进度报送"),
    DemoLogin("jiaotong", Role.UNIT, "市交通运输局", "责任单位（市交通运输局）"),
    DemoLogin("hetang", Role.UNIT, "荷塘区人民政府", "属地政府（荷塘区）"),
    DemoLogin("inspector", Role.INSPECTOR, OFFICE_UNIT, "督查员：巡查上报、实地测评"),
    DemoLogin("leader", Role.LEADER, OFFICE_UNIT, "牵头领导（谭可敏）：查看所牵头措施"),
    DemoLogin("admin", Role.SYSTEM_ADMIN, OFFICE_UNIT, "系统管理员"),
    DemoLogin("secadmin", Role.SECURITY_ADMIN, OFFICE_UNIT, "安全管理员"),
    DemoLogin("auditor", Role.AUDIT_ADMIN, OFFICE_UNIT, "审计管理员"),
]
DEMO_LEADER_NAME = "谭可敏"


@dataclass
class DemoResult:
    users_created: int = 0
    reports_created: int = 0
    logins: list[DemoLogin] = field(default_factory=lambda: list(DEMO_LOGINS))


def _unit(name: str) -> OrgUnit:
    unit = OrgUnit.objects.by_name(name)
    if unit is None:
        unit = OrgUnit.objects.create(name=name, kind=OrgUnitKind.CITY_DEPARTMENT)
    return unit


@transaction.atomic
def create_demo_users() -> int:
    created = 0
    for login in DEMO_LOGINS:
        user, was_created = User.objects.get_or_create(
            username=login.username, defaults={"display_name": login.description.split("：")[0][:50]}
        )
        if was_created:
            user.set_password(DEMO_PASSWORD)
            user.is_staff = login.role in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.OFFICE)
            user.is_superuser = login.role == Role.SYSTEM_ADMIN
            user.save()
            created += 1
        Membership.objects.get_or_create(user=user, org_unit=_unit(login.unit), role=login.role)
        if login.role == Role.LEADER:
            leader, _ = Leader.objects.get_or_create(name=DEMO_LEADER_NAME)
            if leader.user_id is None:
                leader.user = user
                leader.save(update_fields=["user"])
    return created


def _stable_fraction(*parts: str) -> float:
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _periods(start: dt.date, end: dt.date, frequency: str) -> list[dt.date]:
    step = 3 if frequency == ReportFrequency.QUARTERLY else 1
    month = ((start.month - 1) // step) * step + 1
    cur = dt.date(start.year, month, 1)
    out = []
    while cur <= end:
        out.append(cur)
        m = cur.month - 1 + step
        cur = dt.date(cur.year + m // 12, m % 12 + 1, 1)
    return out


def _reporting_unit(target: Target, office: OrgUnit) -> OrgUnit:
    """Measures without a responsibility block (seed §1–10, §31–41) are run by the 文明办 itself (seed §38)."""
    resp = getattr(target.measure, "responsibility", None)
    lead = resp.lead_units.order_by("pk").first() if resp else None
    return lead or office


# Units in which a reported value may be fractional; everything else (座, 个, 名, 人 …) is counted whole.
INFINITESIMAL_UNITS = {"%", "平方米", "万平方米", "万人", "万户", "平方公里", "座/平方公里"}

# Trajectory profiles: how far along a target is at the end of the plan, and whether the unit went quiet.
PROFILES = [("ahead", 1.15, False), ("on_track", 1.0, False), ("behind", 0.6, False), ("quiet", 0.8, True)]


@transaction.atomic
def create_demo_reports(plan: Plan, today: dt.date) -> int:
    if ProgressReport.objects.filter(target__measure__plan=plan, note__endswith=DEMO_NOTE).exists():
        return 0
    office = _unit(OFFICE_UNIT)
    submitter = User.objects.filter(username="office").first()
    rng = random.Random(2018)
    rows: list[ProgressReport] = []
    targets = Target.objects.filter(measure__plan=plan).select_related("measure").order_by("measure__number", "order")
    for target in targets:
        name, reach, quiet = PROFILES[int(_stable_fraction(target.text, "profile") * len(PROFILES))]
        end = min(today, target.deadline)
        periods = _periods(target.starts_on, end, plan.report_frequency)
        if quiet and len(periods) > 3:
            periods = periods[:-3]  # the unit stopped reporting three periods ago
        unit = _reporting_unit(target, office)
        total_days = max((target.deadline - target.starts_on).days, 1)
        for period in periods:
            elapsed = min(max((period - target.starts_on).days + 28, 0), total_days) / total_days
            report = ProgressReport(
                target=target, org_unit=unit, period_start=period, submitted_by=submitter, note=DEMO_NOTE
            )
            if target.is_milestone:
                report.done = name != "behind" and elapsed >= 0.9
            else:
                goal = float(target.value)
                baseline = float(target.baseline or 0)
                jitter = 1 + (rng.random() - 0.5) * 0.06
                value = baseline + (goal - baseline) * min(elapsed * reach * jitter, 1.2)
                if target.unit == "%":
                    value = min(value, 100.0)
                if target.value == target.value.to_integral_value() and target.unit not in INFINITESIMAL_UNITS:
                    value = round(value)  # toilets, parks and people come whole
                report.value = Decimal(f"{max(value, 0):.2f}")
            rows.append(report)
    ProgressReport.objects.bulk_create(rows, batch_size=500)
    return len(rows)


# --- demo cases ---------------------------------------------------------------------------------------------

DEMO_CASE_COUNT = 240
DEMO_CASE_DAYS = 150
DEMO_CASE_KEY = "demo-case-"
DEMO_DESCRIPTIONS = [
    "路口有人{c}，影响行人通行，请尽快处理。",
    "小区门口长期存在{c}问题，居民多次反映。",
    "早晚高峰时段{c}现象严重，希望有关部门管一管。",
    "{c}，已持续一周，拍照上传。",
    "市民来电反映：{c}，要求处理并回复。",
]
DEMO_CHANNELS = ["web", "h5", "h5", "hotline", "hotline", "inspector", "deputy", "media", "volunteer"]


def _handler_for(unit: OrgUnit) -> User:
    """A staff account of the unit that does the unit's side of demo cases (it cannot log in)."""
    name = "demo-" + hashlib.sha1(unit.name.encode()).hexdigest()[:10]
    user, created = User.objects.get_or_create(username=name, defaults={"display_name": f"{unit.name}经办人"[:50]})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    Membership.objects.get_or_create(user=user, org_unit=unit, role=Role.UNIT)
    return user


def create_demo_cases(today: dt.date) -> int:
    """A few months of negative-list cases in every state, driven through the one workflow with a moving clock,
    so the event log, deadlines, metrics and boards are what real use would leave behind."""
    from wenming.cases.models import Case, Category
    from wenming.cases.services import case_report, routing_unit_for, sweep_overdue
    from wenming.cases.workflow import Action as A
    from wenming.cases.workflow import transition
    from wenming.core import clock
    from wenming.geo.models import GridCell

    if Case.objects.filter(idempotency_key__startswith=DEMO_CASE_KEY).exists():
        return 0
    categories = list(Category.objects.filter(is_active=True, is_public=True).order_by("code"))
    cells = list(GridCell.objects.order_by("code").values_list("min_lat", "min_lng", "max_lat", "max_lng"))
    office = User.objects.get(username="office")
    inspector = User.objects.get(username="inspector")
    if not categories or not cells:
        return 0
    rng = random.Random(39)  # seed §39: the negative-list platform
    from zoneinfo import ZoneInfo

    from django.conf import settings

    end = dt.datetime.combine(today, dt.time(9, 0), tzinfo=ZoneInfo(settings.TIME_ZONE))
    created = 0
    for i in range(DEMO_CASE_COUNT):
        t = end - dt.timedelta(days=rng.uniform(0.5, DEMO_CASE_DAYS), hours=rng.uniform(0, 8))
        category = rng.choice(categories)
        lat0, lng0, lat1, lng1 = rng.choice(cells)
        lat, lng = rng.uniform(lat0, lat1), rng.uniform(lng0, lng1)
        channel = rng.choice(DEMO_CHANNELS)
        with clock.frozen(t):
            case = case_report(
                category=category, description=rng.choice(DEMO_DESCRIPTIONS).format(c=category.name),
                lat=lat, lng=lng, channel=channel,
                reporter_name=rng.choice(["", "", "张先生", "李女士", "王师傅"]),
                reporter_phone=rng.choice(["", f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}"]),
                idempotency_key=f"{DEMO_CASE_KEY}{i}",
                actor=inspector if channel == "inspector" else None,
            )
        created += 1
        age_days = (end - t).days
        steps = _demo_fate(rng, age_days)
        now = t
        unit = routing_unit_for(case)
        handler = _handler_for(unit) if unit else None

        def act(action, *, after_hours, actor=None, case=case, **kwargs):
            nonlocal now
            now = now + dt.timedelta(hours=after_hours)
            if now >= end:
                return False
            with clock.frozen(now):
                transition(case, action, actor=actor, **kwargs)
            return True

        if "reject" in steps:
            act(A.REJECT, after_hours=2, actor=office, note="经核实不属于本平台受理范围（演示）")
            continue
        if "wait_accept" in steps:
            continue
        if not act(A.ACCEPT, after_hours=rng.uniform(0.5, 6), actor=office) or unit is None:
            continue
        if "wait_dispatch" in steps:
            continue
        if not act(A.DISPATCH, after_hours=rng.uniform(0.2, 3), actor=office, data={"unit": unit.pk}):
            continue
        if "wait_sign" in steps:
            continue
        if not act(A.SIGN, after_hours=rng.uniform(0.5, 20), actor=handler) or "stop_at_sign" in steps:
            continue
        limit_hours = max((case.due_at - now).total_seconds() / 3600, 4)
        speed = rng.choice([0.3, 0.5, 0.7, 0.9, 1.1, 1.6])  # >1: finished after the time limit
        if not act(A.FEED_BACK, after_hours=limit_hours * speed, actor=handler, note="已安排人员现场处置完毕。"):
            continue
        if "rework" in steps:
            if not act(A.VERIFY_FAIL, after_hours=4, actor=office, note="现场复核仍有问题，请返工。"):
                continue
            if not act(A.FEED_BACK, after_hours=12, actor=handler, note="已返工整改。"):
                continue
        if not act(A.VERIFY_PASS, after_hours=rng.uniform(2, 30), actor=rng.choice([office, inspector])):
            continue
        level = rng.choice([5, 5, 5, 4, 4, 4, 3, 3, 2, 1])
        act(A.CALLBACK, after_hours=24, data={"satisfaction": level})
    with clock.frozen(end):
        sweep_overdue()
        exposed = Case.objects.filter(idempotency_key__startswith=DEMO_CASE_KEY, is_supervised=True).order_by("pk")
        for case in exposed[:6]:
            transition(case, A.EXPOSE, actor=office, note="超期未办结，予以曝光（演示）")
    return created


def _demo_fate(rng: random.Random, age_days: int) -> set[str]:
    fate = set()
    roll = rng.random()
    if roll < 0.05:
        fate.add("reject")
    elif roll < 0.12:
        fate.add("rework")
    if age_days < 4:
        # the newest reports are still in the office's and the units' queues
        fate.add(rng.choice(["wait_accept", "wait_dispatch", "wait_sign", ""]))
    if age_days > 20 and rng.random() < 0.08:
        fate.add("stop_at_sign")  # long-overdue cases for the sweep and the exposure board
    return fate
