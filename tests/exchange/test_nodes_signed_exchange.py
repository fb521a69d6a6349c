"""Department nodes (前置机) as real processes on loopback ports: the platform routes a governed
query for a node-hosted resource to its node over a signed request, and the node refuses
every request that is unsigned, forged, replayed, stale, tampered or out of its grant."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import (
    REAL,
    Double,
    Float,
    MetaData,
    String,
    Text,
    create_engine,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.orm import Session

from tests.exchange.conftest import MYSQL_ADMIN_URL, PG_ADMIN_URL
from tests.exchange.nodes_support import NodeProcess, write_config
from tests.helpers import api_token
from zhuyun.core.db import Base, Database
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import DemoResult
from zhuyun.exchange.connectors import (
    SelectSpec,
    SourceConfig,
    SourceKind,
    SourceUnavailable,
    connect,
)
from zhuyun.exchange.models import Binding, ExchangeNode, Source
from zhuyun.exchange.node import signing
from zhuyun.exchange.node.message_log import MessageLog
from zhuyun.exchange.service import nodes
from zhuyun.identity.permissions import Role

PURPOSE = "核验企业登记信息"
PG_SECRET = "pg-secret-kept-on-the-node"


def _copy_table(source_file: Path, table: str, target_url: str) -> None:
    """The demo's table with its rows in another database (the same data on every backend)."""
    sqlite_engine = create_engine(f"sqlite:///{source_file}")
    metadata = MetaData()
    metadata.reflect(sqlite_engine, only=[table])
    for column in metadata.tables[table].columns:  # SQLite's TEXT and REAL, portably
        if isinstance(column.type, Text):
            column.type = String(255)
        elif isinstance(column.type, REAL | Float):
            column.type = Double()
    target = create_engine(target_url)
    metadata.create_all(target)
    with sqlite_engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(select(metadata.tables[table]))]
    with target.begin() as conn:
        conn.execute(insert(metadata.tables[table]), rows)
    target.dispose()
    sqlite_engine.dispose()


