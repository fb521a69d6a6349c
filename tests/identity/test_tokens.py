"""API tokens for machines: issued once, checked on every call, revocable; forgeries refused."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.helpers import api_token
from zhuyun.core.db import Database
from zhuyun.core.ledger import LedgerEntry
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role


def test_a_token_from_password_sign_in_reaches_my_account(
    client: TestClient, demo_city: DemoResult
) -> None:
    headers = api_token(client, demo_city, Role.DATA_ADMIN)
    me = client.get("/api/me", headers=headers)
    assert me.status_code == 200
    body = me.json()
    assert body["username"] == demo_city.account(Role.DATA_ADMIN).username
    assert "accounts.read" in body["permissions"]
    assert "ledger.read" not in body["permissions"]


def test_a_wrong_password_gets_no_token(client: TestClient, demo_city: DemoResult) -> None:
    response = client.post(
        "/api/auth/token",
        json={"username": demo_city.account(Role.GRID_WORKER).username, "password": "wrong-pass1"},
    )
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["detail_zh"] == "用户名或密码错误。"
    assert problem["detail"] == "Wrong username or password."
    assert "token" not in problem


def test_a_forged_token_is_refused_and_ledgered(client: TestClient, db: Database) -> None:
    response = client.get("/api/me", headers={"Authorization": "Bearer zy_abcdef123456_forged"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid-token"
    with db.session() as session:
        last = session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.activity == "auth.token_refused")
            .order_by(LedgerEntry.seq.desc())
        ).first()
    assert last is not None
    assert last.attrs["reason"] == "forged"
    assert "forged" not in last.subject_id


def test_a_malformed_authorization_header_is_a_clear_401(client: TestClient) -> None:
    response = client.get("/api/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]


def test_tokens_are_listed_without_their_secret_and_can_be_revoked(
    client: TestClient, demo_city: DemoResult
) -> None:
    headers = api_token(client, demo_city, Role.CASE_HANDLER)
    issued = client.post(
        "/api/me/tokens", headers=headers, json={"name": "批量导入脚本", "expires_in_days": 30}
    )
    assert issued.status_code == 201
    raw = issued.json()["token"]
    listing = client.get("/api/me/tokens", headers=headers)
    assert raw not in listing.text
    assert any(t["name"] == "批量导入脚本" for t in listing.json())
    second = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/me", headers=second).status_code == 200
    revoke = client.delete(f"/api/me/tokens/{issued.json()['id']}", headers=headers)
    assert revoke.status_code == 204
    assert client.get("/api/me", headers=second).status_code == 401


def test_one_cannot_revoke_someone_elses_token(client: TestClient, demo_city: DemoResult) -> None:
    mine = api_token(client, demo_city, Role.CASE_HANDLER)
    theirs = client.post(
        "/api/me/tokens",
        headers=api_token(client, demo_city, Role.SUPERVISOR),
        json={"name": "theirs"},
    ).json()
    assert client.delete(f"/api/me/tokens/{theirs['id']}", headers=mine).status_code == 404


def test_api_logout_revokes_the_token_used(client: TestClient, demo_city: DemoResult) -> None:
    headers = api_token(client, demo_city, Role.ENTERPRISE)
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/me", headers=headers).status_code == 401
