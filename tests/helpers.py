"""Small helpers tests share: signing in as a browser does, API tokens of demo accounts."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi.testclient import TestClient

from zhuyun.demo.builder import DemoAccount, DemoResult
from zhuyun.identity.permissions import Role


def sign_in(client: TestClient, username: str, password: str) -> None:
    """Sign in through the login form, as a browser does (CSRF cookie first)."""
    page = client.get("/login")
    assert page.status_code == 200
    token = client.cookies.get("zhuyun_csrf")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]


def csrf(client: TestClient) -> str:
    token = client.cookies.get("zhuyun_csrf")
    if token is None:
        client.get("/login")
        token = client.cookies.get("zhuyun_csrf")
    assert token
    return token


def api_token(client: TestClient, demo_city: DemoResult, role: Role) -> dict[str, str]:
    """Authorization headers of a fresh API token for the demo account of `role`."""
    return token_for(client, demo_city, demo_city.account(role).username)


def token_for(client: TestClient, demo_city: DemoResult, username: str) -> dict[str, str]:
    """Authorization headers of a fresh API token for the demo account `username`
    (e.g. `gongan.data`, when a role has several demo accounts)."""
    return token_of(client, next(a for a in demo_city.accounts if a.username == username))


def token_of(client: TestClient, account: DemoAccount) -> dict[str, str]:
    """Authorization headers of a fresh API token for one demo account."""
    response = client.post(
        "/api/auth/token", json={"username": account.username, "password": account.password}
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def shared_data(*parts: str) -> Path:
    """A file of the workplace's real data (`../shared/data/` beside the repository, or where
    ZHUYUN_SHARED_DATA points; a clean clone elsewhere finds it at /work/shared/data)."""
    candidates = [
        Path(os.environ["ZHUYUN_SHARED_DATA"]) if "ZHUYUN_SHARED_DATA" in os.environ else None,
        Path(__file__).resolve().parents[2] / "shared" / "data",
        Path("/work/shared/data"),
    ]
    for root in candidates:
        if root is not None and root.exists():
            return root.joinpath(*parts)
    return Path("/work/shared/data").joinpath(*parts)
