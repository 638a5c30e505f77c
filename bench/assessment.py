"""Time the periodic products end to end on PostgreSQL: the annual assessment (goal < 60 s) and the weekly
observation (goal < 10 s), each including its .docx and .xlsx.

    .venv/bin/python bench/assessment.py [--cases 1000000] [--observations 20000] [--units 200] [--rebuild]
                                         [--events key|full] [--runs 3]

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/wm_bench_assess) names the database; it is created if
missing and migrated. Cases come from bench/metrics.py's generator (INSERT … SELECT over generate_series, one year
2019 in every state), with --units responsible units. Observations (item scores) are generated the same way:
2,000 points over the bench districts and units, a ten-item checklist, one inspection per point, scores spread
over the year. 80 targets led by the bench units (with progress reports) and two office inputs per unit complete
the annual model's inputs. An existing database with the requested numbers is reused unless --rebuild is given.

Each product is generated with `products.services.generate_now` (claim, build the snapshot from live data, render
the Word and Excel files, save) — the same path as `wenming report generate` — median of --runs after a warm-up,
and then split into its parts (snapshot, .docx, .xlsx) once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/wm_bench_assess")

# bench/metrics.py creates the database if missing and sets Django up; its generators are reused as they are.
_spec = importlib.util.spec_from_file_location("bench_metrics", HERE / "metrics.py")
bench_metrics = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_metrics)

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from wenming.accounts.models import OrgUnit  # noqa: E402
from wenming.assessments.models import OfficeInput, Product, ScoringModel  # noqa: E402
from wenming.assessments.products import builders, services  # noqa: E402
from wenming.assessments.products.docx import render_docx  # noqa: E402
from wenming.assessments.products.periods import parse_period  # noqa: E402
from wenming.assessments.products.xlsx import render_xlsx  # noqa: E402
from wenming.cases.models import Case, Category  # noqa: E402
from wenming.core import clock  # noqa: E402
from wenming.geo.models import GridCell, Jurisdiction, JurisdictionKind  # noqa: E402
from wenming.inspections.models import (  # noqa: E402
    Checklist,
    ChecklistItem,
    InspectionPoint,
    ItemScore,
    PointType,
    Round,
    RoundStatus,
)
from wenming.plans.models import Measure, Plan, ProgressReport, Responsibility, Section, Target  # noqa: E402

YEAR = bench_metrics.YEAR
N_POINTS, N_ITEMS = 2000, 10


def clear_reference() -> None:
    with connection.cursor() as cur:
        cur.execute("TRUNCATE cases_caseattachment, cases_caseevent, cases_case RESTART IDENTITY CASCADE")
        cur.execute("TRUNCATE inspections_itemphoto, inspections_itemscore, inspections_inspection RESTART IDENTITY CASCADE")
    Product.objects.all().delete()
    OfficeInput.objects.all().delete()
    Plan.objects.filter(title="压测方案").delete()
    Round.objects.filter(name="压测轮次").delete()
    InspectionPoint.objects.filter(name__startswith="压测点位").delete()
    Checklist.objects.filter(point_type__code="bench").delete()
    PointType.objects.filter(code="bench").delete()
    GridCell.objects.filter(code__startswith="4399").delete()
    for kind in (JurisdictionKind.COMMUNITY, JurisdictionKind.STREET, JurisdictionKind.DISTRICT, JurisdictionKind.CITY):
        Jurisdiction.objects.filter(code__startswith="4399", kind=kind).delete()
    Category.objects.filter(code__startswith="BENCH").delete()
    OrgUnit.objects.filter(name__startswith="压测单位").delete()


def build_observations(n: int, units: list[int]) -> None:
    """Points, a checklist, one inspection per point and `n` item scores, in bulk SQL."""
    ptype = PointType.objects.create(code="bench", name="压测点位类型")
    checklist = Checklist.objects.create(point_type=ptype, year=YEAR)
    ChecklistItem.objects.bulk_create([
        ChecklistItem(checklist=checklist, code=f"B{i:02d}", text=f"压测标准{i}", points=Decimal(10), order=i)
        for i in range(N_ITEMS)
    ])
    districts = list(Jurisdiction.objects.filter(code__startswith="4399", kind=JurisdictionKind.DISTRICT)
                     .values_list("pk", flat=True))
    rnd = Round.objects.create(name="压测轮次", start_date=dt.date(YEAR, 1, 1), end_date=dt.date(YEAR, 12, 31),
                               status=RoundStatus.CLOSED)
    InspectionPoint.objects.bulk_create([
        InspectionPoint(point_type=ptype, name=f"压测点位{i:05d}", district_id=districts[i % len(districts)],
                        responsible_unit_id=units[i % len(units)])
        for i in range(N_POINTS)
    ], batch_size=1000)
    per_point = max(1, n // N_POINTS)
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO inspections_inspection (round_id, point_id, inspector_id, started_at, finished_at) "
            "SELECT %s, p.id, NULL, timestamptz %s + (random() * 360) * interval '1 day', NULL "
            "FROM inspections_inspectionpoint p WHERE p.point_type_id = %s",
            [rnd.pk, f"{YEAR}-01-01 09:00+08", ptype.pk],
        )
        # Each inspection scores the first `per_point` items; about one item in six fails.
        cur.execute(
            "INSERT INTO inspections_itemscore (inspection_id, item_id, score, passed, note, version, scored_by_id,"
            " scored_at, case_id) "
            "SELECT i.id, it.id, s.score, s.score >= 10, '', 1, NULL, i.started_at + interval '1 hour', NULL "
            "FROM inspections_inspection i JOIN inspections_checklistitem it ON it.checklist_id = %s AND it.\"order\" < %s "
            "CROSS JOIN LATERAL (SELECT CASE WHEN random() < 0.17 THEN floor(random() * 10) ELSE 10 END AS score "
            "  WHERE i.id IS NOT NULL AND it.id IS NOT NULL) s "
            "WHERE i.round_id = %s",
            [checklist.pk, per_point, rnd.pk],
        )
        cur.execute("ANALYZE inspections_itemscore")


def build_plan(units: list[int]) -> None:
    plan = Plan.objects.create(title="压测方案", starts_on=dt.date(YEAR, 1, 1), ends_on=dt.date(YEAR, 12, 31),
                               source_sha256="bench")
    section = Section.objects.create(plan=plan, number=1, title="压测")
    reports = []
    for m in range(40):
        measure = Measure.objects.create(plan=plan, section=section, number=m + 1, title=f"压测措施{m + 1}")
        Responsibility.objects.create(measure=measure).lead_units.add(*units[m * 5 % len(units): m * 5 % len(units) + 5])
        for k in range(2):
            target = Target.objects.create(measure=measure, text="压测目标", metric=f"压测指标{m}-{k}", value=Decimal(100),
                                           starts_on=dt.date(YEAR, 1, 1), deadline=dt.date(YEAR, 6 + 6 * k, 28))
            reports.append(ProgressReport(target=target, org_unit_id=units[m % len(units)],
                                          period_start=dt.date(YEAR, 6, 1), value=Decimal(60 + (m * 7 + k * 13) % 50)))
    ProgressReport.objects.bulk_create(reports)
    OfficeInput.objects.bulk_create([
        OfficeInput(year=YEAR, unit_id=u, item=item, score=Decimal(60 + (u * (3 + j)) % 40))
        for u in units for j, item in enumerate(("材料审核", "问卷调查"))
    ])
    ScoringModel.objects.get_or_create(year=YEAR)


def timed(fn, runs: int):
    result = fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--observations", type=int, default=20_000)
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--events", choices=["full", "key"], default="key")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()

    print(f"database: {connection.settings_dict['NAME']} on {connection.settings_dict['HOST']}")
    call_command("migrate", verbosity=0)
    have = (Case.objects.count(), ItemScore.objects.count(), OrgUnit.objects.filter(name__startswith="压测单位").count())
    if args.rebuild or have != (args.cases, args.observations, args.units):
        t0 = time.perf_counter()
        clear_reference()
        bench_metrics.N_UNITS = args.units
        ref = bench_metrics.build_reference()
        bench_metrics.build_cases(args.cases, ref)
        print(f"generated {args.cases:,} cases in {time.perf_counter() - t0:.1f} s", flush=True)
        t1 = time.perf_counter()
        bench_metrics.build_events(args.events)
        build_observations(args.observations, ref["units"])
        build_plan(ref["units"])
        print(f"generated events ({args.events}), {ItemScore.objects.count():,} observations, plan and office inputs "
              f"in {time.perf_counter() - t1:.1f} s", flush=True)
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE cases_case")
            cur.execute("VACUUM ANALYZE cases_caseevent")
    print(f"{Case.objects.count():,} cases, {ItemScore.objects.count():,} observations, "
          f"{OrgUnit.objects.filter(name__startswith='压测单位').count()} units, {Target.objects.count()} targets")

    def product(kind: str, period: str, goal: float, now: dt.datetime) -> None:
        Product.objects.filter(kind=kind, period_key=period).delete()

        def run():
            with clock.frozen(now):
                return services.generate_now(kind=kind, period=period)

        median, times, result = timed(run, args.runs)
        flag = "ok" if median < goal else f"OVER the {goal:.0f} s goal"
        print(f"\n{kind} {period} end to end (snapshot + .docx + .xlsx + save): median {median:.2f} s "
              f"(runs {', '.join(f'{t:.2f}' for t in times)}) — goal < {goal:.0f} s: {flag}", flush=True)
        with clock.frozen(now):
            t0 = time.perf_counter()
            snapshot = builders.build(kind, parse_period(kind, period))
            t1 = time.perf_counter()
            docx = render_docx(snapshot)
            t2 = time.perf_counter()
            xlsx = render_xlsx(snapshot)
            t3 = time.perf_counter()
        tables = [b for b in snapshot["blocks"] if b["type"] == "table"]
        charts = [b for b in snapshot["blocks"] if b["type"] == "chart"]
        print(f"  parts: snapshot {t1 - t0:.2f} s, .docx {t2 - t1:.2f} s ({len(docx) // 1024} KiB, {len(charts)} charts),"
              f" .xlsx {t3 - t2:.2f} s ({len(xlsx) // 1024} KiB); tables {[(b['id'], len(b['rows'])) for b in tables]}")
        print(f"  headline: {snapshot['headline'][:6]}")

    tz = clock.now().tzinfo
    product("annual", str(YEAR), 60, dt.datetime(YEAR + 1, 1, 10, 9, tzinfo=tz))
    product("weekly", f"{YEAR}-W42", 10, dt.datetime(YEAR, 10, 21, 9, tzinfo=tz))
    print(f"\nmachine load average now: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
