"""XES (IEEE 1849) in and out.

Reading streams the XML through expat (plain or gzip-compressed, told apart by the first
bytes) and is strict: every trace needs a `concept:name` (the case id, unique in the log),
every event a `concept:name` (the activity) and a `time:timestamp` that is a real date; a
value that does not parse as its declared type is an error. Errors name the line and the
trace. DTDs and entities are refused (no entity expansion), and a file larger than the
limit stops at the limit. Nested (meta) attributes are skipped; a `list` or `container`
attribute is skipped with them.

Writing emits the standard extensions (Concept, Time, Organizational, Lifecycle), the
trace and event globals and an activity classifier, times in UTC with microseconds.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any, cast
from xml.parsers import expat
from xml.sax.saxutils import quoteattr

import numpy as np

from zhuyun.supervision.eventlog.log import (
    EventLog,
    EventLogError,
    LogBuilder,
    from_micros,
    to_micros,
)

DEFAULT_MAX_BYTES = 2 * 1024**3  # decompressed XML
_CHUNK = 1 << 20
_ATTRIBUTE_TAGS = {"string", "date", "int", "float", "boolean", "id", "list", "container"}
_SKIPPED_BLOCKS = {"global", "extension", "classifier"}
_RESERVED_EVENT_KEYS = {"concept:name", "time:timestamp", "org:resource"}


def _local(tag: str) -> str:
    return tag.rsplit(":", 1)[-1] if ":" in tag else tag


def parse_xes_date(value: str) -> datetime:
    """An xs:dateTime as XES writes it (a time without a zone is taken as UTC)."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    return datetime.fromisoformat(text)


def _typed(kind: str, value: str) -> Any:
    if kind in ("string", "id"):
        return value
    if kind == "date":
        return parse_xes_date(value)
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "boolean":
        lowered = value.strip().lower()
        if lowered not in ("true", "false"):
            raise ValueError(value)
        return lowered == "true"
    raise ValueError(kind)


class _Refused(Exception):
    pass


