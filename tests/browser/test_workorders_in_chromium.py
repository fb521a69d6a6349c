"""A grid worker reports a problem from the mobile form in Debian's chromium (geolocation
granted, category suggested by the classifier), and the responsible unit's handler accepts
and reports back from the inbox; the timeline shows each step."""

from __future__ import annotations

import pytest

from tests.browser.conftest import CHROMIUM
from tests.governance.workorders_support import PASSWORD, handler_of_unit, worker_point
from zhuyun.core.db import Database
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is missing"),
]


def _sign_in(page, live_server: str, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/login")
    page.get_by_label("账号").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server}/")


def test_a_grid_worker_reports_and_the_unit_handles_it_from_the_inbox(
    live_server: str, browser, demo_city: DemoResult, db: Database, client
) -> None:
    _, lng, lat = worker_point(db, demo_city)
    worker = demo_city.account(Role.GRID_WORKER)
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN",
        geolocation={"longitude": lng, "latitude": lat}, permissions=["geolocation"],
    )  # fmt: skip
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, live_server, worker.username, worker.password)
    page.goto(f"{live_server}/governance/report")
    page.get_by_label("问题描述").fill("小区门口水果摊占道经营，把货物堆到马路上")
    page.get_by_role("button", name="智能分类建议").click()
    page.locator("#suggestion").filter(has_text="占道经营").wait_for(timeout=10_000)
    assert page.locator("#r-category").input_value() == "street_vending"
    page.get_by_role("button", name="使用当前位置").click()
    page.locator("#locate-status").filter(has_text="已定位").wait_for(timeout=10_000)
    page.get_by_role("button", name="上报").click()
    page.wait_for_url(f"{live_server}/governance/workorders/*")
    order_id = int(page.url.rsplit("/", 1)[1])
    assert "已派遣" in page.inner_text("body")
    context.close()

    with db.session() as session:
        from zhuyun.governance.models import WorkOrder

        unit_id = session.get(WorkOrder, order_id).unit_id
    handler_of_unit(client, db, unit_id)  # creates the unit's handler account
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, live_server, f"wo.handler.{unit_id}", PASSWORD)
    page.goto(f"{live_server}/governance/inbox")
    page.locator(f"a[href='/governance/workorders/{order_id}']").click()
    page.get_by_role("button", name="签收").click()
    page.wait_for_url(f"{live_server}/governance/workorders/{order_id}")
    page.get_by_label("处置结果").fill("已劝离摊贩，清理路面")
    page.get_by_role("button", name="处置反馈").click()
    page.wait_for_url(f"{live_server}/governance/workorders/{order_id}")
    timeline = page.locator(".timeline").inner_text()
    for step in ("已采集", "已立案", "已派遣", "处置中", "已反馈"):
        assert step in timeline
    assert errors == []
