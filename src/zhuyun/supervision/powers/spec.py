"""What a power of the power list (权力清单) is made of, and the checks every entry passes
whether it comes from a spreadsheet, the API or the demo: each problem names the field (and,
from a spreadsheet, the sheet, row and column) in Chinese and English."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

POWER_TYPES: dict[str, str] = {
    "许可": "licence",
    "处罚": "penalty",
    "强制": "enforcement",
    "征收": "levy",
    "给付": "benefit",
    "检查": "inspection",
    "确认": "confirmation",
    "裁决": "adjudication",
    "奖励": "reward",
    "其他": "other",
}
RISK_KINDS: dict[str, str] = {"权力寻租点": "rent-seeking", "群众关注点": "public concern"}
LINK_KINDS: dict[str, str] = {"service_item": "服务事项", "governance_category": "工单类别"}
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
ACTIVITY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
MAX_STEP_DAYS = 365
MAX_AMOUNT = 1e12


@dataclass
class Step:
    """A step of the normative process: the ledger activity that records it, who does it
    (a role), its limit in working days (None: no limit of its own) and whether it must be
    taken."""

    code: str
    name: str
    activity: str
    role: str
    days: int | None = None
    mandatory: bool = True


@dataclass
class Benchmark:
    """A discretion benchmark: for a violated article, the range a fine must stay in."""

    article: str
    description: str
    min_amount: float
    max_amount: float


@dataclass
class RiskPoint:
    kind: str
    step: str
    description: str
    measure: str = ""


@dataclass
class PowerDraft:
    code: str
    unit_code: str
    name: str
    power_type: str
    legal_basis: str
    responsible: str
    time_limit_days: int | None = None
    steps: list[Step] = field(default_factory=list)
    discretion: list[Benchmark] = field(default_factory=list)
    risks: list[RiskPoint] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (kind, code)

    def steps_json(self) -> list[dict[str, Any]]:
        return [vars(s).copy() for s in self.steps]

    def discretion_json(self) -> list[dict[str, Any]]:
        return [vars(b).copy() for b in self.discretion]

    def risks_json(self) -> list[dict[str, Any]]:
        return [vars(r).copy() for r in self.risks]


@dataclass(frozen=True)
class Issue:
    """One problem: where (sheet, row, column or a field path) and what, in both languages."""

    where: str
    message_en: str
    message_zh: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "field": self.where,
            "message": self.message_en,
            "message_zh": self.message_zh,
        }
        if self.sheet is not None:
            body.update(sheet=self.sheet, row=self.row, column=self.column)
        return body


def check_power(draft: PowerDraft) -> list[Issue]:
    """Problems of one power as a whole (each field's own shape is checked where it is read):
    steps unique and known by their risks, ranges that are ranges."""
    issues: list[Issue] = []

    def add(where: str, en: str, zh: str) -> None:
        issues.append(Issue(f"{draft.code}.{where}", en, zh))

    if not CODE_PATTERN.match(draft.code):
        add(
            "code",
            "the power code must be 1–64 letters, digits, '.', '_' or '-'",
            "权力编码须为 1–64 位字母、数字或 . _ -",
        )
    if draft.power_type not in POWER_TYPES:
        add(
            "power_type",
            f"unknown power type {draft.power_type!r}; one of " + ", ".join(POWER_TYPES),
            f"权力类型“{draft.power_type}”无效，应为：" + "、".join(POWER_TYPES),
        )
    for name, value in (
        ("name", draft.name),
        ("legal_basis", draft.legal_basis),
        ("responsible", draft.responsible),
    ):
        if not value.strip():
            add(name, f"{name} is required", f"{_FIELD_ZH[name]}不能为空")
    if not draft.steps:
        add("steps", "a power needs at least one step of its process", "权力须至少有一个办理环节")
    seen: set[str] = set()
    for step in draft.steps:
        if step.code in seen:
            add(f"steps.{step.code}", f"step {step.code!r} appears twice", f"环节“{step.code}”重复")
        seen.add(step.code)
    articles: set[str] = set()
    for bench in draft.discretion:
        if bench.article in articles:
            add(
                f"discretion.{bench.article}",
                f"article {bench.article!r} appears twice",
                f"违法条款“{bench.article}”重复",
            )
        articles.add(bench.article)
        if bench.min_amount > bench.max_amount:
            add(
                f"discretion.{bench.article}",
                "the lowest amount is above the highest",
                "裁量下限高于上限",
            )
    for risk in draft.risks:
        if risk.step and risk.step not in seen:
            add(
                f"risks.{risk.step}",
                f"risk point names an unknown step {risk.step!r}",
                f"风险点所在环节“{risk.step}”不在办理流程中",
            )
    return issues


_FIELD_ZH = {"name": "权力名称", "legal_basis": "法律依据", "responsible": "责任人"}
