"""Token-based replay: how well each case of a log fits a Petri net, and where it deviates.

The classic token-based replay (Rozinat & van der Aalst; with the invisible-transition
heuristics of Berti & van der Aalst), computed the way pm4py's default token replay does so
that the figures can be cross-checked:

* The initial marking's tokens are produced. For each event whose activity labels a
  transition: when the transition is not enabled, silent transitions are fired along the
  shortest silent paths from marked places to the places that lack tokens (at most two
  levels deep); if it is still not enabled the lacking tokens are counted as *missing* and
  added (the event is a *deviating step*). Firing consumes and produces tokens. Events of
  activities the model does not know are skipped (reported, not counted).
* At the end, silent transitions are fired to reach the final marking (shortest silent
  paths to its places, up to five rounds; then, for a single final place, paths into it);
  the final marking's tokens are consumed, those it lacks are missing, and every token
  left elsewhere is *remaining*.
* fitness = ½(1 − missing/consumed) + ½(1 − remaining/produced) per case (1 when nothing
  was consumed or produced), and the same over the sums for the log. A case fits when no
  event lacked tokens and nothing remains.

Where the heuristics face a choice pm4py leaves to the iteration order of its sets — two
equally short silent paths between the same places, or two enabled transitions with the
same label — this implementation takes the first in the model's arc order and the first
transition by name; on nets without such ties (e.g. those the inductive miner discovers)
the results are identical. Paths are searched to depth 50, as there.

Speed: each variant is replayed once and weighted by its count, and a replay step is a
pure function of (marking, activity), so steps are memoised across variants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from zhuyun.supervision.eventlog.log import EventLog
from zhuyun.supervision.mining.dfg import variant_index
from zhuyun.supervision.mining.petri import PetriNet

_MAX_PATH_DEPTH = 50
_MAX_HIDDEN_DEPTH = 2
_FINAL_ROUNDS = 5

Marking = dict[int, int]
MarkingKey = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Deviation:
    """A deviating step: the event at `position` (0-based) of the case."""

    position: int
    activity: str
    kind: str  # "missing_tokens" or "not_in_model"
    missing: int = 0


@dataclass(frozen=True)
class TraceReplay:
    missing: int
    consumed: int
    remaining: int
    produced: int
    fitness: float
    is_fit: bool
    deviations: tuple[Deviation, ...]
    reached_marking: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        return {
            "fitness": self.fitness, "is_fit": self.is_fit, "missing": self.missing,
            "consumed": self.consumed, "remaining": self.remaining, "produced": self.produced,
            "deviations": [vars(d) for d in self.deviations],
            "reached_marking": self.reached_marking,
        }  # fmt: skip


@dataclass
class ReplayResult:
    """Per variant and per case results, and the log's figures."""

    variants: list[tuple[tuple[str, ...], int, TraceReplay]]
    case_variant: np.ndarray[Any, np.dtype[np.int64]]
    case_names: list[str]
    missing: int = 0
    consumed: int = 0
    remaining: int = 0
    produced: int = 0
    fit_cases: int = 0
    fitness_sum: float = 0.0
    unknown_activities: list[str] = field(default_factory=list)

    @property
    def n_cases(self) -> int:
        return len(self.case_names)

    @property
    def log_fitness(self) -> float:
        if self.n_cases == 0 or self.consumed == 0 or self.produced == 0:
            return 0.0
        return 0.5 * (1 - self.missing / self.consumed) + 0.5 * (1 - self.remaining / self.produced)

    @property
    def average_trace_fitness(self) -> float:
        return self.fitness_sum / self.n_cases if self.n_cases else 0.0

    @property
    def percentage_fit_cases(self) -> float:
        return 100.0 * self.fit_cases / self.n_cases if self.n_cases else 0.0

    def case(self, index: int) -> TraceReplay:
        return self.variants[int(self.case_variant[index])][2]

    def by_case(self) -> dict[str, TraceReplay]:
        return {name: self.case(i) for i, name in enumerate(self.case_names)}

    def summary(self) -> dict[str, Any]:
        return {
            "log_fitness": self.log_fitness,
            "average_trace_fitness": self.average_trace_fitness,
            "percentage_fit_cases": self.percentage_fit_cases,
            "cases": self.n_cases, "fit_cases": self.fit_cases,
            "missing": self.missing, "consumed": self.consumed,
            "remaining": self.remaining, "produced": self.produced,
            "unknown_activities": self.unknown_activities,
        }  # fmt: skip


