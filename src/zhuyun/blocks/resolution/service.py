"""Entity resolution as the platform offers it: the demo evaluation over a population resource
read through the governed gateway, and the explained comparison of two records.

The people are read page by page through the exchange with the caller's own rights and a
purpose, so the ledger shows who read which register for resolution, and a caller without a
grant is refused by the gateway's policy, not here. Matching masked values would be
meaningless, so a read that comes back masked is refused with a clear message.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from zhuyun.blocks.resolution.demo import (
    ERROR_LABELS_ZH,
    BasePerson,
    ErrorKind,
    Quality,
    evaluate,
    make_demo_set,
)
from zhuyun.blocks.resolution.engine import Match, Resolution, resolve_people
from zhuyun.blocks.resolution.reading import open_read
from zhuyun.blocks.resolution.records import (
    EnterpriseRecord,
    PersonRecord,
    prepare_enterprise,
    prepare_person,
)
from zhuyun.blocks.resolution.scoring import (
    ENTERPRISE_THRESHOLD,
    PERSON_THRESHOLD,
    Score,
    score_enterprises,
    score_people,
)
from zhuyun.core.errors import Forbidden
from zhuyun.core.masking import MaskKind, mask
from zhuyun.identity.permissions import Principal

PERSON_ITEMS = ("id_number", "name", "sex", "birth_date", "address")
DEFAULT_PURPOSE = "块数据实体识别：评估人员记录融合的查准率与查全率"


@dataclass(frozen=True)
class DemoEvaluation:
    """What one run of the demo evaluation found and what it cost."""

    people: int
    quality: Quality
    resolution: Resolution
    seconds: float
    seed: int
    error_rate: float
    duplicate_share: float
    examples: list[dict[str, Any]]


def read_people(
    session: Session,
    secret_key: str,
    principal: Principal,
    resource_id: int,
    purpose: str,
    limit: int,
    today: date,
) -> list[BasePerson]:
    """Up to `limit` people of a population resource, read in clear through the gateway."""
    read = open_read(session, secret_key, principal, resource_id, PERSON_ITEMS, purpose, today)
    if read.masked:
        raise Forbidden(
            "Entity resolution needs these items in clear, but your unit reads "
            f"{', '.join(read.masked)} masked: apply for a grant that clears them.",
            f"实体识别需要明文数据，本单位读取的信息项{'、'.join(read.masked)}"
            "为脱敏值，请申请明文授权。",
            code="resolution-needs-clear-items",
        )
    return [
        BasePerson(str(r[0]), str(r[1]), str(r[2] or ""), str(r[3] or ""), str(r[4] or ""))
        for r in read.rows(limit)
        if r[0] and r[1]
    ]


def _example(match: Match, names: dict[str, str]) -> dict[str, Any]:
    return {
        "left": match.left,
        "right": match.right,
        "left_name": mask(MaskKind.NAME, names.get(match.left, "")),
        "right_name": mask(MaskKind.NAME, names.get(match.right, "")),
        "score": match.score.total,
        "explanation": match.score.explain(),
        "parts": [
            {"field": p.field, "level": p.level, "weight": p.weight, "reason": p.reason}
            for p in match.score.parts
        ],
    }


def evaluate_demo(
    people: list[BasePerson],
    *,
    seed: int,
    error_rate: float,
    duplicate_share: float,
    examples: int = 10,
) -> DemoEvaluation:
    """Make the demo set from `people`, resolve it, and count precision and recall."""
    demo = make_demo_set(people, seed=seed, error_rate=error_rate, duplicate_share=duplicate_share)
    started = time.perf_counter()
    resolution = resolve_people(demo.records)
    seconds = time.perf_counter() - started
    names = {r.record_id: r.name for r in demo.records}
    return DemoEvaluation(
        people=len(people),
        quality=evaluate(demo, resolution),
        resolution=resolution,
        seconds=seconds,
        seed=seed,
        error_rate=error_rate,
        duplicate_share=duplicate_share,
        examples=[_example(m, names) for m in resolution.matches[:examples]],
    )


def error_labels() -> dict[str, str]:
    return {kind.value: ERROR_LABELS_ZH[kind] for kind in ErrorKind}


@dataclass(frozen=True)
class Verdict:
    """Whether two records are one entity: by their keys when both have valid ones, else by
    the score (which is then given with its parts)."""

    is_match: bool
    decided_by: str  # "same-key", "different-keys", "score"
    score: Score | None
    threshold: float

    def explain(self) -> str:
        if self.decided_by == "same-key":
            return "两条记录的有效证件号码相同：同一主体"
        if self.decided_by == "different-keys":
            return "两条记录的证件号码都通过校验且不同：不同主体"
        assert self.score is not None
        return self.score.explain()


def _verdict(left_key: str | None, right_key: str | None, score: Score) -> Verdict:
    if left_key is not None and right_key is not None:
        same = left_key == right_key
        return Verdict(same, "same-key" if same else "different-keys", None, score.threshold)
    return Verdict(score.is_match, "score", score, score.threshold)


def compare_people(left: PersonRecord, right: PersonRecord) -> Verdict:
    a, b = prepare_person(left), prepare_person(right)
    return _verdict(a.key, b.key, score_people(a, b))


def compare_enterprises(left: EnterpriseRecord, right: EnterpriseRecord) -> Verdict:
    a, b = prepare_enterprise(left), prepare_enterprise(right)
    return _verdict(a.key, b.key, score_enterprises(a, b))


__all__ = [
    "ENTERPRISE_THRESHOLD",
    "PERSON_THRESHOLD",
    "DemoEvaluation",
    "Verdict",
    "compare_enterprises",
    "compare_people",
    "error_labels",
    "evaluate_demo",
    "read_people",
]
