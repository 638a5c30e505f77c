"""Server time of the plan page and a unit page with 50 seed-sized plans in the database (goal < 200 ms each).

    .venv/bin/python bench/plan_pages.py [--plans 50] [--runs 7]

Builds a throw-away SQLite database in a temp directory and imports the seed plan 50 times (under 50 titles) with
the demo progress reports of `wenming demo` (or, with --synthetic, synthesises seed-shaped plans), then times GET requests
through django.test.Client (median of several runs, after one warm-up) and prints milliseconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
DATA_DIR = tempfile.mkdtemp(prefix="wenming-bench-")
os.environ["WENMING_DATA_DIR"] = DATA_DIR
os.environ["DJANGO_SETTINGS_MODULE"] = "wenming.settings.test"
os.environ.pop("DATABASE_URL", None)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from wenming.accounts.models import Leader, Membership, OrgUnit, Role, User  # noqa: E402
from wenming.core import clock  # noqa: E402
from wenming.plans.models import Measure, Plan, ProgressReport, Responsibility, Section, Target  # noqa: E402

SECTIONS = 8
MEASURES = 41
UNITS = [f"市单位{i:02d}" for i in range(60)]
LEADERS = [f"领导{i:02d}" for i in range(14)]
TODAY = dt.date(2019, 6, 20)


def build(n_plans: int, rng: random.Random) -> tuple[Plan, OrgUnit]:
    units = OrgUnit.objects.bulk_create([OrgUnit(name=n) for n in UNITS])
    leaders = Leader.objects.bulk_create([Leader(name=n, position="副市长") for n in LEADERS])
    user = User.objects.create_user("bench-unit", password="Wenming-bench-2019")
    Membership.objects.create(user=user, org_unit=units[0], role=Role.UNIT)
    lead_through = Responsibility.lead_units.through
    member_through = Responsibility.member_units.through
    leader_through = Responsibility.lead_leaders.through
    for p in range(n_plans):
        plan = Plan.objects.create(
            title=f"实施意见（第{p + 1}号）",
            starts_on=dt.date(2018, 7, 1),
            ends_on=dt.date(2020, 12, 31),
            source_sha256=f"{p:064d}",
            is_default=p == 0,
            source_text="正文" * 5000,
        )
        sections = Section.objects.bulk_create(
            [Section(plan=plan, number=i + 1, title=f"{'一二三四五六七八'[i]}、第{i + 1}部分") for i in range(SECTIONS)]
        )
        measures = Measure.objects.bulk_create(
            [
                Measure(plan=plan, section=sections[i * SECTIONS // MEASURES], number=i + 1, title=f"深化第{i + 1}项文明行动",
                        body="突出抓好五项工作：" + "扎实开展工作，" * 80)
                for i in range(MEASURES)
            ]
        )
        resps = Responsibility.objects.bulk_create(
            [Responsibility(measure=m, raw_text="（牵头领导：…）", member_phrases=["各区政府"]) for m in measures]
        )
        leads, members, leads_l = [], [], []
        for i, r in enumerate(resps):
            lead = units[i % 20] if i % 5 else units[0]  # unit 0 leads every fifth measure
            leads.append(lead_through(responsibility_id=r.pk, orgunit_id=lead.pk))
            for u in rng.sample(units[20:], 6) + ([units[0]] if i % 7 == 1 else []):
                members.append(member_through(responsibility_id=r.pk, orgunit_id=u.pk))
            leads_l.append(leader_through(responsibility_id=r.pk, leader_id=leaders[i % len(leaders)].pk))
        lead_through.objects.bulk_create(leads)
        member_through.objects.bulk_create(members)
        leader_through.objects.bulk_create(leads_l)
        targets = []
        for i, m in enumerate(measures):
            for k in range(2 if i % 3 else 1) if i > 3 else ():
                kind = rng.choice(["count", "percent", "milestone", "yearly"])
                targets.append(
                    Target(
                        measure=m, order=k, text="到2020年……", metric=f"指标{i + 1}-{k + 1}",
                        value=None if kind == "milestone" else Decimal(rng.choice([230, 100, 42.5, 95, 20])),
                        unit="%" if kind == "percent" else ("" if kind == "milestone" else "座"),
                        baseline=Decimal(30) if kind == "percent" else None,
                        starts_on=dt.date(2018, 7, 1),
                        deadline=dt.date(2019, 12, 31) if kind == "milestone" else dt.date(2020, 12, 31),
                        recurrence="yearly" if kind == "yearly" else "",
                    )
                )
        for extra in range(80 - len(targets)):
            targets.append(Target(measure=measures[4 + extra], order=9, text="……", metric=f"补充指标{extra}",
                                  value=Decimal(100), unit="%", starts_on=dt.date(2018, 7, 1), deadline=dt.date(2020, 12, 31)))
        targets = Target.objects.bulk_create(targets)
        reports = []
        for t in targets:
            resp_units = [leads[t.measure.number - 1].orgunit_id]
            for month in range(1, 7):
                if rng.random() < 0.8:
                    reports.append(
                        ProgressReport(
                            target=t, org_unit_id=resp_units[0], period_start=dt.date(2019, month, 1),
                            value=None if t.value is None else Decimal(rng.randint(0, 100)),
                            done=t.value is None and month == 6, note="按计划推进",
                            submitted_at=clock.now(),
                        )
                    )
        ProgressReport.objects.bulk_create(reports)
    return Plan.objects.get(is_default=True), units[0]


def build_imported(n_plans: int) -> tuple[Plan, OrgUnit]:
    """The issue's setting: 50 *imported* plans — the seed imported under 50 titles, each with demo progress."""
    from wenming.plans.importers import import_default_plan, import_plan_file
    from wenming.portal.demo import create_demo_reports, create_demo_users

    seed = Path(__file__).resolve().parent.parent / "wenming" / "plans" / "data" / "zhuzhou_2018.txt"
    text = seed.read_text(encoding="utf-8")
    title = "株洲市建设新时代全域化更高水平文明城市的实施意见"
    default = import_default_plan().plan
    create_demo_users()
    create_demo_reports(default, TODAY)
    tmp = Path(DATA_DIR)
    for i in range(2, n_plans + 1):
        copy = tmp / f"plan_{i}.txt"
        copy.write_text(text.replace(title, f"{title}（第{i}版）"), encoding="utf-8")
        plan = import_plan_file(copy).plan
        create_demo_reports(plan, TODAY)
    unit = OrgUnit.objects.by_name("市城管局")
    user = User.objects.create_user("bench-unit", password="Wenming-bench-2019")
    Membership.objects.create(user=user, org_unit=unit, role=Role.UNIT)
    return default, unit


