"""Work-order intake: ingest + classify + locate + deduplicate + register + dispatch (three
ledger entries and three timeline events per order, written a batch at a time: one
multi-row insert each of orders, events and ledger entries) per second, against
classification alone, measured in the same run; and whether a city-day of 50,000 12345
orders is taken in under a minute. Every order carries an idempotency key (as the API's
callers send), so the exactly-once check is in the measured path; `--no-keys` leaves it out.

Both wall-clock time and the process's CPU time are printed: on a shared machine the wall
clock also counts the time other processes held the CPU (single-threaded, SQLite in
process: on an idle machine the two agree).

    .venv/bin/python benchmarks/workorders_ingest.py                 # 50,000 orders, SQLite
    .venv/bin/python benchmarks/workorders_ingest.py --orders 5000 --batch 200
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from zhuyun.core.db import Database
from zhuyun.core.ledger import SYSTEM
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import build_demo
from zhuyun.demo.scale import ScaleName
from zhuyun.governance.models import Grid, WorkOrder
from zhuyun.governance.service import corpus, intake
from zhuyun.governance.service.classify import classifier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=500, help="orders per transaction")
    parser.add_argument("--scale", default="test", choices=[s.value for s in ScaleName])
    parser.add_argument("--no-keys", action="store_true", help="submit without idempotency keys")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            env="test", data_dir=Path(tmp), database_url=f"sqlite:///{tmp}/platform.sqlite"
        )
        print(f"building a {args.scale} demo city …", flush=True)
        build_demo(settings, ScaleName(args.scale), 7)
        database = Database(settings.database_url)
        rng = random.Random(11)
        samples = list(corpus.generate(args.orders, seed=99))
        with database.session() as session:
            grids = session.execute(select(Grid.centroid_lng, Grid.centroid_lat)).all()
            model = classifier(session)
            already = session.scalar(select(func.count()).select_from(WorkOrder)) or 0
        texts = [s.text for s in samples]
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(0, len(texts), args.batch):
            model.predict(texts[i : i + args.batch])
        classify_s = time.perf_counter() - start
        classify_cpu = time.process_time() - cpu
        drafts = []
        for s in samples:
            lng, lat = rng.choice(grids)
            drafts.append(
                intake.Draft(
                    channel="hotline", text=s.text,
                    lng=lng + rng.uniform(-0.003, 0.003), lat=lat + rng.uniform(-0.003, 0.003),
                    caller_phone=f"138{rng.randrange(10**7, 10**8)}",
                )
            )  # fmt: skip
        keys = [None if args.no_keys else ("bench", f"call-{n:06d}") for n in range(len(drafts))]
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(0, len(drafts), args.batch):
            with database.session() as session:
                intake.submit_many(
                    session, SYSTEM, drafts[i : i + args.batch], reporter_id=None,
                    idempotency=keys[i : i + args.batch],
                )  # fmt: skip
        ingest_s = time.perf_counter() - start
        ingest_cpu = time.process_time() - cpu
        with database.session() as session:
            rows = session.execute(
                select(WorkOrder.status, func.count())
                .where(WorkOrder.id > already)
                .group_by(WorkOrder.status)
            ).all()
        database.dispose()
    n = len(samples)
    keyed = "without keys" if args.no_keys else "each with an idempotency key"
    print(f"orders                          {n:,} (batches of {args.batch}, {keyed})")
    print(
        f"classification alone            {n / classify_s:>10,.0f} orders/s  ({classify_s:.2f} s"
        f" wall, {classify_cpu:.2f} s CPU)"
    )
    print(
        f"ingest+classify+dispatch        {n / ingest_s:>10,.0f} orders/s  ({ingest_s:.2f} s"
        f" wall, {ingest_cpu:.2f} s CPU: {n / ingest_cpu:,.0f} orders per CPU-second)"
    )
    print(f"ratio (workflow / classify)     {classify_s / ingest_s:>10.3f}")
    print(f"statuses                        {dict(rows)}")
    day, day_cpu = 50_000 * ingest_s / n, 50_000 * ingest_cpu / n
    verdict = "under" if day < 60 else "OVER"
    print(
        f"a city-day of 50,000 orders     {day:>10.1f} s wall ({verdict} a minute), "
        f"{day_cpu:.1f} s CPU"
    )


if __name__ == "__main__":
    main()
