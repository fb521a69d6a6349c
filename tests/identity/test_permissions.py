"""Deny by default: every route names its guard; each role sees exactly what it may."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.helpers import api_token
from zhuyun.core.db import Database
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.deps import assert_every_route_guarded, route_guards
from zhuyun.identity.permissions import Role

PUBLIC_ROUTES = {
    "GET /api/health",
    "POST /api/auth/token",
    "POST /api/auth/register/person",
    "POST /api/auth/register/legal",
    "GET /login",
    "POST /login",
    # open data for the public: the catalog's DCAT export, the sharing statistics
    "GET /api/catalog/dcat.ttl",
    "GET /api/catalog/dcat.jsonld",
    "GET /api/exchange/statistics",
    # the open-data portal's CKAN-compatible Action API
    "GET /api/3/action/{action}",
    "POST /api/3/action/{action}",
    "GET /api/action/{action}",
    "POST /api/action/{action}",
    # the open-data portal's catalog as DCAT-AP, and its well-known address
    "GET /opendata/catalog.ttl",
    "GET /opendata/catalog.jsonld",
    "GET /opendata/catalog.rdf",
    "GET /.well-known/dcat",
    # the open-data portal's public pages
    "GET /opendata",
    "GET /opendata/datasets/{name}",
    "GET /opendata/organizations",
    "GET /opendata/organizations/{name}",
    "GET /opendata/datasets/{name}/download.{fmt}",
    "GET /opendata/developer",  # the developers' corner (keys need sign-in)
    # department nodes: a code signed by the node's own key (pending approval), and a new
    # key announced signed by the node's current key
    "POST /api/exchange/nodes/register",
    "POST /api/exchange/nodes/rotate",
    # Open311 GeoReport v2: public reads; POST requests checks its api_key itself
    "GET /open311/discovery.{fmt}",
    "GET /open311/v2/discovery.{fmt}",
    "GET /open311/v2/services.{fmt}",
    "GET /open311/v2/services/{service_code}.{fmt}",
    "GET /open311/v2/requests.{fmt}",
    "POST /open311/v2/requests.{fmt}",
    "GET /open311/v2/requests/{service_request_id}.{fmt}",
    "GET /open311/v2/tokens/{token_id}.{fmt}",
    # 一网通办: the service catalog, the workflows it promises and the units' ratings are
    # public (a citizen finds a service before signing in); applying needs an account
    "GET /services",
    "GET /services/items/{code}",
    "GET /services/ratings",
    "GET /api/services/items",
    "GET /api/services/items/{code}",
    "GET /api/services/workflows/{code}",
    "GET /api/services/ratings",
    "GET /api/services/ratings/{unit_id}/comments",
    # 电子证照: anyone verifies a certificate (public fields only) against the units' public keys
    "GET /certificates/verify",
    "POST /certificates/verify",
    "GET /certificates/verify/{number}",
    "GET /api/certificates/verify/{number}",
    "POST /api/certificates/verify",
    "GET /api/certificates/kinds",
    "GET /api/certificates/keys",
    "GET /api/certificates/keys/{key_id}",
    # 数据铁笼: a case's public page (steps and timeliness, no personal data) and its QR code
    "GET /supervision/public/cases/{token}",
    "GET /supervision/public/cases/{token}/qr.png",
}


def test_every_route_declares_a_guard_and_only_known_ones_are_public(app: FastAPI) -> None:
    guards = route_guards(app)
    assert all(guards.values())
    public = {route for route, labels in guards.items() if labels == ["public"]}
    assert public == PUBLIC_ROUTES


def test_an_app_with_an_unguarded_route_refuses_to_start() -> None:
    bare = FastAPI()

    @bare.get("/oops")
    def oops() -> dict[str, str]:
        return {}

    with pytest.raises(RuntimeError, match="/oops"):
        assert_every_route_guarded(bare)


def test_anonymous_callers_get_401_from_every_guarded_api_route(
    app: FastAPI, client: TestClient
) -> None:
    for route in route_guards(app):
        method, path = route.split(" ", 1)
        if not path.startswith("/api") or route in PUBLIC_ROUTES:
            continue
        response = client.request(method, re.sub(r"\{[^}]+\}", "1", path))
        assert response.status_code == 401, route


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        (Role.CITIZEN, "/api/units", 403),
        (Role.CITIZEN, "/api/accounts", 403),
        (Role.CITIZEN, "/api/ledger", 403),
        (Role.ENTERPRISE, "/api/ledger", 403),
        (Role.GRID_WORKER, "/api/ledger", 403),
        (Role.GRID_WORKER, "/api/units", 200),
        (Role.SUPERVISOR, "/api/ledger", 200),
        (Role.CASE_HANDLER, "/api/accounts", 403),
        (Role.CITIZEN, "/api/dashboard", 200),
    ],
)
def test_each_role_reaches_what_it_may(
    client: TestClient, demo_city: DemoResult, role: Role, path: str, status: int
) -> None:
    response = client.get(path, headers=api_token(client, demo_city, role))
    assert response.status_code == status
    if status == 403:
        assert response.json()["detail_zh"]


def test_a_data_admin_lists_only_the_accounts_of_their_unit(
    client: TestClient, demo_city: DemoResult
) -> None:
    headers = api_token(client, demo_city, Role.DATA_ADMIN)
    me = client.get("/api/me", headers=headers).json()
    listing = client.get("/api/accounts", headers=headers)
    assert listing.status_code == 200
    assert {a["unit_id"] for a in listing.json()["data"]} == {me["unit_id"]}
    other = client.get("/api/accounts", params={"unit_id": me["unit_id"] + 1}, headers=headers)
    assert other.status_code == 403


def test_resident_ids_are_masked_for_everyone_but_their_owner(
    client: TestClient, demo_city: DemoResult
) -> None:
    citizen = demo_city.account(Role.CITIZEN)
    admin = api_token(client, demo_city, Role.PLATFORM_ADMIN)
    listing = client.get("/api/accounts", params={"kind": "person", "limit": 200}, headers=admin)
    assert citizen.username not in listing.text
    shown = [
        a["username"] for a in listing.json()["data"] if a["display_name"] == citizen.display_name
    ]
    assert shown and shown[0][0] == citizen.username[0] and "*" in shown[0]
    own = client.get("/api/me", headers=api_token(client, demo_city, Role.CITIZEN))
    assert own.json()["username"] == citizen.username


def test_units_follow_the_tree_and_every_change_is_ledgered(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    admin = api_token(client, demo_city, Role.PLATFORM_ADMIN)
    city = client.get("/api/units", params={"kind": "city"}, headers=admin).json()["data"][0]
    district = client.get(
        "/api/units", params={"kind": "district", "parent_id": city["id"]}, headers=admin
    ).json()["data"][0]
    made = client.post(
        "/api/units",
        headers=admin,
        json={
            "code": "test-street-1",
            "name": "测试街道",
            "kind": "street",
            "parent_id": district["id"],
            "division_code": district["division_code"] + "999",
        },
    )
    assert made.status_code == 201, made.text
    wrong_place = client.post(
        "/api/units",
        headers=admin,
        json={
            "code": "test-community-x",
            "name": "挂错的社区",
            "kind": "community",
            "parent_id": city["id"],
        },
    )
    assert wrong_place.status_code == 422
    taken = client.post(
        "/api/units",
        headers=admin,
        json={
            "code": "test-street-1",
            "name": "重复",
            "kind": "street",
            "parent_id": district["id"],
        },
    )
    assert taken.status_code == 409
    renamed = client.patch(
        f"/api/units/{made.json()['id']}", headers=admin, json={"name": "测试街道（更名）"}
    )
    assert renamed.json()["name"] == "测试街道（更名）"
    ledger = client.get(
        "/api/ledger", params={"case_id": f"unit:{made.json()['id']}"}, headers=admin
    ).json()
    assert [e["activity"] for e in ledger["data"]] == ["unit.updated", "unit.created"]
    assert client.get("/api/units/999999", headers=admin).status_code == 404


def test_a_supervisor_cannot_create_units(client: TestClient, demo_city: DemoResult) -> None:
    response = client.post(
        "/api/units",
        headers=api_token(client, demo_city, Role.SUPERVISOR),
        json={"code": "x1", "name": "x", "kind": "city"},
    )
    assert response.status_code == 403


def test_a_street_must_lie_within_its_district(client: TestClient, demo_city: DemoResult) -> None:
    admin = api_token(client, demo_city, Role.PLATFORM_ADMIN)
    nanming = client.get("/api/units", params={"q": "南明区", "kind": "district"}, headers=admin)
    district = nanming.json()["data"][0]
    before = client.get("/api/units", params={"kind": "street"}, headers=admin).json()["count"]
    response = client.post(
        "/api/units",
        headers=admin,
        json={
            "code": "misplaced-street",
            "name": "错位街道",
            "kind": "street",
            "parent_id": district["id"],
            "division_code": "520103999",  # a Yunyan street code under Nanming
        },
    )
    assert response.status_code == 422
    assert "不在上级单位的区划" in response.json()["detail_zh"]
    after = client.get("/api/units", params={"kind": "street"}, headers=admin).json()["count"]
    assert after == before


def test_a_refused_request_is_in_the_ledger_with_who_asked(
    client: TestClient, demo_city: DemoResult
) -> None:
    citizen = demo_city.account(Role.CITIZEN)
    refused = client.get("/api/ledger", headers=api_token(client, demo_city, Role.CITIZEN))
    assert refused.status_code == 403
    admin = api_token(client, demo_city, Role.PLATFORM_ADMIN)
    entries = client.get(
        "/api/ledger", params={"activity": "auth.forbidden", "limit": 1}, headers=admin
    ).json()["data"]
    assert entries[0]["actor_name"] == citizen.display_name
    assert entries[0]["attrs"] == {"method": "GET", "permission": "ledger.read"}
    assert entries[0]["subject_id"] == "/api/ledger"


def test_account_search_finds_people_by_name_but_never_by_a_fragment_of_their_id(
    client: TestClient, demo_city: DemoResult
) -> None:
    citizen = demo_city.account(Role.CITIZEN)
    admin = api_token(client, demo_city, Role.PLATFORM_ADMIN)

    def found(q: str) -> int:
        response = client.get("/api/accounts", params={"q": q, "kind": "person"}, headers=admin)
        assert response.status_code == 200
        return int(response.json()["count"])

    assert found(citizen.display_name) >= 1
    assert found(citizen.username) == 1  # the whole number finds its owner
    assert found(citizen.username[:10]) == 0
    assert found(citizen.username[6:14]) == 0  # e.g. a birth date
    assert found("%") == 0


def test_every_permission_has_a_chinese_label_for_the_profile_page() -> None:
    from zhuyun.identity.permissions import PERMISSION_LABELS_ZH, Permission

    assert set(PERMISSION_LABELS_ZH) == set(Permission)
