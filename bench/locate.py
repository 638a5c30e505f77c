"""Benchmark `wenming.geo.locate` over 10,000 grid cells.

    .venv/bin/python bench/locate.py [--cells-side 100] [--single 20000] [--many 200000]

Runs against a throw-away SQLite database (the test settings' temporary data directory), builds a synthetic
100 × 100 grid of rectangular cells over Zhuzhou's central city (20 streets × 10 communities × 50 cells), then
times single-point `locate()` and vectorised `locate_many()` on seeded random points, about a sixth of them
outside the grid. Goal for locate_many: ≥ 50,000 points/s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "wenming.settings.test"
os.environ.pop("DATABASE_URL", None)  # always the temporary SQLite file, never a shared database

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from shapely.geometry import box  # noqa: E402

from wenming.geo import locate as geo  # noqa: E402
from wenming.geo.geometry import bbox_fields, grid_code, to_geojson  # noqa: E402
from wenming.geo.models import GridCell, Jurisdiction, JurisdictionKind  # noqa: E402

MIN_LNG, MIN_LAT, MAX_LNG, MAX_LAT = 113.05, 27.76, 113.25, 27.97
BLOCK_COLS, BLOCK_ROWS = 10, 5  # cells per community: 50 (the sequence has two digits)


def build(side: int) -> int:
    dx, dy = (MAX_LNG - MIN_LNG) / side, (MAX_LAT - MIN_LAT) / side
    district = Jurisdiction.objects.create(
        code="439901", name="基准测试区", kind=JurisdictionKind.DISTRICT,
        geometry=to_geojson(box(MIN_LNG, MIN_LAT, MAX_LNG, MAX_LAT)),
    )
    communities: dict[tuple[int, int], Jurisdiction] = {}
    streets: dict[int, Jurisdiction] = {}
    cells = []
    for row in range(side):
        for col in range(side):
            block = (row // BLOCK_ROWS, col // BLOCK_COLS)
            if block not in communities:
                street_no = block[0] + 1
                if street_no not in streets:
                    streets[street_no] = Jurisdiction.objects.create(
                        code=f"439901{street_no:03d}", name=f"基准街道{street_no}", kind=JurisdictionKind.STREET,
                        parent=district,
                    )
                street = streets[street_no]
                communities[block] = Jurisdiction.objects.create(
                    code=f"{street.code}{block[1] + 1:03d}", name=f"基准社区{block}", kind=JurisdictionKind.COMMUNITY,
                    parent=street,
                )
            seq = (row % BLOCK_ROWS) * BLOCK_COLS + col % BLOCK_COLS + 1
            geom = box(MIN_LNG + col * dx, MIN_LAT + row * dy, MIN_LNG + (col + 1) * dx, MIN_LAT + (row + 1) * dy)
            community = communities[block]
            cells.append(GridCell(code=grid_code(community.code, seq), community=community,
                                  geometry=to_geojson(geom), **bbox_fields(geom)))
    GridCell.objects.bulk_create(cells, batch_size=1000)
    return len(cells)


def random_points(n: int, rng: np.random.Generator) -> np.ndarray:
    pad_lng, pad_lat = (MAX_LNG - MIN_LNG) * 0.05, (MAX_LAT - MIN_LAT) * 0.05
    return np.column_stack([
        rng.uniform(MIN_LAT - pad_lat, MAX_LAT + pad_lat, n),
        rng.uniform(MIN_LNG - pad_lng, MAX_LNG + pad_lng, n),
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells-side", type=int, default=100, help="grid is side × side cells (100 → 10,000)")
    parser.add_argument("--single", type=int, default=20_000, help="points for single-point locate()")
    parser.add_argument("--many", type=int, default=200_000, help="points for locate_many()")
    args = parser.parse_args()
    try:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        n_cells = build(args.cells_side)
        print(f"cells stored: {n_cells:,} in {time.perf_counter() - started:.2f} s (SQLite, {settings.DATA_DIR})")

        started = time.perf_counter()
        geo.invalidate()
        geo.get_index()
        print(f"index build (load + STRtree): {time.perf_counter() - started:.2f} s")

        rng = np.random.default_rng(20180601)
        points = random_points(args.single, rng)
        outside = 0
        started = time.perf_counter()
        for lat, lng in points.tolist():
            try:
                geo.locate(lat, lng)
            except geo.OutsideJurisdiction:
                outside += 1
        elapsed = time.perf_counter() - started
        print(f"locate():      {len(points) / elapsed:>12,.0f} points/s  ({len(points):,} points, {outside:,} outside)")

        points = random_points(args.many, rng)
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            results = geo.locate_many(points)
            best = min(best, time.perf_counter() - started)
        misses = sum(r is None for r in results)
        print(f"locate_many(): {len(points) / best:>12,.0f} points/s  ({len(points):,} points, {misses:,} outside; "
              f"best of 3)")
        # The two paths must agree.
        sample = points[:2000]
        for (lat, lng), many in zip(sample.tolist(), geo.locate_many(sample), strict=True):
            try:
                assert geo.locate(lat, lng) == many
            except geo.OutsideJurisdiction:
                assert many is None
    finally:
        shutil.rmtree(settings.DATA_DIR, ignore_errors=True)


if __name__ == "__main__":
    main()