class CompiledNet:
    """The net as index arrays, with the shortest silent paths between places."""

    def __init__(self, net: PetriNet) -> None:
        self.net = net
        self.place_names = list(net.places)
        place_index = {p: i for i, p in enumerate(self.place_names)}
        self.transition_names = [t.name for t in net.transitions]
        t_index = {t.name: i for i, t in enumerate(net.transitions)}
        n_t = len(net.transitions)
        pre: list[list[tuple[int, int]]] = [[] for _ in range(n_t)]
        post: list[list[tuple[int, int]]] = [[] for _ in range(n_t)]
        place_out: list[list[int]] = [[] for _ in self.place_names]
        for arc in net.arcs:
            if arc.source in place_index:
                pre[t_index[arc.target]].append((place_index[arc.source], arc.weight))
                place_out[place_index[arc.source]].append(t_index[arc.target])
            else:
                post[t_index[arc.source]].append((place_index[arc.target], arc.weight))
        self.pre = [tuple(x) for x in pre]
        self.post = [tuple(x) for x in post]
        self.consumes = [sum(w for _, w in x) for x in pre]
        self.produces = [sum(w for _, w in x) for x in post]
        self.silent = [t.silent for t in net.transitions]
        self.place_out = place_out
        ranked = sorted(range(len(self.place_names)), key=lambda i: self.place_names[i])
        self.rank = [0] * len(self.place_names)
        for r, p in enumerate(ranked):
            self.rank[p] = r
        by_name = sorted(range(n_t), key=lambda i: self.transition_names[i])
        self.trans_map: dict[str, int] = {}
        self.with_label: dict[str, list[int]] = {}
        for t in by_name:
            label = net.transitions[t].label
            if label is not None:
                self.trans_map[label] = t  # the last by name wins, as in pm4py
                self.with_label.setdefault(label, []).append(t)
        self.initial: Marking = {place_index[p]: n for p, n in net.initial_marking.items()}
        self.final: Marking = {place_index[p]: n for p, n in net.final_marking.items()}
        self.final_sorted = sorted(self.final, key=lambda p: self.rank[p])
        self.paths = self._shortest_silent_paths()

    def _shortest_silent_paths(self) -> list[dict[int, tuple[int, ...]]]:
        paths: list[dict[int, tuple[int, ...]]] = [{} for _ in self.place_names]

        def walk(
            found: dict[int, tuple[int, ...]], place: int, path: tuple[int, ...], depth: int
        ) -> None:
            if depth > _MAX_PATH_DEPTH:
                return
            for t in self.place_out[place]:
                if not self.silent[t]:
                    continue
                for target, _ in self.post[t]:
                    known = found.get(target)
                    if known is None or len(path) + 1 < len(known):
                        longer = (*path, t)
                        found[target] = longer
                        walk(found, target, longer, depth + 1)

        for place in range(len(self.place_names)):
            walk(paths[place], place, (), 0)
        return paths

    # -- firing ---------------------------------------------------------------------------
    def enabled(self, t: int, m: Marking) -> bool:
        return all(m.get(p, 0) >= w for p, w in self.pre[t])

    def fire(self, t: int, m: Marking) -> Marking:
        out = dict(m)
        for p, w in self.pre[t]:
            left = out.get(p, 0) - w
            if left <= 0:
                out.pop(p, None)
            else:
                out[p] = left
        for p, w in self.post[t]:
            out[p] = out.get(p, 0) + w
        return out

    def _groups(self, m: Marking, targets: list[int]) -> list[tuple[int, ...]]:
        groups = []
        for p1 in sorted(m, key=lambda p: self.rank[p]):
            reach = self.paths[p1]
            for p2 in targets:
                path = reach.get(p2)
                if path is not None:
                    groups.append(path)
        groups.sort(key=len)
        return groups

    def _enable_hidden(
        self, t: int, m: Marking, groups: list[tuple[int, ...]], visited: set[int], fired: list[int]
    ) -> Marking:
        for group in groups:
            changed = False
            for t3 in group:
                if t3 != t and t3 not in visited and self.enabled(t3, m):
                    m = self.fire(t3, m)
                    fired.append(t3)
                    visited.add(t3)
                    changed = True
                if self.enabled(t, m):
                    break
            if self.enabled(t, m) or not changed:
                break
        return m

    def _apply_hidden(
        self, t: int, m: Marking, depth: int, visited: set[int], fired: list[int]
    ) -> Marking:
        if depth >= _MAX_HIDDEN_DEPTH or t in visited:
            return m
        visited.add(t)
        lacking = sorted((p for p, w in self.pre[t] if m.get(p, 0) < w), key=lambda p: self.rank[p])
        groups = self._groups(m, lacking)
        if not groups:
            return m
        m = self._enable_hidden(t, m, groups, visited, fired)
        if not self.enabled(t, m):
            for group in self._groups(m, lacking):
                for t4 in group:
                    if t4 == t or t4 in visited:
                        continue
                    if not self.enabled(t4, m):
                        m = self._apply_hidden(t4, m, depth + 1, visited, fired)
                    if self.enabled(t4, m):
                        m = self.fire(t4, m)
                        fired.append(t4)
                        visited.add(t4)
        # (retrying `t` itself one level deeper can never fire: it is already visited)
        return m

    def step(self, m: Marking, activity: str) -> tuple[Marking, int, int, int, bool]:
        """One event: (marking after, missing, consumed, produced, deviating?)."""
        candidates = self.with_label[activity]
        t = next((x for x in candidates if self.enabled(x, m)), self.trans_map[activity])
        consumed = produced = missing = 0
        if not self.enabled(t, m):
            fired: list[int] = []
            m = self._apply_hidden(t, dict(m), 0, set(), fired)
            for h in fired:
                consumed += self.consumes[h]
                produced += self.produces[h]
        deviating = False
        if not self.enabled(t, m):
            deviating = True
            m = dict(m)
            for p, w in self.pre[t]:
                have = m.get(p, 0)
                if have < w:
                    missing += w - have
                    m[p] = have + w
        consumed += self.consumes[t]
        produced += self.produces[t]
        return self.fire(t, m), missing, consumed, produced, deviating

    def finish(self, m: Marking) -> tuple[Marking, int, int]:
        """Silent moves towards the final marking: (marking, consumed, produced)."""
        consumed = produced = 0
        final = self.final

        def reached(marking: Marking) -> bool:
            return all(p in marking for p in final)

        for _ in range(_FINAL_ROUNDS):
            if reached(m):
                break
            for group in self._groups(m, self.final_sorted):
                for t in group:
                    if self.enabled(t, m):
                        m = self.fire(t, m)
                        consumed += self.consumes[t]
                        produced += self.produces[t]
                if reached(m):
                    break
        if not reached(m) and len(final) == 1:
            sink = next(iter(final))
            connections = [self.paths[p][sink] for p in m if sink in self.paths[p]]
            connections.sort(key=len)
            for _ in range(_FINAL_ROUNDS):
                for path in connections:
                    for t in path:
                        if not self.enabled(t, m):
                            break
                        m = self.fire(t, m)
                        consumed += self.consumes[t]
                        produced += self.produces[t]
        return m, consumed, produced


