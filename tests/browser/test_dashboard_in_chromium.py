"""A person signs in with Debian's chromium (Playwright, headless) and sees the dashboard."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is missing (scripts/services installs it)"
    ),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def live_server(app: FastAPI) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield instance
        instance.close()


def test_a_supervisor_signs_in_and_sees_the_city_dashboard(
    live_server: str, browser, demo_city: DemoResult, tmp_path: Path
) -> None:
    supervisor = demo_city.account(Role.SUPERVISOR)
    page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/")
    assert "/login" in page.url
    page.get_by_label("账号").fill(supervisor.username)
    page.get_by_label("密码").fill(supervisor.password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server}/")
    population = page.locator('[data-figure="户籍人口"]')
    population.wait_for()
    assert supervisor.display_name in page.locator("body").inner_text()
    figure_text = population.inner_text()
    assert any(ch.isdigit() for ch in figure_text)
    page.locator("#chart-population canvas").first.wait_for(timeout=10_000)
    assert page.get_by_role("link", name="审计台账").is_visible()
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    assert errors == []


def test_a_wrong_password_is_told_on_the_login_page(live_server: str, browser) -> None:
    page = browser.new_page(locale="zh-CN")
    page.goto(f"{live_server}/login")
    page.get_by_label("账号").fill("admin")
    page.get_by_label("密码").fill("definitely-wrong1")
    page.get_by_role("button", name="登录").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "用户名或密码错误" in alert.inner_text()
