"""CSV and Parquet files, read in place by DuckDB with the query pushed into its scan.

Each file is one table, named after the file (or the `table` option). A query becomes one
parameterised DuckDB statement over `read_csv`/`read_parquet`: the path, the reader's
options and every value are parameters, and names are quoted identifiers taken from the
file's own description. DuckDB prunes columns and row groups, and sorts out of Python's heap.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Generator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb

from zhuyun.exchange.connectors.base import (
    ColumnInfo,
    DataType,
    HealthReport,
    SelectSpec,
    SourceConfig,
    SourceKind,
)
from zhuyun.exchange.connectors.checks import (
    CheckedFilter,
    CheckedSpec,
    check_options,
    check_run_args,
    check_spec,
)
from zhuyun.exchange.connectors.errors import (
    BadSourceConfig,
    SourceTimeout,
    SourceUnavailable,
    UnknownTable,
)
from zhuyun.exchange.connectors.health import probe
from zhuyun.exchange.connectors.stream import Batch, RowStream, lookup_by_select, prime
from zhuyun.exchange.connectors.watchdog import DeadlineExpired, interrupting_duckdb

__all__ = ["FileConnector", "duckdb_data_type", "key_names", "quote_identifier"]

_COMMON_OPTIONS: dict[str, type | tuple[type, ...]] = {
    "table": str,
    "key": (str, list, tuple),
}
_CSV_OPTIONS: dict[str, type | tuple[type, ...]] = {
    **_COMMON_OPTIONS,
    "delimiter": str,
    "header": bool,
    "quote": str,
    "encoding": str,
    "all_varchar": bool,
    "types": Mapping,
}
_ENCODINGS = ("utf-8", "utf-16", "latin-1")
_TYPE_NAMES = {
    DataType.STRING: "VARCHAR",
    DataType.INTEGER: "BIGINT",
    DataType.DECIMAL: "DOUBLE",
    DataType.BOOLEAN: "BOOLEAN",
    DataType.DATE: "DATE",
    DataType.DATETIME: "TIMESTAMP",
    DataType.BINARY: "BLOB",
}
_DUCKDB_TYPES: list[tuple[re.Pattern[str], DataType]] = [
    (re.compile(r"BOOLEAN"), DataType.BOOLEAN),
    (re.compile(r"U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)"), DataType.INTEGER),
    (re.compile(r"FLOAT|DOUBLE|DECIMAL.*"), DataType.DECIMAL),
    (re.compile(r"DATE"), DataType.DATE),
    (re.compile(r"TIMESTAMP.*"), DataType.DATETIME),
    (re.compile(r"BLOB"), DataType.BINARY),
]


def duckdb_data_type(native: str) -> DataType:
    """The catalog's type for a DuckDB column type (lists, structs and the rest are text)."""
    for pattern, data_type in _DUCKDB_TYPES:
        if pattern.fullmatch(native.upper()):
            return data_type
    return DataType.STRING


def key_names(options: Mapping[str, Any]) -> frozenset[str]:
    """The `key` option, one name or a list: files and APIs declare their keys."""
    key = options.get("key", ())
    return frozenset([key] if isinstance(key, str) else [str(name) for name in key])


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class _Described:
    stamp: tuple[int, int]
    columns: list[ColumnInfo]


