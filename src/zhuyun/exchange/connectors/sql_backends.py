"""What differs between SQLite, PostgreSQL and MySQL/MariaDB: engines, timeouts, error codes.

Timeouts bound the wait for each batch, not the whole stream, so a long export to a slow
client is not cut off while a query that stalls is:

- PostgreSQL: `statement_timeout`, per session for lookups and `SET LOCAL` (via
  `set_config(..., true)`) for a stream, whose every FETCH is a statement of its own;
- MySQL/MariaDB: `max_statement_time` (MariaDB) / `max_execution_time` (MySQL) per session
  for lookups; a stream runs with no statement limit and a watchdog that sends
  `KILL QUERY` from a second connection when a batch takes too long;
- SQLite: a progress handler that interrupts the statement past its deadline.

Sessions are read-only on every backend: a connector never writes to a department's store.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, CursorResult, Engine, create_engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool, QueuePool

from zhuyun.exchange.connectors.base import SourceKind
from zhuyun.exchange.connectors.watchdog import DeadlineExpired, watchdog

log = logging.getLogger("zhuyun.exchange.connectors")

__all__ = ["BACKENDS", "Backend"]


class Backend:
    """Defaults shared by the server backends; subclasses fill in the dialect's words."""

    drivers: tuple[str, ...] = ()
    default_driver = ""
    timeout_errors: frozenset[Any] = frozenset()
    missing_errors: frozenset[Any] = frozenset()
    # The isolation a stream needs, when the engine's autocommit default will not do.
    stream_isolation: str | None = None

    def engine(self, url: URL, connect_timeout_s: float, pool_size: int) -> Engine:
        raise NotImplementedError

    def error_code(self, exc: DBAPIError) -> Any:
        return None

    def is_timeout(self, exc: DBAPIError) -> bool:
        return self.error_code(exc) in self.timeout_errors

    def is_missing(self, exc: DBAPIError) -> bool:
        return self.error_code(exc) in self.missing_errors

    def session_timeout(self, conn: Connection, timeout_s: float) -> None:
        """Make `timeout_s` the statement limit of this pooled session (cached per session)."""

    @contextmanager
    def lookup_scope(self, conn: Connection, timeout_s: float) -> Iterator[None]:
        """Bound a point lookup: the session's own limit, set only when it changes."""
        self.session_timeout(conn, timeout_s)
        yield

    def begin_stream(self, conn: Connection, timeout_s: float) -> None:
        """Prepare a connection, inside its transaction, to stream one statement."""

    @contextmanager
    def guard(self, conn: Connection, timeout_s: float) -> Iterator[None]:
        """Bound one wait (execute or fetch of a batch) by `timeout_s`."""
        yield

    def abandon(self, conn: Connection, result: CursorResult[Any]) -> None:
        """Release a stream the caller stopped reading before its end."""
        result.close()

    def dispose(self) -> None:
        """Release what the backend holds beside the engine."""


def _pool_args(pool_size: int) -> dict[str, Any]:
    return {
        "pool_size": pool_size,
        "max_overflow": pool_size * 2,
        "pool_timeout": 10,
        "pool_recycle": 1800,
    }


class _Deadline:
    """The current deadline of one SQLite connection, read by its progress handler."""

    __slots__ = ("at",)

    def __init__(self) -> None:
        self.at = math.inf

    def expired(self) -> int:
        return 1 if time.monotonic() > self.at else 0


class SqliteBackend(Backend):
    drivers = ("pysqlite",)
    default_driver = "pysqlite"

    def engine(self, url: URL, connect_timeout_s: float, pool_size: int) -> Engine:
        path = url.database or ""
        target = f"file:{quote(path)}?mode=ro"

        def creator() -> sqlite3.Connection:
            # Read-only, and never created: a missing file is an unavailable source.
            return sqlite3.connect(
                target, uri=True, check_same_thread=False, timeout=connect_timeout_s
            )

        engine = create_engine(
            "sqlite://", creator=creator, poolclass=QueuePool, **_pool_args(pool_size)
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: sqlite3.Connection, record: Any) -> None:
            deadline = _Deadline()
            record.info["deadline"] = deadline
            dbapi_conn.set_progress_handler(deadline.expired, 1000)
            dbapi_conn.execute("PRAGMA case_sensitive_like = ON")

        return engine

    def error_code(self, exc: DBAPIError) -> Any:
        message = str(exc.orig).lower()
        if "interrupted" in message:
            return "interrupted"
        if "no such table" in message or "no such column" in message:
            return "missing"
        return None

    timeout_errors = frozenset({"interrupted"})
    missing_errors = frozenset({"missing"})

    @contextmanager
    def guard(self, conn: Connection, timeout_s: float) -> Iterator[None]:
        deadline: _Deadline = conn.connection.info["deadline"]
        deadline.at = time.monotonic() + timeout_s
        try:
            yield
        finally:
            deadline.at = math.inf

    lookup_scope = guard


