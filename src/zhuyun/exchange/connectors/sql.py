"""SQL sources — SQLite, PostgreSQL, MySQL/MariaDB — through one SQLAlchemy Core implementation.

Tables are reflected (and the reflection cached briefly), every name in a query is resolved
to a reflected `Column` object and every value becomes a bound parameter, so nothing the
caller sends is ever spliced into SQL. Rows stream through server-side cursors; the
backend-specific parts (timeouts, read-only sessions, error codes) live in `sql_backends`.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import (
    Column,
    ColumnElement,
    MetaData,
    Select,
    Table,
    UniqueConstraint,
    and_,
    bindparam,
    func,
    inspect,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy import types as sa_types
from sqlalchemy.engine import URL, make_url

from zhuyun.exchange.connectors.arrow import ArrowStream, DuckScanner, arrow_supported, prime_arrow
from zhuyun.exchange.connectors.base import (
    ColumnInfo,
    DataType,
    Filter,
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
    coerce,
)
from zhuyun.exchange.connectors.errors import (
    BadSourceConfig,
    SourceTimeout,
    SourceUnavailable,
    UnknownColumn,
    UnknownTable,
)
from zhuyun.exchange.connectors.health import probe
from zhuyun.exchange.connectors.sql_backends import BACKENDS
from zhuyun.exchange.connectors.stream import Batch, RowStream, prime
from zhuyun.exchange.connectors.watchdog import DeadlineExpired

log = logging.getLogger("zhuyun.exchange.connectors")

__all__ = ["SqlConnector", "data_type_of"]

_OPTIONS: dict[str, type | tuple[type, ...]] = {
    "schema": str,
    "pool_size": int,
    "connect_timeout_s": (int, float),
    "schema_ttl_s": (int, float),
}
_BACKEND_NAMES = {
    SourceKind.SQLITE: ("sqlite",),
    SourceKind.POSTGRESQL: ("postgresql",),
    SourceKind.MYSQL: ("mysql", "mariadb"),
}
# A reflection younger than this is trusted even when a name is missing from it.
_RECHECK_AFTER_S = 1.0


def data_type_of(sa_type: sa_types.TypeEngine[Any]) -> DataType:
    """The catalog's type for a reflected SQL type (the order matters: Boolean is an int)."""
    checks: list[tuple[type[Any] | tuple[type[Any], ...], DataType]] = [
        (sa_types.Boolean, DataType.BOOLEAN),
        (sa_types.Integer, DataType.INTEGER),
        (sa_types.Numeric, DataType.DECIMAL),
        (sa_types.DateTime, DataType.DATETIME),
        (sa_types.Date, DataType.DATE),
        (sa_types._Binary, DataType.BINARY),
    ]
    for kind, data_type in checks:
        if isinstance(sa_type, kind):
            return data_type
    return DataType.STRING


def _source_url(config: SourceConfig) -> URL:
    """The location as a URL with the secret set in it, refusing a password in the location."""
    try:
        url = make_url(config.location)
    except (sa_exc.ArgumentError, ValueError):
        raise BadSourceConfig(
            f"The location of a {config.kind.value} source must be a database URL.",
            f"{config.kind.value} 数据源的位置须为数据库 URL。",
        ) from None
    if url.get_backend_name() not in _BACKEND_NAMES[config.kind]:
        raise BadSourceConfig(
            f"The location is not a {config.kind.value} URL.",
            f"数据源位置不是 {config.kind.value} URL。",
        )
    if url.password is not None:
        raise BadSourceConfig(
            "The location must not contain a password; give it as the source's secret.",
            "数据源位置中不能包含密码，请将密码作为凭据单独提供（加密保存）。",
        )
    if config.kind is SourceKind.SQLITE and url.database in (None, "", ":memory:"):
        raise BadSourceConfig("A SQLite source needs a file path.", "SQLite 数据源须指定文件路径。")
    backend = BACKENDS[config.kind]()
    if url.get_driver_name() not in backend.drivers:
        url = url.set(drivername=f"{url.get_backend_name()}+{backend.default_driver}")
    if config.secret is not None:
        url = url.set(password=config.secret)
    return url


class _NoArrowPath(Exception):
    """The scanner cannot answer this query where the row path can."""


@dataclass(frozen=True)
class _Reflected:
    table: Table
    columns: list[ColumnInfo]
    at: float


