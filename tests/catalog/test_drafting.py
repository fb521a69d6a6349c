"""Drafting resources: codes as the guideline composes them, the rules a draft keeps, the
data admin's scope, and drafts the exchange makes from a source table's columns."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.catalog.conftest import data_admin, resource_body, unit_of
from tests.helpers import api_token, token_of
from zhuyun.catalog import service
from zhuyun.catalog.models import Resource
from zhuyun.core.db import Database
from zhuyun.core.errors import Unprocessable
from zhuyun.core.ledger import Actor, LedgerEntry
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role


def _count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Resource)) or 0


def test_a_departments_resources_share_its_catalogue_number_and_count_up(
    client: TestClient, demo_city: DemoResult
) -> None:
    headers = token_of(client, data_admin(demo_city, "scjg.data"))
    unit = unit_of(client, headers)
    first = client.post("/api/catalog/resources", headers=headers, json=resource_body(unit, "甲"))
    second = client.post("/api/catalog/resources", headers=headers, json=resource_body(unit, "乙"))
    assert first.status_code == second.status_code == 201, first.text
    a, b = first.json(), second.json()
    assert re.fullmatch(r"307\d{3}/\d{6}", a["code"])
    assert (a["class_code"], a["item_code"]) == ("3", "07")
    assert a["catalogue_code"] == b["catalogue_code"]
    assert int(b["sequence_code"]) == int(a["sequence_code"]) + 1
    assert a["status"] == "draft" and a["version"] == 0 and a["view"] == "working"
    assert a["classification"].startswith("部门信息资源")


def test_a_base_library_resource_takes_its_library_from_its_classification(
    client: TestClient, demo_city: DemoResult
) -> None:
    headers = api_token(client, demo_city, Role.PLATFORM_ADMIN)
    unit = unit_of(client, token_of(client, data_admin(demo_city, "gongan.data")))
    body = resource_body(unit, class_code="1", item_code="01", catalogue_code="009")
    made = client.post("/api/catalog/resources", headers=headers, json=body)
    assert made.status_code == 201, made.text
    assert made.json()["base_library"] == "population"
    assert made.json()["code"].startswith("101009/")
    wrong = client.post(
        "/api/catalog/resources",
        headers=headers,
        json={**body, "base_library": "credit"},
    )
    assert wrong.status_code == 422
    assert "人口" in wrong.json()["detail_zh"]


def test_withholding_a_resource_needs_its_legal_basis_and_nothing_is_saved_without_it(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    headers = token_of(client, data_admin(demo_city, "gongan.data"))
    unit = unit_of(client, headers)
    before = _count(db)
    body = resource_body(unit, "不予共享的资源", share_type="none", share_conditions="")
    refused = client.post("/api/catalog/resources", headers=headers, json=body)
    assert refused.status_code == 422
    problem = refused.json()
    assert "依据" in problem["detail_zh"] and problem["detail"]
    assert any(e["location"] == ["body", "legal_basis"] for e in problem["errors"])
    assert _count(db) == before
    accepted = client.post(
        "/api/catalog/resources",
        headers=headers,
        json={**body, "legal_basis": "《中华人民共和国个人信息保护法》第二十八条"},
    )
    assert accepted.status_code == 201, accepted.text
    assert {i["share_type"] for i in accepted.json()["items"]} == {"none"}


def test_one_withheld_item_also_needs_a_legal_basis(
    client: TestClient, demo_city: DemoResult
) -> None:
    headers = token_of(client, data_admin(demo_city, "gongan.data"))
    unit = unit_of(client, headers)
    items = [
        {"field": "name", "name": "姓名"},
        {"field": "diagnosis", "name": "诊断", "share_type": "none", "sensitivity": "secret"},
    ]
    refused = client.post(
        "/api/catalog/resources", headers=headers, json=resource_body(unit, items=items)
    )
    assert refused.status_code == 422
    assert "依据" in refused.json()["detail_zh"]


def test_invalid_classification_codes_are_refused_with_what_is_allowed(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    headers = api_token(client, demo_city, Role.PLATFORM_ADMIN)
    unit = unit_of(client, token_of(client, data_admin(demo_city, "gongan.data")))
    before = _count(db)
    cases = [
        ({"class_code": "4"}, "class_code", "只能是 1"),
        ({"class_code": "1", "item_code": "09", "catalogue_code": "001"}, "item_code", "01、02"),
        ({"class_code": "2", "item_code": "03", "catalogue_code": "0a1"}, "catalogue_code", "三位"),
        ({"class_code": "2", "item_code": "03", "catalogue_code": "000"}, "catalogue_code", "001"),
        ({"class_code": "2", "item_code": "03"}, "catalogue_code", "必须填写"),
        ({"detail_code": "12x"}, "detail_code", "细目"),
    ]
    for overrides, field, words in cases:
        response = client.post(
            "/api/catalog/resources", headers=headers, json=resource_body(unit, **overrides)
        )
        assert response.status_code == 422, (overrides, response.text)
        body = response.json()
        assert any(e["location"][-1] == field for e in body["errors"]), (overrides, body)
        assert words in body["detail_zh"], (overrides, body["detail_zh"])
    assert _count(db) == before


def test_unknown_data_types_and_malformed_items_are_refused(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    headers = token_of(client, data_admin(demo_city, "gongan.data"))
    unit = unit_of(client, headers)
    before = _count(db)
    bad_items = [
        [{"field": "x", "name": "某项", "data_type": "varchar"}],
        [{"field": "x; drop table people", "name": "某项"}],
        [{"field": "x", "name": ""}],
        [{"field": "x", "name": "某项", "mask_kind": "blur"}],
        [{"field": "x", "name": "甲"}, {"field": "x", "name": "乙"}],
        [{"field": "x", "name": "某项", "unexpected": 1}],
    ]
    for items in bad_items:
        response = client.post(
            "/api/catalog/resources", headers=headers, json=resource_body(unit, items=items)
        )
        assert response.status_code == 422, (items, response.text)
        assert response.json()["detail_zh"]
    assert _count(db) == before


def test_an_item_may_be_stricter_than_its_resource_but_never_more_open(
    client: TestClient, demo_city: DemoResult
) -> None:
    headers = token_of(client, data_admin(demo_city, "gongan.data"))
    unit = unit_of(client, headers)
    looser = [{"field": "name", "name": "姓名", "share_type": "unconditional"}]
    refused = client.post(
        "/api/catalog/resources", headers=headers, json=resource_body(unit, items=looser)
    )
    assert refused.status_code == 422
    assert "更宽松" in refused.json()["detail_zh"]
    secret_shared = [{"field": "x", "name": "涉密项", "sensitivity": "secret"}]
    refused = client.post(
        "/api/catalog/resources",
        headers=headers,
        json=resource_body(unit, items=secret_shared, legal_basis="某法"),
    )
    assert refused.status_code == 422
    assert "涉密" in refused.json()["detail_zh"]
    withheld_but_open = resource_body(
        unit, share_type="none", legal_basis="某法", open_type="open", share_conditions=""
    )
    refused = client.post("/api/catalog/resources", headers=headers, json=withheld_but_open)
    assert refused.status_code == 422
    assert "不能向社会开放" in refused.json()["detail_zh"]


def test_a_data_admin_cannot_draft_for_another_unit_and_the_refusal_is_ledgered(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    police = token_of(client, data_admin(demo_city, "gongan.data"))
    market = token_of(client, data_admin(demo_city, "scjg.data"))
    market_unit = unit_of(client, market)
    before = _count(db)
    refused = client.post(
        "/api/catalog/resources", headers=police, json=resource_body(market_unit, "越权草稿")
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "not-your-unit" and refused.json()["detail_zh"]
    assert _count(db) == before
    with db.session() as session:
        entry = session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.activity == "catalog.forbidden")
            .order_by(LedgerEntry.seq.desc())
            .limit(1)
        ).one()
    assert entry.actor_name == "公安局数据管理员"
    assert entry.attrs == {"action": "draft", "provider_unit_id": market_unit}


def test_staff_read_the_catalog_but_only_data_admins_draft(
    client: TestClient, demo_city: DemoResult
) -> None:
    worker = api_token(client, demo_city, Role.GRID_WORKER)
    assert client.get("/api/catalog/resources", headers=worker).status_code == 200
    refused = client.post("/api/catalog/resources", headers=worker, json=resource_body(1))
    assert refused.status_code == 403
    citizen = api_token(client, demo_city, Role.CITIZEN)
    assert client.get("/api/catalog/resources", headers=citizen).status_code == 403
    assert client.get("/api/catalog/resources").status_code == 401


def test_a_draft_from_a_source_tables_columns_has_chinese_names_types_and_masks(
    db: Database,
) -> None:
    columns = [
        ("id_number", "TEXT"),
        ("name", "TEXT"),
        ("birth_date", "TEXT"),
        ("monthly_base", "REAL"),
        ("members", "INTEGER"),
        ("employer_phone", "VARCHAR(20)"),
        ("registered_at", "timestamp without time zone"),
        ("is_active", "BOOLEAN"),
        ("death_cause", "TEXT"),
        ("remark_col", "text"),
    ]
    with db.session() as session:
        police_unit = session.scalar(
            select(Resource.provider_unit_id).where(Resource.name == "人口基础信息")
        )
        assert police_unit is not None
        resource = service.draft_from_columns(
            session, Actor(None, "共享交换"), police_unit, "户籍人口表", columns
        )
        items = {item.field: item for item in resource.items}
        assert [item.field for item in resource.items] == [c for c, _ in columns]
        assert resource.status == "draft"
    assert (items["id_number"].name, items["id_number"].mask_kind) == ("公民身份号码", "id_number")
    assert (items["name"].sensitivity, items["name"].mask_kind) == ("sensitive", "name")
    assert items["birth_date"].data_type == "date"
    assert items["monthly_base"].data_type == "decimal"
    assert items["members"].data_type == "integer"
    assert items["employer_phone"].mask_kind == "phone"
    assert items["registered_at"].data_type == "datetime"
    assert items["is_active"].data_type == "boolean"
    # a proposal never starts secret (that needs a legal basis); it starts masked instead
    assert (items["death_cause"].sensitivity, items["death_cause"].mask_kind) == (
        "sensitive",
        "full",
    )
    assert (items["remark_col"].name, items["remark_col"].sensitivity) == ("remark_col", "internal")


def test_a_draft_from_columns_refuses_a_column_name_it_cannot_hold(db: Database) -> None:
    with db.session() as session:
        unit = session.scalar(select(Resource.provider_unit_id).limit(1))
        assert unit is not None
        with pytest.raises(Unprocessable) as refused:
            service.draft_from_columns(
                session, Actor(None, "共享交换"), unit, "表", [("a;b", "TEXT")]
            )
        session.rollback()
    assert "a;b" in refused.value.message_zh


def test_related_resources_are_named_by_codes_that_exist(
    client: TestClient, demo_city: DemoResult
) -> None:
    headers = token_of(client, data_admin(demo_city, "gongan.data"))
    unit = unit_of(client, headers)
    related = client.post(
        "/api/catalog/resources",
        headers=headers,
        json=resource_body(unit, "关联测试", related_codes=["101001/000001"]),
    )
    assert related.status_code == 201, related.text
    assert related.json()["related_codes"] == ["101001/000001"]
    for codes, words in ((["101001/999999"], "找不到"), (["abc"], "不是资源代码")):
        refused = client.post(
            "/api/catalog/resources",
            headers=headers,
            json=resource_body(unit, "关联测试", related_codes=codes),
        )
        assert refused.status_code == 422 and words in refused.json()["detail_zh"]
