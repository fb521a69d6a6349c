"""The 块数据 JSON API. Thin: parse → call the service → render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Header, Query, Request
from fastapi import Path as PathParam
from sqlalchemy.orm import Session

from zhuyun.blocks import service
from zhuyun.blocks.models import FusionJob, FusionRun
from zhuyun.blocks.schemas import (
    FactPublic,
    JobCreate,
    JobPublic,
    ProfilePublic,
    ProfileTablePublic,
    RunCreate,
    RunPublic,
    SourceFactsPublic,
    SourceProgress,
)
from zhuyun.core.calendar import china_today
from zhuyun.core.paging import Page, PageDep
from zhuyun.identity.deps import Allowed, SessionDep, SettingsDep, get_database
from zhuyun.identity.permissions import Permission, Principal

router = APIRouter(prefix="/api/blocks", tags=["blocks 块数据"])

Reader = Annotated[Principal, Allowed(Permission.BLOCKS_READ)]
Manager = Annotated[Principal, Allowed(Permission.BLOCKS_MANAGE)]
JobId = Annotated[int, PathParam(ge=1, le=2_147_483_647)]
RunId = Annotated[int, PathParam(ge=1, le=2_147_483_647)]
IdempotencyKey = Annotated[
    str, Header(alias="Idempotency-Key", min_length=8, max_length=100, description="幂等键")
]


def job_public(session: Session, job: FusionJob) -> JobPublic:
    tables = service.current_tables(session, job.id)
    return JobPublic(
        id=job.id,
        name=job.name,
        entity=job.entity,
        purpose=job.purpose,
        owner_unit_id=job.owner_unit_id,
        created_at=job.created_at,
        definition=job.definition,
        profile_tables=[
            ProfileTablePublic(
                output=t.output, run_id=t.run_id, rows=t.rows, completed_at=t.completed_at
            )
            for t in tables.values()
        ],
    )


def run_public(run: FusionRun) -> RunPublic:
    sources = [
        SourceProgress(
            alias=alias, **{k: v for k, v in entry.items() if k in SourceProgress.model_fields}
        )
        for alias, entry in (run.progress or {}).items()
        if alias != "__fusion__"
    ]
    return RunPublic(
        id=run.id,
        job_id=run.job_id,
        engine=run.engine,
        mode=run.mode,
        status=run.status,
        resumable=run.resumable,
        base_run_id=run.base_run_id,
        fraction_done=service.fraction_done(run),
        sources=sources,
        output_rows=run.output_rows,
        error_code=run.error_code,
        error=run.error_en,
        error_zh=run.error_zh,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )


@router.post(
    "/jobs",
    status_code=201,
    response_model=JobPublic,
    summary="Declare a fusion job (YAML or JSON) / 定义融合作业",
)
def create_job(
    body: JobCreate,
    principal: Manager,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey,
) -> JobPublic:
    job, _ = service.create_job(
        session,
        settings.secret_key.get_secret_value(),
        principal,
        body.definition,
        idempotency_key,
        china_today(),
    )
    return job_public(session, job)


@router.get("/jobs", response_model=Page[JobPublic], summary="Fusion jobs / 融合作业列表")
def list_jobs(principal: Reader, session: SessionDep, page: PageDep) -> Page[JobPublic]:
    rows, total = service.list_jobs(session, principal, page.offset, page.limit)
    return Page.of([job_public(session, job) for job in rows], total, page)


@router.get("/jobs/{job_id}", response_model=JobPublic, summary="A fusion job / 融合作业")
def get_job(job_id: JobId, principal: Reader, session: SessionDep) -> JobPublic:
    return job_public(session, service.get_job(session, job_id))


@router.post(
    "/jobs/{job_id}/runs",
    status_code=202,
    response_model=RunPublic,
    summary="Run a fusion job / 运行融合作业",
)
def start_run(
    job_id: JobId,
    body: RunCreate,
    request: Request,
    background: BackgroundTasks,
    principal: Manager,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey,
) -> RunPublic:
    job = service.get_job(session, job_id)
    engine = body.engine or settings.blocks_engine
    run, new = service.start_run(session, principal, job, engine, body.mode, idempotency_key)
    if new:
        session.commit()
        background.add_task(service.execute_run, get_database(request), settings, run.id)
    return run_public(run)


@router.get(
    "/jobs/{job_id}/runs",
    response_model=Page[RunPublic],
    summary="Runs of a fusion job / 作业运行记录",
)
def list_runs(
    job_id: JobId, principal: Manager, session: SessionDep, page: PageDep
) -> Page[RunPublic]:
    service.ensure_owner(principal, service.get_job(session, job_id))
    rows, total = service.list_runs(session, job_id, page.offset, page.limit)
    return Page.of([run_public(r) for r in rows], total, page)


@router.get("/runs/{run_id}", response_model=RunPublic, summary="A run and its progress / 运行进度")
def get_run(run_id: RunId, principal: Manager, session: SessionDep) -> RunPublic:
    run = service.get_run(session, run_id)
    service.ensure_owner(principal, service.get_job(session, run.job_id))
    return run_public(run)


@router.post(
    "/runs/{run_id}/resume",
    status_code=202,
    response_model=RunPublic,
    summary="Resume a failed run / 继续失败的运行",
)
def resume_run(
    run_id: RunId,
    request: Request,
    background: BackgroundTasks,
    principal: Manager,
    session: SessionDep,
    settings: SettingsDep,
) -> RunPublic:
    run = service.resume_run(session, principal, service.get_run(session, run_id))
    session.commit()
    background.add_task(service.execute_run, get_database(request), settings, run.id)
    return run_public(run)


@router.get(
    "/jobs/{job_id}/profiles/{key}",
    response_model=ProfilePublic,
    summary="A profile, as the viewer's grants allow / 查看档案",
)
def get_profile(
    job_id: JobId,
    key: Annotated[str, PathParam(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z]+$")],
    principal: Reader,
    session: SessionDep,
    settings: SettingsDep,
    output: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{0,39}$")] = None,
) -> ProfilePublic:
    job = service.get_job(session, job_id)
    profile = service.read_profile(
        session, settings.secret_key.get_secret_value(), principal, job, key, output
    )
    return ProfilePublic(
        job_id=profile.job_id,
        job_name=profile.job_name,
        entity=profile.entity,
        output=profile.output,
        key=profile.key,
        run_id=profile.run_id,
        completed_at=profile.completed_at,
        sources=[
            SourceFactsPublic(
                alias=s.alias,
                resource_id=s.resource_id,
                resource_name=s.resource_name,
                provider=s.provider_name,
                rows=s.rows,
                updated_at=s.updated_at,
                read_at=s.read_at,
                visible=s.visible,
                facts=[
                    FactPublic(item=f.item, label=f.label, value=f.value, masked=f.masked)
                    for f in s.facts
                ],
                hidden_reason=s.hidden_reason_en or None,
                hidden_reason_zh=s.hidden_reason_zh or None,
            )
            for s in profile.sources
        ],
    )