class SqlConnector:
    """A connector for one SQL source; its engine pools connections for concurrent callers."""

    def __init__(self, config: SourceConfig) -> None:
        options = check_options(config.options, _OPTIONS, config.kind.value)
        self.config = config
        self._label = config.label
        self._schema: str | None = options.get("schema")
        self._ttl = float(options.get("schema_ttl_s", 60.0))
        self._connect_timeout = float(options.get("connect_timeout_s", 5.0))
        self._backend = BACKENDS[config.kind]()
        self._url = _source_url(config)
        self._engine = self._backend.engine(
            self._url, self._connect_timeout, int(options.get("pool_size", 5))
        )
        self._lock = threading.Lock()
        self._reflected: dict[str, _Reflected] = {}
        self._lookups: dict[
            tuple[str, tuple[str, ...], str, int | None], tuple[Select[Any], ColumnInfo]
        ] = {}
        self._scanner = DuckScanner(config.kind, self._conninfo, self._schema)

    def __repr__(self) -> str:
        return f"<SqlConnector {self._label}>"

    # -- errors ---------------------------------------------------------------------------

    def _reason(self, exc: BaseException) -> str:
        """The driver's first line, without the secret should a driver ever echo it."""
        orig = getattr(exc, "orig", None) or exc
        reason = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
        secret = self.config.secret
        if secret:
            reason = reason.replace(secret, "***")
        return reason[:300]

    @contextmanager
    def _errors(self, spec: SelectSpec | None, timeout_s: float) -> Iterator[None]:
        """Translate driver failures into the connector's problems (never chained: a chained
        driver exception could carry statement parameters into a log)."""
        try:
            yield
        except DeadlineExpired:
            raise SourceTimeout(self._label, timeout_s) from None
        except sa_exc.TimeoutError:
            raise SourceUnavailable(
                self._label, "every pooled connection is busy", "所有连接均在使用中"
            ) from None
        except sa_exc.DBAPIError as exc:
            if self._backend.is_timeout(exc):
                raise SourceTimeout(self._label, timeout_s) from None
            if self._backend.is_missing(exc) and spec is not None:
                self._forget(spec.table)
                self._checked(spec)  # raises UnknownTable / UnknownColumn when it is gone
            reason = self._reason(exc)
            log.warning("source %s failed: %s", self._label, reason)
            raise SourceUnavailable(self._label, reason) from None

    # -- introspection --------------------------------------------------------------------

    def _forget(self, table: str) -> None:
        with self._lock:
            self._reflected.pop(table, None)
            for key in [key for key in self._lookups if key[0] == table]:
                del self._lookups[key]

    def _reflect(self, name: str) -> _Reflected:
        if not isinstance(name, str) or not name or "\x00" in name or len(name) > 255:
            raise UnknownTable(self._label, str(name)[:80])
        with self._errors(None, self._connect_timeout), self._engine.connect() as conn:
            try:
                table = Table(name, MetaData(), schema=self._schema, autoload_with=conn)
            except sa_exc.NoSuchTableError:
                raise UnknownTable(self._label, name) from None
        return _Reflected(table, self._describe(table), time.monotonic())

    def _describe(self, table: Table) -> list[ColumnInfo]:
        keys = {column.name for column in table.primary_key.columns}
        leading = set(keys)
        for index in table.indexes:
            names = [column.name for column in index.columns]
            leading.update(names[:1])
            if index.unique and len(names) == 1:
                keys.update(names)
        for constraint in table.constraints:
            if isinstance(constraint, UniqueConstraint):
                names = [column.name for column in constraint.columns]
                leading.update(names[:1])
                if len(names) == 1:
                    keys.update(names)
        return [
            ColumnInfo(
                name=column.name,
                data_type=data_type_of(column.type),
                native_type=self._native(column),
                nullable=bool(column.nullable) and column.name not in table.primary_key.columns,
                is_key=column.name in keys,
                indexed=column.name in leading,
            )
            for column in table.columns
        ]

    def _native(self, column: Column[Any]) -> str:
        try:
            return str(column.type.compile(dialect=self._engine.dialect))
        except Exception:  # NullType and dialect-specific types without a DDL form
            return type(column.type).__name__.upper()

    def _table(self, name: str, *, refresh: bool = False) -> _Reflected:
        with self._lock:
            cached = self._reflected.get(name)
        if cached is not None and not refresh and time.monotonic() - cached.at < self._ttl:
            return cached
        reflected = self._reflect(name)
        with self._lock:
            self._reflected[name] = reflected
        return reflected

    def _checked(self, spec: SelectSpec) -> tuple[CheckedSpec, Table]:
        """Check against the cached reflection, and against a fresh one before saying a name
        is missing (the table may have gained the column since)."""
        reflected = self._table(spec.table)
        try:
            return check_spec(spec, reflected.columns, self._label), reflected.table
        except UnknownColumn:
            if time.monotonic() - reflected.at < _RECHECK_AFTER_S:
                raise
        self._forget(spec.table)
        reflected = self._table(spec.table, refresh=True)
        return check_spec(spec, reflected.columns, self._label), reflected.table

    # -- the contract ---------------------------------------------------------------------

    def health(self) -> HealthReport:
        def ping() -> str:
            with self._errors(None, self._connect_timeout), self._engine.connect() as conn:
                conn.execute(text("SELECT 1"))
                version = conn.dialect.server_version_info
            return ".".join(str(part) for part in version or ())

        return probe(ping)

    def tables(self) -> list[str]:
        with self._errors(None, self._connect_timeout), self._engine.connect() as conn:
            inspector = inspect(conn)
            names = inspector.get_table_names(self._schema) + inspector.get_view_names(self._schema)
        return sorted(set(names))

    def columns(self, table: str) -> list[ColumnInfo]:
        return list(self._table(table, refresh=True).columns)

    def select(
        self, spec: SelectSpec, *, timeout_s: float = 10.0, batch_size: int = 5000
    ) -> RowStream:
        check_run_args(timeout_s, batch_size)
        checked, table = self._checked(spec)
        statement = _statement(checked, table)
        return prime(self._stream(spec, statement, timeout_s, batch_size))

    def select_arrow(
        self, spec: SelectSpec, *, timeout_s: float = 10.0, batch_size: int = 65536
    ) -> ArrowStream | None:
        """The same select as `select`, as pyarrow RecordBatches read by DuckDB's scanner of
        the source; None when this source or query has no exact Arrow path (then use
        `select`). Columns come in `spec.columns` order with DuckDB's types for them."""
        check_run_args(timeout_s, batch_size)
        checked, _ = self._checked(spec)
        if not arrow_supported(self.config.kind, checked):
            return None
        try:
            return prime_arrow(self._arrow_stream(spec, checked, timeout_s, batch_size))
        except _NoArrowPath:
            return None

    def _arrow_stream(
        self, spec: SelectSpec, checked: CheckedSpec, timeout_s: float, batch_size: int
    ) -> Generator[pa.RecordBatch, None, None]:
        try:
            yield from self._scanner.stream(checked, timeout_s, batch_size)
        except DeadlineExpired:
            raise SourceTimeout(self._label, timeout_s) from None
        except duckdb.CatalogException:
            self._forget(spec.table)
            self._checked(spec)  # raises UnknownTable / UnknownColumn when it is gone
            # DuckDB does not see the table where SQLAlchemy does (e.g. a search_path
            # other than public): the row path answers instead
            raise _NoArrowPath from None
        except duckdb.Error as exc:
            if "statement timeout" in str(exc):  # PostgreSQL cancelled it (57014)
                raise SourceTimeout(self._label, timeout_s) from None
            reason = self._reason(exc)
            log.warning("source %s failed: %s", self._label, reason)
            raise SourceUnavailable(self._label, reason) from None

    def _conninfo(self) -> dict[str, Any]:
        """libpq's connection parameters for DuckDB's scanner: the same server, account and
        read-only session as the engine's."""
        url = self._url
        return {
            **{key: value for key, value in url.query.items() if isinstance(value, str)},
            "host": url.host,
            "port": url.port,
            "user": url.username,
            "password": url.password,
            "dbname": url.database,
            "connect_timeout": max(2, math.ceil(self._connect_timeout)),
            "application_name": "zhuyun-exchange",
            "options": "-c default_transaction_read_only=on",
        }

    def _stream(
        self, spec: SelectSpec, statement: Select[Any], timeout_s: float, batch_size: int
    ) -> Generator[Batch, None, None]:
        backend = self._backend
        statement = statement.execution_options(stream_results=True, yield_per=batch_size)
        with self._errors(spec, timeout_s), self._engine.connect() as conn:
            if backend.stream_isolation:
                conn.execution_options(isolation_level=backend.stream_isolation)
            with conn.begin():
                backend.begin_stream(conn, timeout_s)
                with backend.guard(conn, timeout_s):
                    result = conn.execute(statement)
                finished = False
                try:
                    while not finished:
                        with backend.guard(conn, timeout_s):
                            rows = result.fetchmany(batch_size)
                        finished = not rows
                        if rows:
                            yield [tuple(row) for row in rows]
                finally:
                    if finished:
                        result.close()
                    else:
                        backend.abandon(conn, result)

    def count(self, spec: SelectSpec, *, timeout_s: float = 10.0) -> int:
        check_run_args(timeout_s, 1)
        checked, table = self._checked(replace(spec, order_by=(), limit=None, after=None))
        matching = _statement(replace(checked, offset=0), table).subquery()
        statement = select(func.count()).select_from(matching)
        with (
            self._errors(spec, timeout_s),
            self._engine.connect() as conn,
            self._backend.lookup_scope(conn, timeout_s),
        ):
            return int(conn.execute(statement).scalar_one())

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
        """Rows whose `key` equals `value`, at most `limit` (the fast path is for keys)."""
        check_run_args(timeout_s, 1)
        spec = SelectSpec(table, list(columns), (Filter(key, "eq", value),), limit=limit)
        statement, key_column = self._lookup_statement(spec, key)
        parameters = {"key": coerce(value, key_column)}
        with self._errors(spec, timeout_s):
            for attempt in (1, 2):
                try:
                    with (
                        self._engine.connect() as conn,
                        self._backend.lookup_scope(conn, timeout_s),
                    ):
                        return [tuple(row) for row in conn.execute(statement, parameters)]
                except sa_exc.DBAPIError as exc:
                    # A pooled connection the server has since closed: one fresh try.
                    if not (exc.connection_invalidated and attempt == 1):
                        raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _lookup_statement(self, spec: SelectSpec, key: str) -> tuple[Select[Any], ColumnInfo]:
        """One statement per (table, columns, key, limit), built and compiled once."""
        cache_key = (spec.table, tuple(spec.columns), key, spec.limit)
        with self._lock:
            cached = self._lookups.get(cache_key)
        if cached is not None:
            return cached
        checked, table = self._checked(SelectSpec(spec.table, spec.columns, (), (), spec.limit))
        key_column = check_spec(
            SelectSpec(spec.table, [key]), self._table(spec.table).columns, self._label
        ).columns[0]
        column = table.c[key_column.name]
        statement = select(*(table.c[c.name] for c in checked.columns)).where(
            column == bindparam("key", type_=column.type)
        )
        if checked.limit is not None:
            statement = statement.limit(checked.limit)
        with self._lock:
            self._lookups[cache_key] = (statement, key_column)
        return statement, key_column

    def close(self) -> None:
        self._engine.dispose()
        self._backend.dispose()
        self._scanner.close()


