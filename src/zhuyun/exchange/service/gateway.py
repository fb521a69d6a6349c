"""The governed query gateway: a consumer's query → policy → pushed-down query on the
department's own source → masking → a page or a stream → a ledger entry.

Every answered and every refused query is in the ledger with the consumer, the resource,
the items, a fingerprint of the filters (not their values, which may be ID numbers), the
purpose, the grant, the rows returned and the latency.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import weakref
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

import pyarrow as pa
from sqlalchemy import Date, Engine, Integer, Table, and_, bindparam, func, select
from sqlalchemy.orm import Session

from zhuyun.catalog import service as catalog
from zhuyun.core.db import Database, counter_upsert
from zhuyun.core.errors import NotFound, Unprocessable
from zhuyun.core.ledger import LedgerEntry, Subject, record
from zhuyun.core.masking import mask
from zhuyun.core.secret_box import SealBroken, open_sealed, seal
from zhuyun.exchange.connectors import Connector, ConnectorError, Filter, SelectSpec
from zhuyun.exchange.formats import AnyBatch, OutputFormat, jsonable
from zhuyun.exchange.models import Binding, Grant, GrantUsage, Source
from zhuyun.exchange.service.access import remember_subjects
from zhuyun.exchange.service.connections import connector_for
from zhuyun.exchange.service.policy import (
    PUBLIC,
    Consumer,
    Decision,
    Refused,
    decide,
    decide_open,
)
from zhuyun.identity import service as identity
from zhuyun.identity.models import OrgUnit
from zhuyun.identity.permissions import Principal
from zhuyun.identity.service.auth import record_refusal

Batch = Sequence[tuple[Any, ...]]
DEFAULT_ROWS = 100
MAX_PAGE_ROWS = 1_000
MAX_EXPORT_ROWS = 100_000_000
MAX_SUBJECTS_REMEMBERED = 10_000
QUERY_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class QueryRequest:
    resource_id: int
    items: Sequence[str]
    purpose: str
    filters: Sequence[Filter] = ()
    order_by: Sequence[tuple[str, bool]] = ()
    limit: int | None = None  # None: DEFAULT_ROWS, or fewer if the grant allows fewer
    after: str | None = None  # the opaque cursor of the previous page
    format: OutputFormat = OutputFormat.JSON
    offset: int = 0  # rows to skip (the open-data API's paging); `after` is cheaper
    export: bool = False  # a streamed export (any format), not a page of JSON


@dataclass
class PreparedQuery:
    """A query the policy allowed, ready to run on its source."""

    request: QueryRequest
    principal: Principal
    consumer: Consumer
    resource_name: str
    binding: Binding
    decision: Decision
    spec: SelectSpec
    connector: Connector
    data_types: list[str]
    subject_index: int | None  # position of the hidden subject column, if remembered
    point_lookup: bool
    today: date
    started: float = field(default_factory=time.perf_counter)


@dataclass(frozen=True)
class QueryPage:
    items: list[str]
    rows: list[list[Any]]
    next_cursor: str | None
    masked: dict[str, str]
    basis: str
    grant_id: int | None
    ledger_seq: int


def _purpose(text: str) -> str:
    purpose = " ".join(text.split())
    if len(purpose) < 2:
        raise Unprocessable(
            "State the purpose of the query (at least 2 characters).",
            "请填写调用用途（至少 2 个字）。",
            code="purpose-required",
        )
    return purpose


def _fingerprint(filters: Sequence[Filter]) -> str:
    payload = json.dumps(
        [[f.field, f.op, f.value, f.low, f.high] for f in filters], sort_keys=True, default=str
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def encode_cursor(values: Sequence[Any], secret_key: str) -> str:
    """The position after the last row, sealed: it may hold a key the caller sees masked."""
    return seal(json.dumps([jsonable(v) for v in values], ensure_ascii=False), secret_key)


def decode_cursor(cursor: str, width: int, secret_key: str) -> list[Any]:
    try:
        values = json.loads(open_sealed(cursor, secret_key))
    except (SealBroken, ValueError):
        values = None
    if not isinstance(values, list) or len(values) != width:
        raise Unprocessable(
            "The page cursor is not valid; start again without 'after'.",
            "分页游标无效，请不带 after 参数重新查询。",
            code="bad-cursor",
        )
    return values


_BINDING_TABLE = cast(Table, Binding.__table__)
_SOURCE_TABLE = cast(Table, Source.__table__)
_bindings_lock = threading.Lock()
# The ORM objects of a binding and its source, built once per configuration: each query
# reads the rows again (one round trip) and rebuilds them only when a column changed.
_bindings: weakref.WeakKeyDictionary[Engine, dict[int, tuple[Any, Binding, Source]]] = (
    weakref.WeakKeyDictionary()
)


def _built(session: Session, resource_id: int, row: Any) -> tuple[Binding, Source]:
    b_width = len(_BINDING_TABLE.columns)
    values = tuple(row)
    engine = session.get_bind().engine
    with _bindings_lock:
        cache = _bindings.setdefault(engine, {})
        cached = cache.get(resource_id)
        if cached is not None and cached[0] == values:
            return cached[1], cached[2]
    binding = Binding(**dict(zip(_BINDING_TABLE.columns.keys(), values[:b_width], strict=True)))
    source = Source(**dict(zip(_SOURCE_TABLE.columns.keys(), values[b_width:], strict=True)))
    with _bindings_lock:
        cache[resource_id] = (values, binding, source)
    return binding, source


# The hot path's statements are built once: only their parameters change per query (building
# a statement costs more than running it on an indexed row).
_CONTEXT_ROW = (
    select(OrgUnit.division_code, *_BINDING_TABLE.columns, *_SOURCE_TABLE.columns)
    .select_from(OrgUnit)
    .outerjoin(
        _BINDING_TABLE,
        _BINDING_TABLE.c.resource_id == bindparam("resource_id", type_=Integer),
    )
    .outerjoin(_SOURCE_TABLE, _SOURCE_TABLE.c.id == _BINDING_TABLE.c.source_id)
    .where(OrgUnit.id == bindparam("unit_id", type_=Integer))
)
_BOUND_ROW = (
    select(*_BINDING_TABLE.columns, *_SOURCE_TABLE.columns)
    .select_from(_BINDING_TABLE)
    .join(_SOURCE_TABLE, _SOURCE_TABLE.c.id == _BINDING_TABLE.c.source_id)
    .where(_BINDING_TABLE.c.resource_id == bindparam("resource_id", type_=Integer))
)
_GRANT_ROWS = (
    select(
        Grant.id,
        Grant.items,
        Grant.clear_items,
        Grant.purpose,
        Grant.valid_until,
        Grant.max_rows_per_query,
        Grant.max_rows_per_day,
        Grant.city_wide,
        Grant.revoked_at,
        func.coalesce(GrantUsage.rows, 0),
    )
    .outerjoin(
        GrantUsage,
        and_(GrantUsage.grant_id == Grant.id, GrantUsage.day == bindparam("today", type_=Date)),
    )
    .where(
        Grant.resource_id == bindparam("resource_id", type_=Integer),
        Grant.consumer_unit_id == bindparam("unit_id", type_=Integer),
    )
    .order_by(Grant.id)
)


_USAGE_UPSERTS = {
    dialect: counter_upsert(GrantUsage, ("grant_id", "day"), ("rows",), dialect)
    for dialect in ("postgresql", "sqlite")
}


def _context(
    session: Session, principal: Principal, resource_id: int
) -> tuple[Consumer, Binding, Source]:
    """The consumer unit, the resource's binding and its source, in one round trip."""
    if principal.unit_id is None:
        raise Refused(
            "no-unit",
            "Only staff of a unit can query shared data.",
            "只有所属单位的工作人员才能调用共享数据。",
        )
    row = (
        session.connection()
        .execute(_CONTEXT_ROW, {"unit_id": principal.unit_id, "resource_id": resource_id})
        .first()
    )
    if row is None:
        identity.get_unit(session, principal.unit_id)  # raises unit-not-found
        raise AssertionError("unreachable")
    division_code = row[0]
    consumer = Consumer(principal.unit_id, division_code, division_code.endswith("00"))
    if row[1] is None:
        raise NotFound(
            f"Resource {resource_id} is not bound to a source, so it cannot be queried.",
            f"资源 {resource_id} 尚未挂接数据源，无法调用。",
            code="resource-not-bound",
        )
    binding, source = _built(session, resource_id, row[1:])
    return consumer, binding, source


