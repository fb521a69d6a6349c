"""SQL sources on real servers: timeouts, schema changes, secrets, outages, pooling, volume.

Each test runs against SQLite, PostgreSQL and MariaDB in turn (the `sql_server` fixture).
"""

from __future__ import annotations

import logging
import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.exchange.conftest import PEOPLE, SqlServer, rows_of, rss_mb
from zhuyun.exchange.connectors import (
    BadSourceConfig,
    Filter,
    SelectSpec,
    SourceConfig,
    SourceKind,
    SourceTimeout,
    SourceUnavailable,
    UnknownColumn,
    UnknownTable,
    connect,
)

SECRET = "Tr0ub4dor&3-never-printed"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _scratch_table(server: SqlServer) -> str:
    name = f"scratch_{uuid.uuid4().hex[:8]}"
    server.execute(
        f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, code VARCHAR(10), note VARCHAR(20))",
        f"INSERT INTO {name} (id, code, note) VALUES (1, 'a', 'x'), (2, 'b', 'y')",
    )
    return name


def test_a_dropped_column_is_reported_as_a_schema_change(sql_server: SqlServer) -> None:
    table = _scratch_table(sql_server)
    connector = connect(sql_server.config())
    try:
        spec = SelectSpec(table, ["id", "note"], [Filter("code", "eq", "a")])
        assert rows_of(connector.select(spec)) == [(1, "x")]
        assert connector.lookup(table, ["note"], "id", 2) == [("y",)]
        sql_server.execute(f"ALTER TABLE {table} DROP COLUMN note")
        with pytest.raises(UnknownColumn) as caught:
            connector.select(spec)
        assert caught.value.status == 409 and caught.value.code == "source-schema-changed"
        assert caught.value.columns == ["note"]
        assert "note" in caught.value.message_en and "结构可能已变更" in caught.value.message_zh
        with pytest.raises(UnknownColumn):
            connector.lookup(table, ["note"], "id", 2)
        assert rows_of(connector.select(SelectSpec(table, ["id", "code"]))) == [(1, "a"), (2, "b")]
    finally:
        connector.close()


def test_a_dropped_table_is_reported_as_a_schema_change(sql_server: SqlServer) -> None:
    table = _scratch_table(sql_server)
    connector = connect(sql_server.config())
    try:
        assert table in connector.tables()
        assert len(rows_of(connector.select(SelectSpec(table, ["id"])))) == 2
        sql_server.execute(f"DROP TABLE {table}")
        with pytest.raises(UnknownTable) as caught:
            connector.select(SelectSpec(table, ["id"]))
        assert caught.value.code == "source-schema-changed"
        assert table not in connector.tables()
    finally:
        connector.close()


def test_a_new_column_is_seen_without_waiting_for_the_cache(sql_server: SqlServer) -> None:
    table = _scratch_table(sql_server)
    connector = connect(sql_server.config())
    try:
        assert [c.name for c in connector.columns(table)] == ["id", "code", "note"]
        time.sleep(1.1)
        sql_server.execute(f"ALTER TABLE {table} ADD COLUMN extra INTEGER")
        assert rows_of(connector.select(SelectSpec(table, ["id", "extra"]))) == [
            (1, None),
            (2, None),
        ]
    finally:
        connector.close()


def test_a_slow_query_times_out_with_503(sql_server: SqlServer) -> None:
    connector = connect(sql_server.config())
    try:
        started = time.monotonic()
        with pytest.raises(SourceTimeout) as caught:
            connector.select(SelectSpec("slow", ["id"]), timeout_s=0.5)  # raises before iterating
        assert time.monotonic() - started < 3
        assert caught.value.status == 503 and caught.value.code == "source-timeout"
        assert "0.5" in caught.value.message_en and "0.5 秒" in caught.value.message_zh
        if sql_server.kind != "sqlite":  # SQLite's view has no id to look up by
            with pytest.raises(SourceTimeout):
                connector.lookup("slow", ["id"], "id", 1, timeout_s=0.5)
        # the pooled sessions are still good afterwards
        assert connector.lookup("people", ["name"], "id", 9) == [(PEOPLE[8][2],)]
        assert len(rows_of(connector.select(SelectSpec("people", ["id"])))) == len(PEOPLE)
    finally:
        connector.close()


def test_the_password_never_appears_in_errors_or_repr(
    sql_server: SqlServer, caplog: pytest.LogCaptureFixture
) -> None:
    if sql_server.kind == "sqlite":
        pytest.skip("SQLite files have no password")
    location = sql_server.location.split("?")[0]
    host_port = location.split("@", 1)[1].split("/", 1)[0]
    down = location.replace(host_port, f"127.0.0.1:{_free_port()}")
    caplog.set_level(logging.DEBUG)
    for where in (down, location):
        config = SourceConfig(SourceKind(sql_server.kind), where, {}, SECRET)
        connector = connect(config)
        try:
            assert SECRET not in repr(config) and SECRET not in str(config)
            assert SECRET not in repr(connector)
            report = connector.health()
            assert SECRET not in report.message
            try:
                connector.select(SelectSpec("people", ["id"]))
            except SourceUnavailable as exc:
                assert SECRET not in str(exc) and SECRET not in str(exc.body())
                assert exc.__cause__ is None and exc.__suppress_context__
        finally:
            connector.close()
    assert SECRET not in caplog.text


