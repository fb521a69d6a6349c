"""The entity-resolution JSON API: compare two records with an explained score, and measure
people resolution on a demo set made from a population resource. Thin: parse → service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from zhuyun.blocks.resolution import service
from zhuyun.blocks.resolution.records import EnterpriseRecord, PersonRecord
from zhuyun.blocks.resolution.schemas import (
    DemoQualityPublic,
    EnterpriseComparison,
    EnterpriseIn,
    MatchExample,
    PartPublic,
    PeopleComparison,
    PersonIn,
    ScorePublic,
)
from zhuyun.core.calendar import china_today
from zhuyun.identity.deps import Allowed, SessionDep, SettingsDep
from zhuyun.identity.permissions import Permission, Principal

router = APIRouter(prefix="/api/blocks/resolution", tags=["blocks 块数据"])

Reader = Annotated[Principal, Allowed(Permission.BLOCKS_READ)]
Manager = Annotated[Principal, Allowed(Permission.BLOCKS_MANAGE)]


def _person(record_id: str, body: PersonIn) -> PersonRecord:
    return PersonRecord(
        record_id, "api", body.name, body.id_number, body.birth_date, body.sex, body.address
    )


def _enterprise(record_id: str, body: EnterpriseIn) -> EnterpriseRecord:
    return EnterpriseRecord(record_id, "api", body.name, body.credit_code, body.address)


def _public(verdict: service.Verdict) -> ScorePublic:
    parts = verdict.score.parts if verdict.score else ()
    return ScorePublic(
        is_match=verdict.is_match,
        decided_by=verdict.decided_by,
        score=verdict.score.total if verdict.score else None,
        threshold=verdict.threshold,
        explanation=verdict.explain(),
        parts=[PartPublic(field=p.field, level=p.level, weight=p.weight, reason=p.reason)
               for p in parts],
    )  # fmt: skip


@router.post(
    "/compare/people",
    response_model=ScorePublic,
    summary="Compare two person records / 比对两条人员记录",
)
def compare_people(body: PeopleComparison, principal: Reader) -> ScorePublic:
    return _public(service.compare_people(_person("left", body.left), _person("right", body.right)))


@router.post(
    "/compare/enterprises",
    response_model=ScorePublic,
    summary="Compare two enterprise records / 比对两条企业记录",
)
def compare_enterprises(body: EnterpriseComparison, principal: Reader) -> ScorePublic:
    return _public(
        service.compare_enterprises(
            _enterprise("left", body.left), _enterprise("right", body.right)
        )
    )


@router.get(
    "/demo-quality",
    response_model=DemoQualityPublic,
    summary="Precision and recall on a demo set / 演示集上的查准率与查全率",
)
def demo_quality(
    principal: Manager,
    session: SessionDep,
    settings: SettingsDep,
    resource_id: Annotated[int, Query(ge=1, le=2**31 - 1, description="人口资源 id")],
    people: Annotated[int, Query(ge=10, le=20_000, description="读取的人数")] = 2_000,
    error_rate: Annotated[float, Query(ge=0, le=0.5, description="注入错误的记录比例")] = 0.1,
    duplicate_share: Annotated[float, Query(ge=0, le=1, description="有重复记录的人比例")] = 0.3,
    seed: Annotated[int, Query(ge=0, le=2**31 - 1)] = 2024,
    purpose: Annotated[str, Query(min_length=4, max_length=200)] = service.DEFAULT_PURPOSE,
) -> DemoQualityPublic:
    base = service.read_people(
        session,
        settings.secret_key.get_secret_value(),
        principal,
        resource_id,
        purpose,
        people,
        china_today(),
    )
    run = service.evaluate_demo(
        base, seed=seed, error_rate=error_rate, duplicate_share=duplicate_share
    )
    q = run.quality
    return DemoQualityPublic(
        people=run.people,
        records=q.records,
        seed=run.seed,
        error_rate=run.error_rate,
        duplicate_share=run.duplicate_share,
        true_pairs=q.true_pairs,
        linked_pairs=q.linked_pairs,
        correct_pairs=q.correct_pairs,
        precision=round(q.precision, 4),
        recall=round(q.recall, 4),
        f1=round(q.f1, 4),
        recall_by_error=q.recall_by_error,
        error_labels=service.error_labels(),
        clusters=len(run.resolution.clusters),
        keyless_records=run.resolution.keyless,
        pairs_compared=run.resolution.pairs_compared,
        rejected_merges=run.resolution.rejected_merges,
        seconds=round(run.seconds, 3),
        records_per_second=round(q.records / run.seconds, 1) if run.seconds else 0.0,
        examples=[MatchExample(**e) for e in run.examples],
    )
