"""Publishing: every version kept with what changed, the gateway's view of the published
version, retiring, stale marks, and the ledger behind each step."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.catalog.conftest import data_admin, resource_body, unit_of
from tests.helpers import api_token, token_of
from zhuyun.catalog import service
from zhuyun.catalog.vocab import ResourceStatus, Sensitivity, ShareType
from zhuyun.core.db import Database
from zhuyun.core.ledger import Actor, LedgerEntry
from zhuyun.core.masking import MaskKind
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role


def _draft(client: TestClient, headers: dict[str, str], name: str, **overrides: object) -> dict:
    body = resource_body(unit_of(client, headers), name, **overrides)
    response = client.post("/api/catalog/resources", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _activities(db: Database, resource_id: int) -> list[str]:
    with db.session() as session:
        return list(
            session.scalars(
                select(LedgerEntry.activity)
                .where(LedgerEntry.case_id == f"catalog_resource:{resource_id}")
                .order_by(LedgerEntry.seq)
            )
        )


def test_readers_see_the_published_version_until_the_next_one_is_published(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    admin = token_of(client, data_admin(demo_city, "gongan.data"))
    reader = api_token(client, demo_city, Role.GRID_WORKER)
    made = _draft(client, admin, "版本测试资源")
    rid = made["id"]
    assert client.get(f"/api/catalog/resources/{rid}", headers=reader).status_code == 404
    first = client.post(f"/api/catalog/resources/{rid}/publish", headers=admin)
    assert first.status_code == 200, first.text
    assert (first.json()["status"], first.json()["version"]) == ("published", 1)
    assert first.json()["publish_date"]

    changed = client.patch(
        f"/api/catalog/resources/{rid}",
        headers=admin,
        json={
            "share_type": "none",
            "legal_basis": "《中华人民共和国个人信息保护法》第二十八条",
            "items": [
                *made["items"],
                {"field": "phone", "name": "联系电话", "sensitivity": "sensitive"},
            ],
        },
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["has_unpublished_changes"] is True
    assert changed.json()["view"] == "working"
    seen = client.get(f"/api/catalog/resources/{rid}", headers=reader).json()
    assert (seen["view"], seen["share_type"], len(seen["items"])) == ("published", "conditional", 2)
    with db.session() as session:
        assert service.published_view(session, rid).share_type == ShareType.CONDITIONAL

    second = client.post(f"/api/catalog/resources/{rid}/publish", headers=admin)
    assert second.status_code == 200, second.text
    seen = client.get(f"/api/catalog/resources/{rid}", headers=reader).json()
    assert (seen["version"], seen["share_type"], len(seen["items"])) == (2, "none", 3)
    versions = client.get(f"/api/catalog/resources/{rid}/versions", headers=reader).json()
    assert [v["version"] for v in versions["data"]] == [2, 1]
    changes = {c["field"]: c for c in versions["data"][0]["changes"]}
    assert changes["share_type"]["before"] == "conditional"
    assert changes["share_type"]["after"] == "none"
    assert changes["share_type"]["label"] == "共享类型"
    assert changes["items.added"]["after"] == ["phone"]
    assert changes["items.id_number.share_type"]["after"] == "none"  # followed its resource
    old = client.get(f"/api/catalog/resources/{rid}/versions/1", headers=reader).json()
    assert old["resource"]["share_type"] == "conditional" and not old["is_current"]
    assert client.get(f"/api/catalog/resources/{rid}/versions/9", headers=reader).status_code == 404
    assert _activities(db, rid) == [
        "catalog.drafted",
        "catalog.published",
        "catalog.updated",
        "catalog.published",
    ]


def test_the_gateway_view_lists_items_with_share_types_sensitivities_and_masks(
    db: Database,
) -> None:
    with db.session() as session:
        hit = service.search(session, "人口基础信息", service.Facets(), 0, 1).hits[0]
        view = service.published_view(session, hit.version.resource_id)
    assert view.name == "人口基础信息" and view.status == ResourceStatus.PUBLISHED
    assert view.code.startswith("101001/")
    item = view.items["id_number"]
    assert (item.sensitivity, item.mask_kind) == (Sensitivity.SENSITIVE, MaskKind.ID_NUMBER)
    assert view.items["phone"].mask_kind == MaskKind.PHONE
    assert view.items["sex"].sensitivity == Sensitivity.INTERNAL
    assert all(i.share_type == ShareType.CONDITIONAL for i in view.items.values())


def test_an_incomplete_draft_cannot_be_published_and_says_what_is_missing(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    admin = token_of(client, data_admin(demo_city, "gongan.data"))
    made = _draft(client, admin, "未完成的资源", summary="", share_conditions="", items=[])
    refused = client.post(f"/api/catalog/resources/{made['id']}/publish", headers=admin)
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "incomplete-resource"
    assert {e["location"][-1] for e in body["errors"]} == {"summary", "items", "share_conditions"}
    assert "摘要" in body["detail_zh"]
    assert _activities(db, made["id"]) == ["catalog.drafted"]


def test_publishing_twice_without_changes_is_a_conflict(
    client: TestClient, demo_city: DemoResult
) -> None:
    admin = token_of(client, data_admin(demo_city, "gongan.data"))
    made = _draft(client, admin, "重复发布")
    assert client.post(f"/api/catalog/resources/{made['id']}/publish", headers=admin).is_success
    again = client.post(f"/api/catalog/resources/{made['id']}/publish", headers=admin)
    assert again.status_code == 409 and again.json()["code"] == "nothing-to-publish"
    unchanged = client.patch(
        f"/api/catalog/resources/{made['id']}", headers=admin, json={"name": "重复发布"}
    )
    assert unchanged.json()["has_unpublished_changes"] is False


def test_the_resource_code_is_fixed_once_published(
    client: TestClient, demo_city: DemoResult
) -> None:
    admin = token_of(client, data_admin(demo_city, "gongan.data"))
    made = _draft(client, admin, "代码固定")
    moved = client.patch(
        f"/api/catalog/resources/{made['id']}",
        headers=admin,
        json={"class_code": "2", "item_code": "10", "catalogue_code": "050"},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["code"] == "210050/000001"
    client.post(f"/api/catalog/resources/{made['id']}/publish", headers=admin)
    refused = client.patch(
        f"/api/catalog/resources/{made['id']}", headers=admin, json={"catalogue_code": "051"}
    )
    assert refused.status_code == 409 and refused.json()["code"] == "code-fixed"


def test_a_retired_resource_leaves_the_catalog_but_keeps_its_versions(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    admin = token_of(client, data_admin(demo_city, "gongan.data"))
    reader = api_token(client, demo_city, Role.CASE_HANDLER)
    made = _draft(client, admin, "即将撤销的资源")
    client.post(f"/api/catalog/resources/{made['id']}/publish", headers=admin)
    found = client.get("/api/catalog/resources", params={"q": "即将撤销"}, headers=reader)
    assert found.json()["count"] == 1
    retired = client.post(
        f"/api/catalog/resources/{made['id']}/retire", headers=admin, json={"reason": "职能调整"}
    )
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    assert (
        client.get("/api/catalog/resources", params={"q": "即将撤销"}, headers=reader).json()[
            "count"
        ]
        == 0
    )
    versions = client.get(f"/api/catalog/resources/{made['id']}/versions", headers=reader)
    assert versions.json()["count"] == 1
    with db.session() as session:
        assert service.published_view(session, made["id"]).status == ResourceStatus.RETIRED
    for method, path in (
        ("PATCH", f"/api/catalog/resources/{made['id']}"),
        ("POST", f"/api/catalog/resources/{made['id']}/publish"),
        ("POST", f"/api/catalog/resources/{made['id']}/retire"),
    ):
        response = client.request(method, path, headers=admin, json={"name": "复活"})
        assert response.status_code == 409, (method, path)
    assert _activities(db, made["id"])[-1] == "catalog.retired"


def test_a_data_admin_cannot_publish_another_units_resource(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    police = token_of(client, data_admin(demo_city, "gongan.data"))
    market = token_of(client, data_admin(demo_city, "scjg.data"))
    made = _draft(client, police, "公安的草稿")
    for method, path in (
        ("POST", f"/api/catalog/resources/{made['id']}/publish"),
        ("PATCH", f"/api/catalog/resources/{made['id']}"),
        ("POST", f"/api/catalog/resources/{made['id']}/retire"),
    ):
        refused = client.request(method, path, headers=market, json={"name": "改名"})
        assert refused.status_code == 403, (method, path)
    assert client.get(f"/api/catalog/resources/{made['id']}", headers=market).status_code == 404
    assert _activities(db, made["id"]) == ["catalog.drafted", *["catalog.forbidden"] * 3]
    platform = api_token(client, demo_city, Role.PLATFORM_ADMIN)
    assert client.post(f"/api/catalog/resources/{made['id']}/publish", headers=platform).is_success


def test_a_stale_resource_is_flagged_until_its_provider_republishes_it(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    admin = token_of(client, data_admin(demo_city, "gongan.data"))
    made = _draft(client, admin, "源表会变的资源")
    client.post(f"/api/catalog/resources/{made['id']}/publish", headers=admin)
    exchange = Actor(None, "共享交换")
    with db.session() as session:
        service.mark_stale(session, exchange, made["id"], "源表缺少列 status")
        service.mark_stale(session, exchange, made["id"], "源表缺少列 status")  # no second entry
        assert service.published_view(session, made["id"]).stale is True
    seen = client.get(f"/api/catalog/resources/{made['id']}", headers=admin).json()
    assert (seen["stale"], seen["stale_reason"]) == (True, "源表缺少列 status")
    stale_list = client.get("/api/catalog/worklist", params={"stale": "true"}, headers=admin)
    assert [r["id"] for r in stale_list.json()["data"]] == [made["id"]]
    republished = client.post(f"/api/catalog/resources/{made['id']}/publish", headers=admin)
    assert republished.status_code == 200 and republished.json()["stale"] is False
    with db.session() as session:
        service.mark_stale(session, exchange, made["id"], "又变了")
        service.clear_stale(session, exchange, made["id"])
    assert _activities(db, made["id"]) == [
        "catalog.drafted",
        "catalog.published",
        "catalog.marked_stale",
        "catalog.published",
        "catalog.marked_stale",
        "catalog.stale_cleared",
    ]


def test_the_worklist_shows_a_data_admin_only_their_units_resources(
    client: TestClient, demo_city: DemoResult
) -> None:
    market = token_of(client, data_admin(demo_city, "scjg.data"))
    unit = unit_of(client, market)
    mine = client.get("/api/catalog/worklist", params={"limit": 200}, headers=market).json()
    assert mine["count"] > 0 and {r["provider_unit_id"] for r in mine["data"]} == {unit}
    other = client.get("/api/catalog/worklist", params={"provider_unit_id": 1}, headers=market)
    assert other.status_code == 403
