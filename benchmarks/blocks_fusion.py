"""Fusing people across department sources into person profiles: the fusion step of a block-
data run (the staged Parquet of 8 sources → one profile table) on DuckDB, against pandas
doing the same merge, and on Spark in local mode — each in a process of its own, so its time
and peak memory are its own. The three outputs are checked to be the same rows.

    .venv/bin/python benchmarks/blocks_fusion.py                    # 1,000,000 people
    .venv/bin/python benchmarks/blocks_fusion.py --people 100000 --skip-spark

Sources (rows per person): population 1, social insurance ~1.2, medical insurance 0.9,
driving licences 0.5, property 0.35, vehicles 0.3, service cases ~1, subsidies 0.05.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from zhuyun.blocks.definition import SourceSpec
from zhuyun.blocks.service import fusion_sql
from zhuyun.blocks.service.engines import DuckDBEngine, SparkEngine

SOURCES: dict[str, tuple[float, list[str], bool]] = {
    # alias: (rows per person, items, has updated_at)
    "population": (1.0, ["name", "sex", "birth_date", "address"], True),
    "social_insurance": (1.2, ["insurance_type", "status"], False),
    "medical_insurance": (0.9, ["insurance_type", "status"], False),
    "licences": (0.5, ["licence_class", "valid_until"], False),
    "property": (0.35, ["property_address", "area_sqm"], True),
    "vehicles": (0.3, ["plate_no", "brand_model"], False),
    "services": (1.0, ["item_name", "accepted_at"], True),
    "subsidies": (0.05, ["kind", "monthly_amount"], False),
}


def specs() -> list[SourceSpec]:
    return [
        SourceSpec(alias=alias, resource_id=index + 1, key="id_number", items=items,
                   updated_at="updated_at" if dated else None)
        for index, (alias, (_, items, dated)) in enumerate(SOURCES.items())
    ]  # fmt: skip


def _ids(numbers: np.ndarray) -> pa.Array:
    return pa.array(np.char.add("52010219800101", np.char.zfill(numbers.astype(str), 4 + 3)))


def generate(folder: Path, people: int, seed: int = 7) -> None:
    """One Parquet folder per source, every column text, as a run stages them."""
    rng = np.random.default_rng(seed)
    for alias, (per_person, items, dated) in SOURCES.items():
        rows = int(people * per_person)
        who = (
            np.arange(people)
            if alias == "population"
            else rng.integers(0, people, rows, endpoint=False)
        )
        columns: dict[str, pa.Array] = {"id_number": _ids(who)}
        for item in items:
            values = rng.integers(0, 5000, rows)
            columns[item] = pa.array(np.char.add(f"{item}-", values.astype(str)))
        if dated:
            days = rng.integers(0, 3000, rows)
            stamps = np.datetime64("2018-01-01") + days.astype("timedelta64[D]")
            columns["updated_at"] = pa.array(stamps.astype(str))
        out = folder / alias
        out.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table(columns), out / "part-00000.parquet")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_engine(name: str, data: Path, out: Path) -> dict[str, Any]:
    sources = [fusion_sql.FusedSource(s, f"src_{s.alias}") for s in specs()]
    inputs = {f"src_{s.alias}": data / s.alias for s in specs()}
    started = time.perf_counter()
    if name == "spark":
        engine = SparkEngine("local[2]")
        from zhuyun.blocks.service.engines import spark_session

        spark = spark_session("local[2]")
        boot = time.perf_counter() - started
        started = time.perf_counter()
        rows = engine.materialize(fusion_sql.full_sql(sources, engine.quote), inputs, out)
        seconds = time.perf_counter() - started
        pid = spark._jvm.java.lang.ProcessHandle.current().pid()
        status = Path(f"/proc/{pid}/status").read_text()
        jvm_mb = int(next(x for x in status.splitlines() if x.startswith("VmHWM")).split()[1])
        spark.stop()
        return {"seconds": seconds, "boot_seconds": boot, "rows": rows,
                "peak_mb": _peak_mb() + jvm_mb / 1024}  # fmt: skip
    duck = DuckDBEngine(memory_limit="4GB")
    rows = duck.materialize(fusion_sql.full_sql(sources, duck.quote), inputs, out)
    return {"seconds": time.perf_counter() - started, "rows": rows, "peak_mb": _peak_mb()}


def run_pandas(data: Path, out: Path) -> dict[str, Any]:
    """The same merge in pandas: per source the newest row, the row count and the newest
    update time per key, then left joins onto every key."""
    import pandas as pd

    started = time.perf_counter()
    keys: set[str] = set()
    parts = []
    for spec in specs():
        frame = pd.read_parquet(data / spec.alias)
        frame["entity_key"] = frame[spec.key].str.strip().str.upper()
        frame = frame[frame["entity_key"].notna() & (frame["entity_key"] != "")]
        updated = spec.updated_at or "__none"
        if spec.updated_at is None:
            frame[updated] = None
        order = [updated, *spec.items]
        frame = frame.sort_values(
            ["entity_key", *order], ascending=[True] + [False] * len(order), na_position="last"
        )
        grouped = frame.groupby("entity_key", sort=False)
        latest = frame.drop_duplicates("entity_key", keep="first").set_index("entity_key")
        part = pd.DataFrame({f"{spec.alias}__rows": grouped.size(),
                             f"{spec.alias}__updated_at": grouped[updated].max()})  # fmt: skip
        for item in spec.items:
            part[f"{spec.alias}__{item}"] = latest[item]
        keys.update(part.index)
        parts.append(part)
    merged = pd.DataFrame(index=pd.Index(sorted(keys), name="entity_key"))
    for part in parts:
        merged = merged.join(part, how="left")
    merged = merged.reset_index()
    out.mkdir(parents=True, exist_ok=True)
    merged.to_parquet(out / "part-00000.parquet", index=False)
    return {"seconds": time.perf_counter() - started, "rows": len(merged), "peak_mb": _peak_mb()}


def _as_text_rows(folder: Path) -> pa.Table:
    table = pq.read_table(folder)
    columns = [c.cast(pa.string()) for c in table.columns]
    return pa.table(columns, names=table.column_names).sort_by("entity_key")


def _child(contender: str, data: Path, out: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", contender, "--data", str(data),
               "--out", str(out)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--skip-spark", action="store_true")
    parser.add_argument("--child", choices=("duckdb", "pandas", "spark"))
    parser.add_argument("--data", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.child:
        runner = run_pandas if args.child == "pandas" else None
        result = (
            runner(args.data, args.out) if runner else run_engine(args.child, args.data, args.out)
        )
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory(prefix="blocks-bench-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        generate(root / "data", args.people)
        rows_in = sum(pq.read_metadata(p).num_rows for p in (root / "data").glob("*/*.parquet"))
        print(f"{args.people:,} people, {rows_in:,} source rows in 8 sources "
              f"(generated in {time.perf_counter() - started:.1f} s)")  # fmt: skip
        contenders = ["duckdb", "pandas"] + ([] if args.skip_spark else ["spark"])
        results = {c: _child(c, root / "data", root / c) for c in contenders}
        reference = _as_text_rows(root / "duckdb")
        for name in contenders[1:]:
            same = _as_text_rows(root / name).equals(reference)
            print(f"{name} output equals DuckDB's row for row: {same}")
        duck = results["duckdb"]
        print(f"{'':8} {'seconds':>9} {'peak MB':>9} {'rows':>11} {'time ÷ DuckDB':>14}")
        for name, result in results.items():
            ratio = result["seconds"] / duck["seconds"]
            print(f"{name:8} {result['seconds']:9.2f} {result['peak_mb']:9.0f} "
                  f"{result['rows']:11,} {ratio:14.2f}")  # fmt: skip
        if "spark" in results:
            print(
                f"(Spark's JVM start, not counted above: {results['spark']['boot_seconds']:.1f} s)"
            )


if __name__ == "__main__":
    main()
