"""Streaming writers for the gateway's answers: CSV, JSON, Arrow IPC, Parquet and XLSX,
batch by batch, so an export of a million rows never sits in memory (XLSX, a zip written
at its end, spools to a temporary file first).

A batch is either a list of row tuples or a pyarrow RecordBatch (the Arrow path of bulk
exports, whose values never pass through Python one by one). Both give the same bytes for
CSV — Python's `csv` dialect: minimal quoting, CRLF, `str()` of each value — and the same
Arrow types for Arrow IPC and Parquet."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeAlias

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
from openpyxl import Workbook

Batch = Sequence[tuple[Any, ...]]
AnyBatch: TypeAlias = Batch | pa.RecordBatch


class OutputFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    ARROW = "arrow"
    PARQUET = "parquet"
    XLSX = "xlsx"


MEDIA_TYPES = {
    OutputFormat.JSON: "application/json",
    OutputFormat.CSV: "text/csv; charset=utf-8",
    OutputFormat.ARROW: "application/vnd.apache.arrow.stream",
    OutputFormat.PARQUET: "application/vnd.apache.parquet",
    OutputFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FILE_EXTENSIONS = {
    OutputFormat.JSON: "json",
    OutputFormat.CSV: "csv",
    OutputFormat.ARROW: "arrows",
    OutputFormat.PARQUET: "parquet",
    OutputFormat.XLSX: "xlsx",
}
XLSX_MAX_ROWS = 1_048_575  # a worksheet's rows, less the header


def jsonable(value: Any) -> Any:
    """A value as JSON carries it: dates as ISO text, decimals as text (no float rounding)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def csv_stream(columns: Sequence[str], batches: Iterable[AnyBatch]) -> Iterator[bytes]:
    """UTF-8 CSV with a BOM, so Excel opens Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(columns)
    for batch in batches:
        if isinstance(batch, pa.RecordBatch):
            head = buffer.getvalue()
            if head:
                yield head.encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
            if batch.num_rows:
                yield csv_bytes(batch)
            continue
        writer.writerows(batch)
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    rest = buffer.getvalue()
    if rest:
        yield rest.encode("utf-8")


_SPECIAL = (b",", b'"', b"\r", b"\n")  # what makes csv.writer quote a field


def _csv_field(array: pa.Array) -> tuple[pa.Array, bool]:
    """One column as `csv.writer` writes it: `str()` of the value, quoted when it holds a
    comma, a quote or a line break, quotes doubled; None as nothing. The flag says whether
    any value was quoted."""
    kind = array.type
    if pa.types.is_boolean(kind):
        text = pc.if_else(array, "True", "False")
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = array.cast(pa.string())
    elif (
        pa.types.is_null(kind)
        or pa.types.is_integer(kind)
        or pa.types.is_decimal(kind)
        or pa.types.is_date32(kind)
        or pa.types.is_date64(kind)
    ):
        return pc.fill_null(array.cast(pa.string()), ""), False
    else:
        raise TypeError(f"no CSV rendering of {kind} on the Arrow path")
    data = text.buffers()[2]
    raw = b"" if data is None else data.to_pybytes()
    if not any(special in raw for special in _SPECIAL):  # the usual case: nothing to quote
        return pc.fill_null(text, ""), False
    needs = pc.match_substring_regex(text, '[,"\r\n]')
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.fill_null(pc.if_else(needs, quoted, text), ""), True


_CSV_PLAIN = pa_csv.WriteOptions(include_header=False, quoting_style="none", eol="\r\n")


def csv_bytes(batch: pa.RecordBatch) -> bytes:
    """The rows of a RecordBatch as `csv.writer` writes them (QUOTE_MINIMAL, CRLF)."""
    rendered = [_csv_field(column) for column in batch.columns]
    fields = [field for field, _ in rendered]
    if len(fields) == 1:
        # csv.writer quotes a lone empty field, so that the row is not an empty line
        empty = pc.equal(fields[0], "")
        if pc.any(empty).as_py():
            fields = [pc.if_else(empty, '""', fields[0])]
            rendered = [(fields[0], True)]
    if not any(quoted for _, quoted in rendered):
        # nothing quoted: pyarrow's writer, told never to quote, writes exactly these fields
        out = pa.BufferOutputStream()
        names = [f"c{i}" for i in range(len(fields))]
        pa_csv.write_csv(pa.RecordBatch.from_arrays(fields, names=names), out, _CSV_PLAIN)
        return out.getvalue().to_pybytes()
    rows = pc.binary_join_element_wise(*fields, ",")
    lines = pc.binary_join_element_wise(rows, "\r\n", "")
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    offsets = pa.Array.from_buffers(
        pa.int32(), len(lines) + 1, [None, lines.buffers()[1]], offset=lines.offset
    )
    start, end = offsets[0].as_py(), offsets[-1].as_py()
    return lines.buffers()[2][start:end].to_pybytes()


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


def _output_column(array: pa.Array, target: pa.DataType) -> pa.Array:
    if array.type == target:
        return array
    if pa.types.is_decimal(array.type) and pa.types.is_floating(target):
        # through the decimal text: a direct cast is not always the nearest double,
        # float(Decimal) is
        return array.cast(pa.string()).cast(target)
    if pa.types.is_string(target) and not (
        pa.types.is_string(array.type) or pa.types.is_large_string(array.type)
    ):
        return _csv_text(array)
    return array.cast(target)


def _csv_text(array: pa.Array) -> pa.Array:
    """A non-text column as text, as `str()` gives it (a text item stored as a number)."""
    if pa.types.is_boolean(array.type):
        return pc.if_else(array, "True", "False")
    return array.cast(pa.string())


def _as_output(schema: pa.Schema, data_types: Sequence[str], batch: AnyBatch) -> pa.RecordBatch:
    if not isinstance(batch, pa.RecordBatch):
        return _record_batch(schema, data_types, batch)
    arrays = [
        _output_column(column, field.type)
        for column, field in zip(batch.columns, schema, strict=True)
    ]
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


def arrow_reader(
    columns: Sequence[str], data_types: Sequence[str], batches: Iterable[AnyBatch]
) -> pa.RecordBatchReader:
    """The batches as one Arrow stream of the items' types, read lazily (e.g. by DuckDB)."""
    schema = arrow_schema(columns, data_types)
    return pa.RecordBatchReader.from_batches(
        schema, (_as_output(schema, data_types, batch) for batch in batches)
    )