class _Sql:
    """A statement under construction: text parts and their named parameters."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = dict(params)

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"

    def condition(self, checked: CheckedFilter) -> str:
        if checked.op == "any":
            return "(" + " OR ".join(f"({self.condition(sub)})" for sub in checked.values) + ")"
        column = quote_identifier(checked.column.name)
        if checked.op == "eq":
            return f"{column} = {self.bind(checked.value)}"
        if checked.op == "in":
            if not checked.values:
                return "FALSE"
            return f"{column} IN ({', '.join(self.bind(v) for v in checked.values)})"
        if checked.op == "prefix":
            return f"starts_with({column}, {self.bind(checked.value)})"
        if checked.op == "contains":
            return f"contains({column}, {self.bind(checked.value)})"
        if checked.op == "is_null":
            return f"{column} IS {'' if checked.value else 'NOT '}NULL"
        bounds = []
        if checked.low is not None:
            bounds.append(f"{column} >= {self.bind(checked.low)}")
        if checked.high is not None:
            bounds.append(f"{column} <= {self.bind(checked.high)}")
        return " AND ".join(bounds)

    def keyset(self, names: Sequence[str], after: Sequence[Any], descending: bool) -> str:
        """(a, b) > (x, y) spelt out: a > x OR (a = x AND b > y)."""
        sign = "<" if descending else ">"
        alternatives = []
        for depth, name in enumerate(names):
            equal = [
                f"{quote_identifier(n)} = {self.bind(v)}"
                for n, v in zip(names[:depth], after[:depth], strict=True)
            ]
            greater = f"{quote_identifier(name)} {sign} {self.bind(after[depth])}"
            alternatives.append("(" + " AND ".join([*equal, greater]) + ")")
        return "(" + " OR ".join(alternatives) + ")"


class FileConnector:
    """A CSV or Parquet file; one in-memory DuckDB per connector, one cursor per query."""

    def __init__(self, config: SourceConfig) -> None:
        allowed = _CSV_OPTIONS if config.kind is SourceKind.CSV else _COMMON_OPTIONS
        options = check_options(config.options, allowed, config.kind.value)
        self.config = config
        self._label = config.label
        self._path = Path(config.location).expanduser()
        self._table = options.get("table") or self._path.stem
        self._keys = key_names(options)
        self._reader, self._reader_params = self._reader_call(config.kind, options)
        self._db = duckdb.connect(":memory:")
        self._lock = threading.Lock()
        self._described: _Described | None = None

    def __repr__(self) -> str:
        return f"<FileConnector {self._label}>"

    @staticmethod
    def _reader_call(kind: SourceKind, options: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        if kind is SourceKind.PARQUET:
            return "read_parquet($path)", {}
        params: dict[str, Any] = {}
        named = []
        for option, argument in (
            ("delimiter", "delim"),
            ("header", "header"),
            ("quote", "quote"),
            ("encoding", "encoding"),
            ("all_varchar", "all_varchar"),
        ):
            if option in options:
                params[argument] = options[option]
                named.append(f"{argument} = ${argument}")
        if "encoding" in options and str(options["encoding"]).lower() not in _ENCODINGS:
            raise BadSourceConfig(
                f"CSV files must be in one of {', '.join(_ENCODINGS)}.",
                f"CSV 文件的编码须为 {'、'.join(_ENCODINGS)} 之一。",
            )
        if "types" in options:
            try:
                params["types"] = {
                    str(name): _TYPE_NAMES[DataType(value)]
                    for name, value in options["types"].items()
                }
            except ValueError:
                raise BadSourceConfig(
                    "The types option maps column names to catalog types (string, integer, …).",
                    "types 选项须将字段名映射到目录类型（string、integer 等）。",
                ) from None
            named.append("types = $types")
        return f"read_csv({', '.join(['$path', *named])})", params

    # -- plumbing ---------------------------------------------------------------------------

    def _stamp(self) -> tuple[int, int]:
        try:
            stat = os.stat(self._path)
        except OSError:
            raise SourceUnavailable(self._label, "the file does not exist", "文件不存在") from None
        if not self._path.is_file():
            raise SourceUnavailable(self._label, "not a file", "不是文件")
        return (stat.st_mtime_ns, stat.st_size)

    @contextmanager
    def _errors(self, timeout_s: float, spec: SelectSpec | None = None) -> Iterator[None]:
        try:
            yield
        except DeadlineExpired:
            raise SourceTimeout(self._label, timeout_s) from None
        except duckdb.BinderException:
            if spec is not None:  # the file changed under the query: name what is gone
                self._described = None
                self._checked(spec)
            raise SourceUnavailable(self._label, "the file cannot be read as described") from None
        except duckdb.InterruptException:
            raise SourceTimeout(self._label, timeout_s) from None
        except duckdb.Error as exc:
            reason = (
                str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
            )
            raise SourceUnavailable(self._label, reason) from None

    def _params(self) -> dict[str, Any]:
        return {"path": str(self._path), **self._reader_params}

    def _columns(self, table: str) -> list[ColumnInfo]:
        if table != self._table:
            raise UnknownTable(self._label, str(table)[:80])
        stamp = self._stamp()
        described = self._described
        if described is not None and described.stamp == stamp:
            return described.columns
        with self._errors(10.0):
            rows = (
                self._db.cursor()
                .execute(f"DESCRIBE SELECT * FROM {self._reader}", self._params())
                .fetchall()
            )
        columns = [
            ColumnInfo(
                name=name,
                data_type=duckdb_data_type(native),
                native_type=native,
                nullable=name not in self._keys,
                is_key=name in self._keys,
                indexed=False,
            )
            for name, native, *_ in rows
        ]
        self._described = _Described(stamp, columns)
        return columns

    def _checked(self, spec: SelectSpec) -> CheckedSpec:
        return check_spec(spec, self._columns(spec.table), self._label)

    def _statement(self, checked: CheckedSpec) -> tuple[str, dict[str, Any]]:
        sql = _Sql(self._params())
        projection = ", ".join(quote_identifier(c.name) for c in checked.columns)
        conditions = [sql.condition(f) for f in checked.filters]
        names = [c.name for c in checked.order_by]
        if names and checked.after is not None:
            conditions.append(sql.keyset(names, checked.after, checked.descending))
        text = f"SELECT {projection} FROM {self._reader}"
        if conditions:
            text += " WHERE " + " AND ".join(conditions)
        if names:
            direction = "DESC NULLS LAST" if checked.descending else "ASC NULLS FIRST"
            text += " ORDER BY " + ", ".join(f"{quote_identifier(n)} {direction}" for n in names)
        if checked.limit is not None:
            text += f" LIMIT {sql.bind(checked.limit)}"
        if checked.offset:
            text += f" OFFSET {sql.bind(checked.offset)}"
        return text, sql.params

    # -- the contract ---------------------------------------------------------------------

    def health(self) -> HealthReport:
        def ping() -> str:
            self._columns(self._table)
            return self._path.name

        return probe(ping)

    def tables(self) -> list[str]:
        self._stamp()
        return [self._table]

    def columns(self, table: str) -> list[ColumnInfo]:
        return list(self._columns(table))

    def select(
        self, spec: SelectSpec, *, timeout_s: float = 10.0, batch_size: int = 5000
    ) -> RowStream:
        check_run_args(timeout_s, batch_size)
        checked = self._checked(spec)
        text, params = self._statement(checked)
        return prime(self._stream(spec, text, params, timeout_s, batch_size))

    def _stream(
        self, spec: SelectSpec, text: str, params: dict[str, Any], timeout_s: float, batch_size: int
    ) -> Generator[Batch, None, None]:
        cursor = self._db.cursor()
        try:
            with self._errors(timeout_s, spec):
                with interrupting_duckdb(cursor, timeout_s):
                    cursor.execute(text, params)
                while True:
                    with interrupting_duckdb(cursor, timeout_s):
                        rows = cursor.fetchmany(batch_size)
                    if not rows:
                        return
                    yield rows
        finally:
            cursor.close()

    def count(self, spec: SelectSpec, *, timeout_s: float = 10.0) -> int:
        check_run_args(timeout_s, 1)
        checked = self._checked(replace(spec, order_by=(), limit=None, after=None, offset=0))
        text, params = self._statement(checked)
        cursor = self._db.cursor()
        try:
            with self._errors(timeout_s, spec), interrupting_duckdb(cursor, timeout_s):
                row = cursor.execute(f"SELECT count(*) FROM ({text})", params).fetchone()
        finally:
            cursor.close()
        return int(row[0]) if row else 0

    def lookup(
        self,
        table: str,
        columns: Sequence[str],
        key: str,
        value: Any,
        *,
        timeout_s: float = 2.0,
        limit: int | None = 1000,
    ) -> list[tuple[Any, ...]]:
        """A file has no index: a lookup is a filtered scan, still pushed into DuckDB."""
        return lookup_by_select(self, table, columns, key, value, timeout_s, limit)

    def close(self) -> None:
        self._db.close()
