"""Signing in through the login page: sessions, CSRF, lockout, logout, expiry."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.helpers import api_token, csrf, sign_in
from zhuyun.core.db import Database, utcnow
from zhuyun.core.ledger import LedgerEntry
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.models import WebSession
from zhuyun.identity.permissions import Role


def _entries(db: Database, activity: str) -> list[LedgerEntry]:
    with db.session() as session:
        return list(
            session.scalars(
                select(LedgerEntry)
                .where(LedgerEntry.activity == activity)
                .order_by(LedgerEntry.seq)
            )
        )


def _post_login(client: TestClient, username: str, password: str, **extra: str):
    data = {"username": username, "password": password, "csrf_token": csrf(client), "next": "/"}
    data.update(extra)
    return client.post("/login", data=data, follow_redirects=False)


def test_a_demo_user_signs_in_and_lands_on_the_dashboard(
    client: TestClient, demo_city: DemoResult
) -> None:
    admin = demo_city.account(Role.PLATFORM_ADMIN)
    sign_in(client, admin.username, admin.password)
    page = client.get("/")
    assert page.status_code == 200
    assert admin.display_name in page.text
    assert "户籍人口" in page.text


def test_the_session_cookie_is_httponly_and_samesite(
    client: TestClient, demo_city: DemoResult
) -> None:
    admin = demo_city.account(Role.PLATFORM_ADMIN)
    response = _post_login(client, admin.username, admin.password)
    cookie_header = "; ".join(
        v
        for k, v in response.headers.multi_items()
        if k == "set-cookie" and v.startswith("zhuyun_session=")
    )
    assert "HttpOnly" in cookie_header
    assert "samesite=lax" in cookie_header.lower()


def test_a_wrong_password_shows_the_login_page_and_is_ledgered(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    before = len(_entries(db, "auth.login_failed"))
    handler = demo_city.account(Role.CASE_HANDLER)
    response = _post_login(client, handler.username, "not-the-password1")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    assert "zhuyun_session" not in response.cookies
    failures = _entries(db, "auth.login_failed")
    assert len(failures) == before + 1
    assert failures[-1].attrs["reason"] == "wrong_password"
    assert "not-the-password1" not in str(failures[-1].attrs)


def test_an_unknown_user_gets_the_same_answer(client: TestClient, db: Database) -> None:
    response = _post_login(client, "nobody.here", "whatever123")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    assert _entries(db, "auth.login_failed")[-1].attrs["reason"] == "unknown_user"


def test_a_login_without_the_csrf_token_is_refused(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    admin = demo_city.account(Role.PLATFORM_ADMIN)
    client.get("/login")
    response = client.post(
        "/login",
        data={"username": admin.username, "password": admin.password},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "安全令牌" in response.text
    assert "zhuyun_session" not in response.cookies
    assert _entries(db, "auth.csrf_failed")


def test_a_signed_in_form_post_without_csrf_changes_nothing(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    citizen = demo_city.account(Role.CITIZEN)
    sign_in(client, citizen.username, citizen.password)
    response = client.post("/me/tokens", data={"name": "sneaky", "expires_in_days": "30"})
    assert response.status_code == 403
    assert all(e.attrs.get("name") != "sneaky" for e in _entries(db, "token.issued"))


def test_repeated_failures_lock_the_account_until_an_admin_unlocks_it(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    headers = api_token(client, demo_city, Role.PLATFORM_ADMIN)
    units = client.get(
        "/api/units", params={"kind": "department", "limit": 1}, headers=headers
    ).json()
    created = client.post(
        "/api/accounts",
        headers=headers,
        json={
            "username": "locktest",
            "display_name": "锁定测试",
            "unit_id": units["data"][0]["id"],
            "password": "Correct-horse1",
        },
    )
    assert created.status_code == 201, created.text
    for _ in range(5):
        assert _post_login(client, "locktest", "wrong-guess-1").status_code in (401, 429)
    locked = _post_login(client, "locktest", "Correct-horse1")
    assert locked.status_code == 429
    assert "锁定" in locked.text
    assert _entries(db, "auth.account_locked")[-1].subject_id == str(created.json()["id"])
    unlock = client.patch(
        f"/api/accounts/{created.json()['id']}", headers=headers, json={"unlock": True}
    )
    assert unlock.status_code == 200
    assert unlock.json()["locked"] is False
    assert _post_login(client, "locktest", "Correct-horse1").status_code == 303


def test_logout_ends_the_session_for_good(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    supervisor = demo_city.account(Role.SUPERVISOR)
    sign_in(client, supervisor.username, supervisor.password)
    old_cookie = client.cookies.get("zhuyun_session")
    response = client.post("/logout", data={"csrf_token": csrf(client)}, follow_redirects=False)
    assert response.status_code == 303
    assert _entries(db, "auth.logout")[-1].actor_name == supervisor.display_name
    client.cookies.set("zhuyun_session", old_cookie or "")
    again = client.get("/", follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"].startswith("/login")


def test_an_expired_session_sends_the_user_back_to_sign_in(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    grid = demo_city.account(Role.GRID_WORKER)
    sign_in(client, grid.username, grid.password)
    with db.session() as session:
        session.execute(update(WebSession).values(expires_at=utcnow() - timedelta(minutes=1)))
    page = client.get("/me", follow_redirects=False)
    assert page.status_code == 303
    assert "notice=expired" in page.headers["location"]
    assert "登录已过期" in client.get(page.headers["location"]).text
    assert _entries(db, "auth.session_refused")[-1].attrs["reason"] == "expired"
    api = client.get("/api/me")
    assert api.status_code == 401
    assert api.json()["code"] == "session-expired"


def test_sign_in_never_redirects_off_site(client: TestClient, demo_city: DemoResult) -> None:
    admin = demo_city.account(Role.PLATFORM_ADMIN)
    response = _post_login(client, admin.username, admin.password, next="//evil.example/x")
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_pages_ask_anonymous_visitors_to_sign_in(client: TestClient) -> None:
    response = client.get("/ledger", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=%2Fledger")


def test_an_account_created_without_a_password_cannot_sign_in(
    client: TestClient, db: Database, demo_city: DemoResult
) -> None:
    from zhuyun.core.ledger import SYSTEM
    from zhuyun.identity import service as identity
    from zhuyun.identity.service.accounts import NO_PASSWORD, StaffDraft

    with db.session() as session:
        unit_id = identity.find_account(session, demo_city.account(Role.CASE_HANDLER).username)
        assert unit_id is not None and unit_id.unit_id is not None
        identity.create_staff(
            session,
            SYSTEM,
            StaffDraft("no.password.yet", "未设密码", unit_id.unit_id, password=None),
        )
    for guess in ("", NO_PASSWORD, "!no-password", "Passw0rd123"):
        answer = _post_login(client, "no.password.yet", guess)
        assert answer.status_code != 303 or "login" in answer.headers.get("location", "")
    token = client.post(
        "/api/auth/token", json={"username": "no.password.yet", "password": NO_PASSWORD}
    )
    assert token.status_code in (400, 401, 422)
