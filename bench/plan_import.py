"""Time parsing and importing the seed plan (goal: each under 1 s).

    .venv/bin/python bench/plan_import.py [--repeat N]

Runs against a throw-away SQLite database (migrated here), or the database DATABASE_URL names — in that case
Django's test-database machinery creates and drops a `test_…` database, never touching the real one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wenming.settings.test")


def timed(fn, repeat: int) -> tuple[float, float, object]:
    samples, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
    return min(samples), statistics.median(samples), result


def main() -> int:
    parser = argparse.ArgumentParser(description="seed plan parse/import benchmark")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection, transaction
    from django.test.utils import setup_test_environment

    from wenming.geo.divisions import load_divisions
    from wenming.plans.importers import import_plan_file, parse_plan_text, read_document
    from wenming.plans.importers.saving import DEFAULT_PLAN_PATH

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        text = read_document(DEFAULT_PLAN_PATH)
        best, median, parsed = timed(lambda: parse_plan_text(text, source_name="zhuzhou_2018.txt"), args.repeat)
        print(f"parse        best {best * 1000:7.1f} ms   median {median * 1000:7.1f} ms   {parsed.counts()}")

        load_divisions()

        class Rollback(Exception):
            pass

        def first_import():
            # Each round imports into an empty plan table, then rolls back, so every round is a full import.
            try:
                with transaction.atomic():
                    outcome = import_plan_file(DEFAULT_PLAN_PATH, is_default=True)
                    raise Rollback(outcome)
            except Rollback as exc:
                return exc.args[0]

        best, median, outcome = timed(first_import, args.repeat)
        print(f"full import  best {best * 1000:7.1f} ms   median {median * 1000:7.1f} ms   "
              f"org units created {outcome.summary['org_units_created']}")

        import_plan_file(DEFAULT_PLAN_PATH, is_default=True)
        best, median, outcome = timed(lambda: import_plan_file(DEFAULT_PLAN_PATH, is_default=True), args.repeat)
        print(f"re-import    best {best * 1000:7.1f} ms   median {median * 1000:7.1f} ms   changed={outcome.changed}")
        print(f"database     {connection.vendor}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
