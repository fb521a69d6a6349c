"""The certificate library (电子证照库) is a catalog resource other departments read through
the governed exchange gateway: with a grant they get a holder's valid certificates, without
one they are refused, and both are in the ledger."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from tests.helpers import token_for
from tests.services.test_certificates import staff
from zhuyun.cli import app as cli
from zhuyun.core.db import Database
from zhuyun.core.ledger import LedgerEntry
from zhuyun.core.settings import Settings, get_settings
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role
from zhuyun.services.certificates import service


def library_id(db: Database) -> int:
    with db.session() as session:
        resource_id = service.library_resource_id(session)
    assert resource_id is not None
    return resource_id


def query(
    client: TestClient, headers: dict[str, str], resource_id: int, holder: str, kind: str
) -> Any:
    body = {
        "resource_id": resource_id,
        "items": ["number", "kind", "holder_id", "holder_name", "fields_json", "valid_until"],
        "purpose": service.LIBRARY_PURPOSE,
        "filters": [
            {"field": "holder_id", "op": "eq", "value": holder},
            {"field": "kind", "op": "eq", "value": kind},
        ],
    }
    return client.post("/api/exchange/query", json=body, headers=headers)


def test_a_granted_department_reads_a_holders_valid_certificates(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    resource_id = library_id(db)
    handler = token_for(client, demo_city, "rsj.handler")
    citizen = demo_city.account(Role.CITIZEN)
    answer = query(client, handler, resource_id, citizen.username, "HJZM")
    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert page["basis"].startswith("grant:")
    assert len(page["rows"]) == 1
    number, kind, holder_id, holder_name, fields_json, _ = page["rows"][0]
    assert (kind, holder_id, holder_name) == ("HJZM", citizen.username, citizen.display_name)
    assert json.loads(fields_json)["household_address"].startswith("贵州省贵阳市")
    with db.session() as session:
        assert service.verify_number(session, number).valid
        entry = session.scalar(select(LedgerEntry).where(LedgerEntry.seq == page["ledger_seq"]))
    assert entry is not None and entry.attrs["purpose"] == service.LIBRARY_PURPOSE

    enterprise = demo_city.account(Role.ENTERPRISE).username
    licence = query(client, handler, resource_id, enterprise, "YYZZ").json()
    assert len(licence["rows"]) == 1
    revoked = query(client, handler, resource_id, enterprise, "SPJYXKZ").json()
    assert revoked["rows"] == []  # the library holds valid certificates only


def test_a_department_without_a_grant_is_refused_and_ledgered(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    resource_id = library_id(db)
    teacher = staff(client, db, "jyj", Role.CASE_HANDLER)  # 教育局: no grant for the library
    citizen = demo_city.account(Role.CITIZEN).username
    answer = query(client, teacher, resource_id, citizen, "HJZM")
    assert answer.status_code == 403
    assert answer.json()["code"] == "policy-grant-required"
    assert citizen not in answer.text
    with db.session() as session:
        refusal = session.scalars(
            select(LedgerEntry)
            .where(
                LedgerEntry.activity == "exchange.refused",
                LedgerEntry.case_id == f"resource:{resource_id}",
            )
            .order_by(LedgerEntry.seq.desc())
            .limit(1)
        ).one()
    assert refusal.attrs["rule"] == "grant-required"


def test_the_library_is_in_the_catalog_with_its_sensitive_items_masked_by_default(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    resource_id = library_id(db)
    headers = token_for(client, demo_city, "rsj.handler")
    resource = client.get(f"/api/catalog/resources/{resource_id}", headers=headers).json()
    assert resource["name"] == "电子证照库" and resource["share_type"] == "conditional"
    items = {item["field"]: item for item in resource["items"]}
    assert set(items) == set(service.LIBRARY_ITEMS)
    assert items["holder_id"]["sensitivity"] == "sensitive"
    assert items["holder_id"]["mask_kind"] == "id_number"
    assert items["fields_json"]["mask_kind"] == "full"


def test_the_cli_registers_the_library_once_and_names_an_unknown_unit(
    demo_settings: Settings, fresh_database: Database, monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    runner = CliRunner()
    try:
        monkeypatch.setenv("ZHUYUN_DATABASE_URL", demo_settings.database_url)
        get_settings.cache_clear()
        again = runner.invoke(cli, ["certificates", "register-library"])
        assert again.exit_code == 0, again.output
        assert f"already resource {library_id(db)}" in again.output
        url = fresh_database.engine.url.render_as_string(hide_password=False)
        monkeypatch.setenv("ZHUYUN_DATABASE_URL", url)
        get_settings.cache_clear()
        unknown = runner.invoke(cli, ["certificates", "register-library", "--unit", "nope"])
        assert unknown.exit_code == 1 and "no unit with code nope" in unknown.output
    finally:
        get_settings.cache_clear()
