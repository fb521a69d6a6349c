"""Bulk exports on the Arrow path (RecordBatches straight from the source, masked column by
column) answer byte for byte what the row path answers: the same CSV, the same Parquet and
Arrow tables and types, the same ledger entry — with masked and clear columns, filters,
order and limits — on PostgreSQL, MariaDB and SQLite department servers."""

from __future__ import annotations

import csv
import io
import random
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from tests.exchange.conftest import PEOPLE, SqlServer
from tests.exchange.test_gateway import ledger, resource_of
from tests.helpers import api_token, token_for
from zhuyun.core.db import Database
from zhuyun.demo.builder import DemoResult
from zhuyun.exchange.connectors import Filter, SelectSpec, SourceTimeout
from zhuyun.exchange.connectors.sql import SqlConnector
from zhuyun.exchange.formats import csv_bytes
from zhuyun.identity.permissions import Role

ITEMS = ["id", "id_number", "name", "district", "born", "income"]


@pytest.fixture(params=["postgresql", "mysql"])
def department_server(request: pytest.FixtureRequest) -> SqlServer:
    server: SqlServer = request.getfixturevalue(f"{request.param}_server")
    return server


def _publish(client: TestClient, police: dict[str, str], server: SqlServer) -> int:
    """The people table, keyed by its integer id, shared without conditions."""
    source = client.post(
        "/api/exchange/sources",
        headers=police,
        json={
            "name": f"导出库-{server.kind}-{uuid.uuid4().hex[:6]}",
            "kind": server.kind,
            "location": server.location,
        },
    )
    assert source.status_code == 201, source.text
    drafted = client.post(
        f"/api/exchange/sources/{source.json()['id']}/drafts",
        headers=police,
        json={
            "table_name": "people",
            "name": f"导出人口（{server.kind}）{uuid.uuid4().hex[:4]}",
            "key_field": "id",
        },
    )
    assert drafted.status_code == 201, drafted.text
    resource_id = int(drafted.json()["resource_id"])
    completed = client.patch(
        f"/api/catalog/resources/{resource_id}",
        headers=police,
        json={"summary": "导出测试。", "share_type": "unconditional", "share_conditions": ""},
    )
    assert completed.status_code == 200, completed.text
    published = client.post(f"/api/catalog/resources/{resource_id}/publish", headers=police)
    assert published.status_code == 200, published.text
    return resource_id


