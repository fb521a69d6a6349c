"""块数据 pages: the fusion jobs, one job with its runs and a key lookup, a run's progress bar
(htmx polls it while the run goes on), and a profile with where every fact came from.
Thin: the service answers, the templates show."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse

from zhuyun.blocks import service
from zhuyun.blocks.api import job_public, run_public
from zhuyun.blocks.definition import ENTITY_LABELS_ZH, Entity
from zhuyun.core.errors import Problem
from zhuyun.identity import service as identity
from zhuyun.identity.deps import Allowed, SessionDep, SettingsDep, get_database
from zhuyun.identity.permissions import Permission, Principal
from zhuyun.web.rendering import NavItem, pager, redirect, register_nav, render

router = APIRouter(include_in_schema=False)
register_nav(NavItem("块数据档案", "/blocks/jobs", "blocks", Permission.BLOCKS_READ, 510))

Reader = Annotated[Principal, Allowed(Permission.BLOCKS_READ)]
Manager = Annotated[Principal, Allowed(Permission.BLOCKS_MANAGE)]
JobId = Annotated[int, PathParam(ge=1, le=2_147_483_647)]
RunId = Annotated[int, PathParam(ge=1, le=2_147_483_647)]
ROWS = 20
STATUS_LABELS = {"queued": "排队中", "running": "运行中", "completed": "已完成", "failed": "失败"}
ENGINE_LABELS = {"duckdb": "DuckDB（单机）", "spark": "Apache Spark（集群）"}


def _entity_label(entity: str) -> str:
    return ENTITY_LABELS_ZH.get(Entity(entity), entity)


@router.get("/blocks", response_class=HTMLResponse)
def blocks_home(principal: Reader) -> RedirectResponse:
    return redirect("/blocks/jobs")


@router.get("/blocks/jobs", response_class=HTMLResponse)
def jobs_page(
    request: Request,
    principal: Reader,
    session: SessionDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    rows, total = service.list_jobs(session, principal, offset, ROWS)
    jobs = [job_public(session, job) for job in rows]
    units = {j.owner_unit_id: identity.get_unit(session, j.owner_unit_id).name for j in jobs}
    return render(
        request,
        "blocks_jobs.html",
        page_title="块数据档案",
        jobs=jobs,
        units=units,
        entity_label=_entity_label,
        pager=pager("/blocks/jobs", {}, offset, ROWS, total),
    )


def _may_run(principal: Principal, owner_unit_id: int) -> bool:
    return principal.can(Permission.BLOCKS_MANAGE) and (
        principal.unit_id == owner_unit_id or principal.can(Permission.EXCHANGE_COORDINATE)
    )


@router.get("/blocks/jobs/{job_id}", response_class=HTMLResponse)
def job_page(
    request: Request,
    job_id: JobId,
    principal: Reader,
    session: SessionDep,
    settings: SettingsDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    job = service.get_job(session, job_id)
    may_run = _may_run(principal, job.owner_unit_id)
    runs, total = service.list_runs(session, job.id, offset, ROWS) if may_run else ([], 0)
    return render(
        request,
        "blocks_job.html",
        page_title=job.name,
        job=job_public(session, job),
        owner=identity.get_unit(session, job.owner_unit_id).name,
        resource_names=service.resource_names(session, job),
        entity_label=_entity_label(job.entity),
        may_run=may_run,
        runs=[run_public(r) for r in runs],
        statuses=STATUS_LABELS,
        engines=ENGINE_LABELS,
        default_engine=settings.blocks_engine,
        form_key=uuid.uuid4().hex,
        pager=pager(f"/blocks/jobs/{job.id}", {}, offset, ROWS, total),
    )


@router.post("/blocks/jobs/{job_id}/runs")
def start_run(
    request: Request,
    job_id: JobId,
    background: BackgroundTasks,
    principal: Manager,
    session: SessionDep,
    settings: SettingsDep,
    engine: Annotated[str, Form(max_length=10)],
    mode: Annotated[str, Form(max_length=12)],
    idempotency_key: Annotated[str, Form(min_length=8, max_length=100)],
) -> RedirectResponse:
    job = service.get_job(session, job_id)
    run, new = service.start_run(session, principal, job, engine, mode, idempotency_key)
    if new:
        session.commit()
        background.add_task(service.execute_run, get_database(request), settings, run.id)
    return redirect(f"/blocks/runs/{run.id}")


def _run_context(session: SessionDep, principal: Principal, run_id: int) -> dict[str, Any]:
    run = service.get_run(session, run_id)
    job = service.get_job(session, run.job_id)
    service.ensure_owner(principal, job)
    return {
        "run": run_public(run),
        "job": job_public(session, job),
        "statuses": STATUS_LABELS,
        "engines": ENGINE_LABELS,
    }


@router.get("/blocks/runs/{run_id}", response_class=HTMLResponse)
def run_page(
    request: Request, run_id: RunId, principal: Manager, session: SessionDep
) -> HTMLResponse:
    context = _run_context(session, principal, run_id)
    return render(request, "blocks_run.html", page_title=f"融合运行 {run_id}", **context)


@router.get("/blocks/runs/{run_id}/progress", response_class=HTMLResponse)
def run_progress(
    request: Request, run_id: RunId, principal: Manager, session: SessionDep
) -> HTMLResponse:
    context = _run_context(session, principal, run_id)
    return render(request, "blocks_run_progress.html", page_title="进度", **context)


@router.post("/blocks/runs/{run_id}/resume")
def resume_run(
    request: Request,
    run_id: RunId,
    background: BackgroundTasks,
    principal: Manager,
    session: SessionDep,
    settings: SettingsDep,
) -> RedirectResponse:
    run = service.resume_run(session, principal, service.get_run(session, run_id))
    session.commit()
    background.add_task(service.execute_run, get_database(request), settings, run.id)
    return redirect(f"/blocks/runs/{run.id}")


@router.get("/blocks/jobs/{job_id}/profiles", response_class=HTMLResponse)
def lookup(
    job_id: JobId,
    principal: Reader,
    key: Annotated[str, Query(min_length=1, max_length=40, pattern=r"^\s*[0-9A-Za-z]+\s*$")],
) -> RedirectResponse:
    return redirect(f"/blocks/jobs/{job_id}/profiles/{key.strip().upper()}")


@router.get("/blocks/jobs/{job_id}/profiles/{key}", response_class=HTMLResponse)
def profile_page(
    request: Request,
    job_id: JobId,
    key: Annotated[str, PathParam(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z]+$")],
    principal: Reader,
    session: SessionDep,
    settings: SettingsDep,
) -> HTMLResponse:
    job = service.get_job(session, job_id)
    try:
        profile = service.read_profile(
            session, settings.secret_key.get_secret_value(), principal, job, key
        )
    except Problem as problem:
        if problem.status != 404:
            raise
        return render(
            request,
            "blocks_profile.html",
            page_title="档案",
            status_code=404,
            job=job_public(session, job),
            profile=None,
            key=key.upper(),
            missing=problem.message_zh,
            entity_label=_entity_label(job.entity),
        )
    return render(
        request,
        "blocks_profile.html",
        page_title=f"{_entity_label(job.entity)} {profile.key}",
        job=job_public(session, job),
        profile=profile,
        key=profile.key,
        missing=None,
        entity_label=_entity_label(job.entity),
    )
