"""The connector contract: what a source is, what a query on it looks like, what comes back.

A connector reaches a department's data where it lives (DESIGN.md §3) and never copies it:
the gateway describes a query as a `SelectSpec`, the connector pushes as much of it down to
the source as the source can do and streams the rows back in batches.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, Protocol, runtime_checkable

__all__ = [
    "ColumnInfo",
    "Connector",
    "DataType",
    "Filter",
    "FilterOp",
    "HealthReport",
    "SelectSpec",
    "SourceConfig",
    "SourceKind",
]


class SourceKind(StrEnum):
    """The stores a department may keep its data in."""

    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"
    MYSQL = "mysql"
    CSV = "csv"
    PARQUET = "parquet"
    XLSX = "xlsx"
    HTTP_JSON = "http_json"
    NODE = "node"  # a department node (前置机) serves it: node://<node>/<source>


@dataclass(frozen=True)
class SourceConfig:
    """How to reach a source. `secret` is the decrypted password or token: never in repr()."""

    kind: SourceKind
    location: str
    options: Mapping[str, Any] = field(default_factory=dict, hash=False)
    secret: str | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        """The source as messages name it: its location (a URL or a file), never a credential."""
        return self.location if "://" in self.location else f"{self.kind.value}:{self.location}"


class DataType(StrEnum):
    """The catalog's normalised types; `ColumnInfo.native_type` keeps the source's own."""

    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    BINARY = "binary"


@dataclass(frozen=True)
class ColumnInfo:
    """One column as introspected. `is_key`: primary key or single-column unique index;
    `indexed`: some index starts with it, so a point lookup on it is cheap."""

    name: str
    data_type: DataType
    native_type: str
    nullable: bool
    is_key: bool
    indexed: bool = False


FilterOp = Literal["eq", "in", "range", "prefix", "is_null", "contains", "any"]
FILTER_OPS: tuple[str, ...] = ("eq", "in", "range", "prefix", "is_null", "contains", "any")


@dataclass(frozen=True)
class Filter:
    """One condition on one column. `range`: low ≤ x ≤ high, either bound may be None;
    `is_null`: value True (is null) or False (is not null); `in`: value is a list;
    `contains`: the text holds value; `any`: value is a list of filters (on any columns,
    none of them `any`) of which at least one holds — `field` names the first one's."""

    field: str
    op: FilterOp
    value: Any = None
    low: Any = None
    high: Any = None


@dataclass(frozen=True)
class SelectSpec:
    """A query: projection, conjunctive filters, order, limit and a keyset cursor.

    `order_by` holds (column, descending) pairs; `after` the values of the order columns
    in the last row of the previous page (keyset paging: order by a key for exact pages).
    """

    table: str
    columns: Sequence[str]
    filters: Sequence[Filter] = ()
    order_by: Sequence[tuple[str, bool]] = ()
    limit: int | None = None
    after: Sequence[Any] | None = None
    offset: int = 0  # rows skipped before the first (OFFSET: costs a scan; prefer `after`)


@dataclass(frozen=True)
class HealthReport:
    """A probe of the source: whether it answered, how fast, and a bilingual message."""

    ok: bool
    latency_ms: float
    message: str


@runtime_checkable
class Connector(Protocol):
    """One source; safe to share between threads (connections are pooled per source)."""

    config: SourceConfig

    def health(self) -> HealthReport:
        """Probe the source; never raises for a source that is down."""
        ...

    def tables(self) -> list[str]:
        """The tables (or views, sheets, files, endpoints) the source offers."""
        ...

    def columns(self, table: str) -> list[ColumnInfo]:
        """The columns of a table with normalised types; UnknownTable when it is gone."""
        ...

    def select(
        self, spec: SelectSpec, *, timeout_s: float = 10.0, batch_size: int = 5000
    ) -> Iterator[Sequence[tuple[Any, ...]]]:
        """Batches of rows in `spec.columns` order, streamed.

        Validation, the connection and the first batch happen before this returns, so a bad
        filter, a schema change, a source that is down or too slow raise here, not half-way
        through a response; `timeout_s` bounds the wait for each batch.
        """
        ...

    def count(self, spec: SelectSpec, *, timeout_s: float = 10.0) -> int:
        """How many rows match `spec.filters` (its order, limit and cursor are ignored)."""
        ...

    def lookup(
        self,
        table: str,
        columns: Sequence[str],
        key: str,
        value: Any,
        *,
        timeout_s: float = 2.0,
    ) -> list[tuple[Any, ...]]:
        """Rows whose `key` equals `value`: the point-lookup fast path."""
        ...

    def close(self) -> None:
        """Release pooled connections; the connector must not be used afterwards."""
        ...
