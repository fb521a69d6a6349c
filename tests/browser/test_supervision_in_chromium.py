"""数据铁笼 in Debian's chromium: a supervisor opens 监督大屏 and sees the charts drawn, goes to
监督预警 and marks a warning as a false positive; a citizen opens a case's public page with
its QR code, without signing in."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from tests.browser.conftest import CHROMIUM
from tests.browser.signin import sign_in_through_form
from zhuyun.core.db import Database
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role
from zhuyun.supervision.models import PowerCase

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is missing"),
]


def test_a_supervisor_sees_the_big_screen_and_handles_a_warning(
    live_server: str, browser, demo_city: DemoResult, tmp_path: Path
) -> None:
    supervisor = demo_city.account(Role.SUPERVISOR)
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/login")
    sign_in_through_form(page, supervisor.username, supervisor.password)
    page.wait_for_url(f"{live_server}/")
    page.get_by_role("link", name="监督大屏").click()
    page.wait_for_url(f"{live_server}/supervision/dashboard")
    page.locator("#trend-chart canvas").first.wait_for(timeout=10_000)
    page.locator("#scores-chart canvas").first.wait_for(timeout=10_000)
    assert "贵阳市市场监督管理局" in page.locator("#scores-table").inner_text()
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    page.get_by_role("link", name="监督预警").click()
    page.wait_for_url(f"{live_server}/supervision/warnings")
    row = (
        page.locator("#warnings-table tbody tr")
        .filter(has=page.get_by_role("button", name="标记误报"))
        .first
    )
    row_id = row.get_attribute("id")
    row.get_by_placeholder("核查意见或误报理由").fill("节假日值班办理，属正常")
    row.get_by_role("button", name="标记误报").click()
    page.wait_for_url(f"{live_server}/supervision/warnings?done=false_positive")
    assert "已标记为误报" in page.locator(".flash").inner_text()
    assert "误报" in page.locator(f"#{row_id}").inner_text()
    assert errors == []


def test_a_citizen_scans_the_qr_code_of_a_case(
    live_server: str, browser, db: Database, tmp_path: Path
) -> None:
    with db.session() as session:
        token = session.scalars(
            select(PowerCase.public_token).where(PowerCase.ended_at.is_not(None))
        ).first()
    page = browser.new_page(viewport={"width": 420, "height": 900}, locale="zh-CN")
    page.goto(f"{live_server}/supervision/public/cases/{token}")
    assert "办件进度公开" in page.locator("h1").inner_text()
    assert page.locator("#case-steps li").count() >= 5
    qr = page.locator("#case-qr")
    qr.wait_for()
    width = page.evaluate("document.getElementById('case-qr').naturalWidth")
    assert width > 100  # the QR image loaded
    page.screenshot(path=str(tmp_path / "public-case.png"), full_page=True)
