"""A fusion job is checked against the gateway's policy before it is stored: what its owner
may not read, or cannot join on, is refused with a message naming the source; nothing is
stored and no run can start."""

from __future__ import annotations

import json
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.blocks.conftest import declare, demo_job
from tests.helpers import token_for
from zhuyun.blocks.models import FusionJob
from zhuyun.core.db import Database
from zhuyun.demo.blocks import PURPOSE
from zhuyun.demo.builder import DemoResult
from zhuyun.demo.sharing import CHECK_PURPOSE


def _jobs(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(FusionJob)) or 0


def _person_source(db: Database, alias: str = "population") -> dict:
    spec = next(s for s in demo_job(db, "person").definition["sources"] if s["alias"] == alias)
    return dict(spec)


def test_a_resource_the_owner_unit_has_no_grant_for_is_refused_naming_the_source(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    market = token_for(client, demo_city, "scjg.data")  # no grant on the police's population
    before = _jobs(db)
    response = declare(
        client,
        market,
        {
            "name": "市场监管的人员档案",
            "entity": "person",
            "sources": [_person_source(db)],
            "outputs": [{"name": "people"}],
        },
    )
    assert response.status_code == 403, response.text
    problem = response.json()
    assert problem["code"].startswith("policy-grant")
    assert "population" in problem["detail"] and "population" in problem["detail_zh"]
    assert _jobs(db) == before


def test_a_key_column_the_resource_does_not_have_is_refused_naming_it(
    client: TestClient, bureau: dict[str, str], db: Database
) -> None:
    source = _person_source(db) | {"key": "citizen_no"}
    before = _jobs(db)
    response = declare(
        client,
        bureau,
        {"name": "错键", "entity": "person", "sources": [source], "outputs": [{"name": "people"}]},
    )
    assert response.status_code == 422, response.text
    assert "citizen_no" in response.json()["detail"]
    assert "population" in response.json()["detail"]
    assert _jobs(db) == before


def test_a_key_the_owner_would_only_see_masked_cannot_be_joined_on(
    client: TestClient, bureau: dict[str, str], db: Database
) -> None:
    # the bureau's grant for identity checks gives id_number masked (only name, sex in clear)
    source = _person_source(db) | {"items": ["name", "sex"], "updated_at": None}
    response = declare(
        client,
        bureau,
        {
            "name": "核验档案",
            "entity": "person",
            "purpose": CHECK_PURPOSE,
            "sources": [source],
            "outputs": [{"name": "people"}],
        },
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "blocks-key-masked"
    assert "id_number" in response.json()["detail_zh"]


def test_a_malformed_definition_says_what_is_wrong(
    client: TestClient, bureau: dict[str, str]
) -> None:
    headers = {**bureau, "Idempotency-Key": uuid.uuid4().hex}
    broken = client.post(
        "/api/blocks/jobs", json={"definition": "name: [unclosed"}, headers=headers
    )
    assert broken.status_code == 422 and broken.json()["code"] == "job-unreadable"
    missing = client.post(
        "/api/blocks/jobs",
        json={"definition": "name: 档案\nentity: pet\n"},
        headers={**bureau, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert missing.status_code == 422 and missing.json()["code"] == "job-invalid"
    assert "entity" in missing.json()["detail"] and "sources" in missing.json()["detail"]


def test_the_same_idempotency_key_declares_one_job(
    client: TestClient, bureau: dict[str, str], db: Database
) -> None:
    text = (
        '{"name": "幂等档案", "entity": "person", "purpose": "%s", "sources": [%s], '
        '"outputs": [{"name": "people"}]}'
    )
    body = {"definition": text % (PURPOSE, json.dumps(_person_source(db), ensure_ascii=False))}
    headers = {**bureau, "Idempotency-Key": uuid.uuid4().hex}
    first = client.post("/api/blocks/jobs", json=body, headers=headers)
    again = client.post("/api/blocks/jobs", json=body, headers=headers)
    assert first.status_code == again.status_code == 201, first.text
    assert first.json()["id"] == again.json()["id"]


def test_staff_without_blocks_manage_cannot_declare_jobs(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    handler = token_for(client, demo_city, "rsj.handler")
    response = declare(
        client,
        handler,
        {
            "name": "档案",
            "entity": "person",
            "sources": [_person_source(db)],
            "outputs": [{"name": "people"}],
        },
    )
    assert response.status_code == 403


def test_definitions_that_break_the_yaml_reader_are_refused_not_crashed_on(
    client: TestClient, bureau: dict[str, str]
) -> None:
    for text in ("name: 2026-02-30", "[" * 5000, "a: !!python/object:os.system x"):
        response = client.post(
            "/api/blocks/jobs",
            json={"definition": text},
            headers={**bureau, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert response.status_code == 422, (text[:20], response.text[:200])
