"""A visitor who never signs in opens the open-data portal in Debian's chromium (Playwright,
headless): sees the home's figures, narrows the datasets with a facet, opens a dataset and
reads its quality score and report, with the charts drawn and no script errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import CHROMIUM
from zhuyun.demo.builder import DemoResult

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is missing (scripts/services installs it)"
    ),
]


def test_a_visitor_browses_the_portal_filters_by_a_facet_and_reads_a_quality_score(
    live_server: str, browser, demo_city: DemoResult, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/opendata")
    assert "/login" not in page.url  # public
    assert page.get_by_role("heading", name="开放数据", exact=True).is_visible()
    datasets = page.locator('[data-figure="开放数据集"] .od-figure-value')
    assert int(datasets.inner_text().replace(",", "")) > 10
    assert page.get_by_role("heading", name="最新发布").is_visible()
    page.locator('[data-od-chart="trend"][data-drawn]').wait_for()
    page.screenshot(path=str(tmp_path / "portal-home.png"), full_page=True)

    page.get_by_role("group", name="开放类型").get_by_role("link", name="有条件开放").click()
    page.wait_for_url("**/opendata?open=conditional*")
    cards = page.locator(".od-card")
    assert cards.count() >= 1
    for i in range(cards.count()):
        assert "有条件开放" in cards.nth(i).locator(".od-open").inner_text()
    assert page.locator(".od-active-filters").get_by_text("开放类型：有条件开放").is_visible()

    page.get_by_role("link", name="市场主体登记信息").first.click()
    page.wait_for_url("**/opendata/datasets/*")
    assert page.get_by_role("heading", name="市场主体登记信息").is_visible()
    report = page.locator("#quality")
    assert report.get_by_role("heading", name="数据质量报告").is_visible()
    score = page.locator(".od-head-score [data-score]")
    assert 0 <= int(score.get_attribute("data-score") or "-1") <= 100
    page.locator(".od-gauge[data-drawn]").wait_for()
    assert report.locator('[data-dimension="validity"]').get_by_text("规范性").is_visible()
    assert page.locator("#api").get_by_text("package_show").first.is_visible()
    assert "legal_rep_id_number" not in page.content()
    page.screenshot(path=str(tmp_path / "portal-dataset.png"), full_page=True)
    assert errors == []
