"""Discovery: the directly-follows graph (how often and how long one activity follows
another within a case) and the variants (distinct activity sequences with their counts).
Vectorised over the log's columns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from zhuyun.supervision.eventlog.log import EventLog

_SECOND = 1_000_000.0  # microseconds


@dataclass(frozen=True)
class DfgEdge:
    source: str
    target: str
    count: int
    mean_seconds: float
    median_seconds: float
    min_seconds: float
    max_seconds: float


@dataclass(frozen=True)
class Dfg:
    activities: dict[str, int]  # activity → events
    edges: list[DfgEdge]
    start_activities: dict[str, int]
    end_activities: dict[str, int]

    def counts(self) -> dict[tuple[str, str], int]:
        return {(e.source, e.target): e.count for e in self.edges}

    def as_json(self) -> dict[str, Any]:
        return {
            "activities": [{"name": a, "count": n} for a, n in self.activities.items()],
            "edges": [vars(e) for e in self.edges],
            "start_activities": self.start_activities,
            "end_activities": self.end_activities,
        }


def _counted(names: list[str], codes: npt.NDArray[np.int32]) -> dict[str, int]:
    counts = np.bincount(codes, minlength=len(names)) if len(codes) else np.zeros(len(names), int)
    pairs = [(names[i], int(n)) for i, n in enumerate(counts.tolist()) if n]
    return dict(sorted(pairs, key=lambda p: (-p[1], p[0])))


def discover_dfg(log: EventLog) -> Dfg:
    """The directly-follows graph: edge counts and the time between the two events."""
    names = log.activity_names
    acts = log.activities
    starts = log.case_starts
    nonempty = starts[1:] > starts[:-1]
    first = acts[starts[:-1][nonempty]]
    last = acts[starts[1:][nonempty] - 1]
    edges: list[DfgEdge] = []
    if log.n_events > 1:
        cases = log.case_of_events()
        same = cases[1:] == cases[:-1]
        source = acts[:-1][same].astype(np.int64)
        target = acts[1:][same].astype(np.int64)
        gaps = np.diff(log.timestamps)[same]
        key = source * len(names) + target
        order = np.lexsort((gaps, key))
        key, gaps = key[order], gaps[order].astype(np.float64) / _SECOND
        if len(key):
            boundaries = np.flatnonzero(np.diff(key)) + 1
            group_starts = np.concatenate(([0], boundaries))
            group_ends = np.concatenate((boundaries, [len(key)]))
            counts = group_ends - group_starts
            sums = np.add.reduceat(gaps, group_starts)
            mids = group_starts + (counts - 1) // 2
            mids_hi = group_starts + counts // 2
            medians = (gaps[mids] + gaps[mids_hi]) / 2.0
            for k, n, total, median, lo, hi in zip(
                key[group_starts].tolist(), counts.tolist(), sums.tolist(), medians.tolist(),
                gaps[group_starts].tolist(), gaps[group_ends - 1].tolist(), strict=True,
            ):  # fmt: skip
                a, b = divmod(k, len(names))
                edges.append(DfgEdge(names[a], names[b], n, total / n, median, lo, hi))
    edges.sort(key=lambda e: (-e.count, e.source, e.target))
    return Dfg(_counted(names, acts), edges, _counted(names, first), _counted(names, last))


def variant_index(
    log: EventLog,
) -> tuple[list[tuple[int, ...]], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The distinct activity-code sequences (most frequent first, then by sequence), their
    counts, and each case's variant."""
    raw = log.activities.astype(np.int32, copy=False).tobytes()
    bounds = (log.case_starts * 4).tolist()
    seen: dict[bytes, int] = {}
    case_variant = np.empty(log.n_cases, dtype=np.int64)
    for case in range(log.n_cases):
        chunk = raw[bounds[case] : bounds[case + 1]]
        found = seen.get(chunk)
        if found is None:
            found = seen[chunk] = len(seen)
        case_variant[case] = found
    counts = np.bincount(case_variant, minlength=len(seen)) if len(seen) else np.zeros(0, np.int64)
    codes = [tuple(np.frombuffer(chunk, dtype=np.int32).tolist()) for chunk in seen]
    names = log.activity_names
    order = sorted(range(len(codes)), key=lambda i: (-counts[i], [names[a] for a in codes[i]]))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return (
        [codes[i] for i in order],
        counts[order],
        rank[case_variant] if len(order) else case_variant,
    )


@dataclass(frozen=True)
class Variant:
    activities: tuple[str, ...]
    count: int
    share: float
    example_case: str


def variants(log: EventLog) -> list[Variant]:
    """Every variant with its count, share of cases and one case that follows it."""
    keys, counts, case_variant = variant_index(log)
    example = np.full(len(keys), -1, dtype=np.int64)
    # the first case of each variant
    firsts = np.unique(case_variant, return_index=True)
    example[firsts[0]] = firsts[1]
    names = log.activity_names
    total = max(log.n_cases, 1)
    return [
        Variant(tuple(names[a] for a in key), int(n), n / total, log.case_names[int(example[i])])
        for i, (key, n) in enumerate(zip(keys, counts.tolist(), strict=True))
    ]
