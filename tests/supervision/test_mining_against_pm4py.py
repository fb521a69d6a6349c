"""Our discovery and token-based replay give pm4py's figures on the real WABO log.

pm4py (AGPL) is a test-only dependency: it discovers the models and computes the reference
results here; the product never imports it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.supervision.pm4py_bridge import net_from_pm4py
from zhuyun.supervision.eventlog import EventLog, read_csv
from zhuyun.supervision.mining import PetriNet, discover_dfg, replay, variants

MINERS = {
    "inductive-0.0": lambda pm4py, df: pm4py.discover_petri_net_inductive(df, noise_threshold=0.0),
    "inductive-0.2": lambda pm4py, df: pm4py.discover_petri_net_inductive(df, noise_threshold=0.2),
    "inductive-0.5": lambda pm4py, df: pm4py.discover_petri_net_inductive(df, noise_threshold=0.5),
    "alpha": lambda pm4py, df: pm4py.discover_petri_net_alpha(df),
    "heuristics": lambda pm4py, df: pm4py.discover_petri_net_heuristics(df),
}


@pytest.mark.parametrize("miner", list(MINERS))
def test_token_replay_fitness_equals_pm4py_on_the_wabo_log(
    miner: str, wabo: EventLog, wabo_frame: Any, pm4py_module: Any
) -> None:
    pm4py = pm4py_module
    net, im, fm = MINERS[miner](pm4py, wabo_frame)
    theirs = pm4py.conformance_diagnostics_token_based_replay(wabo_frame, net, im, fm)
    their_log = pm4py.fitness_token_based_replay(wabo_frame, net, im, fm)
    ours = replay(wabo, net_from_pm4py(net, im, fm))
    by_case = ours.by_case()
    cases = wabo_frame["case:concept:name"].drop_duplicates().tolist()
    assert len(cases) == len(theirs) == ours.n_cases
    for case, diagnosis in zip(cases, theirs, strict=True):
        mine = by_case[case]
        assert (mine.missing, mine.consumed, mine.remaining, mine.produced) == (
            diagnosis["missing_tokens"], diagnosis["consumed_tokens"],
            diagnosis["remaining_tokens"], diagnosis["produced_tokens"],
        ), case  # fmt: skip
        assert mine.is_fit == diagnosis["trace_is_fit"], case
        assert mine.fitness == diagnosis["trace_fitness"], case
        deviating = [d.activity for d in mine.deviations if d.kind == "missing_tokens"]
        assert deviating == [t.label for t in diagnosis["transitions_with_problems"]], case
    assert ours.log_fitness == their_log["log_fitness"]
    assert ours.average_trace_fitness == pytest.approx(
        their_log["average_trace_fitness"], abs=1e-12
    )
    assert ours.percentage_fit_cases == their_log["perc_fit_traces"]


def test_the_readme_figures_hold_for_the_inductive_model_with_noise_0_2(
    wabo: EventLog, wabo_frame: Any, pm4py_module: Any
) -> None:
    net, im, fm = MINERS["inductive-0.2"](pm4py_module, wabo_frame)
    ours = replay(wabo, net_from_pm4py(net, im, fm))
    assert round(ours.log_fitness, 3) == 0.945
    assert round(ours.percentage_fit_cases, 1) == 49.7
    assert ours.log_fitness < 1


def test_dfg_counts_and_times_equal_pm4py(
    wabo: EventLog, wabo_frame: Any, pm4py_module: Any
) -> None:
    pm4py = pm4py_module
    dfg, starts, ends = pm4py.discover_dfg(wabo_frame)
    ours = discover_dfg(wabo)
    assert ours.counts() == dict(dfg)
    assert ours.start_activities == dict(starts)
    assert ours.end_activities == dict(ends)
    performance, _, _ = pm4py.discover_performance_dfg(wabo_frame)
    for edge in ours.edges:
        theirs = performance[(edge.source, edge.target)]
        assert edge.mean_seconds == pytest.approx(theirs["mean"], rel=1e-9, abs=1e-6)
        assert edge.median_seconds == pytest.approx(theirs["median"], rel=1e-9, abs=1e-6)


def test_variants_and_their_counts_equal_pm4py(
    wabo: EventLog, wabo_frame: Any, pm4py_module: Any
) -> None:
    theirs = pm4py_module.get_variants(wabo_frame)
    ours = variants(wabo)
    assert len(ours) == len(theirs) == 116
    assert {v.activities: v.count for v in ours} == {tuple(k): v for k, v in theirs.items()}
    assert [v.count for v in ours] == sorted((v.count for v in ours), reverse=True)


def test_the_csv_copy_replays_like_the_xes(
    wabo: EventLog, wabo_frame: Any, pm4py_module: Any
) -> None:
    from tests.supervision.conftest import WABO_CSV

    net, im, fm = MINERS["inductive-0.2"](pm4py_module, wabo_frame)
    model = net_from_pm4py(net, im, fm)
    assert replay(read_csv(WABO_CSV), model).log_fitness == replay(wabo, model).log_fitness


SEQUENCE_WITH_SKIP = {
    "places": ["start", "p1", "p2", "end"],
    "transitions": [
        {"name": "t_accept", "label": "受理"},
        {"name": "t_review", "label": "审查"},
        {"name": "t_skip", "label": None},
        {"name": "t_decide", "label": "决定"},
    ],
    "arcs": [["start", "t_accept"], ["t_accept", "p1"], ["p1", "t_review"], ["t_review", "p2"],
             ["p1", "t_skip"], ["t_skip", "p2"], ["p2", "t_decide"], ["t_decide", "end"]],
    "initial_marking": {"start": 1},
    "final_marking": {"end": 1},
}  # fmt: skip


def _log(*traces: list[str]) -> EventLog:
    from zhuyun.supervision.eventlog import LogBuilder

    builder = LogBuilder(keep_attrs=False)
    for n, trace in enumerate(traces):
        case = builder.cases.code(f"c{n}")
        for i, activity in enumerate(trace):
            builder.add_event(case, activity, i * 1_000_000, None)
    return builder.build()


def test_a_silent_skip_fits_and_a_missing_step_is_named_as_the_deviation() -> None:
    model = PetriNet.from_json(SEQUENCE_WITH_SKIP)
    result = replay(
        _log(
            ["受理", "审查", "决定"], ["受理", "决定"], ["审查", "决定"], ["受理", "盖章", "决定"]
        ),
        model,
    )
    full, skipped, no_accept, unknown = (result.case(i) for i in range(4))
    assert full.is_fit and full.fitness == 1.0
    assert skipped.is_fit and skipped.fitness == 1.0
    assert not no_accept.is_fit
    assert [(d.position, d.activity, d.kind) for d in no_accept.deviations] == [
        (0, "审查", "missing_tokens")
    ]
    assert no_accept.missing == 1 and no_accept.remaining == 1
    assert no_accept.fitness == 0.5 * (1 - 1 / 3) + 0.5 * (1 - 1 / 3)
    assert unknown.is_fit and unknown.deviations[0].kind == "not_in_model"
    assert result.unknown_activities == ["盖章"]


def test_the_same_model_replays_the_same_on_pm4py(pm4py_module: Any) -> None:
    from pm4py.objects.petri_net.obj import Marking
    from pm4py.objects.petri_net.obj import PetriNet as Net
    from pm4py.objects.petri_net.utils import petri_utils

    net = Net("skip")
    places = {p: Net.Place(p) for p in SEQUENCE_WITH_SKIP["places"]}
    transitions = {
        t["name"]: Net.Transition(t["name"], t["label"]) for t in SEQUENCE_WITH_SKIP["transitions"]
    }
    for p in places.values():
        net.places.add(p)
    for t in transitions.values():
        net.transitions.add(t)
    nodes = {**places, **transitions}
    for source, target in SEQUENCE_WITH_SKIP["arcs"]:
        petri_utils.add_arc_from_to(nodes[source], nodes[target], net)
    im, fm = Marking({places["start"]: 1}), Marking({places["end"]: 1})
    traces = [
        ["受理", "审查", "决定"],
        ["受理", "决定"],
        ["审查", "决定"],
        ["决定"],
        ["受理", "受理", "决定"],
    ]
    stamp = __import__("pandas").Timestamp
    frame = pm4py_module.format_dataframe(
        __import__("pandas").DataFrame(
            [{"case": f"c{n}", "activity": a, "time": stamp(1_700_000_000 + i, unit="s")}
             for n, t in enumerate(traces) for i, a in enumerate(t)]
        ), case_id="case", activity_key="activity", timestamp_key="time",
    )  # fmt: skip
    theirs = pm4py_module.conformance_diagnostics_token_based_replay(frame, net, im, fm)
    ours = replay(_log(*traces), net_from_pm4py(net, im, fm))
    for i, diagnosis in enumerate(theirs):
        mine = ours.case(i)
        assert (mine.missing, mine.consumed, mine.remaining, mine.produced, mine.fitness) == (
            diagnosis["missing_tokens"], diagnosis["consumed_tokens"],
            diagnosis["remaining_tokens"], diagnosis["produced_tokens"], diagnosis["trace_fitness"],
        )  # fmt: skip
