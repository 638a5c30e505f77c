"""Time the case metrics for a year of 1,000,000 cases on PostgreSQL (goal: unit metrics < 1 s).

    .venv/bin/python bench/metrics.py [--cases 1000000] [--rebuild] [--events full|key] [--runs 3]

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/wm_bench_metrics) names the database; it is created if
missing and migrated. Cases are generated in the server with INSERT … SELECT over generate_series (no ORM loop):
120 units, 9 districts, 45 streets, 900 grid cells, 40 categories, one year (2019) of cases in every state with
realistic shares of late, reworked, returned, extended, reopened and rated cases. `--events full` (default) also
writes the event log a real year would have (report, accept, dispatch, returns, sign, feedback, rework,
extension, verify, callback: about 7 events a case), so the one event query (退单) runs against a full-size log;
`--events key` writes only the RETURN events the metrics read. An existing database with the requested number
of cases is reused unless --rebuild is given.

It then times `metrics.metric_rows` for the year by unit (median of --runs after one warm-up), and for
comparison without the working-hours average, by district, grid cell and for the whole city, for two months
(June: a sequential scan is cheaper, as most of the year's cases are due after 1 June; December: the date
indexes narrow the scan) and one quarter. Each line shows the machine's load average: the figures are only
comparable at similar load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/wm_bench_metrics"
os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
os.environ["DJANGO_SETTINGS_MODULE"] = "wenming.settings.test"


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = urlunparse(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


ensure_database(os.environ["DATABASE_URL"])

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from wenming.accounts.models import OrgUnit, OrgUnitKind  # noqa: E402
from wenming.assessments import metrics  # noqa: E402
from wenming.assessments.models import ensure_default_scheme  # noqa: E402
from wenming.assessments.periods import Period  # noqa: E402
from wenming.cases.models import Case, CaseEvent, Category, CategoryKind  # noqa: E402
from wenming.geo.models import GridCell, Jurisdiction, JurisdictionKind  # noqa: E402

YEAR = 2019
N_UNITS, N_DISTRICTS, STREETS_PER, CELLS_PER_STREET, N_CATEGORIES = 120, 9, 5, 20, 40
SQUARE = {"type": "Polygon", "coordinates": [[[113.1, 27.8], [113.11, 27.8], [113.11, 27.81], [113.1, 27.81], [113.1, 27.8]]]}


def build_reference() -> dict[str, list[int]]:
    """Units, jurisdictions, grid cells and categories (small; the ORM is fine here)."""
    units = OrgUnit.objects.bulk_create(
        [OrgUnit(name=f"压测单位{i:03d}", kind=OrgUnitKind.CITY_DEPARTMENT) for i in range(N_UNITS)]
    )
    city = Jurisdiction.objects.create(code="439900", name="压测市", kind=JurisdictionKind.CITY)
    districts = Jurisdiction.objects.bulk_create(
        [Jurisdiction(code=f"4399{i + 1:02d}", name=f"压测{i + 1}区", kind=JurisdictionKind.DISTRICT, parent=city)
         for i in range(N_DISTRICTS)]
    )
    streets, communities = [], []
    for d in districts:
        for s in range(STREETS_PER):
            streets.append(Jurisdiction(code=f"{d.code}{s + 1:03d}", name=f"{d.name}{s + 1}街道",
                                        kind=JurisdictionKind.STREET, parent=d))
    streets = Jurisdiction.objects.bulk_create(streets)
    for s in streets:
        communities.append(Jurisdiction(code=f"{s.code}001", name=f"{s.name}社区", kind=JurisdictionKind.COMMUNITY,
                                        parent=s))
    communities = Jurisdiction.objects.bulk_create(communities)
    cells = GridCell.objects.bulk_create(
        [GridCell(code=f"{c.code}{k + 1:02d}", name="", community=c, geometry=SQUARE)
         for c in communities for k in range(CELLS_PER_STREET)]
    )
    cats = Category.objects.bulk_create(
        [Category(kind=CategoryKind.EVENT, main_code="04", main_class="街面秩序", code=f"BENCH{i:03d}",
                  name=f"压测类别{i:02d}") for i in range(N_CATEGORIES)]
    )
    # Cell i lies in street i // CELLS_PER_STREET, which lies in district street // STREETS_PER.
    return {
        "units": [u.pk for u in units],
        "cells": [c.pk for c in cells],
        "cell_street": [streets[i // CELLS_PER_STREET].pk for i in range(len(cells))],
        "cell_district": [districts[i // CELLS_PER_STREET // STREETS_PER].pk for i in range(len(cells))],
        "categories": [c.pk for c in cats],
    }


def _fillers(table: str, given: set[str]) -> dict[str, str]:
    """SQL defaults for NOT NULL columns the generator does not set (the schema may grow under us)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
            "AND is_nullable = 'NO' AND column_default IS NULL",
            [table],
        )
        rows = cur.fetchall()
    by_type = {"boolean": "false", "integer": "0", "bigint": "0", "smallint": "0", "jsonb": "'{}'::jsonb",
               "text": "''", "character varying": "''", "timestamp with time zone": "r.created_at",
               "date": "r.created_at::date", "double precision": "0", "numeric": "0"}
    return {name: by_type.get(dtype, "NULL") for name, dtype in rows if name not in given and name != "id"}