def _big_sqlite(path: Path, rows: int) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, label TEXT NOT NULL)")
        conn.executemany(
            "INSERT INTO big VALUES (?, ?)", ((i, f"第{i}行-{'x' * 40}") for i in range(rows))
        )


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    name = f"zhuyun_node_{uuid.uuid4().hex[:8]}"
    pg_root = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    my_root = create_engine(MYSQL_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with pg_root.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    with my_root.connect() as conn:
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    pg_url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    my_url = MYSQL_ADMIN_URL.rstrip("/") + f"/{name}?charset=utf8mb4"
    try:
        yield {"postgresql": pg_url, "mysql": my_url}
    finally:
        with pg_root.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        with my_root.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        pg_root.dispose()
        my_root.dispose()


class City:
    def __init__(self, client: TestClient, demo_city: DemoResult, settings: Settings) -> None:
        self.client = client
        self.admin = api_token(client, demo_city, Role.PLATFORM_ADMIN)
        self.handler = api_token(client, demo_city, Role.CASE_HANDLER)
        self.settings = settings
        self.db = Database(settings.database_url)

    def approve(self, node: NodeProcess) -> dict[str, Any]:
        code = node.run("init").strip().splitlines()[-1]
        response = self.client.post(
            "/api/exchange/nodes/approve", json={"code": code}, headers=self.admin
        )
        assert response.status_code == 200, response.text
        approved: dict[str, Any] = response.json()
        node.run("trust", approved["platform_public_key"])
        return approved


@pytest.fixture(scope="module")
def nodes_up(
    app: Any,
    demo_city: DemoResult,
    demo_settings: Settings,
    servers: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("nodes")
    scjg = demo_settings.sources_dir / "scjg.sqlite"
    _copy_table(scjg, "enterprises", servers["postgresql"])
    _copy_table(scjg, "enterprises", servers["mysql"])
    big = folder / "big.sqlite"
    _big_sqlite(big, 300_000)
    pg_location = servers["postgresql"].replace("+psycopg", "")
    alpha = write_config(
        folder / "alpha",
        "alpha",
        {
            "scjg": {"kind": "sqlite", "location": f"sqlite:///{scjg}"},
            "scjg_pg": {"kind": "postgresql", "location": pg_location,
                        "secret_env": "NODE_PG_SECRET"},
            "big": {"kind": "sqlite", "location": f"sqlite:///{big}"},
        },
    )  # fmt: skip
    beta = write_config(
        folder / "beta", "beta", {"scjg_my": {"kind": "mysql", "location": servers["mysql"]}}
    )
    with TestClient(app) as client:
        city = City(client, demo_city, demo_settings)
        approvals = {node.name: city.approve(node) for node in (alpha, beta)}
        for node in (alpha, beta):
            node.start()
        try:
            yield {"city": city, "alpha": alpha, "beta": beta, "approvals": approvals}
        finally:
            alpha.stop()
            beta.stop()
            city.db.dispose()


def _binding(db: Database, table: str) -> tuple[int, int, int]:
    with db.session() as session:
        binding = session.scalar(select(Binding).where(Binding.table_name == table))
        assert binding is not None
        source = session.get(Source, binding.source_id)
        assert source is not None
        return binding.resource_id, binding.source_id, source.unit_id


def _node_source(city: City, unit_id: int, location: str) -> int:
    response = city.client.post(
        "/api/exchange/sources",
        headers=city.admin,
        json={"name": f"前置机 {location}", "kind": "node", "location": location,
              "unit_id": unit_id},
    )  # fmt: skip
    if response.status_code == 409:
        with city.db.session() as session:
            found = session.scalar(select(Source.id).where(Source.location == location))
            assert found is not None
            return found
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _rebind(city: City, resource_id: int, source_id: int) -> None:
    response = city.client.put(
        f"/api/exchange/resources/{resource_id}/binding",
        headers=city.admin,
        json={"source_id": source_id, "table_name": "enterprises", "key_field": "credit_code",
              "subject_field": "legal_rep_id_number", "division_field": "division_code"},
    )  # fmt: skip
    assert response.status_code == 200, response.text


def _answers(city: City, resource_id: int) -> dict[str, Any]:
    items = ["credit_code", "name", "legal_rep_name"]
    page = city.client.post(
        "/api/exchange/query",
        headers=city.handler,
        json={"resource_id": resource_id, "items": items, "purpose": PURPOSE, "limit": 50},
    )
    assert page.status_code == 200, page.text
    body = page.json()
    first = body["rows"][0][0]
    point = city.client.post(
        "/api/exchange/query",
        headers=city.handler,
        json={"resource_id": resource_id, "items": items, "purpose": PURPOSE,
              "filters": [{"field": "credit_code", "op": "eq", "value": first}]},
    )  # fmt: skip
    assert point.status_code == 200, point.text
    csv = city.client.post(
        "/api/exchange/query",
        headers=city.handler,
        json={"resource_id": resource_id, "items": items, "purpose": PURPOSE,
              "format": "csv", "limit": 500, "order_by": [{"field": "credit_code"}]},
    )  # fmt: skip
    assert csv.status_code == 200, csv.text
    second = city.client.post(
        "/api/exchange/query",
        headers=city.handler,
        json={"resource_id": resource_id, "items": items, "purpose": PURPOSE, "limit": 50,
              "after": body["next_cursor"]},
    )  # fmt: skip
    assert second.status_code == 200, second.text
    return {
        "rows": body["rows"],
        "masked": body["masked"],
        "point": point.json()["rows"],
        "csv": csv.text,
        "next": second.json()["rows"],
    }


def test_a_governed_query_through_a_node_equals_the_direct_answer_on_every_backend(
    nodes_up: dict[str, Any],
) -> None:
    city: City = nodes_up["city"]
    resource_id, direct_source, unit_id = _binding(city.db, "enterprises")
    direct = _answers(city, resource_id)
    try:
        for location in ("node://alpha/scjg", "node://alpha/scjg_pg", "node://beta/scjg_my"):
            _rebind(city, resource_id, _node_source(city, unit_id, location))
            via_node = _answers(city, resource_id)
            assert via_node == direct, location
    finally:
        _rebind(city, resource_id, direct_source)
    assert _answers(city, resource_id) == direct
    answered = _log(nodes_up["beta"]).entries("node.answered", limit=10)
    assert answered and answered[0].attrs["table"] == "enterprises"


def _log(node: NodeProcess) -> MessageLog:
    return MessageLog(f"sqlite:///{(node.data_dir / 'node.sqlite').as_posix()}", 60)


def _signed_post(
    node: NodeProcess, op: str, body: dict[str, Any], key: Any, kid: str, **tamper: Any
) -> httpx.Response:
    content = json.dumps(body).encode()
    headers = signing.sign_request(key, kid, "POST", f"/v1/{op}", content)
    headers.update(tamper.get("headers", {}))
    return httpx.post(
        f"{node.url}/v1/{op}", content=tamper.get("content", content), headers=headers, timeout=10
    )


def _grant_body(key: Any, kid: str, **claims: Any) -> dict[str, Any]:
    query = {"table": "enterprises", "columns": ["credit_code"], "filters": [], "order_by": [],
             "limit": 3, "after": None, "offset": 0}  # fmt: skip
    grant = signing.mint_grant(
        key,
        kid,
        claims.get("node", "alpha"),
        claims.get("source", "scjg"),
        claims.get("table", "enterprises"),
        claims.get("columns", ["credit_code"]),
        claims.get("query", query),
        ttl_s=claims.get("ttl_s", 60),
    )
    return {"source": "scjg", "query": query, "grant": grant, "timeout_s": 5}


def test_unsigned_forged_replayed_stale_and_tampered_requests_are_refused_and_logged(
    nodes_up: dict[str, Any], demo_settings: Settings
) -> None:
    node: NodeProcess = nodes_up["alpha"]
    key, kid = nodes.platform_key(demo_settings)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    stranger = Ed25519PrivateKey.generate()
    body = _grant_body(key, kid)
    good = _signed_post(node, "select", body, key, kid)
    assert good.status_code == 200

    def refused(response: httpx.Response, code: str) -> None:
        assert response.status_code in (400, 401, 403, 404), response.text
        problem = response.json()
        assert problem["code"] == code, problem
        assert problem["detail"] and problem["detail_zh"]
        assert "scjg.sqlite" not in response.text and "enterprises" not in response.text

    refused(httpx.post(f"{node.url}/v1/select", json=body, timeout=10), "node-unsigned")
    # a stranger's key under the platform's key id: the signature does not verify
    refused(_signed_post(node, "select", body, stranger, kid), "node-bad-signature")
    # a key the node never trusted
    refused(
        _signed_post(node, "select", body, stranger, signing.key_id(stranger.public_key())),
        "node-unknown-key",
    )
    # the very same request again
    content = json.dumps(_grant_body(key, kid)).encode()
    headers = signing.sign_request(key, kid, "POST", "/v1/select", content)
    first = httpx.post(f"{node.url}/v1/select", content=content, headers=headers, timeout=10)
    assert first.status_code == 200
    again = httpx.post(f"{node.url}/v1/select", content=content, headers=headers, timeout=10)
    refused(again, "node-replayed")
    # signed ten minutes ago
    stale = dict(headers)
    stale[signing.HEADER_TIMESTAMP] = str(int(time.time()) - 600)
    stale[signing.HEADER_NONCE] = signing.new_nonce()
    stale[signing.HEADER_SIGNATURE] = signing.sign(
        key,
        signing.canonical_request(
            "POST", "/v1/select", signing.body_digest(content),
            stale[signing.HEADER_TIMESTAMP], stale[signing.HEADER_NONCE], kid,
        ),
    )  # fmt: skip
    refused(
        httpx.post(f"{node.url}/v1/select", content=content, headers=stale, timeout=10),
        "node-stale",
    )
    # the body changed on the way: more columns than were signed
    tampered = content.replace(b'"limit": 3', b'"limit": 9')
    refused(_signed_post(node, "select", body, key, kid, content=tampered), "node-bad-signature")
    # garbage, signed
    refused(_signed_post(node, "select", {"source": 1}, key, kid), "node-unknown-source")
    refused(_signed_post(node, "select", {}, key, kid, content=b"not json"), "node-bad-signature")

    log = _log(node)
    codes = [entry.attrs["code"] for entry in log.entries("node.refused", limit=50)]
    for code in ("node-unsigned", "node-bad-signature", "node-unknown-key", "node-replayed",
                 "node-stale", "node-unknown-source"):  # fmt: skip
        assert code in codes, code
    assert log.verify().ok


def test_expired_forged_and_out_of_scope_grant_tokens_are_refused(
    nodes_up: dict[str, Any], demo_settings: Settings
) -> None:
    node: NodeProcess = nodes_up["alpha"]
    key, kid = nodes.platform_key(demo_settings)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    def code_of(body: dict[str, Any]) -> str:
        response = _signed_post(node, "select", body, key, kid)
        assert response.status_code == 403, response.text
        return str(response.json()["code"])

    assert code_of(_grant_body(key, kid, ttl_s=-5)) == "node-grant-expired"
    assert code_of(_grant_body(key, kid, table="people")) == "node-grant-scope"
    assert code_of(_grant_body(key, kid, columns=["name"])) == "node-grant-scope"
    assert code_of(_grant_body(key, kid, node="beta")) == "node-grant-scope"
    other_query = {"table": "enterprises", "columns": ["credit_code"], "limit": 1000}
    assert code_of(_grant_body(key, kid, query=other_query)) == "node-grant-scope"
    forged = Ed25519PrivateKey.generate()
    assert code_of(_grant_body(forged, kid)) == "node-grant-bad-signature"
    no_grant = _grant_body(key, kid)
    del no_grant["grant"]
    assert code_of(no_grant) == "node-grant-missing"


def test_a_revoked_node_is_refused_and_a_down_node_answers_503_naming_it(
    nodes_up: dict[str, Any],
) -> None:
    city: City = nodes_up["city"]
    beta: NodeProcess = nodes_up["beta"]
    resource_id, direct_source, unit_id = _binding(city.db, "enterprises")
    source_id = _node_source(city, unit_id, "node://beta/scjg_my")
    query = {"resource_id": resource_id, "items": ["credit_code"], "purpose": PURPOSE}
    try:
        _rebind(city, resource_id, source_id)
        beta.stop()
        down = city.client.post("/api/exchange/query", headers=city.handler, json=query)
        assert down.status_code == 503
        assert "beta" in down.json()["detail"] and "beta" in down.json()["detail_zh"]
        beta.start()
        assert city.client.post("/api/exchange/query", headers=city.handler,
                                json=query).status_code == 200  # fmt: skip
        with city.db.session() as session:
            node_id = session.scalar(select(ExchangeNode.id).where(ExchangeNode.name == "beta"))
        checked = city.client.post(f"/api/exchange/nodes/{node_id}/check", headers=city.admin)
        assert checked.json()["health_ok"] is True and checked.json()["latency_ms"] > 0
        revoked = city.client.post(
            f"/api/exchange/nodes/{node_id}/revoke", headers=city.admin,
            json={"reason": "前置机退役"},
        )  # fmt: skip
        assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
        refused = city.client.post("/api/exchange/query", headers=city.handler, json=query)
        assert refused.status_code == 503
        assert "revoked" in refused.json()["detail"]
    finally:
        _rebind(city, resource_id, direct_source)


def test_a_node_restart_in_the_middle_of_a_bulk_read_raises_and_the_next_read_works(
    nodes_up: dict[str, Any], demo_settings: Settings
) -> None:
    alpha: NodeProcess = nodes_up["alpha"]
    city: City = nodes_up["city"]
    with city.db.session() as session:
        node = session.scalar(select(ExchangeNode).where(ExchangeNode.name == "alpha"))
        assert node is not None
        options = nodes.node_options(node, nodes.platform_key(demo_settings)[1])
    connector = connect(SourceConfig(SourceKind.NODE, "node://alpha/big", options))
    spec = SelectSpec("big", ["id", "label"], order_by=[("id", False)])
    received = 0
    try:
        with (
            connector.select(spec, batch_size=1000) as stream,
            pytest.raises(SourceUnavailable) as failure,
        ):
            for batch in stream:
                received += len(batch)
                if received == 1000:
                    alpha.kill()
                    alpha.start()
        assert 1000 <= received < 300_000
        assert "alpha" in failure.value.message_en and "incomplete" in failure.value.message_en
        with connector.select(spec, batch_size=5000) as stream:
            assert sum(len(batch) for batch in stream) == 300_000
    finally:
        connector.close()


def test_the_node_message_log_verifies_and_holds_what_was_answered_and_refused(
    nodes_up: dict[str, Any],
) -> None:
    log = _log(nodes_up["alpha"])
    try:
        report = log.verify()
        assert report.ok and report.checked > 0
        activities = {entry.activity for entry in log.entries(limit=1000)}
        assert {"node.answered", "node.refused"} <= activities
        answered = log.entries("node.answered", limit=1)[0]
        assert answered.attrs["digest"] and answered.attrs["nonce"]
    finally:
        log.close()


def test_the_platform_stores_no_credential_of_a_node_source(nodes_up: dict[str, Any]) -> None:
    city: City = nodes_up["city"]
    with city.db.session() as session:
        assert _nowhere(session, PG_SECRET)
        for source in session.scalars(select(Source).where(Source.kind == "node")):
            assert source.secret_sealed is None
            assert set(source.options) == {
                "url", "node_key_id", "node_public_key", "platform_key_id", "status",
            }  # fmt: skip
    refused = city.client.post(
        "/api/exchange/sources",
        headers=city.admin,
        json={"name": "带密码的前置机源", "kind": "node", "location": "node://alpha/scjg_pg",
              "secret": "x", "unit_id": _binding(city.db, "enterprises")[2]},
    )  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["code"] == "node-source-secret"


def _nowhere(session: Session, secret: str) -> bool:
    present = set(inspect(session.connection()).get_table_names())
    for table in Base.metadata.sorted_tables:
        if table.name not in present:
            continue
        for row in session.execute(select(table)).all():
            assert secret not in str(tuple(row)), table.name
    return True


def test_a_rotated_key_is_announced_by_the_old_key_and_used_at_once(
    nodes_up: dict[str, Any], live_server: str
) -> None:
    city: City = nodes_up["city"]
    alpha: NodeProcess = nodes_up["alpha"]
    with city.db.session() as session:
        before = session.scalar(select(ExchangeNode.key_id).where(ExchangeNode.name == "alpha"))
    out = alpha.run("rotate-keys", "--platform-url", live_server)
    with city.db.session() as session:
        after = session.scalar(select(ExchangeNode.key_id).where(ExchangeNode.name == "alpha"))
    assert after != before, out
    resource_id, direct_source, unit_id = _binding(city.db, "enterprises")
    try:
        _rebind(city, resource_id, _node_source(city, unit_id, "node://alpha/scjg"))
        response = city.client.post(
            "/api/exchange/query", headers=city.handler,
            json={"resource_id": resource_id, "items": ["credit_code"], "purpose": PURPOSE},
        )  # fmt: skip
        assert response.status_code == 200, response.text
    finally:
        _rebind(city, resource_id, direct_source)
    # a registration code signed only by a stranger cannot take the node over
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    stranger = Ed25519PrivateKey.generate()
    code = signing.make_registration(
        stranger, "alpha", "x", alpha.url, previous=Ed25519PrivateKey.generate()
    )
    hijack = city.client.post("/api/exchange/nodes/rotate", json={"code": code})
    assert hijack.status_code == 422
    assert hijack.json()["code"] == "node-rotation-refused"
