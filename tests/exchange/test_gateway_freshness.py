"""The gateway keeps per-process caches (a published version's parsed items, a binding and
its source), so these tests change the policy between two queries and expect the very next
query to follow the change: a republished version without an item, a retired resource, a
revoked grant, a revoked token."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.exchange.test_gateway import PURPOSE, _apply, query, resource_of
from tests.helpers import api_token, token_for
from zhuyun.core.db import Database
from zhuyun.demo.builder import DemoResult
from zhuyun.exchange.models import Binding, GrantUsage
from zhuyun.identity.permissions import Role

_ITEM_KEYS = ("field", "name", "data_type", "description", "share_type", "sensitivity")


def _own_people_resource(client: TestClient, db: Database, police: dict[str, str]) -> int:
    """A fresh unconditional resource over the police register, published once."""
    with db.session() as session:
        source_id = session.scalar(select(Binding.source_id).where(Binding.table_name == "people"))
    drafted = client.post(
        f"/api/exchange/sources/{source_id}/drafts",
        headers=police,
        json={"table_name": "people", "name": f"缓存测试人口-{uuid.uuid4().hex[:6]}",
              "key_field": "id_number", "subject_field": "id_number"},
    )  # fmt: skip
    assert drafted.status_code == 201, drafted.text
    resource_id = int(drafted.json()["resource_id"])
    completed = client.patch(
        f"/api/catalog/resources/{resource_id}",
        headers=police,
        json={"summary": "缓存测试。", "share_type": "unconditional", "share_conditions": "",
              "update_cycle": "daily"},
    )  # fmt: skip
    assert completed.status_code == 200, completed.text
    published = client.post(f"/api/catalog/resources/{resource_id}/publish", headers=police)
    assert published.status_code == 200, published.text
    return resource_id


def _items(client: TestClient, police: dict[str, str], resource_id: int) -> list[dict[str, Any]]:
    working = client.get(f"/api/catalog/resources/{resource_id}", headers=police).json()
    return [
        {key: item[key] for key in (*_ITEM_KEYS, "mask_kind") if item.get(key) is not None}
        for item in working["items"]
    ]


def test_a_republished_version_without_an_item_refuses_it_on_the_next_query(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    police = token_for(client, demo_city, "gongan.data")
    reader = api_token(client, demo_city, Role.CASE_HANDLER)
    resource_id = _own_people_resource(client, db, police)
    for _ in range(2):  # the second answer comes from the warm cache
        answered = query(client, reader, resource_id=resource_id, items=["id_number", "name"])
        assert answered.status_code == 200, answered.text
    items = [item for item in _items(client, police, resource_id) if item["field"] != "name"]
    changed = client.patch(
        f"/api/catalog/resources/{resource_id}", headers=police, json={"items": items}
    )
    assert changed.status_code == 200, changed.text
    republished = client.post(f"/api/catalog/resources/{resource_id}/publish", headers=police)
    assert republished.status_code == 200, republished.text
    refused = query(client, reader, resource_id=resource_id, items=["id_number", "name"])
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "policy-unknown-item"
    still = query(client, reader, resource_id=resource_id, items=["id_number"])
    assert still.status_code == 200, still.text


def test_an_item_withheld_in_a_new_version_is_refused_on_the_next_query(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    police = token_for(client, demo_city, "gongan.data")
    reader = api_token(client, demo_city, Role.CASE_HANDLER)
    resource_id = _own_people_resource(client, db, police)
    assert query(client, reader, resource_id=resource_id, items=["name"]).status_code == 200
    items = _items(client, police, resource_id)
    for item in items:
        if item["field"] == "name":
            item["share_type"] = "none"
    changed = client.patch(
        f"/api/catalog/resources/{resource_id}",
        headers=police,
        json={"items": items, "legal_basis": "《中华人民共和国个人信息保护法》第十三条"},
    )
    assert changed.status_code == 200, changed.text
    republished = client.post(f"/api/catalog/resources/{resource_id}/publish", headers=police)
    assert republished.status_code == 200, republished.text
    refused = query(client, reader, resource_id=resource_id, items=["name"])
    assert refused.status_code == 403
    assert refused.json()["code"] == "policy-item-not-shared"


def test_a_retired_resource_stops_answering_at_once(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    police = token_for(client, demo_city, "gongan.data")
    reader = api_token(client, demo_city, Role.CASE_HANDLER)
    resource_id = _own_people_resource(client, db, police)
    for _ in range(2):
        assert query(client, reader, resource_id=resource_id, items=["sex"]).status_code == 200
    retired = client.post(
        f"/api/catalog/resources/{resource_id}/retire", headers=police, json={"reason": "测试"}
    )
    assert retired.status_code == 200, retired.text
    refused = query(client, reader, resource_id=resource_id, items=["sex"])
    assert refused.status_code == 403
    assert refused.json()["code"] == "policy-not-published"


def test_a_rebound_resource_reads_its_new_binding_at_once(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    police = token_for(client, demo_city, "gongan.data")
    reader = api_token(client, demo_city, Role.CASE_HANDLER)
    resource_id = _own_people_resource(client, db, police)
    first = query(client, reader, resource_id=resource_id, items=["id_number"], limit=1)
    assert first.status_code == 200 and first.json()["next_cursor"]
    with db.session() as session:
        binding = session.scalar(select(Binding).where(Binding.resource_id == resource_id))
        assert binding is not None
        binding.table_name = "no_such_table"
    broken = query(client, reader, resource_id=resource_id, items=["id_number"], limit=1)
    assert broken.status_code in (409, 503), broken.text


def test_a_revoked_grant_refuses_the_next_query_after_answers_and_counts_every_row(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    people = resource_of(db, "people")
    consumer = api_token(client, demo_city, Role.DATA_ADMIN)
    provider = token_for(client, demo_city, "gongan.data")
    purpose = f"缓存测试核验-{uuid.uuid4().hex[:6]}"  # no other test's grant has it
    applied = _apply(client, consumer, people, ["id_number", "birth_date"], purpose=purpose)
    assert applied.status_code == 201, applied.text
    grant = client.post(
        f"/api/exchange/applications/{applied.json()['id']}/approve",
        headers=provider,
        json={"items": ["id_number", "birth_date"], "max_rows_per_query": 5},
    )
    assert grant.status_code == 200, grant.text
    grant_id = grant.json()["id"]
    for _ in range(3):
        answered = query(
            client,
            consumer,
            resource_id=people,
            items=["id_number", "birth_date"],
            limit=5,
            purpose=purpose,
        )
        assert answered.status_code == 200, answered.text
        assert answered.json()["grant_id"] == grant_id
    with db.session() as session:
        used = session.scalars(select(GrantUsage.rows).where(GrantUsage.grant_id == grant_id))
        assert sum(used) == 15
    revoked = client.post(
        f"/api/exchange/grants/{grant_id}/revoke", headers=provider, json={"reason": "到期收回"}
    )
    assert revoked.status_code == 200, revoked.text
    after = query(
        client, consumer, resource_id=people, items=["id_number", "birth_date"], purpose=purpose
    )
    assert after.status_code == 403
    # "revoked" when it was the unit's only grant, "purpose" when others (for other
    # purposes) are still live: refused either way, by the grant rules
    assert after.json()["code"] in ("policy-grant-revoked", "policy-grant-purpose")


def test_a_revoked_token_is_refused_on_the_next_query(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    headers = api_token(client, demo_city, Role.CASE_HANDLER)
    issued = client.post("/api/me/tokens", headers=headers, json={"name": "查询脚本"})
    assert issued.status_code == 201, issued.text
    mine = {"Authorization": f"Bearer {issued.json()['token']}"}
    people = resource_of(db, "people")
    before = query(client, mine, resource_id=people, items=["sex"], purpose=PURPOSE)
    assert before.status_code in (200, 403)  # answered or refused by policy, not by the token
    revoked = client.delete(f"/api/me/tokens/{issued.json()['id']}", headers=headers)
    assert revoked.status_code == 204
    refused = query(client, mine, resource_id=people, items=["sex"])
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid-token"