def _condition(table: Table, checked: CheckedFilter) -> ColumnElement[bool]:
    if checked.op == "any":
        return or_(*(_condition(table, sub) for sub in checked.values))
    column: Column[Any] = table.c[checked.column.name]
    if checked.op == "eq":
        return column == checked.value
    if checked.op == "in":
        return column.in_(checked.values)
    if checked.op == "prefix":
        return column.startswith(checked.value, autoescape=True)
    if checked.op == "contains":
        return column.contains(checked.value, autoescape=True)
    if checked.op == "is_null":
        return column.is_(None) if checked.value else column.is_not(None)
    bounds = []
    if checked.low is not None:
        bounds.append(column >= checked.low)
    if checked.high is not None:
        bounds.append(column <= checked.high)
    return and_(*bounds)


def _statement(checked: CheckedSpec, table: Table) -> Select[Any]:
    """`select(columns).where(...).order_by(...).limit(...)` from reflected columns only."""
    statement = select(*(table.c[column.name] for column in checked.columns))
    for checked_filter in checked.filters:
        statement = statement.where(_condition(table, checked_filter))
    keys = [table.c[column.name] for column in checked.order_by]
    if keys and checked.after is not None:
        after = [
            bindparam(None, value, type_=key.type)
            for key, value in zip(keys, checked.after, strict=True)
        ]
        if len(keys) == 1:
            cursor = keys[0] < after[0] if checked.descending else keys[0] > after[0]
        else:
            row, bound = tuple_(*keys), tuple_(*after)
            cursor = row < bound if checked.descending else row > bound
        statement = statement.where(cursor)
    if keys:
        statement = statement.order_by(*(k.desc() if checked.descending else k.asc() for k in keys))
    if checked.limit is not None:
        statement = statement.limit(checked.limit)
    if checked.offset:
        statement = statement.offset(checked.offset)
    return statement
