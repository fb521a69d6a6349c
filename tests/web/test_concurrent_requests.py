"""Browsers send requests side by side (htmx, double clicks, several tabs): a signed-in
person's concurrent page loads and form posts all answer promptly, on SQLite too, where
one writer at a time must never stall the server."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role


def _signed_in(live_server: str, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=live_server, timeout=20)
    client.get("/login")
    client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": client.cookies["zhuyun_csrf"],
        },
    )
    assert "zhuyun_session" in client.cookies
    return client


def test_concurrent_page_loads_of_one_user_all_answer_quickly(
    live_server: str, demo_city: DemoResult
) -> None:
    admin = demo_city.account(Role.PLATFORM_ADMIN)
    client = _signed_in(live_server, admin.username, admin.password)
    paths = ["/me", "/units", "/catalog", "/ledger", "/", "/accounts", "/calendar", "/me"] * 3
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda path: client.get(path).status_code, paths))
    elapsed = time.monotonic() - start
    assert statuses == [200] * len(paths)
    assert elapsed < 15, f"{len(paths)} concurrent page loads took {elapsed:.1f} s"


def test_concurrent_sign_ins_do_not_stall_each_other(
    live_server: str, demo_city: DemoResult
) -> None:
    accounts = [demo_city.account(role) for role in (Role.SUPERVISOR, Role.CASE_HANDLER)] * 3
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=6) as pool:
        clients = list(
            pool.map(lambda a: _signed_in(live_server, a.username, a.password), accounts)
        )
    assert len(clients) == 6
    assert time.monotonic() - start < 15
