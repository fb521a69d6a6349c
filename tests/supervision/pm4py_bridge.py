"""Test-only bridge to pm4py (AGPL: never imported by the product): its nets in our model
format, and its token replay results, to cross-check ours."""

from __future__ import annotations

from typing import Any

from zhuyun.supervision.mining import Arc, PetriNet, Transition


def net_from_pm4py(net: Any, im: Any, fm: Any) -> PetriNet:
    """The same net in our format. Arcs are listed in the order pm4py iterates them
    (each place's and each transition's out-arcs), which is how both break ties between
    equally short silent paths."""
    places = sorted(net.places, key=lambda p: p.name)
    transitions = sorted(net.transitions, key=lambda t: t.name)
    arcs = []
    for node in [*places, *transitions]:
        for arc in node.out_arcs:
            arcs.append(Arc(arc.source.name, arc.target.name, arc.weight))
    return PetriNet(
        tuple(p.name for p in places),
        tuple(Transition(t.name, t.label) for t in transitions),
        tuple(arcs),
        {p.name: n for p, n in im.items()},
        {p.name: n for p, n in fm.items()},
    )
