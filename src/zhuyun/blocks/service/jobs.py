"""Fusion jobs: declared by a unit's data admin, checked against the gateway's policy before
they are stored, immutable afterwards.

The check asks the gateway, for every source, exactly the question a run will ask — these
items of this resource, for this purpose, for the owner's unit — without reading a row: a
resource the unit has no grant for, an item the resource does not have, or a key the owner
would only see masked is refused here, naming the source, before any work starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhuyun.blocks.definition import JobDefinition, parse_definition
from zhuyun.blocks.models import FusionJob
from zhuyun.blocks.service.staging import MAX_SINGLE_READ, ReadPlan
from zhuyun.catalog import service as catalog
from zhuyun.core.errors import Conflict, Forbidden, NotFound, Problem, Unprocessable
from zhuyun.core.ledger import Subject, record
from zhuyun.exchange.formats import OutputFormat
from zhuyun.exchange.service import gateway
from zhuyun.identity.permissions import Permission, Principal


def _owner_unit(principal: Principal) -> int:
    if principal.unit_id is None or not principal.can(Permission.BLOCKS_MANAGE):
        raise Forbidden(
            "Only a unit's data admins declare and run fusion jobs.",
            "只有单位的数据管理员才能定义和运行融合作业。",
            code="blocks-not-allowed",
        )
    return principal.unit_id


def plan_reads(
    session: Session,
    secret_key: str,
    principal: Principal,
    definition: JobDefinition,
    today: date,
) -> list[ReadPlan]:
    """The policy's answer for every source, or the first refusal, naming its source."""
    plans = []
    for spec in definition.sources:
        request = gateway.QueryRequest(
            spec.resource_id,
            spec.read_items,
            definition.purpose,
            limit=1,
            export=True,
            format=OutputFormat.ARROW,
        )
        try:
            prepared = gateway.prepare(session, secret_key, principal, request, today)
        except Problem as problem:
            raise Problem(
                f"Source {spec.alias} (resource {spec.resource_id}): {problem.message_en}",
                f"数据源 {spec.alias}（资源 {spec.resource_id}）：{problem.message_zh}",
                status=problem.status,
                code=problem.code,
            ) from None
        decision = prepared.decision
        for name in (spec.key, *spec.row_key):
            if name in decision.masked:
                raise Unprocessable(
                    f"Source {spec.alias}: the key {name} of {prepared.resource_name} is masked "
                    "for your unit, so rows cannot be joined on it; apply for a grant that "
                    "lists it in clear.",
                    f"数据源 {spec.alias}：“{prepared.resource_name}”的关联键 {name} 对本单位"
                    "脱敏，无法据此关联，请申请明文使用该信息项的授权。",
                    code="blocks-key-masked",
                )
        page_rows = decision.max_rows if decision.grant_id is not None else MAX_SINGLE_READ
        plans.append(
            ReadPlan(
                spec=spec,
                resource_name=prepared.resource_name,
                provider_unit_id=_provider(session, spec.resource_id),
                masked=dict(decision.masked),
                grant_id=decision.grant_id,
                page_rows=page_rows,
                key_field=prepared.binding.key_field,
            )
        )
    return plans


def _provider(session: Session, resource_id: int) -> int:
    return catalog.published_view(session, resource_id).provider_unit_id


def create_job(
    session: Session,
    secret_key: str,
    principal: Principal,
    text: str,
    idempotency_key: str,
    today: date,
) -> tuple[FusionJob, bool]:
    """Store a checked job once per idempotency key; returns it and whether it is new."""
    unit_id = _owner_unit(principal)
    key = idempotency_key.strip()
    if not 8 <= len(key) <= 100:
        raise Unprocessable(
            "The idempotency key must be 8 to 100 characters.",
            "幂等键须为 8 至 100 个字符。",
            code="idempotency-key-invalid",
        )
    existing = session.scalar(
        select(FusionJob).where(
            FusionJob.created_by == principal.account_id, FusionJob.idempotency_key == key
        )
    )
    if existing is not None:
        if existing.definition_text != text:
            raise Conflict(
                "This idempotency key was used for a different job.",
                "该幂等键已用于另一个作业。",
                code="idempotency-key-reused",
            )
        return existing, False
    definition = parse_definition(text)
    plans = plan_reads(session, secret_key, principal, definition, today)
    for plan in plans:
        identity = plan.row_identity
        if plan.spec.updated_at and not (identity and set(identity) <= set(plan.spec.read_items)):
            raise Unprocessable(
                f"Source {plan.spec.alias}: name the row_key that identifies a row, so rows "
                "changed since the last run can replace the old ones.",
                f"数据源 {plan.spec.alias}：请指定标识一行数据的 row_key，以便增量更新替换旧行。",
                code="blocks-row-key-required",
            )
    job = FusionJob(
        name=definition.name,
        entity=definition.entity.value,
        purpose=definition.purpose,
        owner_unit_id=unit_id,
        created_by=principal.account_id,
        idempotency_key=key,
        definition=definition.model_dump(mode="json"),
        definition_text=text,
    )
    session.add(job)
    session.flush()
    record(
        session,
        principal.as_actor(),
        "blocks.job_created",
        Subject("fusion_job", job.id),
        {
            "name": job.name,
            "entity": job.entity,
            "purpose": job.purpose,
            "resources": [p.spec.resource_id for p in plans],
            "grants": [p.grant_id for p in plans if p.grant_id is not None],
        },
    )
    return job, True


def definition_of(job: FusionJob) -> JobDefinition:
    return JobDefinition.model_validate(job.definition)


def get_job(session: Session, job_id: int) -> FusionJob:
    job = session.get(FusionJob, job_id)
    if job is None:
        raise NotFound(
            f"Fusion job {job_id} does not exist.",
            f"融合作业 {job_id} 不存在。",
            code="blocks-job-not-found",
        )
    return job


def ensure_owner(principal: Principal, job: FusionJob) -> None:
    """Only the owner unit's data admins run a job or see its runs' details."""
    if _owner_unit(principal) != job.owner_unit_id and not principal.can(
        Permission.EXCHANGE_COORDINATE
    ):
        raise Forbidden(
            "This fusion job belongs to another unit.",
            "该融合作业属于其他单位。",
            code="blocks-not-owner",
        )


def list_jobs(
    session: Session, principal: Principal, offset: int, limit: int
) -> tuple[Sequence[FusionJob], int]:
    """Every job (their profiles are what viewers look at; reading stays under grants)."""
    total = session.scalar(select(func.count()).select_from(FusionJob)) or 0
    rows = session.scalars(
        select(FusionJob).order_by(FusionJob.id.desc()).offset(offset).limit(limit)
    ).all()
    return rows, total


def resource_names(session: Session, job: FusionJob) -> dict[int, str]:
    """The catalog names of the resources a job reads (for pages)."""
    ids = {s.resource_id for s in definition_of(job).sources}
    return {rid: catalog.published_view(session, rid).name for rid in sorted(ids)}
