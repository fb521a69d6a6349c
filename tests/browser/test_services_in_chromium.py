"""A citizen finds 城乡居民基本养老保险参保登记 in the portal, applies in Debian's chromium
without uploading anything (the platform fetched every required material), and sees the
deadline; the 人社局 handler opens it from the workbench and accepts it."""

from __future__ import annotations

import pytest

from tests.browser.conftest import CHROMIUM
from tests.browser.signin import sign_in_through_form
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is missing"),
]


def _sign_in(page, live_server: str, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/login")
    sign_in_through_form(page, username, password)
    page.wait_for_url(f"{live_server}/")


def test_a_citizen_applies_and_a_handler_accepts(
    live_server: str, browser, demo_city: DemoResult
) -> None:
    errors: list[str] = []
    citizen = demo_city.account(Role.CITIZEN)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, live_server, citizen.username, citizen.password)
    page.goto(f"{live_server}/services")
    page.get_by_label("关键词").fill("养老保险")
    page.get_by_role("button", name="搜索").click()
    page.get_by_role("link", name="城乡居民基本养老保险参保登记").click()
    assert "免提交 3 / 3" in page.locator("#spared").inner_text()
    page.get_by_label("缴费档次 *").fill("第三档（500元/年）")
    page.get_by_label("我同意平台").check()
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url(f"{live_server}/services/cases/*")
    number = page.url.rsplit("/", 1)[1]
    assert "办理中" in page.locator("#case-status").inner_text()
    assert "剩余" in page.locator("#case-deadline").inner_text()
    assert "已共享获取（免提交）" in page.inner_text("body")
    uploads = page.locator("input[type=file]")  # only the optional 代缴 proof may be added
    assert uploads.count() == 1 and "代缴对象" in (uploads.get_attribute("aria-label") or "")
    page.close()

    handler = next(a for a in demo_city.accounts if a.username == "rsj.handler")
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, live_server, handler.username, handler.password)
    page.goto(f"{live_server}/services/workbench")
    page.get_by_role("link", name=number, exact=True).click()
    page.wait_for_url(f"{live_server}/services/cases/{number}")
    page.get_by_label("意见").fill("材料齐全，予以受理")
    page.get_by_role("button", name="受理", exact=True).click()
    page.wait_for_url(f"{live_server}/services/cases/{number}")
    steps = page.get_by_role("region", name="办理环节").inner_text()
    assert "材料齐全，予以受理" in steps and "审查" in steps
    assert "services.accept" in steps
    page.close()
    assert errors == []
