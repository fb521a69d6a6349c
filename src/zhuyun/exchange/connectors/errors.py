"""The ways reaching a department's source can fail, as problem details in two languages.

Every message names the source's kind and location, the table, column or filter at fault,
and never a credential: callers may show these to users and write them to the ledger.
"""

from __future__ import annotations

from typing import Any

from zhuyun.core.errors import Problem

__all__ = [
    "BadFilter",
    "BadSourceConfig",
    "ConnectorError",
    "SourceTimeout",
    "SourceUnavailable",
    "UnknownColumn",
    "UnknownTable",
]


class ConnectorError(Problem):
    """Base of the connectors' problems, so the gateway can catch them in one clause."""


class SourceUnavailable(ConnectorError):
    """The source cannot be reached: connection refused, file missing, HTTP down or refusing."""

    status = 503
    code = "source-unavailable"

    def __init__(self, source: str, reason_en: str = "", reason_zh: str = "") -> None:
        en = f"The source {source} is unavailable" + (f": {reason_en}" if reason_en else ".")
        zh = f"数据源 {source} 不可用" + (f"：{reason_zh or reason_en}" if reason_en else "。")
        super().__init__(en, zh, headers={"Retry-After": "30"})
        self.source = source


class SourceTimeout(ConnectorError):
    """The source did not answer in time; the query was cancelled on the source."""

    status = 503
    code = "source-timeout"

    def __init__(self, source: str, timeout_s: float) -> None:
        super().__init__(
            f"The source {source} did not answer within {timeout_s:g} s; the query was cancelled.",
            f"数据源 {source} 未在 {timeout_s:g} 秒内响应，查询已取消。",
            headers={"Retry-After": "30"},
        )
        self.source = source
        self.timeout_s = timeout_s


class UnknownTable(ConnectorError):
    """A table the caller expected is not (or no longer) in the source: its schema changed."""

    status = 409
    code = "source-schema-changed"

    def __init__(self, source: str, table: str) -> None:
        super().__init__(
            f"The source {source} has no table {table!r}; its schema may have changed.",
            f"数据源 {source} 中没有表 {table!r}，其结构可能已变更。",
            errors=[{"table": table}],
        )
        self.source = source
        self.table = table


class UnknownColumn(ConnectorError):
    """A column the caller expected is not (or no longer) in the table: its schema changed."""

    status = 409
    code = "source-schema-changed"

    def __init__(self, source: str, table: str, columns: list[str]) -> None:
        names = ", ".join(repr(c) for c in columns)
        super().__init__(
            f"The table {table!r} of the source {source} has no column {names}; its schema "
            "may have changed.",
            f"数据源 {source} 的表 {table!r} 中没有字段 {names}，其结构可能已变更。",
            errors=[{"table": table, "column": column} for column in columns],
        )
        self.source = source
        self.table = table
        self.columns = columns


class BadFilter(ConnectorError):
    """A query the connector refuses before it reaches the source: wrong op, type or shape."""

    status = 422
    code = "bad-filter"

    def __init__(self, message_en: str, message_zh: str, **kwargs: Any) -> None:
        super().__init__(message_en, message_zh, **kwargs)


class BadSourceConfig(ConnectorError):
    """A binding that cannot work: unknown kind or option, a password inside the location."""

    status = 422
    code = "bad-source-config"

    def __init__(self, message_en: str, message_zh: str, **kwargs: Any) -> None:
        super().__init__(message_en, message_zh, **kwargs)
