"""A command-centre operator opens 块数据分析 in Debian's chromium (Playwright, headless): the
monthly chart, the age chart and the grid map are drawn, and the table lists the grids."""

from __future__ import annotations

import pytest

from tests.browser.conftest import CHROMIUM, browser  # noqa: F401  (the fixture)
from tests.browser.signin import sign_in_through_form
from zhuyun.demo.builder import DemoResult

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is missing"),
]


def test_the_operator_sees_the_charts_and_the_map_of_a_district(
    live_server: str,
    browser,  # noqa: F811
    demo_city: DemoResult,
) -> None:
    operator = next(a for a in demo_city.accounts if a.username == "hotline.operator")
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/login?next=/blocks/analytics")
    sign_in_through_form(page, operator.username, operator.password)
    page.wait_for_url(f"{live_server}/blocks/analytics")
    page.get_by_role("link", name="块数据分析").wait_for()

    page.select_option("#f-district", "520102")
    page.get_by_role("button", name="查看").click()
    page.wait_for_url("**/blocks/analytics?*district=520102*")
    drawn = page.locator("#analytics-map[data-grids-drawn]")
    drawn.wait_for(timeout=15_000)
    assert int(drawn.get_attribute("data-grids-drawn") or "0") > 0
    page.locator("#analytics-map canvas").first.wait_for()
    page.locator("#orders-chart[data-drawn] canvas").first.wait_for()
    assert page.locator("[data-forecast-short]").is_visible()  # one month of demo history
    rows = page.locator("tr[data-grid]")
    assert rows.count() > 0
    assert all(
        (rows.nth(i).get_attribute("data-grid") or "").startswith("520102")
        for i in range(rows.count())
    )
    assert errors == []
