"""Managing the service catalog through the API: a unit publishes an item that citizens then
find and apply for; bad items and bad workflow graphs are refused and change nothing;
another unit cannot touch the item; an update is a new version that leaves running cases
on their terms; withdrawal stops new applications while running cases go on."""

from __future__ import annotations

import itertools
import random
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.helpers import sign_in, token_for
from tests.services.conftest import act, submit
from zhuyun.core.ledger import LedgerEntry
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role
from zhuyun.services.models import ItemMaterial

_NUMBERS = itertools.count(random.randrange(5000, 9000))


def _new_code() -> str:
    return f"520100-SCJG-GG-{next(_NUMBERS):04d}"


@pytest.fixture
def scjg_admin(client: TestClient, demo_city: DemoResult) -> dict[str, str]:
    return token_for(client, demo_city, "scjg.data")


@pytest.fixture
def gongan_admin(client: TestClient, demo_city: DemoResult) -> dict[str, str]:
    return token_for(client, demo_city, "gongan.data")


@pytest.fixture
def shared_material(app: FastAPI) -> dict[str, Any]:
    """A shared material of a demo item keyed by the applicant's ID number (a published
    resource with real info items), reused in a new item."""
    with app.state.db.session() as session:
        row = session.scalars(
            select(ItemMaterial).where(
                ItemMaterial.kind == "shared", ItemMaterial.key_source == "applicant.id_number"
            )
        ).first()
        assert row is not None
        return {
            "name": "申请人身份信息",
            "kind": "shared",
            "resource_id": row.resource_id,
            "key_field": row.key_field,
            "key_source": row.key_source,
            "info_items": list(row.info_items),
            "fixed_filters": dict(row.fixed_filters),
        }


def _item(code: str, shared: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code,
        "name": f"个体工商户年度报告辅导{code[-4:]}",
        "item_type": "公共服务",
        "legal_basis": "《促进个体工商户发展条例》第十条",
        "conditions": "在本市登记的个体工商户",
        "statutory_days": 5,
        "promised_days": 2,
        "online_depth": "全程网办",
        "workflow_code": "standard",
        "materials": [shared, {"name": "经营场所照片", "kind": "upload"}],
        "life_events": ["经营许可"],
        "applicant_kinds": ["person"],
        "form_fields": [
            {"name": "shop_name", "label": "字号名称", "required": True},
            {"name": "applicant_name", "label": "经营者", "prefill": [1, shared["info_items"][0]]},
        ],
    }
    body.update(changes)
    return body


def _create(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> Any:
    return client.post(
        "/api/services/items", json=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex}
    )


def _ledger(app: FastAPI, code: str) -> list[str]:
    with app.state.db.session() as session:
        return list(
            session.scalars(
                select(LedgerEntry.activity)
                .where(LedgerEntry.subject_type == "service_item", LedgerEntry.subject_id == code)
                .order_by(LedgerEntry.seq)
            )
        )


def test_a_unit_publishes_an_item_that_is_found_and_applied_for(
    app: FastAPI,
    client: TestClient,
    scjg_admin: dict[str, str],
    citizen: dict[str, str],
    shared_material: dict[str, Any],
) -> None:
    code = _new_code()
    body = _item(code, shared_material)
    key = {**scjg_admin, "Idempotency-Key": uuid.uuid4().hex}
    created = client.post("/api/services/items", json=body, headers=key)
    assert created.status_code == 201, created.text
    item = created.json()
    assert item["version"] == 1 and item["withdrawn_at"] is None
    assert item["unit_name"] == "贵阳市市场监督管理局"
    assert item["materials_total"] == 2 and item["materials_spared"] == 1
    replay = client.post("/api/services/items", json=body, headers=key)
    assert replay.status_code == 200 and replay.json()["code"] == code
    assert _ledger(app, code) == ["services.item_published"]

    found = client.get("/api/services/items", params={"q": body["name"]}).json()
    assert [i["code"] for i in found["data"]] == [code]
    case = submit(client, citizen, code, {"shop_name": "花溪小吃"})
    assert case.status_code == 201, case.text
    assert case.json()["item_code"] == code


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"code": "SCJG-0001"}, "事项编码格式"),
        ({"item_type": "行政审批"}, "未知的事项类型"),
        ({"promised_days": 6}, "承诺时限"),
        ({"statutory_days": 0}, None),
        ({"workflow_code": "no_such_flow"}, "流程"),
        ({"online_depth": "随便办"}, "网办深度"),
        ({"life_events": ["登月"]}, "人生事件"),
        ({"unit_id": 2**31 - 1}, "单位"),
    ],
)
def test_bad_items_are_refused_in_both_languages_and_change_nothing(
    app: FastAPI,
    client: TestClient,
    scjg_admin: dict[str, str],
    shared_material: dict[str, Any],
    changes: dict[str, Any],
    message: str | None,
) -> None:
    body = {**_item(_new_code(), shared_material), **changes}
    response = _create(client, scjg_admin, body)
    assert response.status_code in (403, 422), response.text
    problem = response.json()
    assert problem["detail"] and problem["detail_zh"]
    if message:
        assert message in problem["detail_zh"]
    assert client.get(f"/api/services/items/{body['code'][:40]}").status_code == 404
    assert _ledger(app, body["code"]) == []


