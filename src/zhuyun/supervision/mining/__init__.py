"""Process mining over event logs: discovery (directly-follows graph, variants) and
conformance (token-based replay against a normative Petri net)."""

from zhuyun.supervision.mining.dfg import Dfg, DfgEdge, Variant, discover_dfg, variants
from zhuyun.supervision.mining.petri import Arc, ModelError, PetriNet, Transition
from zhuyun.supervision.mining.replay import (
    Deviation,
    Replayer,
    ReplayResult,
    TraceReplay,
    replay,
)

__all__ = [
    "Arc",
    "Deviation",
    "Dfg",
    "DfgEdge",
    "ModelError",
    "PetriNet",
    "ReplayResult",
    "Replayer",
    "TraceReplay",
    "Transition",
    "Variant",
    "discover_dfg",
    "replay",
    "variants",
]
