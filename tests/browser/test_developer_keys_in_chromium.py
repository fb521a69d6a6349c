"""A citizen opens the developers' corner in Debian's chromium (Playwright, headless), signs
in from it, creates a developer key, sees it once, uses it, and revokes it."""

from __future__ import annotations

from pathlib import Path

import httpx
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


def test_a_citizen_creates_a_key_on_the_developer_page_sees_it_once_and_revokes_it(
    live_server: str, browser, demo_city: DemoResult, tmp_path: Path
) -> None:
    citizen = demo_city.account(Role.CITIZEN)
    page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: dialog.accept())  # "确定吊销吗？"

    page.goto(f"{live_server}/opendata/developer")
    assert page.get_by_role("heading", name="开发者中心", exact=True).is_visible()
    assert page.get_by_role("link", name="试一试").count() >= 4
    page.get_by_role("link", name="登录后申请").click()
    sign_in_through_form(page, citizen.username, citizen.password)
    page.wait_for_url(f"{live_server}/opendata/developer")

    page.get_by_label("应用名称").fill("浏览器里申请的应用")
    page.get_by_label("用途说明").fill("查询企业营业执照")
    page.get_by_role("button", name="申请新密钥").click()
    shown = page.locator("#new-key-value")
    shown.wait_for()
    raw = shown.inner_text().strip()
    assert raw.startswith("zyk_")
    page.screenshot(path=str(tmp_path / "developer-key.png"), full_page=True)
    answer = httpx.get(f"{live_server}/api/3/action/status_show", headers={"X-CKAN-API-Key": raw})
    assert answer.status_code == 200

    page.goto(f"{live_server}/opendata/developer")
    assert page.locator("#new-key-value").count() == 0 and raw not in page.content()  # once
    row = page.locator("#my-keys tbody tr", has_text="浏览器里申请的应用").first
    assert "有效" in row.inner_text()
    row.get_by_role("button", name="吊销").click()
    page.wait_for_url("**/opendata/developer?msg=key-revoked")
    assert page.get_by_text("密钥已吊销").is_visible()
    row = page.locator("#my-keys tbody tr", has_text="浏览器里申请的应用").first
    assert "已吊销" in row.inner_text()
    refused = httpx.get(f"{live_server}/api/3/action/status_show", headers={"X-CKAN-API-Key": raw})
    assert refused.status_code == 403
    assert errors == []
