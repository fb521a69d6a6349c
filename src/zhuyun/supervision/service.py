"""The supervision module's operations: the power-operation log (the ledger as an event
log) and its exports, imported logs of other systems, and process mining over either.

An import is all or nothing: the file is read and checked in full before anything is
written, then the log, its cases and events and the ledger entry go in one transaction.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from zhuyun.core.errors import Conflict, NotFound, Unprocessable
from zhuyun.core.ledger import Actor, Subject, record
from zhuyun.supervision.eventlog import (
    CsvColumns,
    EventLog,
    EventLogError,
    LedgerSlice,
    LogBuilder,
    from_ledger,
    read_csv,
    read_xes,
    write_ocel_json,
    write_ocel_sqlite,
    write_xes,
)
from zhuyun.supervision.eventlog.log import from_micros, to_micros
from zhuyun.supervision.eventlog.xes import parse_xes_date
from zhuyun.supervision.mining import (
    Dfg,
    ModelError,
    PetriNet,
    ReplayResult,
    Variant,
    discover_dfg,
    replay,
    variants,
)
from zhuyun.supervision.models import ImportedCase, ImportedEvent, ImportedLog

MAX_UPLOAD_BYTES = 256 * 1024**2  # an uploaded file, as sent (gzip counts compressed)
MAX_XML_BYTES = 2 * 1024**3  # a decompressed XES document
MAX_IMPORT_EVENTS = 2_000_000
MAX_LEDGER_EVENTS = 1_000_000
FORMATS = ("xes", "csv")
EXPORT_FORMATS = {"xes": ".xes", "ocel-json": ".jsonocel", "ocel-sqlite": ".sqlite"}
_INSERT_BATCH = 10_000


def _refuse(error: EventLogError) -> Unprocessable:
    return Unprocessable(error.message_en, error.message_zh, code="invalid-event-log")


def _model_problem(error: ModelError) -> Unprocessable:
    return Unprocessable(error.message_en, error.message_zh, code="invalid-model")


# -- reading files -------------------------------------------------------------------------


def guess_format(filename: str, declared: str | None) -> str:
    if declared:
        if declared not in FORMATS:
            raise Unprocessable(
                f"format must be xes or csv, not {declared!r}",
                f"格式必须是 xes 或 csv，而不是 {declared}",
                code="invalid-event-log",
            )
        return declared
    lowered = filename.lower()
    if lowered.endswith((".xes", ".xes.gz", ".xml", ".gz")):
        return "xes"
    if lowered.endswith((".csv", ".csv.gz", ".txt")):
        return "csv"
    raise Unprocessable(
        f"cannot tell the format of {filename!r}: name it .xes, .xes.gz or .csv, or give format",
        f"无法判断文件 {filename} 的格式：请使用 .xes、.xes.gz 或 .csv 扩展名，或指定格式",
        code="invalid-event-log",
    )


def parse_log(
    stream: IO[bytes], fmt: str, columns: CsvColumns | None = None, name: str = ""
) -> EventLog:
    """Read a whole log, or raise a 422 problem that says what is wrong."""
    try:
        if fmt == "xes":
            return read_xes(
                stream, max_bytes=MAX_XML_BYTES, max_events=MAX_IMPORT_EVENTS, name=name
            )
        return read_csv(stream, columns, max_bytes=MAX_XML_BYTES, max_events=MAX_IMPORT_EVENTS,
                        name=name)  # fmt: skip
    except EventLogError as error:
        raise _refuse(error) from None


def sha256_of(stream: IO[bytes], limit: int = MAX_UPLOAD_BYTES) -> str:
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(1 << 20):
        size += len(chunk)
        if size > limit:
            raise Unprocessable(
                f"the file is larger than the upload limit of {limit:,} bytes",
                f"文件超过 {limit:,} 字节的上传上限",
                status=413,
                code="too-large",
            )
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


# -- storing imported logs -------------------------------------------------------------------


def _encode(attrs: dict[str, Any] | None) -> dict[str, Any] | None:
    if not attrs:
        return None
    return {k: {"$date": v.isoformat()} if isinstance(v, datetime) else v for k, v in attrs.items()}


def _decode(attrs: dict[str, Any] | None) -> dict[str, Any]:
    if not attrs:
        return {}
    return {
        k: parse_xes_date(v["$date"]) if isinstance(v, dict) and set(v) == {"$date"} else v
        for k, v in attrs.items()
    }


@dataclass(frozen=True)
class ImportOutcome:
    log: ImportedLog
    created: bool  # False: an upload with the same idempotency key was imported before


def import_log(
    session: Session,
    actor: Actor,
    stream: IO[bytes],
    *,
    filename: str,
    fmt: str | None = None,
    name: str = "",
    columns: CsvColumns | None = None,
    idempotency_key: str | None = None,
) -> ImportOutcome:
    """Import an XES or CSV log; all or nothing, recorded in the ledger."""
    kind = guess_format(filename, fmt)
    digest = sha256_of(stream)
    if idempotency_key:
        earlier = session.scalar(
            select(ImportedLog).where(
                ImportedLog.imported_by == actor.id, ImportedLog.idempotency_key == idempotency_key
            )
        )
        if earlier is not None:
            if earlier.sha256 != digest:
                raise Conflict(
                    "this Idempotency-Key was already used for a different file",
                    "该 Idempotency-Key 已用于另一个文件",
                    code="idempotency-key-reused",
                )
            return ImportOutcome(earlier, created=False)
    log = parse_log(stream, kind, columns, name)
    if log.n_events == 0:
        raise Unprocessable("the log has no events", "日志中没有事件", code="invalid-event-log")
    stored = ImportedLog(
        name=(name or log.name or Path(filename).name or "event log")[:200],
        source_format=kind,
        filename=Path(filename).name[:255],
        sha256=digest,
        idempotency_key=idempotency_key,
        imported_by=actor.id,
        unit_id=actor.unit_id,
        cases=log.n_cases,
        events=log.n_events,
        activities=len(log.activity_names),
        first_event_at=from_micros(int(log.timestamps.min())),
        last_event_at=from_micros(int(log.timestamps.max())),
        attrs=_encode(log.attrs) or {},
    )
    session.add(stored)
    session.flush()
    _store_rows(session, stored.id, log)
    record(
        session,
        actor,
        "supervision.log_imported",
        Subject("event_log", stored.id),
        {
            "name": stored.name,
            "format": kind,
            "cases": log.n_cases,
            "events": log.n_events,
            "sha256": digest,
            "filename": stored.filename,
        },
    )
    return ImportOutcome(stored, created=True)


def _store_rows(session: Session, log_id: int, log: EventLog) -> None:
    too_long = next((n for n in (*log.activity_names, *log.resource_names) if len(n) > 200), None)
    if too_long is not None or any(len(c) > 200 for c in log.case_names):
        raise Unprocessable(
            "a case id, activity or resource is longer than 200 characters",
            "案件编号、活动或资源名称超过 200 个字符",
            code="invalid-event-log",
        )
    connection = session.connection()
    case_rows = [
        {"log_id": log_id, "case_index": i, "case_id": name,
         "attrs": _encode(log.case_attrs[i]) if log.case_attrs else None}
        for i, name in enumerate(log.case_names)
    ]  # fmt: skip
    for start in range(0, len(case_rows), _INSERT_BATCH):
        connection.execute(insert(ImportedCase), case_rows[start : start + _INSERT_BATCH])
    cases = log.case_of_events().tolist()
    starts = log.case_starts.tolist()
    acts, res = log.activities.tolist(), log.resources.tolist()
    times = log.timestamps.tolist()
    names, resources = log.activity_names, log.resource_names
    batch: list[dict[str, Any]] = []
    for i in range(log.n_events):
        case = cases[i]
        batch.append({
            "log_id": log_id, "case_index": case, "position": i - starts[case],
            "activity": names[acts[i]], "occurred_at": from_micros(times[i]),
            "resource": resources[res[i]] if res[i] >= 0 else None,
            "attrs": _encode(log.event_attrs[i]) if log.event_attrs else None,
        })  # fmt: skip
        if len(batch) == _INSERT_BATCH:
            connection.execute(insert(ImportedEvent), batch)
            batch = []
    if batch:
        connection.execute(insert(ImportedEvent), batch)


def get_log(session: Session, log_id: int) -> ImportedLog:
    stored = session.get(ImportedLog, log_id)
    if stored is None:
        raise NotFound(f"event log {log_id} does not exist", f"事件日志 {log_id} 不存在")
    return stored


def list_logs(session: Session, offset: int, limit: int) -> tuple[list[ImportedLog], int]:
    total = session.scalar(select(func.count()).select_from(ImportedLog)) or 0
    rows = session.scalars(
        select(ImportedLog).order_by(ImportedLog.id.desc()).offset(offset).limit(limit)
    ).all()
    return list(rows), total


def load_log(session: Session, log_id: int) -> EventLog:
    """An imported log, read back into a columnar event log."""
    stored = get_log(session, log_id)
    builder = LogBuilder()
    for case_index, case_id, attrs in session.execute(
        select(ImportedCase.case_index, ImportedCase.case_id, ImportedCase.attrs)
        .where(ImportedCase.log_id == log_id)
        .order_by(ImportedCase.case_index)
    ):
        code = builder.cases.code(case_id)
        if code != case_index:  # pragma: no cover - indexes are dense by construction
            raise RuntimeError("imported cases out of order")
        if attrs:
            builder.case_attrs[code] = _decode(attrs)
    rows = session.execute(
        select(ImportedEvent.case_index, ImportedEvent.activity, ImportedEvent.occurred_at,
               ImportedEvent.resource, ImportedEvent.attrs)
        .where(ImportedEvent.log_id == log_id)
        .order_by(ImportedEvent.case_index, ImportedEvent.position)
        .execution_options(yield_per=20_000)
    )  # fmt: skip
    for case_index, activity, at, resource, attrs in rows:
        builder.add_event(case_index, activity, to_micros(at), resource, _decode(attrs))
    return builder.build(name=stored.name, attrs=_decode(stored.attrs))


# -- the power-operation log ---------------------------------------------------------------


def ledger_log(session: Session, where: LedgerSlice) -> EventLog:
    try:
        return from_ledger(session, where, max_events=MAX_LEDGER_EVENTS)
    except EventLogError as error:
        raise Unprocessable(error.message_en, error.message_zh, code="slice-too-large") from None


def export_ledger(session: Session, actor: Actor, where: LedgerSlice, fmt: str) -> Path:
    """Write the slice to a temporary file in `fmt` (the caller removes it); ledgered."""
    if fmt not in EXPORT_FORMATS:
        raise Unprocessable(
            f"format must be one of {', '.join(EXPORT_FORMATS)}",
            f"格式必须是 {'、'.join(EXPORT_FORMATS)} 之一",
        )
    log = ledger_log(session, where)
    handle, name = tempfile.mkstemp(prefix="zhuyun-eventlog-", suffix=EXPORT_FORMATS[fmt])
    os.close(handle)
    path = Path(name)
    try:
        if fmt == "xes":
            write_xes(log, path)
        elif fmt == "ocel-json":
            write_ocel_json(log, path)
        else:
            write_ocel_sqlite(log, path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    record(
        session,
        actor,
        "supervision.ledger_exported",
        Subject("ledger", "slice"),
        {"format": fmt, "events": log.n_events, "cases": log.n_cases, **where.describe()},
        case_id=f"supervision:export:{actor.id or 'system'}",
    )
    return path


# -- mining --------------------------------------------------------------------------------

LEDGER = "ledger"


def log_for(session: Session, source: str, where: LedgerSlice | None = None) -> EventLog:
    """The log a mining request names: `ledger` (with a slice) or an imported log's id."""
    if source == LEDGER:
        return ledger_log(session, where or LedgerSlice())
    if not source.isdigit():
        raise NotFound(f"event log {source!r} does not exist", f"事件日志 {source} 不存在")
    return load_log(session, int(source))


def dfg_of(log: EventLog) -> Dfg:
    return discover_dfg(log)


def variants_of(log: EventLog) -> list[Variant]:
    return variants(log)


def parse_model(data: Any) -> PetriNet:
    try:
        return PetriNet.from_json(data)
    except ModelError as error:
        raise _model_problem(error) from None


def conformance(log: EventLog, model: PetriNet) -> ReplayResult:
    return replay(log, model)
