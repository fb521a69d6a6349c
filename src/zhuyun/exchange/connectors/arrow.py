"""Arrow-native reads of SQL sources for bulk exports: DuckDB's scanner attaches the
department's database (read-only) and answers the same select as `SqlConnector.select` —
projection, filters, order, limit and keyset cursor — as pyarrow RecordBatches, so no value
of an export passes through Python.

The query is one DuckDB statement: names are quoted identifiers of the columns the source
described, every value is a bound parameter. DuckDB pushes the projection and the filters
into the scan of the source. It is used only where DuckDB is known to answer exactly as the
source would: filters on text by whole value or prefix (no collation-dependent ranges),
order by non-text columns (text order follows the source's collation), column types that
map one to one. Anything else returns None and the caller keeps the row path.

The scanner extensions come from the `duckdb-extension-*` wheels (offline); DuckDB loads the
wheel's file only under the extension's canonical name, so it is linked under that name in
a private folder once per process.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from zhuyun.exchange.connectors.base import ColumnInfo, DataType, SourceKind
from zhuyun.exchange.connectors.checks import CheckedSpec
from zhuyun.exchange.connectors.files import _Sql, quote_identifier
from zhuyun.exchange.connectors.stream import PrimedStream, prime
from zhuyun.exchange.connectors.watchdog import interrupting_duckdb

log = logging.getLogger("zhuyun.exchange.connectors")

__all__ = ["ArrowStream", "DuckScanner", "arrow_supported"]

# kind → (wheel module, file in the wheel, canonical name DuckDB loads it by, ATTACH type)
_EXTENSIONS: dict[SourceKind, tuple[str, str, str, str]] = {
    SourceKind.POSTGRESQL: (
        "duckdb_extension_postgres",
        "postgres.duckdb_extension",
        "postgres_scanner.duckdb_extension",
        "postgres",
    ),
}
_TEXT_OPS = frozenset({"eq", "in", "prefix", "is_null", "contains"})
# PostgreSQL's native types (as SQLAlchemy compiles them) that DuckDB reads exactly
_NATIVE = {
    DataType.STRING: re.compile(r"VARCHAR(\(\d+\))?|TEXT"),
    DataType.INTEGER: re.compile(r"SMALLINT|INTEGER|BIGINT"),
    DataType.DATE: re.compile(r"DATE"),
    DataType.BOOLEAN: re.compile(r"BOOLEAN"),
}
_NUMERIC = re.compile(r"NUMERIC\((\d+), *\d+\)")
_MAX_DECIMAL_PRECISION = 38
MEMORY_LIMIT = "128MB"
_folder_lock = threading.Lock()
_folder: Path | None = None


def _private_folder() -> Path:
    global _folder
    with _folder_lock:
        if _folder is None:
            _folder = Path(tempfile.mkdtemp(prefix="zhuyun-duckdb-"))
        return _folder


def _extension(kind: SourceKind) -> Path:
    """The scanner's file under its canonical name, linked once per process."""
    module_name, shipped, canonical, _ = _EXTENSIONS[kind]
    folder = _private_folder()
    with _folder_lock:
        target = folder / canonical
        if not target.exists():
            module = __import__(module_name)
            found = next((Path(str(module.__file__)).parent / "extensions").rglob(shipped))
            try:
                target.symlink_to(found)
            except OSError:
                shutil.copy(found, target)
        return target


def _exact(column: ColumnInfo) -> bool:
    """Whether DuckDB reads the column to the values the row path gives: plain text (not
    CHAR's padding, JSON, UUID…), integers, NUMERIC with a precision DuckDB keeps (not
    floats: their text differs), dates and booleans."""
    native = column.native_type.upper()
    if column.data_type is DataType.DECIMAL:
        match = _NUMERIC.fullmatch(native)
        return match is not None and int(match.group(1)) <= _MAX_DECIMAL_PRECISION
    pattern = _NATIVE.get(column.data_type)
    return pattern is not None and pattern.fullmatch(native) is not None


def arrow_supported(kind: SourceKind, checked: CheckedSpec) -> bool:
    """Whether DuckDB answers this query exactly as the source would."""
    if kind not in _EXTENSIONS:
        return False
    columns = [*checked.columns, *(f.column for f in checked.filters), *checked.order_by]
    if not all(_exact(column) for column in columns):
        return False
    for condition in checked.filters:
        if condition.op == "any":
            return False  # rare in exports: the row path answers
        if condition.column.data_type is DataType.STRING and condition.op not in _TEXT_OPS:
            return False
    return all(
        column.data_type not in (DataType.STRING, DataType.BOOLEAN) for column in checked.order_by
    )


