"""Entity resolution of people at city scale: throughput and quality on about 1,000,000
records with 2 % injected errors, against a naive sorted-neighbourhood peer in the same run.

The records are made the way the demo set is: the people of a city-scale demo population
register (`build_sources`, deterministic by seed), a second record in another department's
register for a quarter of them (a tenth of those, a third), addresses written as other
departments write them, then 2 % of all records with one injected error (name typo,
homophone, swapped ID digits, wrong check digit, missing ID, birth-date typo).

Both sides get the same prepared records (normalisation — pinyin, address → division codes,
ID checks — is timed once, separately) and the same scorer and clustering; they differ only
in which pairs they compare:

- zhuyun: keys first, then each keyless record against the records sharing one of its
  blocking keys (the IDs one slip away from its ID, birth date + surname sound, birth date +
  community, name sound + street);
- peer: the classic sorted-neighbourhood method — all records sorted by name sound and birth
  date, each keyless record compared with the records in a window of `--window` around it.

    .venv/bin/python benchmarks/blocks_resolution.py [--records 1000000] [--window 10]
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from zhuyun.blocks.resolution.demo import BasePerson, evaluate, make_demo_set  # noqa: E402
from zhuyun.blocks.resolution.engine import (  # noqa: E402
    PEOPLE,
    Resolution,
    Resolver,
    person_block_keys,
)
from zhuyun.blocks.resolution.records import PreparedPerson, prepare_person  # noqa: E402
from zhuyun.blocks.resolution.scoring import score_people  # noqa: E402
from zhuyun.demo.scale import get_scale  # noqa: E402
from zhuyun.demo.sources import build_sources  # noqa: E402

DUPLICATE_SHARE = 0.25
RECORDS_PER_PERSON = 1 + DUPLICATE_SHARE * 1.1


class SortedNeighbourhood(Resolver[PreparedPerson]):
    """The peer: pairs from a sliding window over all records sorted by name sound + birth."""

    def __init__(self, window: int) -> None:
        super().__init__(person_block_keys, score_people)
        self.window = window

    def _candidates(
        self, prepared: Sequence[PreparedPerson], keyless: list[int]
    ) -> tuple[set[tuple[int, int]], int]:
        order = sorted(
            range(len(prepared)), key=lambda i: (prepared[i].name_pinyin, prepared[i].birth_digits)
        )
        rank = {index: position for position, index in enumerate(order)}
        pairs: set[tuple[int, int]] = set()
        half = self.window // 2
        for i in keyless:
            at = rank[i]
            for j in order[max(0, at - half) : at + half + 1]:
                if j != i:
                    pairs.add((i, j) if i < j else (j, i))
        return pairs, 0


def population(people: int, seed: int) -> list[BasePerson]:
    with tempfile.TemporaryDirectory(prefix="zhuyun-resolution-") as tmp:
        scale = replace(get_scale("city"), people=people)
        build_sources(Path(tmp), scale, seed, lambda *_: None)
        with sqlite3.connect(Path(tmp) / "sources" / "gongan.sqlite") as db:
            rows = db.execute(
                "SELECT id_number, name, sex, birth_date, address FROM people ORDER BY rowid"
            ).fetchall()
    return [BasePerson(*row) for row in rows]


def run(name: str, resolver: Resolver[PreparedPerson], prepared: list[PreparedPerson],
        demo, prepare_s: float) -> tuple[float, Resolution]:  # type: ignore[no-untyped-def]  # fmt: skip
    start, cpu = time.perf_counter(), time.process_time()
    resolution = resolver.resolve(prepared)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    quality = evaluate(demo, resolution)
    total = prepare_s + seconds
    print(
        f"{name:>22}: resolve {seconds:7.1f} s, CPU {cpu:.1f} s "
        f"({len(prepared) / seconds:9,.0f} records/s), "
        f"end to end {total:7.1f} s ({len(prepared) / total:8,.0f} records/s); "
        f"pairs scored {resolution.pairs_compared:,}; precision {quality.precision:.4f}, "
        f"recall {quality.recall:.4f}, F1 {quality.f1:.4f}"
    )
    print(f"{'':>22}  recall by error: {quality.recall_by_error}")
    return seconds, resolution


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--error-rate", type=float, default=0.02)
    parser.add_argument("--window", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    start = time.perf_counter()
    people = population(int(args.records / RECORDS_PER_PERSON), args.seed)
    print(f"population register: {len(people):,} people in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    demo = make_demo_set(
        people, seed=args.seed, duplicate_share=DUPLICATE_SHARE, error_rate=args.error_rate
    )
    print(
        f"demo set: {len(demo.records):,} records, {len(demo.errors):,} with an injected error "
        f"({len(demo.errors) / len(demo.records):.2%}), made in {time.perf_counter() - start:.1f} s"
    )
    start, cpu = time.perf_counter(), time.process_time()
    prepared = [prepare_person(r) for r in demo.records]
    prepare_s, cpu = time.perf_counter() - start, time.process_time() - cpu
    keyless = sum(p.key is None for p in prepared)
    print(
        f"normalisation (ID checks, pinyin, address → divisions): {prepare_s:.1f} s, "
        f"CPU {cpu:.1f} s "
        f"({len(prepared) / prepare_s:,.0f} records/s); {keyless:,} records without a valid key"
    )
    ours, _ = run("zhuyun (blocking)", PEOPLE, prepared, demo, prepare_s)
    peer, _ = run(f"sorted neighbourhood w={args.window}", SortedNeighbourhood(args.window),
                  prepared, demo, prepare_s)  # fmt: skip
    print(f"ratio (peer resolve time / zhuyun resolve time): {peer / ours:.2f}×")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the whole run: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