class PostgresBackend(Backend):
    drivers = ("psycopg",)
    default_driver = "psycopg"
    timeout_errors = frozenset({"57014"})
    missing_errors = frozenset({"42703", "42P01"})
    stream_isolation = "READ COMMITTED"  # a server-side cursor lives in a transaction

    def engine(self, url: URL, connect_timeout_s: float, pool_size: int) -> Engine:
        return create_engine(
            url,
            isolation_level="AUTOCOMMIT",
            connect_args={
                "connect_timeout": max(2, math.ceil(connect_timeout_s)),
                "application_name": "zhuyun-exchange",
                "options": "-c default_transaction_read_only=on",
            },
            **_pool_args(pool_size),
        )

    def error_code(self, exc: DBAPIError) -> Any:
        return getattr(exc.orig, "sqlstate", None)

    def session_timeout(self, conn: Connection, timeout_s: float) -> None:
        millis = max(1, round(timeout_s * 1000))
        if conn.connection.info.get("timeout_ms") != millis:
            conn.execute(
                text("SELECT set_config('statement_timeout', :v, false)"), {"v": str(millis)}
            )
            conn.connection.info["timeout_ms"] = millis

    def begin_stream(self, conn: Connection, timeout_s: float) -> None:
        millis = max(1, round(timeout_s * 1000))
        conn.execute(text("SELECT set_config('statement_timeout', :v, true)"), {"v": str(millis)})


class MysqlBackend(Backend):
    drivers = ("pymysql",)
    default_driver = "pymysql"
    # MariaDB's statement timeout, MySQL's, and a query killed by the watchdog.
    timeout_errors = frozenset({1969, 3024, 1317})
    missing_errors = frozenset({1054, 1146})

    def __init__(self) -> None:
        self._control: Engine | None = None
        self._lock = threading.Lock()

    def engine(self, url: URL, connect_timeout_s: float, pool_size: int) -> Engine:
        if "charset" not in url.query:
            url = url.update_query_dict({"charset": "utf8mb4"})
        args = {
            "connect_timeout": connect_timeout_s,
            "init_command": "SET SESSION TRANSACTION READ ONLY",
        }
        # Autocommit and read-only: there is never a transaction to roll back when a session
        # goes back to the pool, and PyMySQL would spend a round trip on it every time.
        engine = create_engine(
            url,
            isolation_level="AUTOCOMMIT",
            connect_args=args,
            pool_reset_on_return=None,
            **_pool_args(pool_size),
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, record: Any) -> None:
            record.info["thread_id"] = dbapi_conn.thread_id()
            record.info["mariadb"] = "mariadb" in dbapi_conn.get_server_info().lower()

        # Kills go through a connection of their own: the pool may be exhausted by the very
        # queries that need killing.
        self._make_control = lambda: create_engine(url, poolclass=NullPool, connect_args=args)
        return engine

    def error_code(self, exc: DBAPIError) -> Any:
        args = getattr(exc.orig, "args", ())
        return args[0] if args else None

    def session_timeout(self, conn: Connection, timeout_s: float) -> None:
        info = conn.connection.info
        if info.get("timeout_s") == timeout_s:
            return
        if info["mariadb"]:
            conn.exec_driver_sql("SET SESSION max_statement_time = %s", (float(timeout_s),))
        else:
            conn.exec_driver_sql(
                "SET SESSION max_execution_time = %s", (max(1, round(timeout_s * 1000)),)
            )
        info["timeout_s"] = timeout_s

    def begin_stream(self, conn: Connection, timeout_s: float) -> None:
        # A stream's limit is per batch (the watchdog), not on the whole statement.
        self.session_timeout(conn, 0.0)

    _make_control: Callable[[], Engine]

    def _kill(self, thread_id: int) -> None:
        with self._lock:
            if self._control is None:
                self._control = self._make_control()
            control = self._control
        try:
            with control.connect() as conn:
                conn.exec_driver_sql("KILL QUERY %s", (thread_id,))
        except DBAPIError as exc:
            log.warning("could not cancel a slow query on a MySQL source: %s", type(exc.orig))

    @contextmanager
    def guard(self, conn: Connection, timeout_s: float) -> Iterator[None]:
        thread_id = conn.connection.info["thread_id"]
        with watchdog(timeout_s, lambda: self._kill(thread_id)) as fired:
            try:
                yield
            except DBAPIError:
                if fired.is_set():
                    raise DeadlineExpired from None
                raise
        if fired.is_set():
            # The statement ended as the kill was sent (MySQL's SLEEP returns 1 when killed):
            # the answer is late either way, and the session may hold a stray kill.
            conn.invalidate()
            raise DeadlineExpired

    def abandon(self, conn: Connection, result: CursorResult[Any]) -> None:
        # Closing a half-read unbuffered result would read the rest of it from the server:
        # drop the session instead, telling PyMySQL not to drain it when collected.
        pending = getattr(result.cursor, "_result", None)
        if pending is not None:
            pending.unbuffered_active = False
        conn.invalidate()

    def dispose(self) -> None:
        with self._lock:
            if self._control is not None:
                self._control.dispose()
                self._control = None


BACKENDS: dict[SourceKind, Callable[[], Backend]] = {
    SourceKind.SQLITE: SqliteBackend,
    SourceKind.POSTGRESQL: PostgresBackend,
    SourceKind.MYSQL: MysqlBackend,
}