CASE_SQL = """
WITH r AS (
  SELECT g,
         timestamptz '{year}-01-01 00:00+08' + (random() * 365) * interval '1 day' AS created_at,
         random() AS r_status, random() AS r_late, random() AS r_due, random() AS r_rework, random() AS r_return,
         random() AS r_ext, random() AS r_reopen, random() AS r_sat, random() AS r_close,
         1 + floor(random() * {n_cells})::int AS cell_i,
         1 + floor(power(random(), 1.6) * {n_units})::int AS unit_i,
         1 + floor(power(random(), 2) * {n_cats})::int AS cat_i
  FROM generate_series(1, {n}) AS g
), t AS (
  SELECT r.*,
         r.created_at + random() * interval '2 hours' AS accepted_at,
         r.created_at + interval '2 hours' + random() * interval '1 hour' AS dispatched_at,
         CASE WHEN r.r_status < 0.86 THEN 'closed' WHEN r.r_status < 0.90 THEN 'handled'
              WHEN r.r_status < 0.945 THEN 'in_progress' WHEN r.r_status < 0.96 THEN 'dispatched'
              WHEN r.r_status < 0.97 THEN 'suspended' WHEN r.r_status < 0.98 THEN 'accepted'
              ELSE 'rejected' END AS status
  FROM r
), u AS (
  SELECT t.*,
         t.dispatched_at + (CASE WHEN t.r_due < 0.1 THEN interval '4 hours' ELSE (1 + floor(t.r_due * 15)) * interval '1 day' END) AS due_at
  FROM t
), v AS (
  SELECT u.*,
         -- about a quarter of fixes come after the deadline
         u.dispatched_at + (u.due_at - u.dispatched_at) * (0.1 + 1.1 * u.r_late) AS handled_at0
  FROM u
)
INSERT INTO cases_case ({columns})
SELECT {values} FROM v AS r
"""


def build_cases(n: int, ref: dict[str, list[int]]) -> None:
    arr = {k: "ARRAY[" + ",".join(map(str, v)) + "]" for k, v in ref.items()}
    working = "r.status NOT IN ('accepted', 'rejected')"
    handled = "r.status IN ('closed', 'handled')"
    signed = "r.status NOT IN ('accepted', 'rejected', 'dispatched')"
    given = {
        "tracking_code": "'WB' || lpad(r.g::text, 12, '0')",
        "title": "''",
        "description": "'压测案件'",
        "category_id": f"({arr['categories']})[r.cat_i]",
        "lat": "27.8", "lng": "113.1", "address": "''",
        "grid_cell_id": f"({arr['cells']})[r.cell_i]",
        "street_id": f"({arr['cell_street']})[r.cell_i]",
        "district_id": f"({arr['cell_district']})[r.cell_i]",
        "channel": "'web'", "reporter_name": "''", "reporter_phone": "''",
        "is_urgent": "r.r_due < 0.1",
        "status": "r.status",
        "assigned_unit_id": f"CASE WHEN {working} THEN ({arr['units']})[r.unit_i] END",
        "assignment_final": "false",
        "due_at": f"CASE WHEN {working} THEN r.due_at END",
        "sign_due_at": f"CASE WHEN {working} THEN r.dispatched_at + interval '1 day' END",
        "satisfaction": ("CASE WHEN r.status = 'closed' AND r.r_sat < 0.6 THEN "
                         "(ARRAY[5,5,5,4,4,4,3,3,2,1])[1 + floor(r.r_sat / 0.06)::int] END"),
        "rework_count": f"CASE WHEN {handled} AND r.r_rework < 0.08 THEN 1 ELSE 0 END",
        "return_count": f"CASE WHEN {working} AND r.r_return < 0.05 THEN 1 ELSE 0 END",
        "extension_count": f"CASE WHEN {signed} AND r.r_ext < 0.04 THEN 1 ELSE 0 END",
        "reopen_count": "CASE WHEN r.status = 'closed' AND r.r_reopen < 0.02 THEN 1 ELSE 0 END",
        "is_supervised": "r.r_late > 0.95", "is_exposed": "false",
        "version": "5",
        "accepted_at": "CASE WHEN r.status <> 'rejected' THEN r.accepted_at END",
        "dispatched_at": f"CASE WHEN {working} THEN r.dispatched_at END",
        "signed_at": f"CASE WHEN {working} AND r.status <> 'dispatched' THEN r.dispatched_at + interval '30 minutes' END",
        "handled_at": f"CASE WHEN {handled} THEN r.handled_at0 END",
        "closed_at": ("CASE WHEN r.status = 'closed' THEN r.handled_at0 + r.r_close * interval '1 day' "
                      "WHEN r.status = 'rejected' THEN r.accepted_at END"),
        "created_at": "r.created_at",
        "updated_at": "r.created_at",
    }
    given.update(_fillers("cases_case", set(given)))
    sql = CASE_SQL.format(
        year=YEAR, n=n, n_cells=len(ref["cells"]), n_units=len(ref["units"]), n_cats=len(ref["categories"]),
        columns=", ".join(given), values=", ".join(given.values()),
    )
    with connection.cursor() as cur:
        cur.execute(sql)


