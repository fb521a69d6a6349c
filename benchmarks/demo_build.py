"""`zhuyun demo --scale <scale>` build time and peak memory, in a fresh process.

The peer is the floor of the same job: writing the same number of people rows with one
plain `executemany` into a fresh SQLite file, no generation, no validation, no org tree.

    .venv/bin/python benchmarks/demo_build.py [--scale city] [--seed 2026]
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import json, resource, sys, time
from pathlib import Path
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import build_demo
from zhuyun.demo.scale import ScaleName
data_dir = Path(sys.argv[1])
settings = Settings(env="test", data_dir=data_dir)
start = time.perf_counter()
result = build_demo(settings, ScaleName(sys.argv[2]), int(sys.argv[3]))
elapsed = time.perf_counter() - start
peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "peak_mib": peak_mib, "people": result.people,
                  "units": result.units}))
"""


def plain_people_insert(path: Path, people: int) -> float:
    """Seconds to write `people` rows of the same width with a bare executemany."""
    row = (
        "52010219900101001X",
        "张三",
        "M",
        "1990-01-01",
        "汉族",
        "H0000001",
        "520102001001",
        "贵州省贵阳市南明区某街道某社区某路1号",
        "13800000000",
        "2026-01-01T00:00:00",
    )
    start = time.perf_counter()
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute(
            "CREATE TABLE people (id_number TEXT, name TEXT, sex TEXT, "
            "birth_date TEXT, ethnicity TEXT, household_id TEXT, division TEXT, "
            "address TEXT, phone TEXT, updated_at TEXT)"
        )
        batch = 10_000
        for done in range(0, people, batch):
            connection.executemany(
                "INSERT INTO people VALUES (?,?,?,?,?,?,?,?,?,?)", [row] * min(batch, people - done)
            )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="city", choices=["test", "small", "city"])
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, workdir, args.scale, str(args.seed)],
            check=True,
            capture_output=True,
            text=True,
        )
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        plain = plain_people_insert(Path(workdir) / "plain.sqlite", figures["people"])
    print(
        f"zhuyun demo --scale {args.scale}: {figures['people']:,} people, "
        f"{figures['units']:,} org units"
    )
    print(f"  build time  {figures['seconds']:8.1f} s")
    print(f"  peak memory {figures['peak_mib']:8.0f} MiB (max RSS of the building process)")
    print(
        f"  peer: bare executemany of {figures['people']:,} people rows {plain:6.1f} s; "
        f"whole build / peer = {figures['seconds'] / plain:.1f}×"
    )
    print(
        f"  this process peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


if __name__ == "__main__":
    main()
