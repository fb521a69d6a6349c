"""What a department node (前置机) adds: point lookups and a bulk read through a node against
the direct path, on the same SQLite (or PostgreSQL) data.

The gateway runs the same code either way — policy, masking, ledger — and then calls its
connector: `SqlConnector` on the direct path, `NodeConnector` via a node (signed request,
grant token, Arrow frames, the node's signed trailer, the node's own message log). So the hop
is measured at that seam: the same lookups and the same bulk select on both connectors, the
node a real process on a loopback port.

    .venv/bin/python benchmarks/node_hop.py                    # 1,000,000 rows, SQLite
    .venv/bin/python benchmarks/node_hop.py --rows 200000 --lookups 2000
    .venv/bin/python benchmarks/node_hop.py --postgresql postgresql://postgres@127.0.0.1/db
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.exchange.nodes_support import write_config

from zhuyun.exchange.connectors import Connector, SelectSpec, SourceConfig, SourceKind, connect
from zhuyun.exchange.connectors.node import register_platform_key
from zhuyun.exchange.node import keys, signing


def build(path: Path, rows: int) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE people (id INTEGER PRIMARY KEY, id_number TEXT UNIQUE NOT NULL, "
            "name TEXT NOT NULL, district TEXT, income REAL)"
        )
        conn.executemany(
            "INSERT INTO people VALUES (?, ?, ?, ?, ?)",
            ((i, f"5201021990{i:08d}", f"居民{i}", f"5201{i % 10:02d}", i * 1.5)
             for i in range(rows)),
        )  # fmt: skip


def timed_lookups(connector: Connector, keys_: list[str]) -> list[float]:
    times = []
    for key in keys_:
        started = time.perf_counter()
        rows = connector.lookup("people", ["id_number", "name", "district"], "id_number", key)
        times.append((time.perf_counter() - started) * 1000)
        assert len(rows) == 1
    return times


def timed_bulk(connector: Connector, arrow: bool) -> tuple[float, int]:
    spec = SelectSpec("people", ["id", "id_number", "name", "district", "income"],
                      order_by=[("id", False)])  # fmt: skip
    started = time.perf_counter()
    rows = 0
    select_arrow: Callable[..., object] | None = getattr(connector, "select_arrow", None)
    stream = select_arrow(spec, batch_size=65536) if arrow and select_arrow else None
    if stream is None:
        stream = connector.select(spec, batch_size=65536)
    for batch in stream:  # type: ignore[attr-defined]
        rows += batch.num_rows if hasattr(batch, "num_rows") else len(batch)
    return time.perf_counter() - started, rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=3000)
    parser.add_argument("--keep", action="store_true", help="keep the folder (node logs)")
    parser.add_argument("--postgresql", help="a PostgreSQL URL holding the same table instead")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="zhuyun-node-hop-"))
    source = folder / "people.sqlite"
    build(source, args.rows)
    kind, location = "sqlite", f"sqlite:///{source}"
    if args.postgresql:
        kind, location = "postgresql", args.postgresql
    node = write_config(folder / "node", "bench", {"people": {"kind": kind, "location": location}})
    node.run("init")
    platform = Ed25519PrivateKey.generate()
    node.run("trust", signing.public_text(platform.public_key()))
    node_key = keys.read_private(node.data_dir / "node_ed25519.pem").public_key()
    node.start()
    direct = connect(SourceConfig(SourceKind(kind), location))
    via = connect(SourceConfig(SourceKind.NODE, "node://bench/people", {
        "url": node.url, "status": "approved", "node_key_id": signing.key_id(node_key),
        "node_public_key": signing.public_text(node_key),
        "platform_key_id": register_platform_key(platform),
    }))  # fmt: skip
    try:
        sample = [f"5201021990{(i * 7919) % args.rows:08d}" for i in range(args.lookups)]
        timed_lookups(direct, sample[:200])  # warm both
        timed_lookups(via, sample[:200])
        print(f"point lookups ({args.lookups:,}, {kind}, one client):")
        results = {}
        for label, connector in (("direct", direct), ("via node", via)):
            started = time.perf_counter()
            times = timed_lookups(connector, sample)
            elapsed = time.perf_counter() - started
            p50 = statistics.median(times)
            p99 = statistics.quantiles(times, n=100)[98]
            results[label] = (p50, p99, len(times) / elapsed)
            print(
                f"  {label:9} p50 {p50:7.3f} ms  p99 {p99:7.3f} ms  {len(times) / elapsed:8,.0f}/s"
            )
        hop = results["via node"][0] - results["direct"][0]
        print(f"  the hop adds {hop:.3f} ms at p50 (goal ≤ 2 ms); "
              f"throughput ratio {results['via node'][2] / results['direct'][2]:.2f}")  # fmt: skip
        print(f"bulk read of {args.rows:,} rows (ordered by key, batches of 65,536):")
        for arrow in (False, True):
            direct_s, direct_rows = timed_bulk(direct, arrow)
            via_s, via_rows = timed_bulk(via, arrow)
            assert direct_rows == via_rows == args.rows, (direct_rows, via_rows)
            path = "export path (select_arrow)" if arrow else "row path (select)"
            print(f"  {path}: direct {direct_s:6.2f} s ({args.rows / direct_s:10,.0f} rows/s)  "
                  f"via node {via_s:6.2f} s ({args.rows / via_s:10,.0f} rows/s)  "
                  f"ratio {direct_s / via_s:.2f} (goal ≥ 0.80)")  # fmt: skip
    finally:
        direct.close()
        via.close()
        node.stop()
        if "--keep" not in sys.argv:
            subprocess.run(["rm", "-rf", str(folder)], check=False)


if __name__ == "__main__":
    main()