# (action, from, to, role, at, condition); RETURN events name the returning unit (a random other unit).
EVENTS_FULL = [
    ("report", "", "reported", "reporter", "created_at", "true"),
    ("accept", "reported", "accepted", "office", "accepted_at", "accepted_at IS NOT NULL"),
    ("reject", "reported", "rejected", "office", "closed_at", "status = 'rejected'"),
    ("dispatch", "accepted", "dispatched", "office", "dispatched_at", "dispatched_at IS NOT NULL"),
    ("sign", "dispatched", "in_progress", "unit", "signed_at", "signed_at IS NOT NULL"),
    ("request_extension", "in_progress", "in_progress", "unit", "signed_at + interval '1 hour'", "extension_count > 0"),
    ("approve_extension", "in_progress", "in_progress", "office", "signed_at + interval '2 hours'", "extension_count > 0"),
    ("feed_back", "in_progress", "handled", "unit", "handled_at - interval '1 day'", "rework_count > 0 AND handled_at IS NOT NULL"),
    ("verify_fail", "handled", "in_progress", "office", "handled_at - interval '20 hours'", "rework_count > 0 AND handled_at IS NOT NULL"),
    ("feed_back", "in_progress", "handled", "unit", "handled_at", "handled_at IS NOT NULL"),
    ("verify_pass", "handled", "closed", "office", "closed_at", "status = 'closed'"),
    ("callback", "closed", "closed", "office", "closed_at + interval '1 day'", "satisfaction IS NOT NULL"),
    ("suspend", "in_progress", "suspended", "office", "signed_at + interval '3 hours'", "status = 'suspended'"),
]
RETURN_EVENT = ("return", "dispatched", "accepted", "unit", "dispatched_at - interval '10 minutes'", "return_count > 0")


def build_events(kind: str) -> None:
    rows = (EVENTS_FULL if kind == "full" else []) + [RETURN_EVENT]
    given_names = {"case_id", "action", "from_status", "to_status", "actor_role", "actor_unit_id", "at", "note",
                   "data", "public", "actor_id"}
    fillers = _fillers("cases_caseevent", given_names)
    n_units = OrgUnit.objects.filter(name__startswith="压测单位").count()
    first_unit = OrgUnit.objects.filter(name__startswith="压测单位").order_by("pk").values_list("pk", flat=True)[0]
    with connection.cursor() as cur:
        for action, src, dst, role, at, cond in rows:
            unit = (f"{first_unit} + ((id * 7919) % {n_units})" if action == "return"
                    else "assigned_unit_id" if role == "unit" else "NULL")
            extra_cols = "".join(f", {c}" for c in fillers)
            extra_vals = "".join(f", {v.replace('r.created_at', 'created_at')}" for v in fillers.values())
            cur.execute(
                f"INSERT INTO cases_caseevent (case_id, action, from_status, to_status, actor_role, actor_unit_id, at,"
                f" note, data, public, actor_id{extra_cols}) "
                f"SELECT id, '{action}', '{src}', '{dst}', '{role}', {unit}, {at}, '', '{{}}'::jsonb, true, NULL{extra_vals} "
                f"FROM cases_case WHERE {cond}"
            )
            print(f"  events {action:<18} {cur.rowcount:>9,}", flush=True)