def _bound(session: Session, resource_id: int) -> tuple[Binding, Source]:
    """The resource's binding and source, in one round trip (for the public, who has no unit)."""
    row = session.connection().execute(_BOUND_ROW, {"resource_id": resource_id}).first()
    if row is None:
        raise NotFound(
            f"Resource {resource_id} is not bound to a source, so it cannot be queried.",
            f"资源 {resource_id} 尚未挂接数据源，无法调用。",
            code="resource-not-bound",
        )
    return _built(session, resource_id, row)


@dataclass(frozen=True)
class GrantView:
    """A grant as the policy sees it, with the rows its unit used today."""

    id: int
    items: list[str]
    clear_items: list[str]
    purpose: str
    valid_until: date
    max_rows_per_query: int
    max_rows_per_day: int
    city_wide: bool
    revoked_at: datetime | None
    rows_today: int


def _grants(session: Session, resource_id: int, unit_id: int, today: date) -> list[GrantView]:
    """The unit's grants for the resource, never cached: a revocation counts at once."""
    rows = (
        session.connection()
        .execute(_GRANT_ROWS, {"resource_id": resource_id, "unit_id": unit_id, "today": today})
        .all()
    )
    return [
        GrantView(
            id=r[0],
            items=list(r[1] or []),
            clear_items=list(r[2] or []),
            purpose=r[3],
            valid_until=r[4],
            max_rows_per_query=r[5],
            max_rows_per_day=r[6],
            city_wide=bool(r[7]),
            revoked_at=r[8],
            rows_today=int(r[9]),
        )
        for r in rows
    ]


