"""What travels between the platform and a node: the query as JSON, and the answer as a
stream of frames — an Arrow schema, Arrow record batches, and a trailer the node signs.

A frame is one kind byte, a 4-byte big-endian length and the payload:

| kind | payload |
|---|---|
| `S` | the Arrow schema (its metadata says whether the rows came by the source's Arrow path) |
| `B` | one Arrow record batch |
| `E` | a problem (JSON) met after the answer began: the stream ends there |
| `T` | the trailer (JSON): rows sent, SHA-256 of every frame before it, the node's signature |

An answer without its trailer was cut off: the platform raises, it never passes on a
silently shortened answer.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

import pyarrow as pa

from zhuyun.exchange.connectors.base import (
    FILTER_OPS,
    ColumnInfo,
    DataType,
    Filter,
    FilterOp,
    SelectSpec,
)

MAX_FRAME = 256 * 1024 * 1024
_HEADER = struct.Struct(">cI")
PATH_KEY = b"zhuyun.path"
PY_KEY = b"zhuyun.py"

__all__ = [
    "arrow_batch",
    "arrow_schema",
    "frame",
    "rows_of",
    "spec_from_json",
    "spec_to_json",
]


def _value(value: Any) -> Any:
    if isinstance(value, Decimal | date | datetime):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Filter):
        return _filter(value)
    if isinstance(value, list | tuple):
        return [_value(v) for v in value]
    return value


def _filter(f: Filter) -> dict[str, Any]:
    return {"field": f.field, "op": f.op, "value": _value(f.value), "low": _value(f.low),
            "high": _value(f.high)}  # fmt: skip


def spec_to_json(spec: SelectSpec) -> dict[str, Any]:
    return {
        "table": spec.table,
        "columns": list(spec.columns),
        "filters": [_filter(f) for f in spec.filters],
        "order_by": [[name, bool(descending)] for name, descending in spec.order_by],
        "limit": spec.limit,
        "after": None if spec.after is None else [_value(v) for v in spec.after],
        "offset": spec.offset,
    }


class BadQuery(ValueError):
    """A query body that is not the shape the platform sends."""


def _filter_from(raw: Any, depth: int = 0) -> Filter:
    if not isinstance(raw, dict) or not isinstance(raw.get("field"), str):
        raise BadQuery("a filter is an object with a field and an op")
    op = raw.get("op")
    value = raw.get("value")
    if op == "any":
        if depth or not isinstance(value, list):
            raise BadQuery("'any' holds a list of filters, one level deep")
        value = [_filter_from(sub, depth + 1) for sub in value]
    if op not in FILTER_OPS:
        raise BadQuery("unknown filter operator")
    return Filter(raw["field"], cast(FilterOp, op), value, raw.get("low"), raw.get("high"))


def spec_from_json(raw: Any) -> SelectSpec:
    if not isinstance(raw, dict):
        raise BadQuery("the query must be an object")
    table, columns = raw.get("table"), raw.get("columns")
    if not isinstance(table, str) or not isinstance(columns, list):
        raise BadQuery("the query names a table and its columns")
    if not all(isinstance(c, str) for c in columns) or not columns:
        raise BadQuery("columns are names")
    filters = raw.get("filters") or []
    order = raw.get("order_by") or []
    if not isinstance(filters, list) or not isinstance(order, list):
        raise BadQuery("filters and order_by are lists")
    limit, offset, after = raw.get("limit"), raw.get("offset", 0), raw.get("after")
    if limit is not None and not isinstance(limit, int):
        raise BadQuery("limit is a number")
    if not isinstance(offset, int) or (after is not None and not isinstance(after, list)):
        raise BadQuery("offset is a number, after a list")
    try:
        order_by = [(str(name), bool(descending)) for name, descending in order]
    except (TypeError, ValueError) as exc:
        raise BadQuery("order_by holds [name, descending] pairs") from exc
    return SelectSpec(
        table, columns, [_filter_from(f) for f in filters], order_by, limit, after, offset
    )


def frame(kind: bytes, payload: bytes) -> bytes:
    return _HEADER.pack(kind, len(payload)) + payload


def read_frames(chunks: Iterator[bytes]) -> Iterator[tuple[bytes, bytes, bytes]]:
    """(kind, payload, the frame's bytes) of a byte stream; raises EOFError when it stops
    inside a frame."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= _HEADER.size:
            kind, length = _HEADER.unpack_from(buffer)
            if length > MAX_FRAME:
                raise ValueError("a frame larger than allowed")
            end = _HEADER.size + length
            if len(buffer) < end:
                break
            raw = bytes(buffer[:end])
            del buffer[:end]
            yield kind, raw[_HEADER.size :], raw
    if buffer:
        raise EOFError("the stream stopped inside a frame")


_ARROW_TYPES = {
    DataType.STRING: pa.string(),
    DataType.INTEGER: pa.int64(),
    DataType.BOOLEAN: pa.bool_(),
    DataType.DATE: pa.date32(),
    DataType.DATETIME: pa.timestamp("us"),
    DataType.DECIMAL: pa.string(),  # exact: Decimal travels as text, read back as Decimal
    DataType.BINARY: pa.binary(),
}


_BY_VALUE: dict[type, DataType] = {
    int: DataType.INTEGER,
    bool: DataType.BOOLEAN,
    Decimal: DataType.DECIMAL,
    date: DataType.DATE,
    datetime: DataType.DATETIME,
    bytes: DataType.BINARY,
}


def arrow_schema(
    names: Sequence[str], columns: Sequence[ColumnInfo], first: Sequence[tuple[Any, ...]]
) -> pa.Schema:
    """The schema of rows read by the row path: one Arrow type per normalised type."""
    by_name = {c.name: c for c in columns}
    fields = []
    for index, name in enumerate(names):
        data_type = by_name[name].data_type if name in by_name else DataType.STRING
        sample = next((row[index] for row in first if row[index] is not None), None)
        if data_type == DataType.STRING and sample is not None and not isinstance(sample, str):
            data_type = _BY_VALUE.get(type(sample), DataType.STRING)  # SQLite's loose types
            if isinstance(sample, float):
                fields.append(pa.field(name, pa.float64()))
                continue
        metadata = None
        if data_type == DataType.DECIMAL:
            sample = next((row[index] for row in first if row[index] is not None), None)
            metadata = {PY_KEY: b"float" if isinstance(sample, float) else b"decimal"}
        if data_type == DataType.DATETIME:
            sample = next((row[index] for row in first if row[index] is not None), None)
            if isinstance(sample, datetime) and sample.tzinfo is not None:
                fields.append(pa.field(name, pa.timestamp("us", tz="UTC")))
                continue
        fields.append(pa.field(name, _ARROW_TYPES[data_type], metadata=metadata))
    return pa.schema(fields, metadata={PATH_KEY: b"rows"})


def arrow_batch(schema: pa.Schema, rows: Sequence[tuple[Any, ...]]) -> pa.RecordBatch:
    arrays = []
    for index, field in enumerate(schema):
        values = [row[index] for row in rows]
        if field.metadata and PY_KEY in field.metadata:
            values = [None if v is None else str(v) for v in values]
        arrays.append(pa.array(values, type=field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def rows_of(batch: pa.RecordBatch) -> list[tuple[Any, ...]]:
    """A row-path batch back as Python tuples, decimals as Decimal (or float) again."""
    columns = []
    for field, array in zip(batch.schema, batch.columns, strict=True):
        values = array.to_pylist()
        kind = (field.metadata or {}).get(PY_KEY)
        if kind is not None:
            convert = float if kind == b"float" else Decimal
            values = [None if v is None else convert(v) for v in values]
        columns.append(values)
    return list(zip(*columns, strict=True)) if columns else []


def by_rows(schema: pa.Schema) -> bool:
    return (schema.metadata or {}).get(PATH_KEY) == b"rows"


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str).encode()
