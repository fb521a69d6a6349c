"""Process mining against pm4py, measured in the same run: XES import, DFG discovery and
token-based replay fitness, on the real WABO receipt log and on a generated log of about
1,000,000 events (simulated from the inductive-miner model of WABO, with noise).

The replay model is pm4py's inductive miner (noise threshold 0.2) on WABO, converted to our
model format; both replay the same net, and the run checks the fitness values are equal.
pm4py is AGPL: a benchmark-only peer, never imported by the product.

    .venv/bin/python benchmarks/mining.py [--events 1000000] [--seed 7] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WABO = Path("/work/shared/data/eventlogs/wabo_receipt.xes.gz")

from tests.supervision.pm4py_bridge import net_from_pm4py  # noqa: E402

from zhuyun.supervision.eventlog import EventLog, LogBuilder, read_xes, write_xes  # noqa: E402
from zhuyun.supervision.mining import PetriNet, discover_dfg, replay  # noqa: E402
from zhuyun.supervision.mining.replay import CompiledNet  # noqa: E402


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def simulate(model: PetriNet, activities: list[str], events: int, seed: int) -> EventLog:
    """Play the net out at random until `events` events exist; one trace in five gets
    noise (a step dropped, two swapped, or a foreign activity inserted)."""
    rng = random.Random(seed)
    net = CompiledNet(model)
    final = net.final
    builder = LogBuilder(keep_attrs=False)
    made, case, clock = 0, 0, 1_300_000_000_000_000
    silent_steps = 0
    while made < events:
        m = dict(net.initial)
        trace: list[str] = []
        for _ in range(200):
            if m == final:
                break
            enabled = [t for t in range(len(net.transition_names)) if net.enabled(t, m)]
            if not enabled:
                break
            t = rng.choice(enabled)
            m = net.fire(t, m)
            label = model.transitions[t].label
            if label is None:
                silent_steps += 1
            else:
                trace.append(label)
        if trace and rng.random() < 0.2:
            kind = rng.randrange(3)
            i = rng.randrange(len(trace))
            if kind == 0 and len(trace) > 1:
                del trace[i]
            elif kind == 1 and i + 1 < len(trace):
                trace[i], trace[i + 1] = trace[i + 1], trace[i]
            else:
                trace.insert(i, rng.choice(activities))
        code = builder.cases.code(f"sim-{case}")
        for activity in trace:
            clock += rng.randrange(60_000_000, 86_400_000_000)
            builder.add_event(code, activity, clock, f"Resource{rng.randrange(48):02d}")
        made += len(trace)
        case += 1
    return builder.build(name="simulated WABO")


def row(step: str, ours: float, theirs: float, note: str = "") -> None:
    times = f"ours {ours:9.3f} s   pm4py {theirs:9.3f} s"
    print(f"  {step:<28} {times}   ratio {theirs / ours:7.1f}x  {note}")


def run(label: str, path: Path, pm4py: Any, model_of: Callable[[Any], tuple[Any, Any, Any]],
        repeat: int) -> None:  # fmt: skip
    print(f"\n{label}: {path.name}")
    t_ours, log = best(lambda: read_xes(path), repeat)
    t_theirs, frame = best(lambda: pm4py.read_xes(str(path), show_progress_bar=False), repeat)
    row("XES import", t_ours, t_theirs, f"{log.n_events:,} events, {log.n_cases:,} cases")
    t_ours, dfg = best(lambda: discover_dfg(log), repeat)
    t_theirs, theirs = best(lambda: pm4py.discover_dfg(frame), repeat)
    equal = dfg.counts() == dict(theirs[0])
    row("DFG discovery", t_ours, t_theirs, f"{len(dfg.edges)} edges, equal: {equal}")
    net, im, fm = model_of(frame)
    model = net_from_pm4py(net, im, fm)
    t_ours, result = best(lambda: replay(log, model), repeat)
    t_theirs, fitness = best(
        lambda: pm4py.fitness_token_based_replay(frame, net, im, fm), max(1, min(repeat, 2))
    )
    equal = result.log_fitness == fitness["log_fitness"] and (
        result.percentage_fit_cases == fitness["perc_fit_traces"]
    )
    row("token-based replay fitness", t_ours, t_theirs,
        f"log fitness {result.log_fitness:.6f} vs {fitness['log_fitness']:.6f}, "
        f"{len(result.variants):,} variants, equal: {equal}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    import pm4py

    frame = pm4py.read_xes(str(WABO), show_progress_bar=False)
    net, im, fm = pm4py.discover_petri_net_inductive(frame, noise_threshold=0.2)
    model = net_from_pm4py(net, im, fm)

    def the_wabo_model(_: Any) -> tuple[Any, Any, Any]:
        return net, im, fm

    print(f"pm4py {pm4py.__version__}; model: inductive miner (noise 0.2) on WABO, "
          f"{len(model.places)} places, {len(model.transitions)} transitions")  # fmt: skip
    run("WABO receipt log", WABO, pm4py, the_wabo_model, args.repeat)
    wabo = read_xes(WABO)
    simulated = simulate(model, wabo.activity_names, args.events, args.seed)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "simulated.xes"
        write_xes(simulated, path)
        run(f"generated log ({simulated.n_events:,} events)", path, pm4py, the_wabo_model, 1)


if __name__ == "__main__":
    main()