def _key(m: Marking) -> MarkingKey:
    return tuple(m.items())


class Replayer:
    """Replays traces on one net, remembering steps across traces."""

    def __init__(self, net: PetriNet | CompiledNet) -> None:
        self.net = net if isinstance(net, CompiledNet) else CompiledNet(net)
        self._steps: dict[tuple[MarkingKey, str], tuple[MarkingKey, int, int, int, bool]] = {}
        self._finals: dict[MarkingKey, tuple[MarkingKey, int, int]] = {}

    def trace(self, activities: tuple[str, ...] | list[str]) -> TraceReplay:
        net = self.net
        m_key = _key(net.initial)
        produced = sum(net.initial.values())
        consumed = missing = 0
        deviations: list[Deviation] = []
        steps = self._steps
        for position, activity in enumerate(activities):
            if activity not in net.trans_map:
                deviations.append(Deviation(position, activity, "not_in_model"))
                continue
            known = steps.get((m_key, activity))
            if known is None:
                after, dm, dc, dp, deviating = net.step(dict(m_key), activity)
                known = steps[(m_key, activity)] = (_key(after), dm, dc, dp, deviating)
            m_key, dm, dc, dp, deviating = known
            missing += dm
            consumed += dc
            produced += dp
            if deviating:
                deviations.append(Deviation(position, activity, "missing_tokens", dm))
        ending = self._finals.get(m_key)
        if ending is None:
            after, dc, dp = net.finish(dict(m_key))
            ending = self._finals[m_key] = (_key(after), dc, dp)
        end_key, dc, dp = ending
        consumed += dc
        produced += dp
        reached = dict(end_key)
        remaining = 0
        for p, n in reached.items():
            remaining += max(0, n - net.final[p]) if p in net.final else n
        is_fit = missing == 0 and remaining == 0
        for p, n in net.final.items():
            consumed += n
            missing += max(0, n - reached.get(p, 0))
        if consumed > 0 and produced > 0:
            fitness = 0.5 * (1.0 - missing / consumed) + 0.5 * (1.0 - remaining / produced)
        else:
            fitness = 1.0
        names = net.place_names
        return TraceReplay(
            missing, consumed, remaining, produced, fitness, is_fit, tuple(deviations),
            {names[p]: n for p, n in reached.items()},
        )  # fmt: skip


def replay(log: EventLog, net: PetriNet | CompiledNet) -> ReplayResult:
    """Token-based replay of every case of `log` on `net` (each variant once)."""
    replayer = Replayer(net)
    keys, counts, case_variant = variant_index(log)
    names = log.activity_names
    result = ReplayResult([], case_variant, log.case_names)
    unknown: set[str] = set()
    fitness_by_variant = []
    for variant, count in zip(keys, counts.tolist(), strict=True):
        activities = tuple(names[a] for a in variant)
        outcome = replayer.trace(activities)
        result.variants.append((activities, count, outcome))
        result.missing += outcome.missing * count
        result.consumed += outcome.consumed * count
        result.remaining += outcome.remaining * count
        result.produced += outcome.produced * count
        result.fit_cases += count if outcome.is_fit else 0
        fitness_by_variant.append(outcome.fitness)
        unknown.update(d.activity for d in outcome.deviations if d.kind == "not_in_model")
    # the per-case sum in case order (as a per-trace sum does), for the average
    result.fitness_sum = (
        float(np.asarray(fitness_by_variant)[case_variant].sum()) if len(case_variant) else 0.0
    )
    result.unknown_activities = sorted(unknown)
    return result
