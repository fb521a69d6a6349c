"""Workflows declared as data: a list of steps, each with its kind, the unit that works it,
its time limit in working days and, for a parallel step, branches that run at once and join.

The engine (`engine.py`) knows the step kinds; a workflow is only data, stored in
`services_workflows.definition` as

    {"steps": [{"code": "accept", "name": "受理", "kind": "accept", "days": 1,
                "unit": "lead"},
               {"code": "review", "name": "并联审批", "kind": "review", "days": 1,
                "branches": [{"code": "tax", "name": "税务登记", "unit": "swj"}, …]},
               …]}

`unit` is `lead` (the item's implementing unit) or a unit code; a branch names its own unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zhuyun.core.errors import Unprocessable

#: What each kind of step allows, and the label of each action.
STEP_KINDS: dict[str, tuple[str, ...]] = {
    "accept": ("accept", "request_correction", "refuse"),
    "review": ("approve", "reject"),
    "decide": ("approve", "reject"),
    "issue": ("issue",),
    "deliver": ("deliver",),
}
ACTION_LABELS_ZH = {
    "accept": "受理",
    "request_correction": "要求补正",
    "refuse": "不予受理",
    "approve": "同意",
    "reject": "不同意",
    "issue": "出具结果",
    "deliver": "送达",
}
LEAD = "lead"


@dataclass(frozen=True)
class BranchSpec:
    code: str
    name: str
    unit: str


@dataclass(frozen=True)
class StepSpec:
    code: str
    name: str
    kind: str
    days: int
    unit: str = LEAD
    branches: tuple[BranchSpec, ...] = ()

    @property
    def actions(self) -> tuple[str, ...]:
        return STEP_KINDS[self.kind]


@dataclass(frozen=True)
class WorkflowSpec:
    code: str
    name: str
    steps: tuple[StepSpec, ...]

    def step(self, code: str) -> StepSpec:
        return next(s for s in self.steps if s.code == code)

    def after(self, code: str) -> StepSpec | None:
        """The step that follows `code`, None after the last."""
        index = [s.code for s in self.steps].index(code)
        return self.steps[index + 1] if index + 1 < len(self.steps) else None

    def first_of_kind(self, kind: str) -> StepSpec | None:
        return next((s for s in self.steps if s.kind == kind), None)

    def unit_codes(self) -> set[str]:
        """The unit codes the workflow names (besides the lead unit)."""
        codes = {s.unit for s in self.steps if s.unit != LEAD}
        codes |= {b.unit for s in self.steps for b in s.branches if b.unit != LEAD}
        return codes


def _bad(message_en: str, message_zh: str) -> Unprocessable:
    return Unprocessable(message_en, message_zh, code="bad-workflow")


def parse(code: str, name: str, definition: dict[str, Any]) -> WorkflowSpec:
    """A workflow from its stored definition; refuses one the engine could not run."""
    raw_steps = definition.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise _bad(f"Workflow {code} has no steps.", f"流程 {code} 没有环节。")
    steps: list[StepSpec] = []
    for raw in raw_steps:
        kind = raw.get("kind")
        if kind not in STEP_KINDS:
            raise _bad(f"Unknown step kind {kind!r}.", f"未知的环节类型 {kind!r}。")
        days = raw.get("days", 0)
        if not isinstance(days, int) or days < 0:
            raise _bad("A step's days are 0 or more.", "环节时限须为非负整数个工作日。")
        branches = tuple(
            BranchSpec(str(b["code"]), str(b["name"]), str(b.get("unit", LEAD)))
            for b in raw.get("branches", ())
        )
        if branches and kind != "review":
            raise _bad("Only review steps branch.", "只有审查环节可以并联。")
        steps.append(
            StepSpec(
                str(raw["code"]),
                str(raw["name"]),
                kind,
                days,
                str(raw.get("unit", LEAD)),
                branches,
            )
        )
    codes = [s.code for s in steps]
    if len(set(codes)) != len(codes):
        raise _bad("Step codes repeat.", "环节代码重复。")
    if steps[0].kind != "accept" or steps[-1].kind != "deliver":
        raise _bad(
            "A workflow starts with acceptance and ends with delivery.",
            "流程须以受理开始、以送达结束。",
        )
    for kind in ("decide", "issue"):
        if sum(1 for s in steps if s.kind == kind) != 1:
            raise _bad(
                f"A workflow has exactly one {kind} step.", f"流程须有且只有一个{kind}环节。"
            )
    return WorkflowSpec(code, name, tuple(steps))


def definition_of(spec: WorkflowSpec) -> dict[str, Any]:
    """The stored form of a workflow (the inverse of `parse`)."""
    return {
        "steps": [
            {
                "code": s.code,
                "name": s.name,
                "kind": s.kind,
                "days": s.days,
                "unit": s.unit,
                **(
                    {
                        "branches": [
                            {"code": b.code, "name": b.name, "unit": b.unit} for b in s.branches
                        ]
                    }
                    if s.branches
                    else {}
                ),
            }
            for s in spec.steps
        ]
    }


def _standard(code: str, name: str, review_days: int, decide_days: int) -> WorkflowSpec:
    return WorkflowSpec(
        code,
        name,
        (
            StepSpec("accept", "受理", "accept", 1),
            StepSpec("review", "审查", "review", review_days),
            StepSpec("decide", "决定", "decide", decide_days),
            StepSpec("issue", "制证出件", "issue", 1),
            StepSpec("deliver", "送达", "deliver", 1),
        ),
    )


IMMEDIATE = WorkflowSpec(
    "immediate",
    "即办件流程",
    (
        StepSpec("accept", "受理", "accept", 0),
        StepSpec("decide", "当场办结", "decide", 0),
        StepSpec("issue", "出具结果", "issue", 0),
        StepSpec("deliver", "送达", "deliver", 0),
    ),
)
STANDARD = _standard("standard", "承诺件流程（受理—审查—决定—出件—送达）", 3, 1)
ENTERPRISE_STARTUP = WorkflowSpec(
    "enterprise_startup",
    "企业开办“多证合一”并联流程",
    (
        StepSpec("accept", "综合受理", "accept", 0),
        StepSpec(
            "parallel",
            "并联办理",
            "review",
            1,
            branches=(
                BranchSpec("registration", "营业执照登记", LEAD),
                BranchSpec("tax", "税务登记与发票申领", "swj"),
                BranchSpec("social_insurance", "社保登记", "rsj"),
                BranchSpec("seal", "公章刻制备案", "gongan"),
                BranchSpec("bank", "银行开户预约", "zwfw"),
            ),
        ),
        StepSpec("decide", "核准", "decide", 0),
        StepSpec("issue", "一次发放（营业执照、印章、发票）", "issue", 0),
        StepSpec("deliver", "送达", "deliver", 0),
    ),
)
BUILTIN: tuple[WorkflowSpec, ...] = (IMMEDIATE, STANDARD, ENTERPRISE_STARTUP)