@pytest.mark.parametrize(
    ("material", "message"),
    [
        ({"resource_id": 2**31 - 1}, "未发布"),
        ({"info_items": ["no_such_item"]}, "没有信息项"),
        ({"key_field": "no_such_key"}, "没有信息项"),
    ],
)
def test_materials_must_point_to_published_resources_and_their_info_items(
    client: TestClient,
    scjg_admin: dict[str, str],
    shared_material: dict[str, Any],
    material: dict[str, Any],
    message: str,
) -> None:
    code = _new_code()
    body = _item(code, shared_material, form_fields=[])
    body["materials"][0] = {**shared_material, **material}
    response = _create(client, scjg_admin, body)
    assert response.status_code == 422, response.text
    assert message in response.json()["detail_zh"]
    assert client.get(f"/api/services/items/{code}").status_code == 404


def test_another_unit_and_a_citizen_cannot_manage_the_item(
    app: FastAPI,
    client: TestClient,
    scjg_admin: dict[str, str],
    gongan_admin: dict[str, str],
    citizen: dict[str, str],
    shared_material: dict[str, Any],
) -> None:
    code = _new_code()
    body = _item(code, shared_material)
    assert _create(client, scjg_admin, body).status_code == 201
    unit_id = client.get(f"/api/services/items/{code}").json()["unit_id"]

    renamed = {**body, "name": "公安局改的名字"}
    assert (
        client.put(f"/api/services/items/{code}", json=renamed, headers=gongan_admin).status_code
        == 403
    )
    withdraw = {"reason": "越权撤销"}
    assert (
        client.post(f"/api/services/items/{code}/withdraw", json=withdraw, headers=gongan_admin)
    ).status_code == 403
    foreign = _item(_new_code(), shared_material, unit_id=unit_id)
    assert _create(client, gongan_admin, foreign).status_code == 403
    assert _create(client, citizen, _item(_new_code(), shared_material)).status_code == 403

    item = client.get(f"/api/services/items/{code}").json()
    assert item["name"] == body["name"] and item["version"] == 1 and item["withdrawn_at"] is None
    assert _ledger(app, code) == ["services.item_published"]


def test_an_update_is_a_new_version_and_running_cases_keep_their_terms(
    app: FastAPI,
    client: TestClient,
    scjg_admin: dict[str, str],
    citizen: dict[str, str],
    shared_material: dict[str, Any],
) -> None:
    code = _new_code()
    body = _item(code, shared_material, fee_fen=0)
    assert _create(client, scjg_admin, body).status_code == 201
    case = submit(client, citizen, code, {"shop_name": "青岩豆腐"}).json()

    updated = {**body, "promised_days": 1, "conditions": "在本市登记且正常经营的个体工商户"}
    response = client.put(f"/api/services/items/{code}", json=updated, headers=scjg_admin)
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2 and response.json()["promised_days"] == 1
    again = client.get(f"/api/services/cases/{case['number']}", headers=citizen).json()
    assert again["due_on"] == case["due_on"]  # the case keeps the limit it was submitted under

    moved = {**body, "workflow_code": "immediate", "promised_days": 0, "immediate": True}
    refused = client.put(f"/api/services/items/{code}", json=moved, headers=scjg_admin)
    assert refused.status_code == 409 and "在办" in refused.json()["detail_zh"]
    fewer = {**body, "materials": [shared_material], "form_fields": []}
    refused = client.put(f"/api/services/items/{code}", json=fewer, headers=scjg_admin)
    assert refused.status_code == 409
    assert client.get(f"/api/services/items/{code}").json()["version"] == 2
    assert _ledger(app, code) == ["services.item_published", "services.item_updated"]


