"""Running a fusion job: read every source through the gateway into staging folders, fuse
them on the chosen engine into a new folder, then — in one transaction — point the job's
profile tables at it. A failure anywhere leaves the previous complete profile in place and
the run resumable: staged sources are kept and not read again.

Incremental runs start from the last complete run: sources with an update-time column are
read only from their watermark on (a delta merged into the previous snapshot by row key);
the others are read whole and compared with the previous read. Only the entity keys whose
rows changed are fused anew; the previous profile's other rows are carried over.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhuyun.blocks.definition import JobDefinition
from zhuyun.blocks.models import FusionJob, FusionRun, ProfileTable
from zhuyun.blocks.service import fusion_sql
from zhuyun.blocks.service.engines import FusionEngine, engine_named
from zhuyun.blocks.service.jobs import definition_of, ensure_owner, get_job, plan_reads
from zhuyun.blocks.service.staging import ReadPlan, count_rows, stage_source
from zhuyun.core.calendar import china_today
from zhuyun.core.db import Database, utcnow
from zhuyun.core.errors import Conflict, NotFound, Problem, Unprocessable
from zhuyun.core.ledger import Subject, record
from zhuyun.core.settings import Settings
from zhuyun.exchange.connectors import Filter
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import Principal

log = logging.getLogger("zhuyun.blocks")

ENGINES = ("duckdb", "spark")
MODES = ("full", "incremental")
ACTIVE = ("queued", "running")


def blocks_dir(settings: Settings) -> Path:
    return settings.data_dir / "blocks"


def run_dir(settings: Settings, run: FusionRun) -> Path:
    return blocks_dir(settings) / f"job-{run.job_id}" / f"run-{run.id}"


def current_tables(session: Session, job_id: int) -> dict[str, ProfileTable]:
    rows = session.scalars(select(ProfileTable).where(ProfileTable.job_id == job_id)).all()
    return {row.output: row for row in rows}


def get_run(session: Session, run_id: int) -> FusionRun:
    run = session.get(FusionRun, run_id)
    if run is None:
        raise NotFound(
            f"Fusion run {run_id} does not exist.",
            f"融合运行 {run_id} 不存在。",
            code="blocks-run-not-found",
        )
    return run


def start_run(
    session: Session,
    principal: Principal,
    job: FusionJob,
    engine: str,
    mode: str,
    idempotency_key: str,
) -> tuple[FusionRun, bool]:
    """Queue a run once per idempotency key; returns it and whether it is new."""
    ensure_owner(principal, job)
    key = idempotency_key.strip()
    if not 8 <= len(key) <= 100:
        raise Unprocessable(
            "The idempotency key must be 8 to 100 characters.",
            "幂等键须为 8 至 100 个字符。",
            code="idempotency-key-invalid",
        )
    existing = session.scalar(
        select(FusionRun).where(
            FusionRun.started_by == principal.account_id, FusionRun.idempotency_key == key
        )
    )
    if existing is not None:
        if existing.job_id != job.id:
            raise Conflict(
                "This idempotency key was used for another run.",
                "该幂等键已用于另一次运行。",
                code="idempotency-key-reused",
            )
        return existing, False
    if engine not in ENGINES or mode not in MODES:
        raise Unprocessable(
            f"Engine must be one of {', '.join(ENGINES)} and mode one of {', '.join(MODES)}.",
            f"引擎须为 {'、'.join(ENGINES)} 之一，模式须为 {'、'.join(MODES)} 之一。",
            code="blocks-bad-run",
        )
    active = session.scalar(
        select(FusionRun.id).where(FusionRun.job_id == job.id, FusionRun.status.in_(ACTIVE))
    )
    if active is not None:
        raise Conflict(
            f"Run {active} of this job is still under way.",
            f"该作业的运行 {active} 尚未结束。",
            code="blocks-run-active",
        )
    tables = current_tables(session, job.id)
    base = next(iter(tables.values())).run_id if tables and mode == "incremental" else None
    run = FusionRun(
        job_id=job.id,
        engine=engine,
        mode="incremental" if base is not None else "full",
        status="queued",
        resumable=False,
        started_by=principal.account_id,
        idempotency_key=key,
        base_run_id=base,
        progress={},
    )
    session.add(run)
    session.flush()
    record(
        session,
        principal.as_actor(),
        "blocks.run_queued",
        Subject("fusion_run", run.id),
        {"job_id": job.id, "engine": run.engine, "mode": run.mode, "base_run_id": base},
    )
    return run, True


def resume_run(session: Session, principal: Principal, run: FusionRun) -> FusionRun:
    """Queue a failed run again; what it staged is kept."""
    ensure_owner(principal, get_job(session, run.job_id))
    if run.status != "failed" or not run.resumable:
        raise Conflict(
            f"Run {run.id} is {run.status}: only a failed, resumable run resumes.",
            f"运行 {run.id} 状态为 {run.status}，只有可恢复的失败运行才能继续。",
            code="blocks-run-not-resumable",
        )
    active = session.scalar(
        select(FusionRun.id).where(FusionRun.job_id == run.job_id, FusionRun.status.in_(ACTIVE))
    )
    if active is not None:
        raise Conflict(
            f"Run {active} of this job is still under way.",
            f"该作业的运行 {active} 尚未结束。",
            code="blocks-run-active",
        )
    run.status = "queued"
    run.error_code = run.error_en = run.error_zh = None
    record(
        session,
        principal.as_actor(),
        "blocks.run_resumed",
        Subject("fusion_run", run.id),
        {
            "job_id": run.job_id,
            "staged": sorted(a for a, p in run.progress.items() if p.get("done")),
        },
    )
    return run


class _Progress:
    """The run's progress per source, saved in short transactions of their own so a page
    polling it sees rows come in while the run goes on."""

    def __init__(self, database: Database, run_id: int, initial: dict[str, Any]) -> None:
        self.database = database
        self.run_id = run_id
        self.state = {alias: dict(entry) for alias, entry in initial.items()}

    def update(self, alias: str, **values: Any) -> None:
        self.state.setdefault(alias, {}).update(values)
        with self.database.session() as session:
            run = get_run(session, self.run_id)
            run.progress = {a: dict(e) for a, e in self.state.items()}


def execute_run(database: Database, settings: Settings, run_id: int) -> None:
    """Carry out a queued run to its end, completed or failed (never raises)."""
    secret = settings.secret_key.get_secret_value()
    with database.session() as session:
        run = get_run(session, run_id)
        if run.status != "queued":
            return
        run.status = "running"
        run.started_at = utcnow()
        job = get_job(session, run.job_id)
        definition = definition_of(job)
        principal = identity.principal_for(
            identity.get_account(session, run.started_by), via="system"
        )
        base = session.get(FusionRun, run.base_run_id) if run.base_run_id else None
        base_progress = dict(base.progress) if base is not None else None
        base_tables = {o: t.path for o, t in current_tables(session, job.id).items()}
        folder = run_dir(settings, run)
        engine_name, mode, progress_state = run.engine, run.mode, dict(run.progress)
    progress = _Progress(database, run_id, progress_state)
    engine = engine_named(engine_name, settings.blocks_spark_master)
    try:
        with database.session() as session:
            plans = plan_reads(session, secret, principal, definition, china_today())
        for plan in plans:
            _stage(
                database,
                secret,
                principal,
                definition,
                plan,
                folder,
                engine,
                progress,
                base_progress,
            )
        written = _fuse(
            definition,
            plans,
            folder,
            engine,
            progress,
            base_tables if mode == "incremental" else None,
        )
    except Exception as failure:  # every failure ends the run as failed, resumable
        _fail(database, run_id, principal, failure)
        return
    superseded = _complete(database, run_id, principal, job.id, written, progress.state, folder)
    for folder_of_old_run in superseded:
        shutil.rmtree(folder_of_old_run, ignore_errors=True)


def _stage(
    database: Database,
    secret: str,
    principal: Principal,
    definition: JobDefinition,
    plan: ReadPlan,
    folder: Path,
    engine: FusionEngine,
    progress: _Progress,
    base_progress: dict[str, Any] | None,
) -> None:
    """Read one source (unless a previous attempt of this run already did) and keep its
    snapshot; for an incremental run also the keys whose rows changed."""
    spec = plan.spec
    entry = progress.state.get(spec.alias, {})
    if entry.get("done") and Path(entry["snapshot"]).exists():
        return
    base = (base_progress or {}).get(spec.alias)
    watermark = base.get("watermark") if base else None
    delta = bool(base and spec.updated_at and watermark)
    filters = [Filter(spec.updated_at, "range", low=watermark)] if delta and spec.updated_at else []
    today = china_today()
    progress.update(
        spec.alias,
        rows=0,
        total=None,
        delta=delta,
        done=False,
        resource_id=spec.resource_id,
        resource=plan.resource_name,
        masked=sorted(plan.masked),
        grant_id=plan.grant_id,
    )
    total = count_rows(database, secret, principal, definition.purpose, spec, filters, today)
    progress.update(spec.alias, total=total)
    staged = folder / "sources" / spec.alias
    rows, newest = stage_source(
        database,
        secret,
        principal,
        definition.purpose,
        plan,
        filters,
        staged,
        today,
        lambda n: progress.update(spec.alias, rows=n),
    )
    snapshot = staged
    changed: Path | None = None
    q = engine.quote
    if base is not None:
        old = Path(base["snapshot"])
        changed = folder / "changed" / spec.alias
        if delta:
            snapshot = folder / "snapshots" / spec.alias
            inputs = {"old_rows": old, "delta_rows": staged}
            identity_cols = plan.row_identity
            engine.materialize(
                fusion_sql.merged_snapshot_sql("old_rows", "delta_rows", identity_cols, q),
                inputs,
                snapshot,
            )
            engine.materialize(
                fusion_sql.delta_keys_sql("old_rows", "delta_rows", spec, identity_cols, q),
                inputs,
                changed,
            )
        else:
            engine.materialize(
                fusion_sql.diff_keys_sql("old_rows", "new_rows", spec, q),
                {"old_rows": old, "new_rows": staged},
                changed,
            )
    if delta and watermark and (newest is None or newest < watermark):
        newest = watermark
    progress.update(
        spec.alias,
        rows=rows,
        done=True,
        snapshot=str(snapshot),
        watermark=newest,
        changed=str(changed) if changed else None,
        read_at=utcnow().isoformat(),
    )


def _fuse(
    definition: JobDefinition,
    plans: Sequence[ReadPlan],
    folder: Path,
    engine: FusionEngine,
    progress: _Progress,
    base_tables: dict[str, str] | None,
) -> dict[str, tuple[str, int]]:
    """Write every output of the job; returns output name → (folder, rows)."""
    q = engine.quote
    written: dict[str, tuple[str, int]] = {}
    snapshots = {p.spec.alias: Path(progress.state[p.spec.alias]["snapshot"]) for p in plans}
    changed_dirs = [
        Path(entry["changed"]) for entry in progress.state.values() if entry.get("changed")
    ]
    changed_all: Path | None = None
    if base_tables is not None and changed_dirs:
        changed_all = folder / "changed_keys"
        views = {f"changed_{i}": d for i, d in enumerate(changed_dirs)}
        engine.materialize(fusion_sql.union_keys_sql(list(views)), views, changed_all)
    progress.update("__fusion__", stage="fusing")
    for output in definition.outputs:
        specs = definition.output_sources(output)
        sources = [fusion_sql.FusedSource(s, f"src_{s.alias}") for s in specs]
        inputs = {f"src_{s.alias}": snapshots[s.alias] for s in specs}
        target = folder / "outputs" / output.name
        previous = (base_tables or {}).get(output.name)
        if changed_all is not None and previous:
            inputs |= {"previous_profile": Path(previous), "changed_keys": changed_all}
            sql = fusion_sql.incremental_sql(sources, q, "previous_profile", "changed_keys")
        else:
            sql = fusion_sql.full_sql(sources, q)
        rows = engine.materialize(sql, inputs, target)
        written[output.name] = (str(target), rows)
    progress.update("__fusion__", stage="done")
    return written


def _complete(
    database: Database,
    run_id: int,
    principal: Principal,
    job_id: int,
    written: dict[str, tuple[str, int]],
    state: dict[str, Any],
    folder: Path,
) -> list[Path]:
    """The swap: the job's profile tables point at this run's outputs, in one transaction.
    Returns the folders of runs now superseded, to remove: every older run's but the one just
    replaced (a reader may still be on it). Older failed runs stop being resumable: their
    staged reads are older than this run's."""
    with database.session() as session:
        run = get_run(session, run_id)
        tables = current_tables(session, job_id)
        replaced = {t.run_id for t in tables.values()}
        older = session.scalars(
            select(FusionRun).where(
                FusionRun.job_id == job_id,
                FusionRun.id < run_id,
                FusionRun.status.in_(("completed", "failed")),
            )
        ).all()
        superseded = []
        for old in older:
            if old.status == "failed" and old.resumable:
                old.resumable = False
                old.error_en = (old.error_en or "") + f" Superseded by run {run_id}."
                old.error_zh = (old.error_zh or "") + f"已被运行 {run_id} 取代。"
            if old.id not in replaced:
                superseded.append(folder.parent / f"run-{old.id}")
        for output, (path, rows) in written.items():
            table = tables.get(output)
            if table is None:
                table = ProfileTable(
                    job_id=job_id, output=output, run_id=run_id, path=path, rows=rows
                )
                session.add(table)
            table.run_id, table.path, table.rows = run_id, path, rows
            table.completed_at = utcnow()
        run.status = "completed"
        run.resumable = False
        run.finished_at = utcnow()
        run.output_rows = sum(rows for _, rows in written.values())
        record(
            session,
            principal.as_actor(),
            "blocks.run_completed",
            Subject("fusion_run", run_id),
            {
                "job_id": job_id,
                "engine": run.engine,
                "mode": run.mode,
                "rows_read": {a: e.get("rows", 0) for a, e in state.items() if a != "__fusion__"},
                "outputs": {o: rows for o, (_, rows) in written.items()},
            },
        )
    return superseded


