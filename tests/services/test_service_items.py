"""The service item catalog: every field the implementation list publishes, search by
keyword, life event, unit and type, paging, and the materials each item spares."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.services.conftest import PENSION, STARTUP


def test_anyone_finds_enterprise_startup_as_a_joint_item_by_keyword(client: TestClient) -> None:
    response = client.get("/api/services/items", params={"q": "企业开办"})
    assert response.status_code == 200
    page = response.json()
    assert [i["code"] for i in page["data"]] == [STARTUP]
    item = page["data"][0]
    assert item["joint"] is True
    assert item["unit_name"] == "贵阳市市场监督管理局"
    assert item["statutory_days"] == 15 and item["promised_days"] == 1
    assert item["online_depth"] == "全程网办"
    assert item["materials_total"] == 4 and item["materials_spared"] == 2


def test_item_detail_names_each_materials_source_and_the_parallel_workflow(
    client: TestClient,
) -> None:
    detail = client.get(f"/api/services/items/{STARTUP}").json()
    assert detail["item_type"] == "行政许可"
    assert "市场主体登记管理条例" in detail["legal_basis"]
    assert detail["conditions"]
    kinds = {m["name"]: m for m in detail["materials"]}
    assert kinds["法定代表人身份信息"]["kind"] == "shared"
    assert kinds["法定代表人身份信息"]["resource_id"] is not None
    assert "name" in kinds["法定代表人身份信息"]["info_items"]
    assert kinds["公司章程"]["kind"] == "upload" and kinds["公司章程"]["resource_id"] is None
    parallel = next(s for s in detail["workflow"]["steps"] if s.get("branches"))
    assert {b["code"] for b in parallel["branches"]} == {
        "registration",
        "tax",
        "social_insurance",
        "seal",
        "bank",
    }
    assert detail["power_code"] == "XK-SCJG-001"


def test_items_filter_by_life_event_type_immediacy_and_unit(client: TestClient) -> None:
    births = client.get("/api/services/items", params={"life_event": "出生"}).json()
    assert [i["name"] for i in births["data"]] == ["出生登记（新生儿落户）"]
    immediate = client.get("/api/services/items", params={"immediate": True}).json()
    assert immediate["count"] >= 2 and all(i["immediate"] for i in immediate["data"])
    assert all(i["promised_days"] == 0 for i in immediate["data"])
    grants = client.get("/api/services/items", params={"item_type": "行政给付"}).json()
    assert grants["count"] >= 3 and all(i["item_type"] == "行政给付" for i in grants["data"])
    pension = client.get(f"/api/services/items/{PENSION}").json()
    of_unit = client.get("/api/services/items", params={"unit_id": pension["unit_id"]}).json()
    assert PENSION in [i["code"] for i in of_unit["data"]]
    assert all(i["unit_id"] == pension["unit_id"] for i in of_unit["data"])


def test_item_list_pages(client: TestClient) -> None:
    first = client.get("/api/services/items", params={"limit": 3}).json()
    second = client.get("/api/services/items", params={"limit": 3, "offset": 3}).json()
    assert first["count"] == second["count"] >= 10
    assert len(first["data"]) == 3
    assert not {i["code"] for i in first["data"]} & {i["code"] for i in second["data"]}


def test_a_fee_item_states_its_fee_and_basis(client: TestClient) -> None:
    detail = client.get("/api/services/items/520100-ZRZY-QR-0001").json()
    assert detail["fee_yuan"] == 80.0 and "80元" in detail["fee_basis"]


def test_unknown_item_is_a_404_problem_in_both_languages(client: TestClient) -> None:
    response = client.get("/api/services/items/NO-SUCH-ITEM")
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "item-not-found" and "不存在" in body["detail_zh"]