class _XesReader:
    def __init__(self, builder: LogBuilder, max_events: int) -> None:
        self.builder = builder
        self.max_events = max_events
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.StartDoctypeDeclHandler = self.refuse_dtd
        self.parser.EntityDeclHandler = self.refuse_entity
        self.stack: list[str] = []
        self.skip_depth = 0
        self.log_attrs: dict[str, Any] = {}
        self.trace_attrs: dict[str, Any] | None = None
        self.trace_line = 0
        self.trace_events: list[tuple[str, int, str | None, dict[str, Any]]] = []
        self.event_attrs: dict[str, Any] | None = None
        self.event_line = 0
        self.seen_cases: dict[str, int] = {}
        self.events = 0
        self.saw_log = False

    # -- errors -------------------------------------------------------------------------
    def where(self) -> tuple[str, str]:
        line = self.parser.CurrentLineNumber
        if self.trace_attrs is None:
            return f"line {line}", f"第 {line} 行"
        case = self.trace_attrs.get("concept:name")
        if isinstance(case, str):
            return (
                f"line {line}, trace {case!r} (starting at line {self.trace_line})",
                f"第 {line} 行，轨迹 {case}（始于第 {self.trace_line} 行）",
            )
        return (
            f"line {line}, the trace starting at line {self.trace_line}",
            f"第 {line} 行，始于第 {self.trace_line} 行的轨迹",
        )

    def fail(self, en: str, zh: str) -> EventLogError:
        where_en, where_zh = self.where()
        return EventLogError(f"XES {where_en}: {en}", f"XES {where_zh}：{zh}")

    def refuse_dtd(self, *_: Any) -> None:
        raise self.fail("a DTD is not allowed in an event log", "事件日志中不允许 DTD 声明")

    def refuse_entity(self, *_: Any) -> None:
        raise self.fail("entity declarations are not allowed", "不允许实体声明")

    # -- handlers -----------------------------------------------------------------------
    def start(self, raw_tag: str, attrs: dict[str, str]) -> None:
        tag = _local(raw_tag)
        parent = self.stack[-1] if self.stack else None
        self.stack.append(tag)
        if self.skip_depth:
            self.skip_depth += 1
            return
        if parent is None:
            if tag != "log":
                raise self.fail(
                    f"the root element is <{tag}>, not <log>", f"根元素是 <{tag}> 而不是 <log>"
                )
            self.saw_log = True
            return
        if tag in _SKIPPED_BLOCKS:
            self.skip_depth = 1
            return
        if tag == "trace":
            if parent != "log":
                raise self.fail("a <trace> must be inside <log>", "<trace> 必须位于 <log> 之内")
            self.trace_attrs, self.trace_line, self.trace_events = (
                {},
                self.parser.CurrentLineNumber,
                [],
            )
            return
        if tag == "event":
            if parent != "trace":
                raise self.fail(
                    "an <event> must be inside a <trace>", "<event> 必须位于 <trace> 之内"
                )
            self.event_attrs, self.event_line = {}, self.parser.CurrentLineNumber
            return
        if tag in _ATTRIBUTE_TAGS:
            if tag in ("list", "container") or parent in _ATTRIBUTE_TAGS or parent == "values":
                self.skip_depth = 1
                return
            key = attrs.get("key")
            if key is None:
                raise self.fail(f"a <{tag}> attribute has no key", f"<{tag}> 属性缺少 key")
            value = attrs.get("value")
            if value is None:
                raise self.fail(f"attribute {key!r} has no value", f"属性 {key} 缺少 value")
            try:
                typed = _typed(tag, value)
            except ValueError:
                kinds = {"date": "日期", "int": "整数", "float": "数值", "boolean": "布尔值"}
                raise self.fail(
                    f"attribute {key!r} = {value!r} is not a valid {tag}",
                    f"属性 {key} 的值 {value!r} 不是合法的{kinds.get(tag, tag)}",
                ) from None
            target = (
                self.event_attrs
                if parent == "event"
                else self.trace_attrs
                if parent == "trace"
                else self.log_attrs
                if parent == "log"
                else None
            )
            if target is not None:
                target[key] = typed
            return
        # unknown elements (vendor extensions) are skipped with their content
        self.skip_depth = 1

    def end(self, raw_tag: str) -> None:
        tag = self.stack.pop() if self.stack else _local(raw_tag)
        if self.skip_depth:
            self.skip_depth -= 1
            return
        if tag == "event":
            self.end_event()
        elif tag == "trace":
            self.end_trace()

    def end_event(self) -> None:
        attrs = self.event_attrs or {}
        self.event_attrs = None
        activity = attrs.pop("concept:name", None)
        if not isinstance(activity, str) or not activity.strip():
            raise self.fail(
                f"the event at line {self.event_line} has no concept:name (activity)",
                f"第 {self.event_line} 行的事件缺少 concept:name（活动名称）",
            )
        moment = attrs.pop("time:timestamp", None)
        if not isinstance(moment, datetime):
            raise self.fail(
                f"the event at line {self.event_line} has no time:timestamp date",
                f"第 {self.event_line} 行的事件缺少 time:timestamp 日期",
            )
        resource = attrs.pop("org:resource", None)
        self.events += 1
        if self.events > self.max_events:
            raise self.fail(
                f"more than {self.max_events:,} events: the log is too large",
                f"事件数超过 {self.max_events:,}，日志过大",
            )
        self.trace_events.append(
            (activity, to_micros(moment), None if resource is None else str(resource), attrs)
        )

    def end_trace(self) -> None:
        attrs = self.trace_attrs or {}
        case = attrs.pop("concept:name", None)
        if not isinstance(case, str) or not case.strip():
            raise self.fail(
                "the trace has no concept:name (case id)", "轨迹缺少 concept:name（案件编号）"
            )
        if case in self.seen_cases:
            raise self.fail(
                f"case id {case!r} was already used by the trace at line {self.seen_cases[case]}",
                f"案件编号 {case} 已被第 {self.seen_cases[case]} 行的轨迹使用",
            )
        self.seen_cases[case] = self.trace_line
        builder = self.builder
        code = builder.cases.code(case)
        if attrs:
            builder.case_attrs[code] = attrs
        for activity, micros, resource, event_attrs in self.trace_events:
            builder.add_event(code, activity, micros, resource, event_attrs)
        self.trace_attrs, self.trace_events = None, []

    def feed(self, data: bytes, final: bool = False) -> None:
        try:
            self.parser.Parse(data, final)
        except expat.ExpatError as error:
            line = error.lineno
            raise EventLogError(
                f"XES line {line}: not well-formed XML ({expat.errors.messages[error.code]})",
                f"XES 第 {line} 行：XML 格式错误（{expat.errors.messages[error.code]}）",
            ) from None


def _open(source: str | Path | bytes | IO[bytes]) -> IO[bytes]:
    if isinstance(source, bytes):
        raw: IO[bytes] = io.BytesIO(source)
    elif isinstance(source, str | Path):
        raw = open(source, "rb")  # noqa: SIM115 (closed by the caller through the wrapper)
    else:
        raw = source
    head = raw.read(2)
    if raw.seekable():
        raw.seek(0)
    else:
        raw = io.BufferedReader(_Prepend(head, raw))
    if head == b"\x1f\x8b":
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
    return raw


class _Prepend(io.RawIOBase):
    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self.head, self.rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.head or self.rest.read(len(buffer))
        self.head = b""
        buffer[: len(data)] = data
        return len(data)