def _fail(database: Database, run_id: int, principal: Principal, failure: Exception) -> None:
    if isinstance(failure, Problem):
        code, en, zh = failure.code, failure.message_en, failure.message_zh
    else:
        log.exception("fusion run %s failed", run_id)
        code = "blocks-engine-failed"
        en = f"The engine failed ({type(failure).__name__}); the run can be resumed."
        zh = f"融合引擎执行失败（{type(failure).__name__}），可继续运行。"
    with database.session() as session:
        run = get_run(session, run_id)
        run.status = "failed"
        run.resumable = True
        run.finished_at = utcnow()
        run.error_code, run.error_en, run.error_zh = code[:60], en[:2000], zh[:2000]
        record(
            session,
            principal.as_actor(),
            "blocks.run_failed",
            Subject("fusion_run", run_id),
            {
                "job_id": run.job_id,
                "error": code,
                "staged": sorted(a for a, e in run.progress.items() if e.get("done")),
            },
        )


def remove_run_files(settings: Settings, run: FusionRun) -> None:
    shutil.rmtree(run_dir(settings, run), ignore_errors=True)


def fraction_done(run: FusionRun) -> float:
    """How far the run is, 0…1: rows read over rows counted, the fusion as the last tenth."""
    entries = [e for a, e in (run.progress or {}).items() if a != "__fusion__"]
    if run.status == "completed":
        return 1.0
    total = sum(int(e.get("total") or 0) for e in entries)
    read = sum(int(e.get("rows") or 0) for e in entries)
    fused = (run.progress or {}).get("__fusion__", {}).get("stage") == "done"
    reading = read / total if total else 0.0
    return round(min(1.0, 0.9 * reading + (0.1 if fused else 0.0)), 3)


def when(run: FusionRun) -> datetime | None:
    return run.finished_at or run.started_at or run.created_at


def list_runs(
    session: Session, job_id: int, offset: int, limit: int
) -> tuple[Sequence[FusionRun], int]:
    query = select(FusionRun).where(FusionRun.job_id == job_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(FusionRun.id.desc()).offset(offset).limit(limit)).all()
    return rows, total
