"""CSV event logs from other systems: one row per event, columns mapped to case, activity,
time and resource. Strict like the XES reader: an empty case id or activity, a time that is
not a date, a missing column or a row of the wrong width is an error naming the line.
Columns named `case:<x>` become case attributes, every other column an event attribute
(as text: CSV has no types)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from zhuyun.supervision.eventlog.log import EventLog, EventLogError, LogBuilder, to_micros
from zhuyun.supervision.eventlog.xes import DEFAULT_MAX_BYTES, parse_xes_date


@dataclass(frozen=True)
class CsvColumns:
    """Which columns hold what; the defaults are the XES names other tools export."""

    case: str = "case:concept:name"
    activity: str = "concept:name"
    timestamp: str = "time:timestamp"
    resource: str | None = "org:resource"
    timestamp_format: str | None = None  # strptime format; None: ISO 8601


class _Limited(io.RawIOBase):
    """Stops reading with an error past `limit` bytes."""

    def __init__(self, raw: IO[bytes], limit: int) -> None:
        self.raw, self.limit, self.read_bytes = raw, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        self.read_bytes += len(data)
        if self.read_bytes > self.limit:
            raise EventLogError(
                f"CSV: the file is larger than the limit of {self.limit:,} bytes",
                f"CSV：文件超过 {self.limit:,} 字节的上限",
            )
        buffer[: len(data)] = data
        return len(data)


def _parse_time(value: str, fmt: str | None) -> datetime:
    return datetime.strptime(value, fmt) if fmt else parse_xes_date(value)


def read_csv(
    source: str | Path | bytes | IO[bytes],
    columns: CsvColumns | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_events: int = 20_000_000,
    delimiter: str = ",",
    name: str = "",
) -> EventLog:
    """Read a CSV event log (UTF-8, a BOM allowed); raises `EventLogError` naming the line."""
    columns = columns or CsvColumns()
    if isinstance(source, bytes):
        raw: IO[bytes] = io.BytesIO(source)
    elif isinstance(source, str | Path):
        raw = open(source, "rb")  # noqa: SIM115 (closed below)
    else:
        raw = source
    text = io.TextIOWrapper(
        io.BufferedReader(_Limited(raw, max_bytes)), encoding="utf-8-sig", newline=""
    )
    builder = LogBuilder()
    try:
        _read_rows(csv.reader(text, delimiter=delimiter), columns, builder, max_events)
    except UnicodeDecodeError:
        raise EventLogError(
            "CSV: the file is not UTF-8 text", "CSV：文件不是 UTF-8 编码的文本"
        ) from None
    except csv.Error as error:
        raise EventLogError(f"CSV: {error}", f"CSV 格式错误：{error}") from None
    finally:
        if isinstance(source, str | Path):
            raw.close()
    return builder.build(name=name)


def _read_rows(reader: Any, columns: CsvColumns, builder: LogBuilder, max_events: int) -> None:
    header = next(reader, None)
    if not header:
        raise EventLogError("CSV: the file is empty (no header row)", "CSV：文件为空（没有表头）")
    header = [h.strip() for h in header]
    position = {h: i for i, h in enumerate(header)}
    wanted = [("case", columns.case), ("activity", columns.activity), ("time", columns.timestamp)]
    if columns.resource:
        wanted.append(("resource", columns.resource))
    missing = [column for role, column in wanted if column not in position and role != "resource"]
    if missing:
        raise EventLogError(
            f"CSV: the header has no column {', '.join(map(repr, missing))} "
            f"(columns: {', '.join(header[:20])})",
            f"CSV：表头中没有列 {'、'.join(missing)}（现有列：{'、'.join(header[:20])}）",
        )
    i_case, i_act, i_time = (position[columns.case], position[columns.activity],
                             position[columns.timestamp])  # fmt: skip
    i_res = position.get(columns.resource) if columns.resource else None
    taken = {i_case, i_act, i_time, i_res}
    case_cols = [
        (i, h[5:]) for i, h in enumerate(header) if h.startswith("case:") and i not in taken
    ]
    event_cols = [
        (i, h) for i, h in enumerate(header) if not h.startswith("case:") and i not in taken
    ]
    width = len(header)
    fmt = columns.timestamp_format
    seen_case_attrs: set[int] = set()
    count = 0
    for row in reader:
        line = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != width:
            raise EventLogError(
                f"CSV line {line}: {len(row)} fields where the header has {width}",
                f"CSV 第 {line} 行：有 {len(row)} 个字段，表头有 {width} 个",
            )
        case = row[i_case].strip()
        if not case:
            raise EventLogError(
                f"CSV line {line}: the case id ({columns.case}) is empty",
                f"CSV 第 {line} 行：案件编号（{columns.case}）为空",
            )
        activity = row[i_act].strip()
        if not activity:
            raise EventLogError(
                f"CSV line {line}: the activity ({columns.activity}) is empty",
                f"CSV 第 {line} 行：活动名称（{columns.activity}）为空",
            )
        stamp = row[i_time].strip()
        try:
            moment = _parse_time(stamp, fmt)
        except ValueError:
            raise EventLogError(
                f"CSV line {line}: {columns.timestamp} = {stamp!r} is not a date and time",
                f"CSV 第 {line} 行：{columns.timestamp} 的值 {stamp!r} 不是合法的日期时间",
            ) from None
        count += 1
        if count > max_events:
            raise EventLogError(
                f"CSV: more than {max_events:,} events: the log is too large",
                f"CSV：事件数超过 {max_events:,}，日志过大",
            )
        resource = row[i_res].strip() if i_res is not None else ""
        code = builder.cases.code(case)
        if case_cols and code not in seen_case_attrs:
            seen_case_attrs.add(code)
            builder.case_attrs[code] = {h: row[i] for i, h in case_cols if row[i] != ""}
        attrs = {h: row[i] for i, h in event_cols if row[i] != ""}
        builder.add_event(code, activity, to_micros(moment), resource or None, attrs)
