"""The ledger's remembered head is a hint the insert checks, never trusted: a rolled-back
append, another process appending, or a tampered tail never breaks the chain or leaves a
gap."""

from __future__ import annotations

import itertools
import threading

import pytest
from sqlalchemy import text

from zhuyun.core import ledger
from zhuyun.core.db import Database
from zhuyun.core.ledger import Actor, Subject

CLERK = Actor(id=7, name="李四", unit_id=3, role="case_handler")


def _append(database: Database, case: str = "application:1") -> ledger.LedgerEntry:
    with database.session() as session:
        return ledger.record(session, CLERK, "application.step", Subject("application", 1), {},
                             case_id=case)  # fmt: skip


def _verify(database: Database) -> ledger.VerifyReport:
    with database.session() as session:
        return ledger.verify(session)


def test_an_append_after_a_rolled_back_append_follows_the_committed_head(
    fresh_database: Database,
) -> None:
    first = _append(fresh_database)
    with pytest.raises(RuntimeError), fresh_database.session() as session:
        ledger.record(session, CLERK, "application.step", Subject("application", 1))
        raise RuntimeError("the change failed")
    after = _append(fresh_database)
    assert (after.seq, after.prev_hash) == (first.seq + 1, first.hash)
    report = _verify(fresh_database)
    assert report.ok and report.checked == 2


def test_a_rolled_back_first_entry_leaves_no_gap(fresh_database: Database) -> None:
    with pytest.raises(RuntimeError), fresh_database.session() as session:
        ledger.record(session, CLERK, "application.step", Subject("application", 1))
        raise RuntimeError("the change failed")
    entry = _append(fresh_database)
    assert (entry.seq, entry.prev_hash) == (1, ledger.GENESIS_HASH)
    assert _verify(fresh_database).ok


def test_appends_from_another_process_are_followed(fresh_database: Database) -> None:
    """A second engine on the same database stands for another process (a CLI, a worker)."""
    other = Database(fresh_database.url)
    try:
        for _ in range(3):
            _append(fresh_database)
            _append(other)
            _append(other)
        report = _verify(fresh_database)
        assert report.ok and report.checked == 9
    finally:
        other.dispose()


def test_a_replaced_head_with_the_same_seq_is_not_followed(fresh_database: Database) -> None:
    """Our append rolled back and another process then wrote an entry with the same number:
    the remembered head has the right seq but the wrong hash."""
    _append(fresh_database)
    other = Database(fresh_database.url)
    try:
        with pytest.raises(RuntimeError), fresh_database.session() as session:
            ledger.record(session, CLERK, "application.step", Subject("application", 1))
            raise RuntimeError("the change failed")
        theirs = _append(other)
        assert theirs.seq == 2
        ours = _append(fresh_database)
        assert (ours.seq, ours.prev_hash) == (3, theirs.hash)
        assert _verify(fresh_database).ok
    finally:
        other.dispose()


def test_several_entries_in_one_transaction_chain_in_order(fresh_database: Database) -> None:
    with fresh_database.session() as session:
        entries = [
            ledger.record(session, CLERK, "application.step", Subject("application", n))
            for n in range(5)
        ]
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert _verify(fresh_database).ok


def test_concurrent_writers_on_two_engines_keep_one_chain(fresh_database: Database) -> None:
    other = Database(fresh_database.url)
    errors: list[BaseException] = []

    def writer(database: Database, worker: int) -> None:
        try:
            for _ in range(10):
                _append(database, case=f"worker:{worker}")
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [
        threading.Thread(target=writer, args=(fresh_database if n % 2 else other, n))
        for n in range(6)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        other.dispose()
    assert errors == []
    report = _verify(fresh_database)
    assert report.ok and report.checked == 60


def test_a_deleted_tail_is_not_papered_over_by_the_remembered_head(
    fresh_database: Database,
) -> None:
    """Someone deletes the newest entries behind the platform's back: the next entry follows
    what is in the table (verify then flags nothing missing in the chain itself, exactly as
    before the hint; the checkpoint is what catches a truncated tail)."""
    for _ in range(3):
        _append(fresh_database)
    with fresh_database.session() as session:
        session.execute(text("DELETE FROM ledger_entries WHERE seq = 3"))
    entry = _append(fresh_database)
    assert entry.seq == 3
    assert _verify(fresh_database).ok
