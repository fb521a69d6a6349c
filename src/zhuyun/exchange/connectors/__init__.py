"""Source connectors: how the exchange reaches a department's data where it lives.

`connect(config)` gives one thread-safe `Connector` per source. The gateway describes a
query as a `SelectSpec`; the connector checks it against the source's real columns, pushes
projection, filters, order and limit down as far as the source allows, and streams batches.
See docs/exchange.md, "Sources and connectors".
"""

from __future__ import annotations

from collections.abc import Callable

from zhuyun.exchange.connectors.base import (
    ColumnInfo,
    Connector,
    DataType,
    Filter,
    FilterOp,
    HealthReport,
    SelectSpec,
    SourceConfig,
    SourceKind,
)
from zhuyun.exchange.connectors.checks import MAX_IN_VALUES
from zhuyun.exchange.connectors.errors import (
    BadFilter,
    BadSourceConfig,
    ConnectorError,
    SourceTimeout,
    SourceUnavailable,
    UnknownColumn,
    UnknownTable,
)
from zhuyun.exchange.connectors.files import FileConnector
from zhuyun.exchange.connectors.http_json import HttpJsonConnector
from zhuyun.exchange.connectors.node import NodeConnector
from zhuyun.exchange.connectors.sql import SqlConnector
from zhuyun.exchange.connectors.stream import RowStream
from zhuyun.exchange.connectors.xlsx import XlsxConnector

__all__ = [
    "MAX_IN_VALUES",
    "BadFilter",
    "BadSourceConfig",
    "ColumnInfo",
    "Connector",
    "ConnectorError",
    "DataType",
    "Filter",
    "FilterOp",
    "HealthReport",
    "RowStream",
    "SelectSpec",
    "SourceConfig",
    "SourceKind",
    "SourceTimeout",
    "SourceUnavailable",
    "UnknownColumn",
    "UnknownTable",
    "connect",
]

_FACTORIES: dict[SourceKind, Callable[[SourceConfig], Connector]] = {
    SourceKind.SQLITE: SqlConnector,
    SourceKind.POSTGRESQL: SqlConnector,
    SourceKind.MYSQL: SqlConnector,
    SourceKind.CSV: FileConnector,
    SourceKind.PARQUET: FileConnector,
    SourceKind.XLSX: XlsxConnector,
    SourceKind.HTTP_JSON: HttpJsonConnector,
    SourceKind.NODE: NodeConnector,
}


def connect(config: SourceConfig) -> Connector:
    """The connector for `config`; it connects lazily, so a source that is down still gives
    a connector (whose `health()` says so) and only a binding that cannot work raises."""
    try:
        kind = SourceKind(config.kind)
    except ValueError:
        raise BadSourceConfig(
            f"Unknown kind of source {str(config.kind)[:40]!r}.",
            f"未知的数据源类型 {str(config.kind)[:40]!r}。",
        ) from None
    if kind is not config.kind:
        config = SourceConfig(kind, config.location, config.options, config.secret)
    if not isinstance(config.location, str) or not config.location.strip():
        raise BadSourceConfig("The source needs a location.", "数据源须指定位置。")
    return _FACTORIES[kind](config)
