"""PostgreSQL pool: connections that sat idle are pinged before use and a dead one is replaced
unseen; a connection handed back moments ago is used without a ping (a round trip saved per
request), and if it died meanwhile the error invalidates the pool so the next request works."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, exc, text

from zhuyun.core import db as core_db
from zhuyun.core.db import Database


def _backend_pid(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(text("SELECT pg_backend_pid()")) or 0)


def _terminate(database: Database, pid: int) -> None:
    admin = create_engine(database.url)
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            connection.commit()
    finally:
        admin.dispose()


@pytest.fixture
def pg_database(fresh_database: Database) -> Database:
    if fresh_database.is_sqlite:
        pytest.skip("the pool's ping concerns PostgreSQL")
    return fresh_database


def test_an_idle_connection_that_died_is_replaced_before_use(
    pg_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = _backend_pid(pg_database)
    _terminate(pg_database, pid)
    monkeypatch.setattr(core_db, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert _backend_pid(pg_database) not in (0, pid)


def test_a_recently_returned_connection_is_not_pinged_and_a_failure_heals_the_pool(
    pg_database: Database,
) -> None:
    pid = _backend_pid(pg_database)
    _terminate(pg_database, pid)
    # Handed back moments ago, so used as is: the statement meets the dead connection...
    with pytest.raises(exc.OperationalError), pg_database.session() as session:
        session.execute(text("SELECT 1"))
    # ...which invalidates the pool: the next unit of work gets a live connection.
    assert _backend_pid(pg_database) not in (0, pid)
