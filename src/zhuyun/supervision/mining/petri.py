"""The normative model of a power's process: a Petri net, defined as data.

```json
{"places": ["start", "p1", "end"],
 "transitions": [{"name": "t1", "label": "受理"}, {"name": "tau1", "label": null}],
 "arcs": [["start", "t1"], ["t1", "p1"], ["p1", "tau1", 1], ["tau1", "end"]],
 "initial_marking": {"start": 1}, "final_marking": {"end": 1}}
```

Places and transitions have unique names (across both); a transition with no label is
silent (τ). An arc joins a place and a transition in either direction, with a weight of at
least 1 (default 1); markings give places positive token counts. The order of arcs is
kept: where several equally short silent paths exist, replay takes them in arc order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ModelError(ValueError):
    """A model that is not a well-formed Petri net; says what is wrong in both languages."""

    def __init__(self, message_en: str, message_zh: str) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh


@dataclass(frozen=True)
class Transition:
    name: str
    label: str | None = None

    @property
    def silent(self) -> bool:
        return self.label is None


@dataclass(frozen=True)
class Arc:
    source: str
    target: str
    weight: int = 1


MAX_NODES = 10_000


@dataclass(frozen=True)
class PetriNet:
    places: tuple[str, ...]
    transitions: tuple[Transition, ...]
    arcs: tuple[Arc, ...]
    initial_marking: dict[str, int]
    final_marking: dict[str, int]

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if len(self.places) + len(self.transitions) > MAX_NODES:
            raise ModelError(
                f"the model has more than {MAX_NODES:,} places and transitions",
                f"模型的库所和变迁超过 {MAX_NODES:,} 个",
            )
        names: set[str] = set()
        for name in (*self.places, *(t.name for t in self.transitions)):
            if not isinstance(name, str) or not name:
                raise ModelError(
                    "every place and transition needs a name", "每个库所和变迁都需要名称"
                )
            if name in names:
                raise ModelError(
                    f"the name {name!r} is used twice (names are unique across places and "
                    "transitions)",
                    f"名称 {name} 重复（库所和变迁的名称必须唯一）",
                )
            names.add(name)
        places = set(self.places)
        transitions = {t.name for t in self.transitions}
        seen: set[tuple[str, str]] = set()
        for arc in self.arcs:
            forward = arc.source in places and arc.target in transitions
            backward = arc.source in transitions and arc.target in places
            if not (forward or backward):
                raise ModelError(
                    f"the arc {arc.source!r} → {arc.target!r} must join a place and a transition",
                    f"弧 {arc.source} → {arc.target} 必须连接一个库所和一个变迁",
                )
            if (arc.source, arc.target) in seen:
                raise ModelError(
                    f"the arc {arc.source!r} → {arc.target!r} is given twice",
                    f"弧 {arc.source} → {arc.target} 重复",
                )
            seen.add((arc.source, arc.target))
            if not isinstance(arc.weight, int) or isinstance(arc.weight, bool) or arc.weight < 1:
                raise ModelError(
                    f"the arc {arc.source!r} → {arc.target!r} needs a weight of at least 1",
                    f"弧 {arc.source} → {arc.target} 的权重至少为 1",
                )
        for label, marking in (("initial", self.initial_marking), ("final", self.final_marking)):
            label_zh = "初始" if label == "initial" else "终止"
            if not marking:
                raise ModelError(f"the {label} marking is empty", f"{label_zh}标识为空")
            for place, tokens in marking.items():
                if place not in places:
                    raise ModelError(
                        f"the {label} marking names {place!r}, which is not a place",
                        f"{label_zh}标识中的 {place} 不是库所",
                    )
                if not isinstance(tokens, int) or isinstance(tokens, bool) or tokens < 1:
                    raise ModelError(
                        f"the {label} marking gives {place!r} {tokens!r} tokens (at least 1)",
                        f"{label_zh}标识中 {place} 的令牌数须至少为 1",
                    )

    @classmethod
    def from_json(cls, data: Any) -> PetriNet:
        """A net from its JSON form (see the module's docstring); `ModelError` if malformed."""
        if not isinstance(data, dict):
            raise ModelError("the model must be a JSON object", "模型必须是 JSON 对象")
        try:
            places = tuple(str(p) for p in data["places"])
            transitions = tuple(
                Transition(str(t["name"]), None if t.get("label") is None else str(t["label"]))
                if isinstance(t, dict)
                else Transition(str(t), str(t))
                for t in data["transitions"]
            )
            arcs = tuple(_arc(a) for a in data["arcs"])
            initial = {str(k): v for k, v in dict(data["initial_marking"]).items()}
            final = {str(k): v for k, v in dict(data["final_marking"]).items()}
        except (KeyError, TypeError, ValueError) as error:
            raise ModelError(
                "the model needs places, transitions, arcs, initial_marking and final_marking "
                f"in the documented shape ({type(error).__name__}: {error})",
                "模型须包含 places、transitions、arcs、initial_marking 和 final_marking，"
                "格式见文档",
            ) from None
        return cls(places, transitions, arcs, initial, final)

    def to_json(self) -> dict[str, Any]:
        return {
            "places": list(self.places),
            "transitions": [{"name": t.name, "label": t.label} for t in self.transitions],
            "arcs": [
                [a.source, a.target] if a.weight == 1 else [a.source, a.target, a.weight]
                for a in self.arcs
            ],
            "initial_marking": dict(self.initial_marking),
            "final_marking": dict(self.final_marking),
        }


def _arc(item: Any) -> Arc:
    if isinstance(item, dict):
        return Arc(str(item["source"]), str(item["target"]), item.get("weight", 1))
    if isinstance(item, list | tuple) and len(item) in (2, 3):
        return Arc(str(item[0]), str(item[1]), item[2] if len(item) == 3 else 1)
    raise ValueError(f"an arc is [source, target] or [source, target, weight], not {item!r}")
