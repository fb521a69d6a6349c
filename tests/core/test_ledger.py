"""The ledger: appended in the caller's transaction, sealed in a hash chain that names the
first entry anyone edited, deleted or reordered."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from zhuyun.core import ledger
from zhuyun.core.db import Database
from zhuyun.core.ledger import Actor, Subject

CLERK = Actor(id=42, name="王小明", unit_id=7, role="case_handler")


def _append(database: Database, count: int, case: str = "application:1") -> None:
    with database.session() as session:
        for index in range(count):
            ledger.record(
                session,
                CLERK,
                "application.step",
                Subject("application", 1),
                {"step": index, "urgent": index % 2 == 0, "note": f"第{index}步"},
                case_id=case,
            )


def _verify(database: Database) -> ledger.VerifyReport:
    with database.session() as session:
        return ledger.verify(session)


def test_entries_carry_what_an_event_log_needs(fresh_database: Database) -> None:
    _append(fresh_database, 3)
    with fresh_database.session() as session:
        entries, total = ledger.list_entries(session, ledger.LedgerQuery(case_id="application:1"))
    assert total == 3
    newest = entries[0]
    assert (newest.seq, newest.activity, newest.actor_id, newest.actor_name) == (
        3,
        "application.step",
        42,
        "王小明",
    )
    assert (newest.unit_id, newest.role, newest.case_id) == (7, "case_handler", "application:1")
    assert newest.occurred_at.tzinfo is not None
    assert newest.attrs == {"step": 2, "urgent": True, "note": "第2步"}  # types survive
    assert newest.prev_hash == entries[1].hash


def test_a_clean_chain_verifies(fresh_database: Database) -> None:
    _append(fresh_database, 5)
    report = _verify(fresh_database)
    assert report.ok
    assert (report.checked, report.head_seq) == (5, 5)
    assert report.algorithms == {ledger.HASH_ALGORITHM}


def test_sm3_is_used_where_openssl_has_it() -> None:
    import hashlib

    try:
        hashlib.new("sm3")
    except ValueError:
        assert ledger.HASH_ALGORITHM == "sha256"
    else:
        assert ledger.HASH_ALGORITHM == "sm3"


def test_entry_rolls_back_with_the_callers_transaction(fresh_database: Database) -> None:
    with pytest.raises(RuntimeError), fresh_database.session() as session:
        ledger.record(session, CLERK, "application.accepted", Subject("application", 9))
        raise RuntimeError("the change failed")
    with fresh_database.session() as session:
        assert ledger.list_entries(session, ledger.LedgerQuery())[1] == 0


def test_an_edited_entry_is_named(fresh_database: Database) -> None:
    _append(fresh_database, 5)
    with fresh_database.engine.begin() as connection:
        connection.execute(text("UPDATE ledger_entries SET actor_name = '李四' WHERE seq = 3"))
    report = _verify(fresh_database)
    assert not report.ok
    assert report.broken_seq == 3
    assert "altered" in (report.problem_en or "")
    assert "第 3 条" in (report.problem_zh or "")


def test_a_deleted_entry_is_named(fresh_database: Database) -> None:
    _append(fresh_database, 5)
    with fresh_database.engine.begin() as connection:
        connection.execute(text("DELETE FROM ledger_entries WHERE seq = 2"))
    report = _verify(fresh_database)
    assert report.broken_seq == 2
    assert "missing" in (report.problem_en or "")


def test_reordered_entries_are_named(fresh_database: Database) -> None:
    _append(fresh_database, 5)
    with fresh_database.engine.begin() as connection:
        connection.execute(text("UPDATE ledger_entries SET seq = -1 WHERE seq = 2"))
        connection.execute(text("UPDATE ledger_entries SET seq = 2 WHERE seq = 4"))
        connection.execute(text("UPDATE ledger_entries SET seq = 4 WHERE seq = -1"))
    report = _verify(fresh_database)
    assert report.broken_seq == 2


def test_a_truncated_tail_is_caught_by_the_last_checkpoint(fresh_database: Database) -> None:
    _append(fresh_database, 4)
    with fresh_database.session() as session:
        assert ledger.verify(session).ok
        ledger.checkpoint(session)
    with fresh_database.engine.begin() as connection:
        connection.execute(text("DELETE FROM ledger_entries WHERE seq >= 3"))
    report = _verify(fresh_database)
    assert report.broken_seq == 3
    assert "checkpoint" in (report.problem_en or "")


@pytest.mark.parametrize("key", ["password", "new_password", "api_token", "client_secret"])
def test_secrets_never_enter_the_ledger(fresh_database: Database, key: str) -> None:
    with pytest.raises(ValueError, match="secret"), fresh_database.session() as session:
        ledger.record(session, CLERK, "account.created", Subject("account", 1), {key: "hunter2"})
    with fresh_database.session() as session:
        assert ledger.list_entries(session, ledger.LedgerQuery())[1] == 0


def test_the_ledger_may_name_a_secret_without_holding_it(fresh_database: Database) -> None:
    with fresh_database.session() as session:
        entry = ledger.record(
            session, CLERK, "token.issued", Subject("token", 3), {"token_id": 3, "token_name": "ci"}
        )
    assert entry.attrs == {"token_id": 3, "token_name": "ci"}


def test_concurrent_writers_keep_one_unbroken_chain(fresh_database: Database) -> None:
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            for _ in range(15):
                _append(fresh_database, 1, case=f"worker:{worker}")
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = _verify(fresh_database)
    assert report.ok
    assert report.checked == 8 * 15


def test_cli_verify_names_the_broken_entry(
    fresh_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zhuyun.cli import app
    from zhuyun.core.settings import get_settings

    _append(fresh_database, 3)
    monkeypatch.setenv(
        "ZHUYUN_DATABASE_URL", fresh_database.engine.url.render_as_string(hide_password=False)
    )
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        intact = runner.invoke(app, ["ledger", "verify"])
        assert intact.exit_code == 0, intact.output
        assert "3 entries" in intact.output
        with fresh_database.engine.begin() as connection:
            connection.execute(text("UPDATE ledger_entries SET activity = 'x' WHERE seq = 2"))
        broken = runner.invoke(app, ["ledger", "verify"])
        assert broken.exit_code == 1
        assert "entry 2" in broken.output
    finally:
        get_settings.cache_clear()


def test_an_overlong_case_or_subject_id_is_cut_to_fit_not_refused(
    fresh_database: Database,
) -> None:
    with fresh_database.session() as session:
        entry = ledger.record(session, CLERK, "auth.forbidden", Subject("request", "/x" * 100))
    assert len(entry.case_id) == 128 and entry.case_id.startswith("request:/x/x")
    assert len(entry.subject_id) == 128
    with fresh_database.session() as session:
        assert ledger.verify(session).ok
