"""Batch supervision: every rule over N ledger-shaped events (default 10,000,000) on DuckDB,
against a plain pandas implementation of the same rules in the same run. The events are
generated into a Parquet file first (20 penalty powers of 7 steps, cases with skipped
reviews, one person reviewing and deciding, fines outside their range, slow
investigations, work at night and at weekends, and reads of citizens' data with and without
a case); generation is not timed. Both engines count findings per rule and the run checks
they agree on the rules both implement.

    .venv/bin/python benchmarks/supervision_rules_batch.py [--events 10000000] [--peer-events N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from zhuyun.core.calendar import default_calendar  # noqa: E402
from zhuyun.supervision.rules.batch import PowerSpec, evaluate  # noqa: E402
from zhuyun.supervision.rules.templates import check_params  # noqa: E402

STEPS = [
    ("register", 7),
    ("investigate", 30),
    ("review", 10),
    ("notify", 5),
    ("decide", 5),
    ("deliver", 7),
    ("close", 15),
]
POWERS = 20
BENCH = {"A0": (1000, 4000), "A1": (2000, 6000), "A2": (500, 3000), "A3": (5000, 20000)}


def powers() -> list[PowerSpec]:
    params: dict[str, dict[str, Any] | None] = {
        t: check_params(t, None)
        for t in (
            "step_order",
            "time_limit",
            "discretion_range",
            "amount_outlier",
            "segregation",
            "temporal_profile",
            "out_of_hours",
            "data_without_case",
        )
    }
    steps = [
        {"code": c, "name": c, "activity": f"power.{c}", "role": "x", "days": d, "mandatory": True}
        for c, d in STEPS
    ]
    bench = [{"article": a, "min_amount": lo, "max_amount": hi} for a, (lo, hi) in BENCH.items()]
    return [PowerSpec(f"P{n:02d}", n + 1, steps, bench, params) for n in range(POWERS)]


def generate(path: Path, events: int) -> None:
    """Cases of 7 steps (some with the review skipped) plus 1 % reads, in time order."""
    cases = events * 100 // 101 // 7
    reads = events - cases * 7
    amounts = " ".join(
        f"WHEN {n} THEN {lo} + (c.h >> 34) % {hi - lo}" for n, (lo, hi) in enumerate(BENCH.values())
    )
    con = duckdb.connect()
    calendar, day, n = default_calendar(), date(2024, 1, 1), 0
    working_days = []
    while day < date(2026, 12, 31):  # events fall on working days, like an office's
        if calendar.is_working_day(day):
            working_days.append((n, day))
            n += 1
        day += timedelta(days=1)
    con.execute("CREATE TEMP TABLE wd (n INTEGER, day DATE)")
    con.executemany("INSERT INTO wd VALUES (?, ?)", working_days)
    con.execute(f"""
    COPY (
      WITH c AS (
        SELECT i, hash(i) AS h, hash(i) % 420 AS n0, (hash(i) >> 10) % 420 AS minute0
        FROM range({cases}) r(i)
      ),
      s AS (SELECT * FROM (VALUES {", ".join(f"({n}, '{c}')" for n, (c, _) in enumerate(STEPS))})
            v(j, code)),
      e AS (
        SELECT 'c' || c.i AS case_id, 'power.' || s.code AS activity,
          CAST(CASE WHEN c.h % 300 = 17 AND s.j = 6  -- a Sunday's work now and then
                    THEN wd.day + CAST((7 - dayofweek(wd.day)) % 7 AS INTEGER) ELSE wd.day END
               AS TIMESTAMP)
            + INTERVAL 1 HOUR + INTERVAL (c.minute0 + s.j * 7) MINUTE
            + CASE WHEN c.h % 200 = 3 AND s.j = 5 THEN INTERVAL 14 HOUR ELSE INTERVAL 0 HOUR END
            AS occurred_at,
          CASE WHEN s.j = 2 THEN CASE WHEN c.h % 300 = 11 THEN 3000 + (c.h >> 30) % 40
                                      ELSE 2000 + (c.h >> 24) % 200 END
               WHEN s.j = 4 THEN 3000 + (c.h >> 30) % 40
               ELSE 1000 + (c.h >> 16) % 800 END :: INTEGER AS actor_id,
          (c.i % {POWERS}) + 1 AS unit_id, 'P' || lpad(CAST(c.i % {POWERS} AS VARCHAR), 2, '0')
            AS power_code,
          CASE WHEN s.j = 4 THEN CASE WHEN c.h % 97 = 5 THEN 90000.0
               ELSE CASE (c.h >> 40) % 4 {amounts} END END END AS amount,
          CASE WHEN s.j = 4 THEN 'A' || ((c.h >> 40) % 4) END AS article,
          false AS point_lookup, '' AS purpose
        FROM c CROSS JOIN s
        JOIN wd ON wd.n = c.n0 + s.j * (1 + (c.h >> 20) % 4)
                   + CASE WHEN s.j >= 1 AND c.h % 50 = 7 THEN 45 ELSE 0 END  -- a slow one
        WHERE NOT (s.j = 2 AND c.h % 100 = 42)
      ),
      r AS (
        SELECT 'resource:1' AS case_id, 'exchange.query' AS activity,
          CAST(wd.day AS TIMESTAMP) + INTERVAL 2 HOUR AS occurred_at,
          (1000 + hash(i) % 800)::INTEGER AS actor_id, (i % {POWERS}) + 1 AS unit_id,
          NULL AS power_code, NULL::DOUBLE AS amount, NULL AS article, true AS point_lookup,
          CASE WHEN i % 2 = 0 THEN 'case:c' || (hash(i) % {cases}) ELSE '随便看看' END AS purpose
        FROM range({reads}) r(i) JOIN wd ON wd.n = hash(i) % 480
      )
      SELECT row_number() OVER (ORDER BY occurred_at) AS seq, occurred_at, case_id, activity,
             actor_id, unit_id, power_code, amount, article, point_lookup, purpose
      FROM (SELECT * FROM e UNION ALL SELECT * FROM r)
    ) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
    """)
    con.close()


def run_duckdb(path: Path, rows: int | None = None) -> tuple[float, dict[str, int]]:
    con = duckdb.connect()
    con.execute("SET threads = 2")
    limit = f" WHERE seq <= {rows}" if rows else ""
    con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{path}'){limit}")
    start = time.perf_counter()
    found = evaluate(con, powers(), default_calendar())
    counts = dict(found.aggregate("template, count(*)").fetchall())  # type: ignore[arg-type]
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed, counts


def run_pandas(path: Path, rows: int) -> tuple[float, dict[str, int]]:
    """The same rules in plain pandas (step order, time limits, discretion, IQR per article,
    segregation, temporal profile, hours)."""
    frame = pd.read_parquet(path, filters=[("seq", "<=", rows)])
    start = time.perf_counter()
    counts: dict[str, int] = {}
    cal = default_calendar()
    steps = pd.DataFrame(
        [(f"power.{c}", n, c, d) for n, (c, d) in enumerate(STEPS)],
        columns=["activity", "idx", "code", "days"],
    )
    ev = frame.merge(steps, on="activity").sort_values(["case_id", "seq"], kind="stable")
    ev["local"] = ev["occurred_at"] + pd.Timedelta(hours=8)
    ev["day"] = ev["local"].dt.normalize()
    by_case = ev.groupby("case_id", sort=False)
    ev["nth"] = ev.groupby(["case_id", "code"], sort=False).cumcount() + 1
    ev["reached"] = by_case["idx"].cummax()
    ev["reached"] = ev.groupby("case_id", sort=False)["reached"].shift(1).fillna(-1)
    repeat = ev["nth"] > 1
    order = ~repeat & (ev["idx"] < ev["reached"])
    skip = ~repeat & ~order & (ev["idx"] > ev["reached"] + 1)  # every step is mandatory here
    counts["step_order"] = int((repeat | order | skip).sum())
    days = pd.date_range(
        ev["day"].min() - pd.Timedelta(days=1), ev["day"].max() + pd.Timedelta(days=400)
    )
    working = np.array([cal.is_working_day(d.date()) for d in days])
    idx = pd.Series(np.cumsum(working), index=days)
    by_idx = pd.Series(days[working], index=np.cumsum(working)[working])
    prev_day = by_case["day"].shift(1)
    first = (ev["nth"] == 1) & (ev["idx"] == ev["reached"] + 1) & prev_day.notna()
    due_idx = prev_day[first].map(idx) + ev.loc[first, "days"]
    due = due_idx.map(by_idx)
    counts["time_limit"] = int((ev.loc[first, "day"] > due).sum())
    bench = pd.DataFrame(
        [(a, lo, hi) for a, (lo, hi) in BENCH.items()], columns=["article", "lo", "hi"]
    )
    fines = ev[ev["amount"].notna()].merge(bench, on="article")
    counts["discretion_range"] = int(
        ((fines["amount"] < fines["lo"]) | (fines["amount"] > fines["hi"])).sum()
    )
    amounts = ev[ev["amount"].notna()]
    q = amounts.groupby(["power_code", "article"])["amount"].quantile([0.25, 0.75]).unstack()
    q.columns = ["q1", "q3"]
    joined = amounts.join(q, on=["power_code", "article"])
    spread = 1.5 * (joined["q3"] - joined["q1"])
    counts["amount_outlier"] = int(
        (
            (joined["amount"] < joined["q1"] - spread) | (joined["amount"] > joined["q3"] + spread)
        ).sum()
    )
    review = ev.loc[ev["code"] == "review", ["case_id", "actor_id"]]
    decide = ev.loc[ev["code"] == "decide", ["case_id", "actor_id"]]
    counts["segregation"] = len(review.merge(decide).drop_duplicates("case_id"))
    last = ev[(ev["idx"] == len(STEPS) - 1) & (ev["nth"] == 1)]
    start_at = by_case["occurred_at"].min()
    seconds = (last["occurred_at"] - last["case_id"].map(start_at)).dt.total_seconds()
    logd = np.log1p(seconds.clip(lower=0))
    stats = logd.groupby(last["power_code"]).agg(["mean", "std", "count"])
    mean = last["power_code"].map(stats["mean"])
    std = last["power_code"].map(logd.groupby(last["power_code"]).std(ddof=0))
    counts["temporal_profile"] = int(((logd - mean).abs() > 3 * std).sum())
    hm = (
        ev["local"].dt.strftime("%H:%M")
        if len(ev) < 0
        else (ev["local"].dt.hour * 100 + ev["local"].dt.minute)
    )
    off_day = ~ev["day"].map(pd.Series(working, index=days))
    counts["out_of_hours"] = int((off_day | (hm < 800) | (hm >= 1830)).sum())
    return time.perf_counter() - start, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument(
        "--peer-events",
        type=int,
        default=None,
        help="events the pandas peer runs on (default: all)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="zhuyun-bench-") as folder:
        path = Path(folder) / "events.parquet"
        t = time.perf_counter()
        generate(path, args.events)
        print(
            f"generated {args.events:,} events in {time.perf_counter() - t:.1f} s "
            f"({path.stat().st_size / 1e6:.0f} MB Parquet)"
        )
        duck_s, duck = run_duckdb(path)
        print(
            f"DuckDB, all rules, {args.events:,} events: {duck_s:.1f} s "
            f"({args.events / duck_s:,.0f} events/s)  findings {duck}"
        )
        peer_rows = args.peer_events or args.events
        duck_peer_s, duck_peer = (
            (duck_s, duck) if peer_rows == args.events else run_duckdb(path, peer_rows)
        )
        panda_s, panda = run_pandas(path, peer_rows)
        print(f"pandas peer, {peer_rows:,} events: {panda_s:.1f} s  findings {panda}")
        print(
            f"DuckDB on the same {peer_rows:,} events: {duck_peer_s:.1f} s "
            f"→ {panda_s / duck_peer_s:.2f}× pandas"
        )
        both = ("step_order", "time_limit", "discretion_range", "segregation", "out_of_hours")
        agree = {k: (duck_peer.get(k, 0), panda.get(k, 0)) for k in both}
        print("agreement (DuckDB, pandas):", agree)
        if any(a != b for a, b in agree.values()):
            print("WARNING: the engines disagree")


if __name__ == "__main__":
    main()
