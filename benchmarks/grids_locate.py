"""Point-in-grid lookups per second over the city-scale demo grids (about 10,000): the
governance service's STRtree index against a brute-force loop over every polygon, in the
same run and on the same random points.

The grids are the demo city's city-scale tessellation, imported through the governance
service into a fresh SQLite platform database; the index is the one `grid_of` uses
(`governance.service.grid_index`). Points are drawn uniformly in the grids' extent (a few
fall outside every grid, as real reports near the city's edge do). Both sides answer the
same question — the covering grid, the smaller code on a shared border — and the run checks
they agree on every point.

    .venv/bin/python benchmarks/grids_locate.py [--points 20000] [--brute-points 500]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import shapely

from zhuyun.core.db import Database
from zhuyun.core.ledger import SYSTEM
from zhuyun.demo.grids import tessellation
from zhuyun.demo.scale import ScaleName, get_scale
from zhuyun.governance import service
from zhuyun.migrations import upgrade


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20_000, help="lookups through the index")
    parser.add_argument("--brute-points", type=int, default=500, help="lookups by the loop")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{Path(folder) / 'grids.sqlite'}")
        upgrade(database)
        start = time.perf_counter()
        features = list(tessellation(get_scale(ScaleName.CITY), args.seed))
        drawn = time.perf_counter() - start
        with database.session() as session:
            start = time.perf_counter()
            report = service.import_features(
                session, SYSTEM, {"type": "FeatureCollection", "features": features}
            )
            imported = time.perf_counter() - start
        with database.session() as session:
            start = time.perf_counter()
            index = service.grid_index(session)
            built = time.perf_counter() - start
        database.dispose()

    rng = random.Random(args.seed)
    minx, miny, maxx, maxy = shapely.total_bounds(index.polygons)
    points = [
        (rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        for _ in range(max(args.points, args.brute_points))
    ]

    start = time.perf_counter()
    tree_answers = [index.locate(x, y) for x, y in points[: args.points]]
    tree_s = time.perf_counter() - start

    lngs = [x for x, _ in points[: args.points]]
    lats = [y for _, y in points[: args.points]]
    start = time.perf_counter()
    bulk_answers = index.locate_many(lngs, lats)
    bulk_s = time.perf_counter() - start

    sample = points[: args.brute_points]
    start = time.perf_counter()
    brute_answers = [index.locate_brute_force(x, y) for x, y in sample]
    brute_s = time.perf_counter() - start

    assert tree_answers[: len(sample)] == brute_answers, "the index and the loop disagree"
    assert bulk_answers == tree_answers, "the bulk lookup and the single lookups disagree"
    found = sum(a is not None for a in tree_answers)

    tree_rate = args.points / tree_s
    bulk_rate = args.points / bulk_s
    brute_rate = len(sample) / brute_s
    print(
        f"grids: {len(index):,} (drawn in {drawn:.1f} s, imported with every check in "
        f"{imported:.1f} s: {report.grids_created:,} created; index built in {built:.2f} s)"
    )
    print(
        f"points: {args.points:,} through the index ({found:,} inside a grid), "
        f"{len(sample):,} through the loop; answers agree"
    )
    print(f"STRtree, one point a call : {tree_rate:>12,.0f} lookups/s")
    print(f"STRtree, all points at once: {bulk_rate:>12,.0f} lookups/s")
    print(f"brute-force loop           : {brute_rate:>12,.1f} lookups/s")
    print(f"ratio (one point a call)   : {tree_rate / brute_rate:>12,.0f}x")
    print(f"ratio (all points at once) : {bulk_rate / brute_rate:>12,.0f}x")  # fmt: skip


if __name__ == "__main__":
    main()
