"""Concurrent writers on the SQLite platform database: every transaction of every thread
lands exactly once, and a writer that fails or abandons its transaction never leaves the
others waiting."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import text

from zhuyun.core.db import Database


def _database(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'writers.sqlite'}")
    with database.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, who INTEGER)")
    return database


def _count(database: Database) -> int:
    with database.session() as session:
        return int(session.execute(text("SELECT count(*) FROM t")).scalar_one())


def test_every_transaction_of_eight_concurrent_writers_lands_once(tmp_path: Path) -> None:
    database = _database(tmp_path)
    failures: list[BaseException] = []

    def write(who: int) -> None:
        try:
            for _ in range(50):
                with database.session() as session:
                    session.execute(text("INSERT INTO t (who) VALUES (:who)"), {"who": who})
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures and not any(t.is_alive() for t in threads)
    assert _count(database) == 400
    database.dispose()


def test_a_failed_or_abandoned_writer_does_not_block_the_next(tmp_path: Path) -> None:
    database = _database(tmp_path)
    try:
        with database.session() as session:
            session.execute(text("INSERT INTO t (who) VALUES (1)"))
            raise RuntimeError("the request failed half-way")
    except RuntimeError:
        pass
    abandoned = database.sessionmaker()
    abandoned.execute(text("INSERT INTO t (who) VALUES (2)"))
    abandoned.close()  # returned to the pool mid-transaction: rolled back

    done = threading.Event()

    def write() -> None:
        with database.session() as session:
            session.execute(text("INSERT INTO t (who) VALUES (3)"))
        done.set()

    threading.Thread(target=write, daemon=True).start()
    assert done.wait(timeout=20), "a writer waited on a transaction nobody holds"
    assert _count(database) == 1
    database.dispose()