def _count_rows(session: Session, prepared: PreparedQuery, rows: int) -> None:
    """Add the rows to the grant's count for the day: one UPSERT, atomic in SQL."""
    if prepared.decision.grant_id is None:
        return
    session.connection().execute(
        _USAGE_UPSERTS[session.get_bind().dialect.name],
        {"grant_id": prepared.decision.grant_id, "day": prepared.today, "rows": rows},
    )


def _check_fields(
    request: QueryRequest, decision: Decision, readable: Sequence[str]
) -> list[tuple[str, bool]]:
    """Filters and order only on items the consumer reads; a masked item only by equality,
    so no one learns a masked value piece by piece."""
    leaves = [
        sub
        for condition in request.filters
        for sub in (condition.value if condition.op == "any" else [condition])
        if isinstance(sub, Filter)
    ]
    for condition in leaves:
        if condition.field not in readable:
            raise Unprocessable(
                f"Filter on {condition.field}: only the items you query can be filtered on.",
                f"过滤字段 {condition.field} 须为本次调用的信息项。",
                code="bad-filter",
            )
        if condition.field in decision.masked and condition.op not in ("eq", "in"):
            raise Unprocessable(
                f"{condition.field} is masked for you: filter it by whole values only (eq, in).",
                f"{condition.field} 对您脱敏，只能按完整值精确查询（eq、in）。",
                code="bad-filter",
            )
    order = list(request.order_by)
    for name, _ in order:
        if name not in readable or name in decision.masked:
            raise Unprocessable(
                f"Cannot order by {name}: order by an item you read in clear.",
                f"不能按 {name} 排序：只能按本次调用中未脱敏的信息项排序。",
                code="bad-order",
            )
    return order


def prepare(
    session: Session, secret_key: str, principal: Principal, request: QueryRequest, today: date
) -> PreparedQuery:
    """Validate the query and decide it; a refusal is ledgered, then raised."""
    try:
        return _prepare(session, secret_key, principal, request, today)
    except Refused as refused:
        record_refusal(
            session,
            "exchange.refused",
            Subject("resource", request.resource_id),
            {
                "rule": refused.rule,
                "consumer_unit_id": principal.unit_id,
                "items": list(request.items)[:50],
                "purpose": request.purpose[:200],
                "filter_fingerprint": _fingerprint(request.filters),
            },
            actor=principal.as_actor(),
        )
        raise


def _prepare(
    session: Session, secret_key: str, principal: Principal, request: QueryRequest, today: date
) -> PreparedQuery:
    purpose = _purpose(request.purpose)
    items = _items(request)
    resource = catalog.published_view(session, request.resource_id)
    consumer, binding, source = _context(session, principal, request.resource_id)
    unit_id = cast(int, consumer.unit_id)  # a staff member's unit: _context checked it
    grants = _grants(session, request.resource_id, unit_id, today)
    decision = decide(consumer, resource, items, purpose, grants, binding.division_field, today)
    if decision.grant_id is not None:
        grant = next(g for g in grants if g.id == decision.grant_id)
        if grant.rows_today >= grant.max_rows_per_day:
            raise Refused(
                "daily-limit",
                f"Your unit used today's {grant.max_rows_per_day:,} rows of this grant.",
                f"本单位今日已用完该授权的 {grant.max_rows_per_day:,} 行额度。",
            )
    return _plan(
        secret_key, principal, request, items, consumer, resource, binding, source, decision, today
    )


