"""A person signs in with Debian's chromium (Playwright, headless) and sees the dashboard."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import CHROMIUM
from tests.browser.signin import sign_in_through_form
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is missing (scripts/services installs it)"
    ),
]


def test_a_supervisor_signs_in_and_sees_the_city_dashboard(
    live_server: str, browser, demo_city: DemoResult, tmp_path: Path
) -> None:
    supervisor = demo_city.account(Role.SUPERVISOR)
    page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/")
    assert "/login" in page.url
    sign_in_through_form(page, supervisor.username, supervisor.password)
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
    sign_in_through_form(page, "admin", "definitely-wrong1")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "用户名或密码错误" in alert.inner_text()
