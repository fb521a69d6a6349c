"""The governed query gateway over the demo city's department databases: deny by default,
grants for conditional items, masking, district row filters, streams, and the ledger."""

from __future__ import annotations

import base64
import io
import sqlite3
import uuid
from datetime import timedelta
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.helpers import api_token, token_for
from zhuyun.catalog import service as catalog
from zhuyun.core.calendar import china_today
from zhuyun.core.db import Database
from zhuyun.core.masking import mask_id_number
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import DemoResult
from zhuyun.exchange.models import Binding
from zhuyun.identity.permissions import Role

PURPOSE = "办理企业开办登记核验"


def resource_of(db: Database, table: str) -> int:
    with db.session() as session:
        binding = session.scalar(select(Binding).where(Binding.table_name == table))
        assert binding is not None, f"the demo binds {table}"
        return binding.resource_id


def view_of(db: Database, resource_id: int) -> catalog.PublishedResource:
    with db.session() as session:
        return catalog.published_view(session, resource_id)


def query(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    body.setdefault("purpose", PURPOSE)
    return client.post("/api/exchange/query", headers=headers, json=body)


def ledger(client: TestClient, demo_city: DemoResult, activity: str) -> list[dict[str, Any]]:
    admin = api_token(client, demo_city, Role.PLATFORM_ADMIN)
    response = client.get("/api/ledger", params={"activity": activity, "limit": 5}, headers=admin)
    return list(response.json()["data"])


def unconditional_items(db: Database, table: str) -> tuple[int, list[str]]:
    resource_id = resource_of(db, table)
    view = view_of(db, resource_id)
    items = [
        field
        for field, item in view.items.items()
        if item.share_type == "unconditional"
        or (view.share_type == "unconditional" and item.share_type is None)
    ]
    return resource_id, items


def test_an_unconditional_query_answers_with_the_policy_masking_and_is_ledgered(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    resource_id, items = unconditional_items(db, "enterprises")
    assert "credit_code" in items and "legal_rep_name" in items
    handler = api_token(client, demo_city, Role.CASE_HANDLER)
    response = query(client, handler, resource_id=resource_id, items=items, limit=20)
    assert response.status_code == 200, response.text
    page = response.json()
    assert len(page["rows"]) == 20
    assert page["basis"] == "unconditional"
    view = view_of(db, resource_id)
    masked = {f for f in items if view.items[f].sensitivity in ("sensitive", "secret")}
    assert set(page["masked"]) == masked
    for row in page["rows"]:
        for field, value in zip(page["items"], row, strict=True):
            if field in masked and value:
                assert "*" in value, (field, value)
    entry = ledger(client, demo_city, "exchange.query")[0]
    assert entry["seq"] == page["ledger_seq"]
    assert entry["attrs"]["rows"] == 20
    assert entry["attrs"]["purpose"] == PURPOSE
    assert entry["attrs"]["masked"] == sorted(masked)


def test_keyset_pages_cover_the_table_exactly_once(
    client: TestClient, demo_city: DemoResult, db: Database, demo_settings: Settings
) -> None:
    resource_id, _ = unconditional_items(db, "enterprises")
    handler = api_token(client, demo_city, Role.CASE_HANDLER)
    seen: list[str] = []
    cursor = None
    while True:
        page = query(
            client, handler, resource_id=resource_id, items=["credit_code"], limit=40, after=cursor
        ).json()
        seen += [row[0] for row in page["rows"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    with sqlite3.connect(demo_settings.sources_dir / "scjg.sqlite") as source:
        expected = [r[0] for r in source.execute("SELECT credit_code FROM enterprises ORDER BY 1")]
    assert seen == expected


def test_a_conditional_item_without_a_grant_is_refused_naming_the_rule(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    resource_id = resource_of(db, "enterprises")
    handler = api_token(client, demo_city, Role.CASE_HANDLER)
    response = query(
        client, handler, resource_id=resource_id, items=["credit_code", "legal_rep_id_number"]
    )
    assert response.status_code == 403
    assert response.json()["code"] == "policy-grant-required"
    assert "有条件共享" in response.json()["detail_zh"]
    refused = ledger(client, demo_city, "exchange.refused")[0]
    assert refused["attrs"]["rule"] == "grant-required"
    assert refused["subject_id"] == str(resource_id)


def _apply(
    client: TestClient, headers: dict[str, str], resource_id: int, items: list[str], **extra: Any
) -> Any:
    body = {
        "resource_id": resource_id,
        "items": items,
        "purpose": PURPOSE,
        "basis": "《优化营商环境条例》第十九条",
        "valid_until": (china_today() + timedelta(days=180)).isoformat(),
        "expected_daily_rows": 5000,
        **extra,
    }
    key = {"Idempotency-Key": f"test-{uuid.uuid4().hex}"}
    return client.post("/api/exchange/applications", headers={**headers, **key}, json=body)


def test_apply_approve_query_then_revoke_refuses_the_next_query(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    people = resource_of(db, "people")
    consumer = api_token(client, demo_city, Role.DATA_ADMIN)  # 大数据局
    provider = token_for(client, demo_city, "gongan.data")
    applied = _apply(client, consumer, people, ["id_number", "name", "sex"])
    assert applied.status_code == 201, applied.text
    application = applied.json()
    assert application["status"] == "pending"
    assert application["due_on"] > china_today().isoformat()
    before = query(client, consumer, resource_id=people, items=["id_number", "name"])
    assert before.status_code == 403
    grant = client.post(
        f"/api/exchange/applications/{application['id']}/approve",
        headers=provider,
        json={"items": ["id_number", "name"], "clear_items": ["name"], "max_rows_per_query": 50},
    )
    assert grant.status_code == 200, grant.text
    answered = query(client, consumer, resource_id=people, items=["id_number", "name"], limit=50)
    assert answered.status_code == 200, answered.text
    rows = answered.json()["rows"]
    assert len(rows) == 50
    assert all("*" in id_number and "*" not in name for id_number, name in rows)
    assert answered.json()["grant_id"] == grant.json()["id"]
    too_many = query(client, consumer, resource_id=people, items=["id_number"], limit=51)
    assert too_many.status_code == 422
    not_granted = query(client, consumer, resource_id=people, items=["id_number", "sex"])
    assert not_granted.json()["code"] == "policy-grant-items"
    other_purpose = query(client, consumer, resource_id=people, items=["name"], purpose="营销推广")
    assert other_purpose.json()["code"] == "policy-grant-purpose"
    revoked = client.post(
        f"/api/exchange/grants/{grant.json()['id']}/revoke",
        headers=provider,
        json={"reason": "用途已完成"},
    )
    assert revoked.status_code == 200
    after = query(client, consumer, resource_id=people, items=["id_number", "name"])
    assert after.status_code == 403
    assert after.json()["code"] == "policy-grant-revoked"


def test_the_same_idempotency_key_submits_an_application_once(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    people = resource_of(db, "people")
    consumer = api_token(client, demo_city, Role.DATA_ADMIN)
    body = {
        "resource_id": people,
        "items": ["name"],
        "purpose": PURPOSE,
        "basis": "工作需要",
        "valid_until": (china_today() + timedelta(days=30)).isoformat(),
        "expected_daily_rows": 10,
    }
    headers = {**consumer, "Idempotency-Key": "same-key-12345"}
    first = client.post("/api/exchange/applications", headers=headers, json=body)
    second = client.post("/api/exchange/applications", headers=headers, json=body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    changed = client.post(
        "/api/exchange/applications", headers=headers, json={**body, "items": ["sex"]}
    )
    assert changed.status_code == 409


def test_an_overdue_application_escalates_to_the_bureau_which_can_decide_it(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    from zhuyun.exchange.models import Application

    people = resource_of(db, "people")
    consumer = api_token(client, demo_city, Role.DATA_ADMIN)
    application = _apply(client, consumer, people, ["sex"]).json()
    with db.session() as session:
        row = session.get(Application, application["id"])
        assert row is not None
        row.due_on = china_today() - timedelta(days=1)
    bureau = api_token(client, demo_city, Role.PLATFORM_ADMIN)
    escalated = client.get(
        "/api/exchange/applications", params={"box": "escalated"}, headers=bureau
    ).json()
    assert application["id"] in [a["id"] for a in escalated["data"]]
    entries = client.get(
        "/api/ledger", params={"case_id": f"application:{application['id']}"}, headers=bureau
    ).json()["data"]
    assert [e["activity"] for e in entries] == ["application.escalated", "application.submitted"]
    rejected = client.post(
        f"/api/exchange/applications/{application['id']}/reject",
        headers=bureau,
        json={"reason": "超期未审，经协调不予共享"},
    )
    assert rejected.json()["status"] == "rejected"


def test_a_rejection_needs_a_reason_and_only_the_provider_may_decide(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    people = resource_of(db, "people")
    consumer = api_token(client, demo_city, Role.DATA_ADMIN)
    application = _apply(client, consumer, people, ["name"]).json()
    own = client.post(
        f"/api/exchange/applications/{application['id']}/approve", headers=consumer, json={}
    )
    assert own.status_code == 403  # the applicant's unit is not the provider
    provider = token_for(client, demo_city, "gongan.data")
    no_reason = client.post(
        f"/api/exchange/applications/{application['id']}/reject",
        headers=provider,
        json={"reason": ""},
    )
    assert no_reason.status_code == 422


def test_who_read_my_data_shows_a_citizen_every_read_of_their_records(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    citizen = demo_city.account(Role.CITIZEN)
    people = resource_of(db, "people")
    provider = token_for(client, demo_city, "gongan.data")
    looked_up = query(
        client,
        provider,
        resource_id=people,
        items=["id_number", "name"],
        filters=[{"field": "id_number", "op": "eq", "value": citizen.username}],
        purpose="核对户籍信息",
    )
    assert looked_up.status_code == 200, looked_up.text
    assert len(looked_up.json()["rows"]) == 1
    mine = client.get("/api/exchange/my-access", headers=api_token(client, demo_city, Role.CITIZEN))
    assert mine.status_code == 200
    latest = mine.json()["data"][0]
    assert latest["seq"] == looked_up.json()["ledger_seq"]
    assert latest["purpose"] == "核对户籍信息"
    assert latest["unit_name"] == "贵阳市公安局"
    staff = client.get("/api/exchange/my-access", headers=provider)
    assert staff.status_code == 403


def test_a_district_unit_reads_only_its_own_district(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    admin = api_token(client, demo_city, Role.PLATFORM_ADMIN)
    unit = client.get("/api/units", params={"q": "520103.rsj"}, headers=admin).json()["data"][0]
    created = client.post(
        "/api/accounts",
        headers=admin,
        json={
            "username": "yunyan.rsj",
            "display_name": "云岩区人社局经办人",
            "unit_id": unit["id"],
            "password": "Yunyan2026",
            "roles": [{"role": "case_handler", "unit_id": unit["id"]}],
        },
    )
    assert created.status_code == 201, created.text
    token = client.post(
        "/api/auth/token", json={"username": "yunyan.rsj", "password": "Yunyan2026"}
    ).json()["token"]
    resource_id, _ = unconditional_items(db, "enterprises")
    page = query(
        client,
        {"Authorization": f"Bearer {token}"},
        resource_id=resource_id,
        items=["credit_code", "division_code"],
        limit=1000,
    ).json()
    assert page["rows"]
    assert {row[1][:6] for row in page["rows"]} == {"520103"}


def test_exports_stream_csv_and_parquet_and_are_ledgered_when_done(
    client: TestClient, demo_city: DemoResult, db: Database, demo_settings: Settings
) -> None:
    resource_id, _ = unconditional_items(db, "enterprises")
    handler = api_token(client, demo_city, Role.CASE_HANDLER)
    with sqlite3.connect(demo_settings.sources_dir / "scjg.sqlite") as source:
        total = source.execute("SELECT COUNT(*) FROM enterprises").fetchone()[0]
    csv_answer = query(
        client, handler, resource_id=resource_id, items=["credit_code", "name"], format="csv",
        limit=1_000_000,
    )  # fmt: skip
    assert csv_answer.status_code == 200
    assert csv_answer.headers["content-type"].startswith("text/csv")
    lines = csv_answer.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0] == "credit_code,name" and len(lines) == total + 1
    parquet = query(
        client, handler, resource_id=resource_id, items=["credit_code", "established_on"],
        format="parquet", limit=1_000_000,
    )  # fmt: skip
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.num_rows == total
    assert str(table.schema.field("established_on").type) == "date32[day]"
    exported = ledger(client, demo_city, "exchange.exported")[0]
    assert exported["attrs"]["rows"] == total and exported["attrs"]["completed"] is True


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"resource_id": 999_999}, 404, "resource-not-found"),
        ({"items": ["no_such_item"]}, 422, "policy-unknown-item"),
        ({"limit": 10**9}, 422, "limit-out-of-range"),
        ({"purpose": " "}, 422, "purpose-required"),
        ({"filters": [{"field": "name", "op": "eq", "value": "x"}]}, 422, "bad-filter"),
        ({"filters": [{"field": "credit_code", "op": "like", "value": "9%"}]}, 422, None),
        ({"after": "not-a-cursor"}, 422, "bad-cursor"),
    ],
)
def test_bad_queries_get_a_clear_4xx(
    client: TestClient,
    demo_city: DemoResult,
    db: Database,
    change: dict[str, Any],
    status: int,
    code: str | None,
) -> None:
    resource_id, _ = unconditional_items(db, "enterprises")
    handler = api_token(client, demo_city, Role.CASE_HANDLER)
    body = {"resource_id": resource_id, "items": ["credit_code"], **change}
    response = query(client, handler, **body)
    assert response.status_code == status, response.text
    assert response.json()["detail_zh"]
    if code:
        assert response.json()["code"] == code


def test_sql_in_a_value_is_only_a_value(
    client: TestClient, demo_city: DemoResult, db: Database, demo_settings: Settings
) -> None:
    resource_id, _ = unconditional_items(db, "enterprises")
    handler = api_token(client, demo_city, Role.CASE_HANDLER)
    response = query(
        client,
        handler,
        resource_id=resource_id,
        items=["credit_code"],
        filters=[{"field": "credit_code", "op": "eq", "value": "x' OR '1'='1"}],
    )
    assert response.status_code == 200
    assert response.json()["rows"] == []
    with sqlite3.connect(demo_settings.sources_dir / "scjg.sqlite") as source:
        assert source.execute("SELECT COUNT(*) FROM enterprises").fetchone()[0] > 0


def test_a_citizen_cannot_query_shared_data(client: TestClient, demo_city: DemoResult) -> None:
    response = query(client, api_token(client, demo_city, Role.CITIZEN), resource_id=1, items=["x"])
    assert response.status_code == 403


def test_pages_follow_a_masked_key_without_the_cursor_revealing_it(
    client: TestClient, demo_city: DemoResult, db: Database, demo_settings: Settings
) -> None:
    people = resource_of(db, "people")
    consumer = api_token(client, demo_city, Role.DATA_ADMIN)
    provider = token_for(client, demo_city, "gongan.data")
    application = _apply(client, consumer, people, ["id_number", "sex"], purpose="人口抽样核对")
    approved = client.post(
        f"/api/exchange/applications/{application.json()['id']}/approve",
        headers=provider,
        json={"max_rows_per_query": 10},
    )
    assert approved.status_code == 200, approved.text
    first = query(
        client, consumer, resource_id=people, items=["id_number", "sex"], purpose="人口抽样核对"
    ).json()
    assert len(first["rows"]) == 10 and first["masked"] == {"id_number": "id_number"}
    cursor = first["next_cursor"]
    assert cursor
    second = query(
        client, consumer, resource_id=people, items=["id_number", "sex"], purpose="人口抽样核对",
        after=cursor,
    ).json()  # fmt: skip
    with sqlite3.connect(demo_settings.sources_dir / "gongan.sqlite") as source:
        expected = [
            [mask_id_number(id_number), sex]
            for id_number, sex in source.execute(
                "SELECT id_number, sex FROM people ORDER BY id_number LIMIT 20"
            )
        ]
    assert first["rows"] == expected[:10]
    assert second["rows"] == expected[10:]

    readable = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    assert b"5201" not in readable  # the last row's resident ID is sealed, not merely encoded
    tampered = query(
        client, consumer, resource_id=people, items=["id_number"], purpose="人口抽样核对",
        after=cursor[:-4] + "AAAA",
    )  # fmt: skip
    assert tampered.status_code == 422 and tampered.json()["code"] == "bad-cursor"
