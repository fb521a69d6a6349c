"""A data admin signs in with Debian's chromium (Playwright, headless), opens the query
console, picks a resource, runs a governed query and sees the rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import CHROMIUM
from tests.browser.signin import sign_in_through_form
from zhuyun.demo.builder import DemoResult

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is missing (scripts/services installs it)"
    ),
]


def test_a_data_admin_runs_a_query_in_the_console_and_sees_rows(
    live_server: str, browser, demo_city: DemoResult, tmp_path: Path
) -> None:
    admin = next(a for a in demo_city.accounts if a.username == "dsj.data")
    page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/exchange/query")
    assert "/login" in page.url
    sign_in_through_form(page, admin.username, admin.password)
    page.wait_for_url(f"{live_server}/exchange/query")
    assert page.get_by_role("link", name="数据调用").is_visible()

    page.get_by_label("数据资源").select_option(label="市场主体登记信息")  # submits itself
    page.wait_for_url("**/exchange/query?resource_id=*")
    items = page.locator('input[name="items"]')
    assert items.and_(page.locator('[value="credit_code"]')).is_checked()  # unconditional
    assert not items.and_(page.locator('[value="legal_rep_id_number"]')).is_checked()  # a grant
    page.get_by_label("调用用途（必填）").fill("核验企业开办登记信息")
    page.get_by_label("返回行数").fill("15")
    page.get_by_role("button", name="调用", exact=True).click()
    result = page.locator("#result")
    result.wait_for()
    assert "调用结果" in result.inner_text() and "无条件共享" in result.inner_text()
    assert page.locator("#result tbody tr").count() == 15
    assert "统一社会信用代码" in page.locator("#result thead").inner_text()
    page.screenshot(path=str(tmp_path / "exchange-query.png"), full_page=True)
    assert errors == []
