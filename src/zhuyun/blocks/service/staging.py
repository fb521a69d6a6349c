"""Reading a job's sources in bulk through the exchange gateway, into Parquet staging folders.

Each read is a governed export under the job owner's unit grants and the job's purpose, so
the ledger holds what was fused and why (one `exchange.exported` entry per page); items the
policy masks for the owner arrive masked and stay masked. A grant's per-query row limit is
honoured by paging in a fixed order. A source's folder is complete only once its file is
renamed into place: a read cut off midway leaves nothing a resumed run would trust.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from zhuyun.blocks.definition import SourceSpec
from zhuyun.core.db import Database
from zhuyun.exchange.connectors import Filter
from zhuyun.exchange.formats import OutputFormat, jsonable
from zhuyun.exchange.service import gateway
from zhuyun.identity.permissions import Principal

PART = "part-00000.parquet"
MAX_SINGLE_READ = 50_000_000


@dataclass(frozen=True)
class ReadPlan:
    """What the policy allows the owner for one source, found before any row is read."""

    spec: SourceSpec
    resource_name: str
    provider_unit_id: int
    masked: dict[str, str]
    grant_id: int | None
    page_rows: int
    key_field: str | None  # the binding's key: a row's identity when no row_key is given

    @property
    def row_identity(self) -> list[str]:
        return list(self.spec.row_key) or ([self.key_field] if self.key_field else [])


def schema_of(spec: SourceSpec) -> pa.Schema:
    return pa.schema([(name, pa.string()) for name in spec.read_items])


def as_text(batch: Any, names: Sequence[str]) -> pa.RecordBatch:
    """A batch (Arrow, or rows as tuples) with every column as text."""
    if isinstance(batch, pa.RecordBatch):
        arrays = [
            column if column.type == pa.string() else pc.cast(column, pa.string())
            for column in batch.columns
        ]
        return pa.RecordBatch.from_arrays(arrays, names=list(names))
    columns = list(zip(*batch, strict=True)) if batch else [() for _ in names]
    arrays = [
        pa.array([None if v is None else str(jsonable(v)) for v in column], type=pa.string())
        for column in columns
    ]
    return pa.RecordBatch.from_arrays(arrays, names=list(names))


def write_empty(folder: Path, spec: SourceSpec) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(schema_of(spec).empty_table(), folder / PART)


Progress = Callable[[int], None]


def stage_source(
    database: Database,
    secret_key: str,
    principal: Principal,
    purpose: str,
    plan: ReadPlan,
    filters: Sequence[Filter],
    folder: Path,
    today: date,
    progress: Progress,
) -> tuple[int, str | None]:
    """Read the source into `folder`; returns the rows read and the newest update time seen.
    Raises the gateway's or the connector's error when the source refuses or fails."""
    spec = plan.spec
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / (PART + ".partial")
    partial.unlink(missing_ok=True)
    rows = 0
    newest: str | None = None
    with pq.ParquetWriter(partial, schema_of(spec)) as writer:
        for batch in _pages(database, secret_key, principal, purpose, plan, filters, today):
            table = as_text(batch, spec.read_items)
            if table.num_rows == 0:
                continue
            writer.write_batch(table)
            rows += table.num_rows
            if spec.updated_at:
                top = pc.max(table.column(spec.updated_at)).as_py()
                if top is not None and (newest is None or top > newest):
                    newest = top
            progress(rows)
    partial.replace(folder / PART)
    return rows, newest


def _pages(
    database: Database,
    secret_key: str,
    principal: Principal,
    purpose: str,
    plan: ReadPlan,
    filters: Sequence[Filter],
    today: date,
) -> Iterator[Any]:
    """The source's batches, page after page where the grant caps the rows of one query."""
    spec = plan.spec
    paged = plan.page_rows < MAX_SINGLE_READ
    order = [(name, False) for name in spec.read_items if name not in plan.masked]
    offset = 0
    while True:
        request = gateway.QueryRequest(
            spec.resource_id,
            spec.read_items,
            purpose,
            list(filters),
            order_by=order if paged else (),
            limit=plan.page_rows,
            offset=offset,
            format=OutputFormat.ARROW,
            export=True,
        )
        with database.session() as session:
            prepared = gateway.prepare(session, secret_key, principal, request, today)
            batches = gateway.open_export(session, prepared)
        got = 0
        for batch in gateway.stream_export(database, secret_key, prepared, batches):
            got += batch.num_rows if isinstance(batch, pa.RecordBatch) else len(batch)
            yield batch
        if not paged or got < plan.page_rows:
            return
        offset += got


def count_rows(
    database: Database,
    secret_key: str,
    principal: Principal,
    purpose: str,
    spec: SourceSpec,
    filters: Sequence[Filter],
    today: date,
) -> int:
    """How many rows the read will bring (for the progress bar): a COUNT on the source."""
    request = gateway.QueryRequest(
        spec.resource_id,
        spec.read_items,
        purpose,
        list(filters),
        limit=1,
        export=True,
        format=OutputFormat.ARROW,
    )
    with database.session() as session:
        prepared = gateway.prepare(session, secret_key, principal, request, today)
        return gateway.count_matching(session, prepared)
