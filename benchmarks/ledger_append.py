"""Ledger appends per second with the hash chain, against plain inserts of the same rows.

Each append is its own transaction, as when one change is recorded. The peer is an
identical table without the chain (no head lookup, no lock, no hash), written the same way.

    .venv/bin/python benchmarks/ledger_append.py [--appends 3000] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Column, Table, create_engine, insert, text

from zhuyun.core import ledger
from zhuyun.core.db import Base, Database, utcnow
from zhuyun.core.ledger import Actor, Subject
from zhuyun.migrations import upgrade

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ACTOR = Actor(id=1, name="王小明", unit_id=3, role="case_handler")
ATTRS = {"step": 1, "urgent": True, "note": "受理"}


def plain_table() -> Table:
    """The ledger table's twin, without the chain, for the peer measurement."""
    columns = [
        Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
        for c in ledger.LedgerEntry.__table__.columns
    ]
    return Table("plain_entries", Base.metadata, *columns)


PLAIN = plain_table()


def chained_append(database: Database, n: int) -> None:
    with database.session() as session:
        ledger.record(session, ACTOR, "bench.step", Subject("case", n), ATTRS)


def plain_append(database: Database, n: int) -> None:
    with database.session() as session:
        session.execute(
            insert(PLAIN).values(
                seq=n + int(uuid.uuid4().int % 10**12) * 1000,
                occurred_at=utcnow(),
                case_id=f"case:{n}",
                activity="bench.step",
                actor_id=ACTOR.id,
                actor_name=ACTOR.name,
                unit_id=ACTOR.unit_id,
                role=ACTOR.role,
                subject_type="case",
                subject_id=str(n),
                attrs=ATTRS,
                algorithm=ledger.HASH_ALGORITHM,
                prev_hash="",
                hash="",
            )
        )


def rate(
    database: Database, append: Callable[[Database, int], None], total: int, writers: int
) -> float:
    per_writer = total // writers

    def work(worker: int) -> None:
        for i in range(per_writer):
            append(database, worker * per_writer + i)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return per_writer * writers / (time.perf_counter() - start)


def database_for(backend: str, workdir: Path) -> tuple[Database, Callable[[], None]]:
    if backend == "sqlite":
        database = Database(f"sqlite:///{workdir / 'bench.sqlite'}")
        return database, database.dispose
    name = f"zhuyun_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    database = Database(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}")

    def drop() -> None:
        database.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()

    return database, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=3000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    print(
        f"ledger hash algorithm: {ledger.HASH_ALGORITHM}; {args.appends} appends per run, "
        "one transaction each"
    )
    print(f"{'backend':<11}{'writers':>8}{'chained/s':>12}{'plain/s':>12}{'cost ×':>9}")
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory() as workdir:
            database, cleanup = database_for(backend, Path(workdir))
            try:
                upgrade(database)
                PLAIN.create(database.engine)
                for writers in (1, 8):
                    rate(database, chained_append, 200, writers)  # warm up
                    rate(database, plain_append, 200, writers)
                    chained = rate(database, chained_append, args.appends, writers)
                    plain = rate(database, plain_append, args.appends, writers)
                    print(
                        f"{backend:<11}{writers:>8}{chained:>12.0f}{plain:>12.0f}"
                        f"{plain / chained:>9.2f}"
                    )
                with database.session() as session:
                    assert ledger.verify(session).ok
            finally:
                cleanup()


if __name__ == "__main__":
    main()