def read_xes(
    source: str | Path | bytes | IO[bytes],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_events: int = 20_000_000,
    keep_attrs: bool = True,
    name: str = "",
) -> EventLog:
    """Read an XES file (plain or gzip); raises `EventLogError` naming line and trace."""
    builder = LogBuilder(keep_attrs=keep_attrs)
    reader = _XesReader(builder, max_events)
    stream = _open(source)
    read = 0
    try:
        while True:
            try:
                chunk = stream.read(_CHUNK)
            except (OSError, EOFError) as error:
                raise EventLogError(
                    f"XES: the file cannot be decompressed ({error})",
                    f"XES：文件无法解压（{error}）",
                ) from None
            read += len(chunk)
            if read > max_bytes:
                raise EventLogError(
                    f"XES: the file is larger than the limit of {max_bytes:,} bytes",
                    f"XES：文件超过 {max_bytes:,} 字节的上限",
                )
            reader.feed(chunk, final=not chunk)
            if not chunk:
                break
    finally:
        if isinstance(source, str | Path):
            stream.close()
    if not reader.saw_log:
        raise EventLogError("XES: the file has no <log> element", "XES：文件中没有 <log> 元素")
    log_name = name or str(reader.log_attrs.get("concept:name", ""))
    return builder.build(name=log_name, attrs=reader.log_attrs)


# -- writing ------------------------------------------------------------------------------

_HEADER = """<?xml version="1.0" encoding="UTF-8" ?>
<log xes.version="1849-2016" xes.features="" xmlns="http://www.xes-standard.org/">
\t<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
\t<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
\t<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
\t<extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
\t<global scope="trace">
\t\t<string key="concept:name" value="__INVALID__"/>
\t</global>
\t<global scope="event">
\t\t<string key="concept:name" value="__INVALID__"/>
\t\t<date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>
\t</global>
\t<classifier name="Activity" keys="concept:name"/>
"""


def format_xes_date(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def _attribute(key: str, value: Any) -> str:
    if isinstance(value, bool):
        kind, text = "boolean", "true" if value else "false"
    elif isinstance(value, int):
        kind, text = "int", str(value)
    elif isinstance(value, float):
        kind, text = "float", repr(value)
    elif isinstance(value, datetime):
        kind, text = "date", format_xes_date(value)
    elif value is None:
        return ""
    else:
        kind, text = "string", str(value)
    return f"<{kind} key={quoteattr(key)} value={quoteattr(text)}/>"


def iter_xes(log: EventLog) -> Iterator[str]:
    """The log as XES text, in pieces (one per trace)."""
    yield _HEADER
    if log.name:
        yield f"\t{_attribute('concept:name', log.name)}\n"
    stamps = np.datetime_as_string(log.timestamps.astype("datetime64[us]"), unit="us")
    activities = [quoteattr(name) for name in log.activity_names]
    resources = [quoteattr(name) for name in log.resource_names]
    starts = log.case_starts.tolist()
    act_list = log.activities.tolist()
    res_list = log.resources.tolist()
    for case, case_name in enumerate(log.case_names):
        parts = [f'\t<trace>\n\t\t<string key="concept:name" value={quoteattr(case_name)}/>\n']
        if log.case_attrs:
            for key, value in log.case_attrs[case].items():
                text = _attribute(key, value)
                if text:
                    parts.append(f"\t\t{text}\n")
        for i in range(starts[case], starts[case + 1]):
            parts.append(
                f'\t\t<event>\n\t\t\t<string key="concept:name" value={activities[act_list[i]]}/>\n'
                f'\t\t\t<date key="time:timestamp" value="{stamps[i]}+00:00"/>\n'
            )
            if res_list[i] >= 0:
                parts.append(f'\t\t\t<string key="org:resource" value={resources[res_list[i]]}/>\n')
            if log.event_attrs:
                for key, value in log.event_attrs[i].items():
                    if key in _RESERVED_EVENT_KEYS:
                        continue
                    text = _attribute(key, value)
                    if text:
                        parts.append(f"\t\t\t{text}\n")
            parts.append("\t\t</event>\n")
        parts.append("\t</trace>\n")
        yield "".join(parts)
    yield "</log>\n"


def write_xes(log: EventLog, target: str | Path | IO[bytes], *, compress: bool = False) -> None:
    """Write the log as XES (gzip-compressed when `compress`)."""

    def emit(out: IO[bytes] | gzip.GzipFile) -> None:
        for piece in iter_xes(log):
            out.write(piece.encode("utf-8"))

    if isinstance(target, str | Path):
        with open(target, "wb") as raw:
            if compress:
                with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6) as packed:
                    emit(packed)
            else:
                emit(raw)
    elif compress:
        with gzip.GzipFile(fileobj=target, mode="wb", compresslevel=6) as packed:
            emit(packed)
    else:
        emit(target)


def xes_text(log: EventLog) -> str:
    return "".join(iter_xes(log))


__all__ = ["format_xes_date", "from_micros", "iter_xes", "parse_xes_date", "read_xes", "write_xes"]