def timed(client: Client, url: str, runs: int) -> tuple[float, int, int]:
    response = client.get(url)  # warm-up (template loading, caches)
    assert response.status_code == 200, (url, response.status_code)
    times, cpu = [], []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            start, cpu_start = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - cpu_start) * 1000)
        assert response.status_code == 200
    # CPU time of this process (SQLite runs in-process) is printed too: on a shared machine it is the steadier figure.
    return statistics.median(times), len(ctx.captured_queries), len(response.content), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=50)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--synthetic", action="store_true", help="synthesise plans instead of importing the seed")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    rng = random.Random(2018)
    t0 = time.perf_counter()
    with clock.frozen(TODAY):
        plan, unit = build(args.plans, rng) if args.synthetic else build_imported(args.plans)
    print(
        f"database: {settings.DATABASES['default']['NAME']} — {Plan.objects.count()} plans, "
        f"{Measure.objects.count()} measures, {Target.objects.count()} targets, "
        f"{ProgressReport.objects.count()} reports (built in {time.perf_counter() - t0:.1f} s)"
    )
    client = Client()
    client.force_login(User.objects.get(username="bench-unit"))
    pages = [
        ("plan page", f"/plans/{plan.pk}/"),
        ("unit page", f"/plans/units/{unit.pk}/"),
    ]
    worst = 0.0
    with clock.frozen(TODAY):
        for name, url in pages:
            ms, queries, size, cpu = timed(client, url, args.runs)
            worst = max(worst, ms)
            print(f"{name:10s} {url:28s} median {ms:7.1f} ms (cpu {cpu:6.1f} ms)  {queries:3d} queries  {size // 1024} KiB")
        office = User.objects.create_user("bench-office", password="Wenming-bench-2019")
        Membership.objects.create(user=office, org_unit=unit, role=Role.OFFICE)
        client.force_login(office)
        ms, queries, size, cpu = timed(client, "/plans/board/", args.runs)
        print(f"{'board':10s} {'/plans/board/':28s} median {ms:7.1f} ms (cpu {cpu:6.1f} ms)  {queries:3d} queries  "
              f"{size // 1024} KiB (not in goal)")
    load = os.getloadavg()[0]
    print(f"goal < 200 ms each: {'met' if worst < 200 else 'NOT met'} (load average {load:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
