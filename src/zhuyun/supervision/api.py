"""The supervision JSON API: the power-operation log as XES / OCEL 2.0, imported logs, and
process mining (DFG, variants, conformance). Thin: parse → call the service → render."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Header, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse
from starlette.background import BackgroundTask

from zhuyun.core.errors import Unprocessable
from zhuyun.core.paging import Page, PageDep
from zhuyun.identity.deps import Allowed, SessionDep
from zhuyun.identity.permissions import Permission, Principal
from zhuyun.supervision import service
from zhuyun.supervision.eventlog import CsvColumns, EventLog, LedgerSlice
from zhuyun.supervision.schemas import (
    ConformancePublic,
    ConformanceRequest,
    DfgPublic,
    EventLogPublic,
    VariantConformance,
    VariantPublic,
    VariantsPage,
)

router = APIRouter(prefix="/api/supervision", tags=["supervision 数据铁笼"])

Reader = Annotated[Principal, Allowed(Permission.SUPERVISION_READ)]
Importer = Annotated[Principal, Allowed(Permission.SUPERVISION_IMPORT)]
LogRef = Annotated[
    str,
    PathParam(pattern=r"^(ledger|[1-9][0-9]{0,9})$",
              description="`ledger` (the ledger, sliced by the query) or an imported log's id"),
]  # fmt: skip
Text = Annotated[str | None, Query(max_length=128)]


def ledger_slice(
    activity: Annotated[str | None, Query(max_length=100, description="activity prefix")] = None,
    since: Annotated[datetime | None, Query(description="from (inclusive, ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="until (exclusive, ISO 8601)")] = None,
    unit_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    case_prefix: Annotated[str | None, Query(max_length=128, description="case id prefix")] = None,
    subject_type: Annotated[str | None, Query(max_length=50)] = None,
) -> LedgerSlice:
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and moment.tzinfo is None:
            raise Unprocessable(
                f"{name} needs a time zone (e.g. 2025-01-01T00:00:00+08:00)",
                f"{name} 须带时区（如 2025-01-01T00:00:00+08:00）",
            )
    return LedgerSlice(activity, since, until, unit_id, case_prefix, subject_type)


SliceDep = Annotated[LedgerSlice, Depends(ledger_slice)]
_MEDIA = {
    "xes": ("application/xml", "zhuyun-ledger.xes"),
    "ocel-json": ("application/json", "zhuyun-ledger.jsonocel"),
    "ocel-sqlite": ("application/vnd.sqlite3", "zhuyun-ledger.sqlite"),
}


def _export(
    session: SessionDep, principal: Principal, where: LedgerSlice, fmt: str
) -> FileResponse:
    path = service.export_ledger(session, principal.as_actor(), where, fmt)
    session.commit()  # the export is ledgered before the file goes out
    media, filename = _MEDIA[fmt]
    return FileResponse(
        path, media_type=media, filename=filename,
        background=BackgroundTask(Path(path).unlink, missing_ok=True),
    )  # fmt: skip


@router.get("/eventlog.xes", summary="The ledger slice as XES / 权力运行日志（XES）")
def export_xes(principal: Reader, session: SessionDep, where: SliceDep) -> FileResponse:
    return _export(session, principal, where, "xes")


@router.get("/eventlog.ocel.json", summary="The ledger slice as OCEL 2.0 JSON / OCEL 2.0 JSON")
def export_ocel_json(principal: Reader, session: SessionDep, where: SliceDep) -> FileResponse:
    return _export(session, principal, where, "ocel-json")


@router.get(
    "/eventlog.ocel.sqlite", summary="The ledger slice as OCEL 2.0 SQLite / OCEL 2.0 SQLite"
)
def export_ocel_sqlite(principal: Reader, session: SessionDep, where: SliceDep) -> FileResponse:
    return _export(session, principal, where, "ocel-sqlite")


def _upload_size(request: Request) -> None:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > service.MAX_UPLOAD_BYTES + 65536:
        raise Unprocessable(
            f"the upload is larger than {service.MAX_UPLOAD_BYTES:,} bytes",
            f"上传文件超过 {service.MAX_UPLOAD_BYTES:,} 字节",
            status=413,
            code="too-large",
        )


@router.post(
    "/logs",
    response_model=EventLogPublic,
    status_code=201,
    summary="Import an XES or CSV event log / 导入事件日志",
    dependencies=[Depends(_upload_size)],
    responses={200: {"description": "the same upload (Idempotency-Key) was imported before"}},
)
def import_log(
    principal: Importer,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="XES (.xes, .xes.gz) or CSV")],
    format: Annotated[str | None, Form(max_length=10)] = None,
    name: Annotated[str, Form(max_length=200)] = "",
    case_column: Annotated[str, Form(max_length=200)] = "case:concept:name",
    activity_column: Annotated[str, Form(max_length=200)] = "concept:name",
    timestamp_column: Annotated[str, Form(max_length=200)] = "time:timestamp",
    resource_column: Annotated[str, Form(max_length=200)] = "org:resource",
    timestamp_format: Annotated[str | None, Form(max_length=100)] = None,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=100)] = None,
) -> JSONResponse:
    columns = CsvColumns(case_column, activity_column, timestamp_column, resource_column or None,
                         timestamp_format or None)  # fmt: skip
    outcome = service.import_log(
        session, principal.as_actor(), file.file, filename=file.filename or "",
        fmt=format or None, name=name, columns=columns, idempotency_key=idempotency_key or None,
    )  # fmt: skip
    session.flush()
    body = EventLogPublic.model_validate(outcome.log).model_dump(mode="json")
    return JSONResponse(body, status_code=201 if outcome.created else 200)


@router.get(
    "/logs", response_model=Page[EventLogPublic], summary="Imported event logs / 已导入日志"
)
def list_logs(_: Reader, session: SessionDep, page: PageDep) -> Page[EventLogPublic]:
    rows, total = service.list_logs(session, page.offset, page.limit)
    return Page.of([EventLogPublic.model_validate(r) for r in rows], total, page)


def _log(session: SessionDep, log: str, where: LedgerSlice) -> EventLog:
    return service.log_for(session, log, where)


@router.get(
    "/logs/{log}/dfg", response_model=DfgPublic, summary="Directly-follows graph / 直接跟随图"
)
def dfg(log: LogRef, _: Reader, session: SessionDep, where: SliceDep) -> DfgPublic:
    events = _log(session, log, where)
    return DfgPublic(log=log, cases=events.n_cases, events=events.n_events,
                     **service.dfg_of(events).as_json())  # fmt: skip


@router.get("/logs/{log}/variants", response_model=VariantsPage, summary="Variants / 变体")
def variants(
    log: LogRef, _: Reader, session: SessionDep, where: SliceDep, page: PageDep
) -> VariantsPage:
    events = _log(session, log, where)
    found = service.variants_of(events)
    rows = found[page.offset : page.offset + page.limit]
    return VariantsPage(
        log=log, cases=events.n_cases, count=len(found), offset=page.offset, limit=page.limit,
        data=[VariantPublic(activities=list(v.activities), count=v.count, share=v.share,
                            example_case=v.example_case) for v in rows],
    )  # fmt: skip


@router.post(
    "/logs/{log}/conformance",
    response_model=ConformancePublic,
    summary="Conformance to a Petri net (token-based replay) / 合规性检查",
)
def check_conformance(
    log: LogRef, body: ConformanceRequest, _: Reader, session: SessionDep, where: SliceDep
) -> ConformancePublic:
    model = service.parse_model(body.model)
    events = _log(session, log, where)
    return conformance_body(log, service.conformance(events, model), body.limit)


def conformance_body(log: str, result: service.ReplayResult, limit: int) -> ConformancePublic:
    ranked = sorted(result.variants, key=lambda v: (v[2].fitness, -v[1]))
    return ConformancePublic(
        log=log,
        **result.summary(),
        variant_count=len(result.variants),
        variants=[
            VariantConformance(
                activities=list(acts),
                count=count,
                **{k: v for k, v in outcome.as_json().items() if k != "reached_marking"},
            )
            for acts, count, outcome in ranked[:limit]
        ],
    )


# The 数据铁笼 routes (power list, rules, warnings, scores) live in their own module.
from zhuyun.supervision.cage_api import router as _cage_router  # noqa: E402

router.include_router(_cage_router)