def timed(fn, runs: int) -> tuple[float, list[float], object]:
    result = fn()  # warm-up: caches, plans
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--events", choices=["full", "key"], default="full")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-build", action="store_true", help="time whatever is in the database")
    args = parser.parse_args()

    print(f"database: {connection.settings_dict['NAME']} on {connection.settings_dict['HOST']}")
    call_command("migrate", verbosity=0)
    existing = Case.objects.count()
    if not args.no_build and (args.rebuild or existing != args.cases):
        t0 = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("TRUNCATE cases_caseattachment, cases_caseevent, cases_case RESTART IDENTITY CASCADE")
        GridCell.objects.filter(code__startswith="4399").delete()
        for kind in (JurisdictionKind.COMMUNITY, JurisdictionKind.STREET, JurisdictionKind.DISTRICT, JurisdictionKind.CITY):
            Jurisdiction.objects.filter(code__startswith="4399", kind=kind).delete()
        Category.objects.filter(code__startswith="BENCH").delete()
        OrgUnit.objects.filter(name__startswith="压测单位").delete()
        ref = build_reference()
        build_cases(args.cases, ref)
        print(f"generated {args.cases:,} cases in {time.perf_counter() - t0:.1f} s", flush=True)
        t1 = time.perf_counter()
        build_events(args.events)
        print(f"generated events ({args.events}) in {time.perf_counter() - t1:.1f} s", flush=True)
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE cases_case")
            cur.execute("VACUUM ANALYZE cases_caseevent")
    n_cases, n_events = Case.objects.count(), CaseEvent.objects.count()
    with connection.cursor() as cur:
        cur.execute("SELECT pg_size_pretty(pg_total_relation_size('cases_case')), "
                    "pg_size_pretty(pg_total_relation_size('cases_caseevent'))")
        size_cases, size_events = cur.fetchone()
    print(f"{n_cases:,} cases ({size_cases}), {n_events:,} events ({size_events})")

    scheme = ensure_default_scheme()
    year, month = Period.year_of(YEAR), Period.month(YEAR, 6)
    as_of = Period.year_of(YEAR + 1).end_at

    def case(label, **kw):
        kw.setdefault("group", metrics.UNIT)
        period = kw.pop("period", year)
        median, times, rows = timed(lambda: metrics.metric_rows(period, scheme=scheme, as_of=as_of, **kw), args.runs)
        flag = "" if median < 1 else "  (over 1 s)"
        print(f"{label:<46} median {median * 1000:7.0f} ms  runs {', '.join(f'{t * 1000:.0f}' for t in times)}"
              f"  rows {len(rows):>4}  load {os.getloadavg()[0]:.2f}{flag}", flush=True)
        return median, rows

    print(f"\nmetric_rows, median of {args.runs} after a warm-up (load average {os.getloadavg()[0]:.2f}"
          f" on {os.cpu_count()} CPUs):")
    _m, rows = case("year 2019 by unit (the goal: < 1 s)")
    case("year 2019 by unit, no working-hours average", handling_time=False)
    case("year 2019 by district", group=metrics.DISTRICT)
    case("year 2019 by grid cell", group=metrics.GRID)
    case("year 2019 whole city", group=metrics.ALL)
    case("June 2019 by unit", period=month)
    case("December 2019 by unit", period=Period.month(YEAR, 12))
    case("Q4 2019 by unit", period=Period.quarter(YEAR, 4))

    print(f"machine load average now: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")

    total = sum(r.due for r in rows)
    ranking = metrics.rank(rows, scheme)
    print(f"\nsanity: 应结案 {total:,} over {len(rows)} units; ranked {len(ranking.ranked)}, "
          f"insufficient {len(ranking.insufficient)}; top {ranking.ranked[0].name if ranking.ranked else '-'} "
          f"{ranking.ranked[0].score if ranking.ranked else ''}")
    sample = ranking.ranked[0] if ranking.ranked else None
    if sample:
        print(f"sample: 结案率 {sample.closure_rate} 按期处置率 {sample.ontime_handling_rate} 返工率 {sample.rework_rate} "
              f"退单率 {sample.return_rate} 满意率 {sample.satisfaction_rate} 平均处置 {sample.avg_handling_hours} h")


if __name__ == "__main__":
    main()
