"""End to end on real department servers: a department registers its PostgreSQL or MariaDB
database, drafts a catalog resource from a table, publishes it, and another unit reads it
through the gateway — the data never leaves the department's server. A server that is down,
or whose table changed, is a clear 503 or 409, ledgered."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pyarrow.ipc as ipc
import pytest
from fastapi.testclient import TestClient

from tests.exchange.conftest import PEOPLE, SqlServer
from tests.helpers import api_token, token_for
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role


@pytest.fixture(params=["postgresql", "mysql"])
def department_server(request: pytest.FixtureRequest) -> SqlServer:
    server: SqlServer = request.getfixturevalue(f"{request.param}_server")
    return server


def _publish_people(
    client: TestClient, police: dict[str, str], location: str, kind: str
) -> tuple[int, int]:
    """Register the server as the police bureau's source and publish its people table,
    shared without conditions. Returns (source id, resource id)."""
    source = client.post(
        "/api/exchange/sources",
        headers=police,
        json={"name": f"人口库-{kind}-{uuid.uuid4().hex[:6]}", "kind": kind, "location": location},
    )
    assert source.status_code == 201, source.text
    source_id = source.json()["id"]
    assert "secret" not in source.json()
    checked = client.post(f"/api/exchange/sources/{source_id}/check", headers=police)
    assert checked.json()["ok"] is True, checked.text
    tables = client.get(f"/api/exchange/sources/{source_id}/tables", headers=police).json()
    assert "people" in tables
    drafted = client.post(
        f"/api/exchange/sources/{source_id}/drafts",
        headers=police,
        json={"table_name": "people", "name": f"测试人口信息（{kind}）", "key_field": "id_number",
              "subject_field": "id_number"},
    )  # fmt: skip
    assert drafted.status_code == 201, drafted.text
    resource_id = drafted.json()["resource_id"]
    completed = client.patch(
        f"/api/catalog/resources/{resource_id}",
        headers=police,
        json={"summary": "测试用人口表。", "share_type": "unconditional", "share_conditions": "",
              "update_cycle": "daily"},
    )  # fmt: skip
    assert completed.status_code == 200, completed.text
    published = client.post(f"/api/catalog/resources/{resource_id}/publish", headers=police)
    assert published.status_code == 200, published.text
    return source_id, resource_id


def _query(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    body.setdefault("purpose", "跨部门核验")
    return client.post("/api/exchange/query", headers=headers, json=body)


def test_a_department_database_is_registered_published_and_read_where_it_lives(
    client: TestClient, demo_city: DemoResult, department_server: SqlServer
) -> None:
    police = token_for(client, demo_city, "gongan.data")
    _, resource_id = _publish_people(
        client, police, department_server.location, department_server.kind
    )
    reader = api_token(client, demo_city, Role.CASE_HANDLER)
    page = _query(
        client, reader, resource_id=resource_id, items=["id", "id_number", "born"], limit=500
    )
    assert page.status_code == 200, page.text
    rows = page.json()["rows"]
    assert len(rows) == len(PEOPLE)
    # pages follow the bound key, here the resident ID
    assert [row[0] for row in rows] == [row[0] for row in sorted(PEOPLE, key=lambda r: r[1])]
    assert "id_number" in page.json()["masked"]  # a resident ID is sensitive by its name
    tricky = _query(
        client,
        reader,
        resource_id=resource_id,
        items=["id", "name"],
        filters=[{"field": "name", "op": "eq", "value": "x' OR '1'='1"}],
    )
    assert tricky.status_code == 200, tricky.text
    assert [row[0] for row in tricky.json()["rows"]] == [6]  # a value, never SQL
    assert tricky.json()["masked"] == {"name": "name"}
    arrow = _query(
        client, reader, resource_id=resource_id, items=["id", "income"], format="arrow",
        limit=10_000,
    )  # fmt: skip
    table = ipc.open_stream(io.BytesIO(arrow.content)).read_all()
    assert table.num_rows == len(PEOPLE)
    ids, amounts = table.column("id").to_pylist(), table.column("income").to_pylist()
    incomes = dict(zip(ids, amounts, strict=True))
    assert incomes == {row[0]: float(row[5]) for row in PEOPLE}


def test_a_dropped_column_is_a_schema_change_and_the_resource_is_marked_stale(
    client: TestClient, demo_city: DemoResult, department_server: SqlServer
) -> None:
    police = token_for(client, demo_city, "gongan.data")
    department_server.execute("CREATE TABLE people_copy AS SELECT * FROM people")
    try:
        source = client.post(
            "/api/exchange/sources",
            headers=police,
            json={"name": f"副本-{uuid.uuid4().hex[:6]}", "kind": department_server.kind,
                  "location": department_server.location},
        ).json()  # fmt: skip
        drafted = client.post(
            f"/api/exchange/sources/{source['id']}/drafts",
            headers=police,
            json={"table_name": "people_copy", "name": f"副本人口{uuid.uuid4().hex[:4]}",
                  "key_field": "id"},
        ).json()  # fmt: skip
        resource_id = drafted["resource_id"]
        client.patch(
            f"/api/catalog/resources/{resource_id}",
            headers=police,
            json={"summary": "副本。", "share_type": "unconditional", "share_conditions": ""},
        )
        assert (
            client.post(f"/api/catalog/resources/{resource_id}/publish", headers=police).status_code
            == 200
        )
        department_server.execute("ALTER TABLE people_copy DROP COLUMN income")
        reader = api_token(client, demo_city, Role.CASE_HANDLER)
        changed = _query(client, reader, resource_id=resource_id, items=["id", "income"])
        assert changed.status_code == 409, changed.text
        assert changed.json()["code"] == "source-schema-changed"
        missing = client.post(f"/api/exchange/resources/{resource_id}/schema-check", headers=police)
        assert missing.json() == ["income"]
        resource = client.get(f"/api/catalog/resources/{resource_id}", headers=police).json()
        assert resource["stale"] is True
    finally:
        department_server.execute("DROP TABLE people_copy")


def test_a_department_server_that_is_down_answers_503_and_the_failure_is_ledgered(
    client: TestClient, demo_city: DemoResult
) -> None:
    police = token_for(client, demo_city, "gongan.data")
    source = client.post(
        "/api/exchange/sources",
        headers=police,
        json={"name": f"停机库-{uuid.uuid4().hex[:6]}", "kind": "postgresql",
              "location": "postgresql://postgres@127.0.0.1:1/nowhere"},
    ).json()  # fmt: skip
    checked = client.post(f"/api/exchange/sources/{source['id']}/check", headers=police).json()
    assert checked["ok"] is False and checked["message"]
    listed = client.get("/api/exchange/sources", headers=police).json()["data"]
    assert next(s for s in listed if s["id"] == source["id"])["status"] == "down"
    tables = client.get(f"/api/exchange/sources/{source['id']}/tables", headers=police)
    assert tables.status_code == 503
    assert tables.json()["code"] == "source-unavailable"


def test_a_password_in_the_url_is_refused_and_a_secret_is_never_shown_back(
    client: TestClient, demo_city: DemoResult
) -> None:
    police = token_for(client, demo_city, "gongan.data")
    in_url = client.post(
        "/api/exchange/sources",
        headers=police,
        json={"name": "带密码", "kind": "postgresql",
              "location": "postgresql://reader:hunter2@127.0.0.1/db"},
    )  # fmt: skip
    assert in_url.status_code == 422
    assert in_url.json()["code"] == "password-in-url"
    sealed = client.post(
        "/api/exchange/sources",
        headers=police,
        json={"name": f"加密口令-{uuid.uuid4().hex[:6]}", "kind": "postgresql",
              "location": "postgresql://reader@127.0.0.1/db", "secret": "hunter2-s3cret"},
    )  # fmt: skip
    assert sealed.status_code == 201
    assert sealed.json()["has_secret"] is True
    assert "hunter2-s3cret" not in sealed.text
    admin = api_token(client, demo_city, Role.PLATFORM_ADMIN)
    entries = client.get(
        "/api/ledger", params={"activity": "source.registered", "limit": 5}, headers=admin
    )
    assert "hunter2" not in entries.text


def test_another_units_data_admin_cannot_manage_the_polices_sources(
    client: TestClient, demo_city: DemoResult
) -> None:
    police = token_for(client, demo_city, "gongan.data")
    market = token_for(client, demo_city, "scjg.data")
    listed = client.get("/api/exchange/sources", headers=police).json()["data"]
    assert listed
    other = client.get(f"/api/exchange/sources/{listed[0]['id']}", headers=market)
    assert other.status_code == 403
    handler = api_token(client, demo_city, Role.CASE_HANDLER)
    assert client.get("/api/exchange/sources", headers=handler).status_code == 403


@pytest.mark.parametrize(
    ("kind", "location"),
    [
        ("postgresql", "postgresql://reader@10.20.30.40/hukou"),
        ("mysql", "mysql+pymysql://reader@db.example.org/shebao"),
        ("http_json", "http://192.168.1.20/api"),
    ],
)
def test_a_source_outside_the_allowed_hosts_is_refused_before_anything_connects(
    client: TestClient, demo_city: DemoResult, kind: str, location: str
) -> None:
    police = token_for(client, demo_city, "gongan.data")
    response = client.post(
        "/api/exchange/sources",
        headers=police,
        json={"name": f"外部-{uuid.uuid4().hex[:6]}", "kind": kind, "location": location},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "source-host-not-allowed"
    assert "ZHUYUN_SOURCE_HOSTS" in response.json()["detail_zh"]


def test_allowed_hosts_match_names_and_cidr_ranges() -> None:
    from zhuyun.exchange.service.sources import host_allowed

    allowed = ["10.20.0.0/16", "db.gongan.gy.gov", "::1"]
    assert host_allowed("10.20.30.40", allowed)
    assert not host_allowed("10.21.0.1", allowed)
    assert host_allowed("DB.gongan.gy.gov", allowed)
    assert not host_allowed("db.gongan.gy.gov.evil.org", allowed)
    assert host_allowed("[::1]", allowed)
    assert host_allowed(None, allowed)  # a file or a local socket


@pytest.mark.parametrize(
    ("kind", "location"),
    [
        ("csv", "/etc/passwd"),
        ("sqlite", "sqlite:////etc/zhuyun-elsewhere.sqlite"),
        ("parquet", "{sources}/../../outside.parquet"),
    ],
)
def test_a_file_source_outside_the_allowed_folders_is_refused(
    client: TestClient, demo_city: DemoResult, demo_settings: Settings, kind: str, location: str
) -> None:
    police = token_for(client, demo_city, "gongan.data")
    response = client.post(
        "/api/exchange/sources",
        headers=police,
        json={"name": f"越界-{uuid.uuid4().hex[:6]}", "kind": kind,
              "location": location.format(sources=demo_settings.sources_dir)},
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["code"] == "source-path-not-allowed"


def test_a_file_source_inside_the_data_folder_is_accepted(
    client: TestClient, demo_city: DemoResult, demo_settings: Settings
) -> None:
    police = token_for(client, demo_city, "gongan.data")
    inside = (demo_settings.sources_dir / "gongan.sqlite").resolve()
    response = client.post(
        "/api/exchange/sources",
        headers=police,
        json={"name": f"户籍副本-{uuid.uuid4().hex[:6]}", "kind": "sqlite",
              "location": f"sqlite:///{inside}"},
    )  # fmt: skip
    assert response.status_code == 201, response.text