def arrow_stream(
    columns: Sequence[str], data_types: Sequence[str], batches: Iterable[AnyBatch]
) -> Iterator[bytes]:
    schema = arrow_schema(columns, data_types)
    sink = _Sink()
    with ipc.new_stream(sink, schema) as writer:
        for batch in batches:
            writer.write_batch(_as_output(schema, data_types, batch))
            yield sink.take()
    yield sink.take()


def parquet_stream(
    columns: Sequence[str], data_types: Sequence[str], batches: Iterable[AnyBatch]
) -> Iterator[bytes]:
    """One Parquet row group per batch, written as it comes."""
    schema = arrow_schema(columns, data_types)
    sink = _Sink()
    with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        for batch in batches:
            writer.write_batch(_as_output(schema, data_types, batch))
            yield sink.take()
    yield sink.take()


def _rows(batch: AnyBatch) -> Iterable[Sequence[Any]]:
    if isinstance(batch, pa.RecordBatch):
        columns = [column.to_pylist() for column in batch.columns]
        return zip(*columns, strict=True)
    return batch


def json_stream(columns: Sequence[str], batches: Iterable[AnyBatch]) -> Iterator[bytes]:
    """A JSON array of records (objects keyed by column), written as the batches come."""
    names = list(columns)
    first = True
    yield b"["
    for batch in batches:
        parts = []
        for row in _rows(batch):
            record = {name: jsonable(value) for name, value in zip(names, row, strict=True)}
            parts.append(("" if first else ",") + json.dumps(record, ensure_ascii=False))
            first = False
        if parts:
            yield "\n".join(parts).encode("utf-8")
    yield b"]\n"


def xlsx_stream(columns: Sequence[str], batches: Iterable[AnyBatch]) -> Iterator[bytes]:
    """One worksheet, header first; rows past a worksheet's limit are left out (use CSV or
    Parquet for more). Written row by row to a spooled file, then sent in chunks."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("data")
    sheet.append(list(columns))
    written = 0
    for batch in batches:
        for row in _rows(batch):
            if written >= XLSX_MAX_ROWS:
                break
            sheet.append([_xlsx_value(value) for value in row])
            written += 1
    with tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024) as spool:
        workbook.save(spool)
        spool.seek(0)
        while chunk := spool.read(1024 * 1024):
            yield chunk


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def export_stream(
    fmt: OutputFormat,
    columns: Sequence[str],
    data_types: Sequence[str],
    batches: Iterable[AnyBatch],
) -> Iterator[bytes]:
    """The bytes of a streamed export in `fmt` (JSON: one array of records)."""
    if fmt == OutputFormat.CSV:
        return csv_stream(columns, batches)
    if fmt == OutputFormat.JSON:
        return json_stream(columns, batches)
    if fmt == OutputFormat.XLSX:
        return xlsx_stream(columns, batches)
    if fmt == OutputFormat.ARROW:
        return arrow_stream(columns, data_types, batches)
    return parquet_stream(columns, data_types, batches)