def prepare_open(
    session: Session,
    secret_key: str,
    visitor: Principal,
    request: QueryRequest,
    today: date,
    *,
    has_key: bool,
) -> PreparedQuery:
    """Validate and decide a query of the public (open-data portal, `visitor` a principal
    with `via="public"`) under the open policy; a refusal is ledgered, then raised."""
    try:
        items = _items(request)
        resource = catalog.published_view(session, request.resource_id)
        decision = decide_open(resource, items, has_key)
        binding, source = _bound(session, request.resource_id)
        return _plan(
            secret_key, visitor, request, items, PUBLIC, resource, binding, source, decision, today
        )
    except Refused as refused:
        record_refusal(
            session,
            "exchange.refused",
            Subject("resource", request.resource_id),
            {
                "rule": refused.rule,
                "consumer_unit_id": None,
                "items": list(request.items)[:50],
                "purpose": request.purpose[:200],
                "filter_fingerprint": _fingerprint(request.filters),
            },
            actor=visitor.as_actor(),
        )
        raise


def _items(request: QueryRequest) -> list[str]:
    items = list(dict.fromkeys(request.items))
    if not items:
        raise Unprocessable(
            "Name at least one item to read.", "请至少选择一个信息项。", code="items-required"
        )
    return items


def _plan(
    secret_key: str,
    principal: Principal,
    request: QueryRequest,
    items: list[str],
    consumer: Consumer,
    resource: catalog.PublishedResource,
    binding: Binding,
    source: Source,
    decision: Decision,
    today: date,
) -> PreparedQuery:
    """The query on the source a decision allows: columns, filters, order, page."""
    order = _check_fields(request, decision, items)
    paged = request.format == OutputFormat.JSON and not request.export
    ceiling = MAX_PAGE_ROWS if paged else MAX_EXPORT_ROWS
    if decision.grant_id is not None:
        ceiling = min(ceiling, decision.max_rows)
    limit = request.limit if request.limit is not None else min(DEFAULT_ROWS, ceiling)
    if not 1 <= limit <= ceiling:
        raise Unprocessable(
            f"Ask for 1 to {ceiling:,} rows per query; page with the cursor for more.",
            f"每次调用可返回 1 至 {ceiling:,} 行，更多数据请使用分页游标。",
            code="limit-out-of-range",
        )
    columns = list(items)
    if not order and paged:
        # by the key, read even when it is not asked for or is masked: exact keyset pages
        # (an export asked for in no order streams in the source's own: no sort to hold)
        key = binding.key_field or items[0]
        if key not in columns:
            columns.append(key)
        order = [(key, False)]
    subject_index = None
    if binding.subject_field and limit <= MAX_SUBJECTS_REMEMBERED:
        if binding.subject_field not in columns:
            columns.append(binding.subject_field)  # read, remembered, never returned
        subject_index = columns.index(binding.subject_field)
    filters = list(request.filters)
    if decision.row_filter is not None:
        filters.append(decision.row_filter)
    after = decode_cursor(request.after, len(order), secret_key) if request.after else None
    spec = SelectSpec(
        table=binding.table_name,
        columns=columns,
        filters=filters,
        order_by=order,
        limit=limit,
        after=after,
        offset=request.offset,
    )
    point_lookup = (
        len(request.filters) == 1
        and request.filters[0].op == "eq"
        and request.filters[0].field == binding.key_field
        and decision.row_filter is None
        and after is None
        and request.offset == 0
    )
    data_types = [
        "string" if name in decision.masked else resource.items[name].data_type for name in items
    ]
    return PreparedQuery(
        request=request,
        principal=principal,
        consumer=consumer,
        resource_name=resource.name,
        binding=binding,
        decision=decision,
        spec=spec,
        connector=connector_for(source, secret_key),
        data_types=data_types,
        subject_index=subject_index,
        point_lookup=point_lookup,
        today=today,
    )