def test_a_location_with_a_password_is_refused(sql_server: SqlServer) -> None:
    if sql_server.kind == "sqlite":
        pytest.skip("SQLite files have no password")
    location = sql_server.location.replace("@", f":{SECRET}@", 1)
    with pytest.raises(BadSourceConfig) as caught:
        connect(SourceConfig(SourceKind(sql_server.kind), location))
    assert SECRET not in str(caught.value) and caught.value.status == 422


def test_unknown_options_and_wrong_urls_are_refused(sql_server: SqlServer) -> None:
    with pytest.raises(BadSourceConfig) as caught:
        connect(sql_server.config(sheet="people"))
    assert "sheet" in caught.value.message_en
    with pytest.raises(BadSourceConfig):
        connect(SourceConfig(SourceKind(sql_server.kind), "not a url"))
    with pytest.raises(BadSourceConfig):
        connect(SourceConfig(SourceKind(sql_server.kind), "redis://127.0.0.1/0"))


def test_a_source_that_is_down_gives_source_unavailable(
    sql_server: SqlServer, tmp_path: pytest.TempPathFactory
) -> None:
    if sql_server.kind == "sqlite":
        location = f"sqlite:///{tmp_path}/missing.sqlite"
    else:
        host_port = sql_server.location.split("@", 1)[1].split("/", 1)[0]
        location = sql_server.location.replace(host_port, f"127.0.0.1:{_free_port()}")
    connector = connect(SourceConfig(SourceKind(sql_server.kind), location))
    try:
        report = connector.health()
        assert not report.ok and "不可用" in report.message and "unavailable" in report.message
        with pytest.raises(SourceUnavailable) as caught:
            connector.select(SelectSpec("people", ["id"]))
        assert caught.value.status == 503 and caught.value.code == "source-unavailable"
        with pytest.raises(SourceUnavailable):
            connector.tables()
        with pytest.raises(SourceUnavailable):
            connector.lookup("people", ["id"], "id", 1)
    finally:
        connector.close()
    if sql_server.kind == "sqlite":
        assert not (tmp_path / "missing.sqlite").exists()  # type: ignore[operator]


def test_sessions_are_read_only(sql_server: SqlServer) -> None:
    connector = connect(sql_server.config())
    try:
        engine = connector._engine  # type: ignore[attr-defined]
        with engine.connect() as conn, pytest.raises(DBAPIError, match=r"(?i)read.only|readonly"):
            conn.execute(text("DELETE FROM people WHERE id = 1"))
            conn.commit()
        assert connector.lookup("people", ["id"], "id", 1) == [(1,)]
    finally:
        connector.close()


def test_columns_report_keys_and_indexes(sql_server: SqlServer) -> None:
    connector = connect(sql_server.config())
    try:
        columns = {c.name: c for c in connector.columns("people")}
        assert columns["id"].is_key and columns["id"].indexed and not columns["id"].nullable
        assert columns["id_number"].is_key and columns["id_number"].indexed
        assert columns["district"].indexed and not columns["district"].is_key
        assert not columns["name"].indexed and not columns["name"].nullable
        assert columns["district"].nullable
        assert (
            "NUMERIC" in columns["income"].native_type or "DECIMAL" in columns["income"].native_type
        )
    finally:
        connector.close()


def test_concurrent_lookups_and_streams_share_one_pool(sql_server: SqlServer) -> None:
    connector = connect(sql_server.config())
    try:

        def work(i: int) -> bool:
            person = PEOPLE[i % len(PEOPLE)]
            if i % 10 == 0:
                return len(rows_of(connector.select(SelectSpec("people", ["id"])))) == len(PEOPLE)
            return connector.lookup("people", ["id"], "id_number", person[1]) == [(person[0],)]

        with ThreadPoolExecutor(max_workers=16) as pool:
            assert all(pool.map(work, range(400)))
    finally:
        connector.close()


@pytest.mark.slow
def test_a_million_rows_stream_in_flat_memory(sql_server: SqlServer) -> None:
    statement = {
        "sqlite": "CREATE TABLE million AS WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL "
        "SELECT i + 1 FROM r WHERE i < 1000000) SELECT i AS id, 'name-' || i AS name FROM r",
        "postgresql": "CREATE TABLE million AS SELECT i AS id, 'name-' || i AS name "
        "FROM generate_series(1, 1000000) i",
        "mysql": "CREATE TABLE million AS SELECT seq AS id, concat('name-', seq) AS name "
        "FROM seq_1_to_1000000",
    }[sql_server.kind]
    sql_server.execute("DROP TABLE IF EXISTS million", statement)
    connector = connect(sql_server.config())
    try:
        stream = connector.select(SelectSpec("million", ["id", "name"]), timeout_s=30)
        count, total, baseline, peak = 0, 0, 0.0, 0.0
        for batch in stream:
            count += len(batch)
            total += batch[-1][0]
            if count == 5000:
                baseline = rss_mb()
            elif count % 100_000 == 0:
                peak = max(peak, rss_mb())
        assert count == 1_000_000
        assert peak - baseline < 60, f"memory grew by {peak - baseline:.0f} MB"
    finally:
        connector.close()
        sql_server.execute("DROP TABLE million")
