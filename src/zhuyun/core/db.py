"""The platform database: one declarative base, engines for SQLite and PostgreSQL, sessions.

SQLite runs in WAL mode and opens every transaction with `BEGIN IMMEDIATE`, so two writers
never deadlock on a lock upgrade (the ledger's hash chain reads the chain head and then
appends); PostgreSQL needs nothing special beyond the URL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    MetaData,
    Table,
    bindparam,
    create_engine,
    event,
    exc,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Every module's tables hang off this one metadata (and one Alembic history)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: SQLite keeps no time zone, PostgreSQL keeps it."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str, echo: bool = False) -> Engine:
    """An engine for the platform database; creates the SQLite file's folder when missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
        )
        _configure_sqlite(engine)
        return engine
    engine = create_engine(
        url, echo=echo, pool_size=10, max_overflow=20, pool_recycle=POOL_RECYCLE_SECONDS
    )
    _ping_idle_connections(engine)
    return engine


POOL_RECYCLE_SECONDS = 1800
PING_AFTER_IDLE_SECONDS = 10.0
"""A pooled connection idle longer than this is pinged before use; a busy one is not."""


def _ping_idle_connections(engine: Engine) -> None:
    """`pool_pre_ping`, but only for connections that sat idle in the pool.

    Pinging every checkout cost a round trip per request. A connection handed back moments
    ago was alive moments ago; one that idled may have been dropped (server restart, idle
    timeout, failover), so it is pinged, and a dead one is replaced before the caller sees
    it (the pool retries on `DisconnectionError`). A connection that dies while busy is
    caught by SQLAlchemy's error handling, which invalidates the pool."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["zhuyun_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("zhuyun_idle_since")
        if idle_since is not None and time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            dbapi_connection.rollback()
        except Exception as error:
            raise exc.DisconnectionError("pooled connection is gone") from error


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, issue BEGIN (the pysqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    # The writers of this process queue on a lock of their own before BEGIN IMMEDIATE, and
    # are woken the moment the previous one ends: SQLite's busy handler would instead sleep
    # up to 100 ms at a time between retries, which made the tails of concurrent requests.
    # (Other processes on the same file still meet the busy handler.)
    turnstile = threading.Lock()

    def _release(record: Any) -> None:
        if record.info.pop("zhuyun_writer", False):
            turnstile.release()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        record = connection.connection._connection_record
        if not record.info.get("zhuyun_writer"):
            turnstile.acquire()
            record.info["zhuyun_writer"] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(record)
            raise

    @event.listens_for(engine, "commit")
    def _on_commit(connection: Any) -> None:
        # COMMIT here, then let the next writer in: SQLAlchemy's own commit that follows
        # finds no transaction open, which SQLite accepts.
        record = connection.connection._connection_record
        try:
            connection.connection.dbapi_connection.commit()
        finally:
            _release(record)

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection: Any) -> None:
        record = connection.connection._connection_record
        try:
            connection.connection.dbapi_connection.rollback()
        finally:
            _release(record)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        _release(record)  # a connection returned mid-transaction (the pool rolled it back)


def counter_upsert(
    mapped: type[Base], keys: Sequence[str], counters: Sequence[str], dialect: str
) -> Any:
    """`INSERT … ON CONFLICT (keys) DO UPDATE SET c = c + excluded.c` for each counter, on
    SQLite or PostgreSQL, with bound parameters named after the columns: one atomic
    statement that adds to a row of counters or creates it, built once and run with
    different values (`connection.execute(statement, {"day": …, "rows": 3, …})`)."""
    table = cast(Table, mapped.__table__)
    insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert_(table).values({name: bindparam(name) for name in (*keys, *counters)})
    return statement.on_conflict_do_update(
        index_elements=[table.c[name] for name in keys],
        set_={name: table.c[name] + statement.excluded[name] for name in counters},
    )


class Database:
    """An engine and its session factory; the app and the CLI each hold one."""

    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits when the block ends normally, rolls back otherwise."""
        with self.sessionmaker() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