def count_matching(session: Session, prepared: PreparedQuery) -> int:
    """How many rows the query's filters (and the policy's row filter) match on the source;
    a failure is ledgered like a failed query."""
    try:
        return prepared.connector.count(prepared.spec, timeout_s=QUERY_TIMEOUT_S)
    except ConnectorError as failure:
        _ledger_failure(session, prepared, failure)
        raise


def _masker(prepared: PreparedQuery) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    width = len(prepared.request.items)
    kinds = [prepared.decision.masked.get(name) for name in prepared.spec.columns[:width]]
    if not any(kinds):
        return lambda row: row[:width]

    def apply(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(
            value if kind is None or value is None else mask(kind, str(jsonable(value)))
            for value, kind in zip(row[:width], kinds, strict=True)
        )

    return apply


def open_batches(session: Session, prepared: PreparedQuery) -> Iterator[Batch]:
    """Start the query on its source. A source that is down, too slow or changed fails here,
    before any answer has begun, and the failure is ledgered."""
    spec = prepared.spec
    try:
        if prepared.point_lookup:
            value = prepared.request.filters[0].value
            rows = prepared.connector.lookup(
                spec.table, spec.columns, spec.filters[0].field, value, timeout_s=QUERY_TIMEOUT_S
            )
            return iter([rows[: spec.limit]])
        return iter(prepared.connector.select(spec, timeout_s=QUERY_TIMEOUT_S))
    except ConnectorError as failure:
        _ledger_failure(session, prepared, failure)
        raise


def _ledger_failure(session: Session, prepared: PreparedQuery, failure: ConnectorError) -> None:
    record_refusal(
        session,
        "exchange.failed",
        Subject("resource", prepared.request.resource_id),
        {**_ledger_attrs(prepared, 0), "error": failure.code},
        actor=prepared.principal.as_actor(),
    )


EXPORT_BATCH_ROWS = 65_536


def open_export(session: Session, prepared: PreparedQuery) -> Iterator[AnyBatch]:
    """Start a streamed export: pyarrow RecordBatches straight from the source where its
    connector has an Arrow path for the query (`select_arrow`), else batches of rows as
    `open_batches` gives them. Failures before the first batch are ledgered the same way."""
    select_arrow = getattr(prepared.connector, "select_arrow", None)
    if prepared.point_lookup or select_arrow is None:
        return open_batches(session, prepared)
    try:
        stream = select_arrow(
            prepared.spec, timeout_s=QUERY_TIMEOUT_S, batch_size=EXPORT_BATCH_ROWS
        )
    except ConnectorError as failure:
        _ledger_failure(session, prepared, failure)
        raise
    if stream is None:
        return open_batches(session, prepared)
    return cast(Iterator[AnyBatch], stream)


def _ledger_attrs(prepared: PreparedQuery, rows: int) -> dict[str, Any]:
    request = prepared.request
    return {
        "consumer_unit_id": prepared.consumer.unit_id,
        "items": list(request.items),
        "masked": sorted(prepared.decision.masked),
        "filter_fingerprint": _fingerprint(request.filters),
        "purpose": request.purpose[:200],
        "basis": prepared.decision.basis,
        "grant_id": prepared.decision.grant_id,
        "rows": rows,
        "format": request.format.value,
        "latency_ms": round((time.perf_counter() - prepared.started) * 1000, 2),
        "point_lookup": prepared.point_lookup,
    }


def run_page(session: Session, secret_key: str, prepared: PreparedQuery) -> QueryPage:
    """Answer a JSON page and ledger it in the caller's transaction."""
    return answer_page(session, secret_key, prepared, read_rows(session, prepared))


def read_rows(session: Session, prepared: PreparedQuery) -> list[tuple[Any, ...]]:
    """The page's rows as the source gives them, unmasked: for `answer_page` only."""
    raw: list[tuple[Any, ...]] = []
    for batch in open_batches(session, prepared):
        raw.extend(batch)
    return raw


def answer_page(
    session: Session,
    secret_key: str,
    prepared: PreparedQuery,
    raw: Sequence[tuple[Any, ...]],
    attrs: dict[str, Any] | None = None,
) -> QueryPage:
    """Mask the rows `read_rows` gave, count them against the grant and ledger the answer
    (with `attrs` added to the entry, e.g. the subscription it was read for)."""
    masker = _masker(prepared)
    rows = [masker(row) for row in raw]
    _count_rows(session, prepared, len(rows))
    # The ledger entry last: its chain lock is held until the request commits.
    entry = record(
        session,
        prepared.principal.as_actor(),
        "exchange.query",
        Subject("resource", prepared.request.resource_id),
        {**_ledger_attrs(prepared, len(rows)), **(attrs or {})},
    )
    _remember(session, secret_key, prepared, raw, entry)
    next_cursor = None
    order = prepared.spec.order_by
    if order and prepared.spec.limit and len(raw) == prepared.spec.limit:
        positions = [prepared.spec.columns.index(name) for name, _ in order]
        next_cursor = encode_cursor([raw[-1][i] for i in positions], secret_key)
    return QueryPage(
        items=list(prepared.request.items),
        rows=_json_rows(rows),
        next_cursor=next_cursor,
        masked=dict(prepared.decision.masked),
        basis=prepared.decision.basis,
        grant_id=prepared.decision.grant_id,
        ledger_seq=entry.seq,
    )


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _json_rows(rows: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows as JSON carries them, converting only the columns that hold anything but text,
    numbers and nulls (dates, decimals, bytes): most pages convert nothing value by value."""
    if not rows:
        return []
    columns = list(zip(*rows, strict=True))
    for index, column in enumerate(columns):
        if not {type(value) for value in column} <= _PLAIN:
            columns[index] = tuple(jsonable(value) for value in column)
    return [list(row) for row in zip(*columns, strict=True)]


def _remember(
    session: Session,
    secret_key: str,
    prepared: PreparedQuery,
    rows: Sequence[tuple[Any, ...]],
    entry: LedgerEntry,
) -> None:
    if prepared.subject_index is None:
        return
    index = prepared.subject_index
    remember_subjects(
        session,
        secret_key,
        prepared.request.resource_id,
        entry.seq,
        (row[index] for row in rows[:MAX_SUBJECTS_REMEMBERED]),
        occurred_at=entry.occurred_at,
    )


def _arrow_masker(prepared: PreparedQuery) -> Callable[[pa.RecordBatch], pa.RecordBatch]:
    """The asked-for columns of a RecordBatch, masked columns masked value by value (as
    `_masker` does) and the others passed through untouched."""
    width = len(prepared.request.items)
    names = list(prepared.request.items)
    kinds = [prepared.decision.masked.get(name) for name in prepared.spec.columns[:width]]

    def apply(batch: pa.RecordBatch) -> pa.RecordBatch:
        arrays = []
        for index, kind in enumerate(kinds):
            column = batch.column(index)
            if kind is not None:
                column = pa.array(
                    [
                        None if value is None else mask(kind, str(jsonable(value)))
                        for value in column.to_pylist()
                    ],
                    type=pa.string(),
                )
            arrays.append(column)
        return pa.RecordBatch.from_arrays(arrays, names=names)

    return apply


def stream_export(
    database: Database, secret_key: str, prepared: PreparedQuery, batches: Iterator[AnyBatch]
) -> Generator[AnyBatch, None, None]:
    """Masked batches for a streamed export — rows, or RecordBatches from an Arrow path
    (`open_export`); the ledger entry is written when the stream ends — completely or
    not — with the rows actually sent."""
    masker = _masker(prepared)
    arrow_masker = _arrow_masker(prepared)
    sent = 0
    remembered: list[Any] = []
    completed = False
    try:
        for batch in batches:
            wanted = MAX_SUBJECTS_REMEMBERED - len(remembered)
            if isinstance(batch, pa.RecordBatch):
                if prepared.subject_index is not None and wanted > 0:
                    subjects = batch.column(prepared.subject_index).slice(0, wanted)
                    remembered.extend(subjects.to_pylist())
                sent += batch.num_rows
                yield arrow_masker(batch)
                continue
            if prepared.subject_index is not None and wanted > 0:
                remembered.extend(row[prepared.subject_index] for row in batch)
            sent += len(batch)
            yield [masker(row) for row in batch]
        completed = True
    finally:
        with database.session() as session:
            attrs = _ledger_attrs(prepared, sent)
            attrs["completed"] = completed
            _count_rows(session, prepared, sent)
            entry = record(
                session,
                prepared.principal.as_actor(),
                "exchange.exported",
                Subject("resource", prepared.request.resource_id),
                attrs,
            )
            if prepared.subject_index is not None:
                remember_subjects(
                    session,
                    secret_key,
                    prepared.request.resource_id,
                    entry.seq,
                    remembered[:MAX_SUBJECTS_REMEMBERED],
                    occurred_at=entry.occurred_at,
                )
