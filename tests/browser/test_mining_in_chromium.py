"""A supervisor opens 过程挖掘 in Debian's chromium and sees the ledger's directly-follows
graph drawn by ECharts, its variants table, and a conformance check's result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser.conftest import CHROMIUM
from tests.browser.signin import sign_in_through_form
from tests.supervision.test_mining_against_pm4py import SEQUENCE_WITH_SKIP
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is missing"),
]


def test_a_supervisor_sees_the_dfg_and_the_variants_of_the_power_operation_log(
    live_server: str, browser, demo_city: DemoResult, tmp_path: Path
) -> None:
    supervisor = demo_city.account(Role.SUPERVISOR)
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/login")
    sign_in_through_form(page, supervisor.username, supervisor.password)
    page.wait_for_url(f"{live_server}/")
    page.get_by_role("link", name="过程挖掘").click()
    page.wait_for_url(f"{live_server}/supervision/mining")
    page.locator("#dfg-chart canvas").first.wait_for(timeout=10_000)
    assert int(page.locator("#dfg-chart").get_attribute("data-drawn") or 0) > 0
    rows = page.locator("#variants-table tbody tr")
    assert rows.count() > 0
    assert "→" in rows.first.inner_text() or rows.first.inner_text().strip()
    page.locator("#model-text").fill(json.dumps(SEQUENCE_WITH_SKIP, ensure_ascii=False))
    page.get_by_role("button", name="检查").click()
    page.locator("#conformance-summary").wait_for()
    assert "日志拟合度" in page.locator("#conformance-summary").inner_text()
    page.screenshot(path=str(tmp_path / "mining.png"), full_page=True)
    assert errors == []