@pytest.fixture
def arrow_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Records, for each export, whether the connector answered on the Arrow path."""
    calls: list[bool] = []
    original = SqlConnector.select_arrow

    def spy(self: SqlConnector, spec: SelectSpec, **kwargs: Any) -> Any:
        stream = original(self, spec, **kwargs)
        calls.append(stream is not None)
        return stream

    monkeypatch.setattr(SqlConnector, "select_arrow", spy)
    yield calls


def _export(client: TestClient, headers: dict[str, str], **body: Any) -> bytes:
    body.setdefault("purpose", "导出核对")
    response = client.post("/api/exchange/query", headers=headers, json=body)
    assert response.status_code == 200, response.text
    return response.content


def _both_paths(
    client: TestClient,
    headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    arrow_calls: list[bool],
    **body: Any,
) -> tuple[bytes, bytes, bool]:
    """(Arrow path answer, row path answer, whether the Arrow path was taken)."""
    arrow = _export(client, headers, **body)
    taken = arrow_calls[-1]
    with monkeypatch.context() as patched:
        patched.setattr(SqlConnector, "select_arrow", lambda *args, **kwargs: None)
        rows = _export(client, headers, **body)
    return arrow, rows, taken


QUERIES: list[dict[str, Any]] = [
    {"items": ITEMS},
    {"items": ["name", "income", "id"], "limit": 57},
    {"items": ITEMS, "filters": [{"field": "district", "op": "eq", "value": "南明区"}]},
    {
        "items": ["id", "name", "born"],
        "filters": [{"field": "id", "op": "range", "low": 9, "high": 120}],
        "order_by": [{"field": "id", "desc": True}],
        "limit": 40,
    },
    {"items": ["district"], "filters": [{"field": "district", "op": "is_null", "value": False}]},
    {
        "items": ["income", "district"],
        "filters": [{"field": "district", "op": "is_null", "value": True}],
    },
    {
        "items": ["id", "district"],
        "filters": [{"field": "district", "op": "prefix", "value": "南"}],
    },
    {
        "items": ["id", "name"],
        "filters": [{"field": "name", "op": "in", "value": ["a_b", "x' OR '1'='1", "居民100"]}],
    },
]


@pytest.mark.parametrize("query", QUERIES)
def test_the_arrow_path_answers_exactly_as_the_row_path(
    client: TestClient,
    demo_city: DemoResult,
    department_server: SqlServer,
    monkeypatch: pytest.MonkeyPatch,
    arrow_calls: list[bool],
    query: dict[str, Any],
) -> None:
    police = token_for(client, demo_city, "gongan.data")
    resource_id = _publish(client, police, department_server)
    reader = api_token(client, demo_city, Role.CASE_HANDLER)
    body = {"resource_id": resource_id, "limit": 10_000, **query}
    csv_arrow, csv_rows, taken = _both_paths(
        client, reader, monkeypatch, arrow_calls, format="csv", **body
    )
    if department_server.kind == "postgresql":
        assert taken, "PostgreSQL exports take the Arrow path"
    assert csv_arrow == csv_rows
    assert csv_arrow.startswith("\ufeff".encode() + ",".join(query["items"]).encode() + b"\r\n")
    exported = [entry["attrs"] for entry in ledger(client, demo_city, "exchange.exported")[:2]]
    assert exported[0] == {**exported[1], "latency_ms": exported[0]["latency_ms"]}
    for fmt, read in (
        ("parquet", lambda data: pq.read_table(io.BytesIO(data))),
        ("arrow", lambda data: ipc.open_stream(io.BytesIO(data)).read_all()),
    ):
        by_arrow, by_rows, _ = _both_paths(
            client, reader, monkeypatch, arrow_calls, format=fmt, **body
        )
        table_arrow: pa.Table = read(by_arrow)
        table_rows: pa.Table = read(by_rows)
        assert table_arrow.schema == table_rows.schema
        assert table_arrow.equals(table_rows), fmt
        assert table_arrow.num_rows == exported[0]["rows"]


def test_masked_columns_are_masked_on_the_arrow_path(
    client: TestClient,
    demo_city: DemoResult,
    postgresql_server: SqlServer,
    arrow_calls: list[bool],
) -> None:
    police = token_for(client, demo_city, "gongan.data")
    resource_id = _publish(client, police, postgresql_server)
    reader = api_token(client, demo_city, Role.CASE_HANDLER)
    answer = _export(
        client,
        reader,
        resource_id=resource_id,
        items=["id", "id_number", "name"],
        format="arrow",
        limit=10_000,
    )
    assert arrow_calls == [True]
    table = ipc.open_stream(io.BytesIO(answer)).read_all()
    by_id = {row["id"]: row for row in table.to_pylist()}
    assert len(by_id) == len(PEOPLE)
    for person in PEOPLE:
        shown = by_id[person[0]]
        assert shown["id_number"] != person[1] and shown["id_number"][-1] == person[1][-1]
        assert shown["name"] != person[2] and len(shown["name"]) == len(person[2])
    exported = ledger(client, demo_city, "exchange.exported")[0]
    assert exported["attrs"]["rows"] == len(PEOPLE) and exported["attrs"]["completed"] is True


def test_demo_sqlite_exports_are_unchanged(
    client: TestClient,
    demo_city: DemoResult,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    arrow_calls: list[bool],
) -> None:
    resource_id = resource_of(db, "enterprises")
    handler = api_token(client, demo_city, Role.CASE_HANDLER)
    body = {
        "resource_id": resource_id,
        "items": ["credit_code", "name", "established_on"],
        "limit": 1_000_000,
    }
    csv_arrow, csv_rows, _ = _both_paths(
        client, handler, monkeypatch, arrow_calls, format="csv", **body
    )
    assert csv_arrow == csv_rows
    by_arrow, by_rows, _ = _both_paths(
        client, handler, monkeypatch, arrow_calls, format="parquet", **body
    )
    assert pq.read_table(io.BytesIO(by_arrow)).equals(pq.read_table(io.BytesIO(by_rows)))


def test_the_connector_offers_an_arrow_path_only_where_it_answers_exactly(
    sql_server: SqlServer,
) -> None:
    connector = SqlConnector(sql_server.config())
    try:
        by_id = SelectSpec("people", ["id", "district", "income"], order_by=[("id", False)])
        stream = connector.select_arrow(by_id)
        if sql_server.kind != "postgresql":
            assert stream is None  # MySQL and SQLite keep the row path for now
            return
        assert stream is not None
        with stream:
            table = pa.Table.from_batches(list(stream))
        with connector.select(by_id) as rows:
            expected = [row for batch in rows for row in batch]
        assert [tuple(row.values()) for row in table.to_pylist()] == expected
        # text order follows the source's collation: the row path keeps it
        by_text = SelectSpec("people", ["id"], order_by=[("id_number", False)])
        assert connector.select_arrow(by_text) is None
        ranged = SelectSpec("people", ["id"], [Filter("name", "range", low="a", high="b")])
        assert connector.select_arrow(ranged) is None
    finally:
        connector.close()


def test_csv_of_record_batches_is_what_csv_writer_writes() -> None:
    """Quotes, commas, line breaks, empty strings, None, a lone empty field, slices."""
    pool = ["a,b", 'x"y', "", None, " sp ", "line\nbreak", "\r", "中文", "plain", '"']
    randomness = random.Random(7)
    for width in (1, 2, 3):
        for _ in range(200):
            rows = [
                tuple(randomness.choice([*pool, str(i)]) for _ in range(width))
                for i in range(randomness.randint(1, 6))
            ]
            if width == 2:
                rows = [(randomness.choice([1, None, -5]), row[1]) for row in rows]
            batch = pa.RecordBatch.from_arrays(
                [pa.array(column) for column in zip(*rows, strict=True)],
                names=[f"c{i}" for i in range(width)],
            )
            for start in range(len(rows)):
                written = io.StringIO()
                csv.writer(written).writerows(rows[start:])
                assert csv_bytes(batch.slice(start)) == written.getvalue().encode(), rows


def test_a_stalled_query_on_the_arrow_path_is_cancelled_on_the_source(
    postgresql_server: SqlServer,
) -> None:
    connector = SqlConnector(postgresql_server.config())
    try:
        started = time.monotonic()
        with pytest.raises(SourceTimeout):
            connector.select_arrow(
                SelectSpec("slow", ["id"], order_by=[("id", False)]), timeout_s=1
            )
        assert time.monotonic() - started < 4  # the view sleeps 5 s
    finally:
        connector.close()


def test_columns_duckdb_would_read_differently_keep_the_row_path(
    postgresql_server: SqlServer,
) -> None:
    postgresql_server.execute(
        "CREATE TABLE odd_types (id integer PRIMARY KEY, j json, f double precision, "
        "c char(4), n numeric, t timestamp)",
        "INSERT INTO odd_types VALUES (1, '{\"a\": 1}', 0.1, 'ab', 100.00, now())",
    )
    connector = SqlConnector(postgresql_server.config())
    try:
        order = [("id", False)]
        plain = connector.select_arrow(SelectSpec("odd_types", ["id"], order_by=order))
        assert plain is not None
        plain.close()
        for column in ("j", "f", "c", "n", "t"):
            spec = SelectSpec("odd_types", ["id", column], order_by=order)
            assert connector.select_arrow(spec) is None, column
    finally:
        connector.close()
        postgresql_server.execute("DROP TABLE odd_types")
