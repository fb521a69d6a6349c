"""Streaming writers for the gateway's answers: CSV, Arrow IPC and Parquet, batch by batch,
so an export of a million rows never sits in memory."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

Batch = Sequence[tuple[Any, ...]]


class OutputFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    ARROW = "arrow"
    PARQUET = "parquet"


MEDIA_TYPES = {
    OutputFormat.JSON: "application/json",
    OutputFormat.CSV: "text/csv; charset=utf-8",
    OutputFormat.ARROW: "application/vnd.apache.arrow.stream",
    OutputFormat.PARQUET: "application/vnd.apache.parquet",
}


def jsonable(value: Any) -> Any:
    """A value as JSON carries it: dates as ISO text, decimals as text (no float rounding)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def csv_stream(columns: Sequence[str], batches: Iterable[Batch]) -> Iterator[bytes]:
    """UTF-8 CSV with a BOM, so Excel opens Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(columns)
    for batch in batches:
        writer.writerows(batch)
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    rest = buffer.getvalue()
    if rest:
        yield rest.encode("utf-8")


_ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "decimal": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
    "binary": pa.binary(),
}


def _to_date(value: Any) -> Any:
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _to_datetime(value: Any) -> Any:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _to_text(value: Any) -> Any:
    return None if value is None else str(jsonable(value))


def _to_float(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal | str | int) else value


def _to_int(value: Any) -> Any:
    return int(value) if isinstance(value, Decimal | str | float) else value


def _to_bool(value: Any) -> Any:
    return bool(int(value)) if isinstance(value, int | str | Decimal) else value


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "date": _to_date,
    "datetime": _to_datetime,
    "string": _to_text,
    "decimal": _to_float,
    "integer": _to_int,
    "boolean": _to_bool,
}


def arrow_schema(columns: Sequence[str], data_types: Sequence[str]) -> pa.Schema:
    pairs = zip(columns, data_types, strict=True)
    return pa.schema([pa.field(name, _ARROW_TYPES.get(kind, pa.string())) for name, kind in pairs])


def _record_batch(schema: pa.Schema, data_types: Sequence[str], batch: Batch) -> pa.RecordBatch:
    arrays = []
    for index, (kind, arrow_field) in enumerate(zip(data_types, schema, strict=True)):
        convert = _CONVERTERS.get(kind)
        values = [row[index] for row in batch]
        if convert is not None:
            values = [None if v is None else convert(v) for v in values]
        arrays.append(pa.array(values, type=arrow_field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


class _Sink(io.RawIOBase):
    """A write-only file whose bytes are taken out after each batch."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def arrow_stream(
    columns: Sequence[str], data_types: Sequence[str], batches: Iterable[Batch]
) -> Iterator[bytes]:
    schema = arrow_schema(columns, data_types)
    sink = _Sink()
    with ipc.new_stream(sink, schema) as writer:
        for batch in batches:
            writer.write_batch(_record_batch(schema, data_types, batch))
            yield sink.take()
    yield sink.take()


def parquet_stream(
    columns: Sequence[str], data_types: Sequence[str], batches: Iterable[Batch]
) -> Iterator[bytes]:
    """One Parquet row group per batch, written as it comes."""
    schema = arrow_schema(columns, data_types)
    sink = _Sink()
    with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        for batch in batches:
            writer.write_batch(_record_batch(schema, data_types, batch))
            yield sink.take()
    yield sink.take()