def _conninfo_value(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


ArrowStream = PrimedStream[pa.RecordBatch]


def prime_arrow(batches: Generator[pa.RecordBatch, None, None]) -> ArrowStream:
    """Run to the first batch now, so connecting and the first wait fail here."""
    return prime(batches)


class DuckScanner:
    """One in-memory DuckDB with the source attached read-only, opened on first use."""

    def __init__(
        self,
        kind: SourceKind,
        conninfo: Callable[[], dict[str, Any]],
        schema: str | None,
    ) -> None:
        self._kind = kind
        self._conninfo = conninfo
        self._schema = schema or "public"
        self._lock = threading.Lock()
        self._db: duckdb.DuckDBPyConnection | None = None
        self._attached: set[str] = set()

    def _connection(self, timeout_s: float) -> tuple[duckdb.DuckDBPyConnection, str]:
        """The DuckDB and the name the source is attached under for this timeout: every
        statement the scanner sends to PostgreSQL is bounded by it (`statement_timeout`),
        as the row path bounds each FETCH, since DuckDB's interrupt does not cancel a
        statement the server is still working on."""
        millis = max(1, round(timeout_s * 1000))
        alias = f"src_{millis}"
        with self._lock:
            if self._db is None:
                db = duckdb.connect(
                    ":memory:",
                    config={
                        "autoinstall_known_extensions": False,
                        # the sort of an export spills to disk past this, per source
                        "memory_limit": MEMORY_LIMIT,
                        "temp_directory": str(_private_folder() / "spill"),
                    },
                )
                try:
                    db.execute(f"LOAD {_sql_literal(str(_extension(self._kind)))}")
                except BaseException:
                    db.close()
                    raise
                self._db = db
                self._attached = set()
            if alias not in self._attached:
                conninfo = self._conninfo()
                conninfo["options"] = (
                    f"{conninfo.get('options', '')} -c statement_timeout={millis}".strip()
                )
                parts = " ".join(
                    f"{key}={_conninfo_value(str(value))}"
                    for key, value in conninfo.items()
                    if value is not None
                )
                attach_type = _EXTENSIONS[self._kind][3]
                self._db.execute(
                    f"ATTACH {_sql_literal(parts)} AS {alias} (TYPE {attach_type}, READ_ONLY)"
                )
                self._attached.add(alias)
            return self._db, alias

    def statement(self, checked: CheckedSpec, alias: str = "src") -> tuple[str, dict[str, Any]]:
        sql = _Sql({})
        projection = ", ".join(quote_identifier(c.name) for c in checked.columns)
        table = f"{alias}.{quote_identifier(self._schema)}.{quote_identifier(checked.table)}"
        conditions = [sql.condition(f) for f in checked.filters]
        names = [c.name for c in checked.order_by]
        if names and checked.after is not None:
            conditions.append(sql.keyset(names, checked.after, checked.descending))
        text = f"SELECT {projection} FROM {table}"
        if conditions:
            text += " WHERE " + " AND ".join(conditions)
        if names:
            # As PostgreSQL orders: NULL is the largest value. NULLS FIRST is spelt as an
            # `IS NULL` key: DuckDB 1.5.5's top-N with NULLS FIRST over the postgres scanner
            # pushes a filter that loses every row.
            keys = []
            for name in names:
                column = quote_identifier(name)
                if checked.descending:
                    keys += [f"({column} IS NULL) DESC", f"{column} DESC NULLS LAST"]
                else:
                    keys.append(f"{column} ASC NULLS LAST")
            text += " ORDER BY " + ", ".join(keys)
        if checked.limit is not None:
            text += f" LIMIT {sql.bind(checked.limit)}"
        if checked.offset:
            text += f" OFFSET {sql.bind(checked.offset)}"
        return text, sql.params

    def stream(
        self, checked: CheckedSpec, timeout_s: float, batch_size: int
    ) -> Generator[pa.RecordBatch, None, None]:
        db, alias = self._connection(timeout_s)
        text, params = self.statement(checked, alias)
        cursor = db.cursor()
        try:
            with interrupting_duckdb(cursor, timeout_s):
                reader = cursor.execute(text, params).to_arrow_reader(batch_size)
            while True:
                with interrupting_duckdb(cursor, timeout_s):
                    try:
                        batch = reader.read_next_batch()
                    except StopIteration:
                        return
                if batch.num_rows:
                    yield batch
        finally:
            cursor.close()

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