def test_withdrawal_stops_new_applications_while_running_cases_go_on(
    app: FastAPI,
    client: TestClient,
    scjg_admin: dict[str, str],
    citizen: dict[str, str],
    handler_of: Any,
    demo_city: DemoResult,
    shared_material: dict[str, Any],
) -> None:
    code = _new_code()
    body = _item(code, shared_material, materials=[shared_material])
    assert _create(client, scjg_admin, body).status_code == 201
    running = submit(client, citizen, code, {"shop_name": "甲秀楼茶铺"})
    assert running.status_code == 201, running.text

    withdrawn = client.post(
        f"/api/services/items/{code}/withdraw", json={"reason": "并入新事项"}, headers=scjg_admin
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_at"]
    found = client.get("/api/services/items", params={"q": body["name"]}).json()
    assert found["count"] == 0
    refused = submit(client, citizen, code, {"shop_name": "另一家"})
    assert refused.status_code == 409 and "已撤销" in refused.json()["detail_zh"]

    accepted = act(client, handler_of("scjg"), running.json()["number"], "accept")
    assert accepted.status_code == 200, accepted.text
    assert _ledger(app, code) == ["services.item_published", "services.item_withdrawn"]

    account = demo_city.account(Role.CITIZEN)
    sign_in(client, account.username, account.password)
    page = client.get(f"/services/items/{code}")
    assert page.status_code == 200
    assert "本事项已撤销" in page.text and "提交申请" not in page.text


def _workflow(code: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code,
        "name": "食品经营许可并联流程",
        "steps": [
            {"code": "accept", "name": "受理", "kind": "accept", "days": 1},
            {
                "code": "joint_review",
                "name": "并联审查",
                "kind": "review",
                "days": 3,
                "branches": [
                    {"code": "site", "name": "现场核查", "unit": "lead"},
                    {"code": "health", "name": "卫生审查", "unit": "wjw"},
                ],
            },
            {"code": "decide", "name": "决定", "kind": "decide", "days": 1},
            {"code": "issue", "name": "出证", "kind": "issue", "days": 1},
            {"code": "deliver", "name": "送达", "kind": "deliver", "days": 1},
        ],
    }
    body.update(changes)
    return body


def _steps_with(index: int, **changes: Any) -> list[dict[str, Any]]:
    steps = _workflow("x")["steps"]
    steps[index] = {**steps[index], **changes}
    return steps


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (_steps_with(1, branches=[]), "分支为空"),
        (_steps_with(2, code="accept"), "环节代码重复"),
        (
            _steps_with(1, branches=[{"code": "a", "name": "甲"}, {"code": "a", "name": "乙"}]),
            "分支代码重复",
        ),
        (_steps_with(1, branches=[{"code": "x", "name": "某局", "unit": "nowhere"}]), "未知的单位"),
        (_workflow("x")["steps"][:-1], "送达"),
        (_steps_with(3, kind="decide"), "decide"),
        (_steps_with(1, kind="fly"), None),
    ],
)
def test_a_workflow_with_a_bad_graph_is_refused(
    app: FastAPI,
    client: TestClient,
    scjg_admin: dict[str, str],
    steps: list[dict[str, Any]],
    message: str | None,
) -> None:
    code = f"flow_{uuid.uuid4().hex[:8]}"
    response = client.post(
        "/api/services/workflows", json=_workflow(code, steps=steps), headers=scjg_admin
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"] and response.json()["detail_zh"]
    if message:
        assert message in response.json()["detail_zh"]
    assert client.get(f"/api/services/workflows/{code}").status_code == 404


def test_a_declared_workflow_runs_an_item_and_is_never_replaced(
    app: FastAPI,
    client: TestClient,
    scjg_admin: dict[str, str],
    citizen: dict[str, str],
    shared_material: dict[str, Any],
) -> None:
    code = f"flow_{uuid.uuid4().hex[:8]}"
    declared = client.post("/api/services/workflows", json=_workflow(code), headers=scjg_admin)
    assert declared.status_code == 201, declared.text
    parallel = declared.json()["steps"][1]
    assert [b["code"] for b in parallel["branches"]] == ["site", "health"]
    again = client.post("/api/services/workflows", json=_workflow(code), headers=scjg_admin)
    assert again.status_code == 409

    item_code = _new_code()
    assert _create(client, scjg_admin, _item(item_code, shared_material, workflow_code=code))
    case = submit(client, citizen, item_code, {"shop_name": "观山湖餐馆"})
    assert case.status_code == 201, case.text
    with app.state.db.session() as session:
        saved = session.scalars(
            select(LedgerEntry.activity).where(
                LedgerEntry.subject_type == "service_workflow", LedgerEntry.subject_id == code
            )
        ).all()
    assert saved == ["services.workflow_saved"]
