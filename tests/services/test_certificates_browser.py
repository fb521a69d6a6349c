"""In Debian's chromium: an enterprise opens 我的证照, follows its licence to the public
verification page, which says it is genuine, and uploads an altered copy, which it exposes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.browser.conftest import CHROMIUM, browser
from tests.browser.signin import sign_in_through_form
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is missing"),
]
__all__ = ["browser"]


def test_an_enterprise_verifies_its_licence_and_an_altered_copy_is_exposed(
    live_server: str, browser: Any, demo_city: DemoResult
) -> None:
    errors: list[str] = []
    enterprise = demo_city.account(Role.ENTERPRISE)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/login")
    sign_in_through_form(page, enterprise.username, enterprise.password)
    page.wait_for_url(f"{live_server}/")
    page.get_by_role("link", name="我的证照").click()
    page.wait_for_url(f"{live_server}/certificates/mine")
    licence_row = page.locator("tr", has_text="营业执照")
    assert "有效" in licence_row.inner_text()
    assert "已注销" in page.locator("tr", has_text="食品经营许可证").inner_text()
    number = licence_row.locator("td.mono a").inner_text()
    signed = page.request.get(f"{live_server}/api/certificates/{number}").json()

    licence_row.get_by_role("link", name=number).click()
    page.wait_for_url(f"{live_server}/certificates/verify/{number}")
    result = page.locator(".verify-result").inner_text()
    assert "真实有效" in result
    assert enterprise.display_name in page.inner_text("main")

    signed["certificate"]["fields"]["registered_capital"] = "10000万元人民币"
    page.goto(f"{live_server}/certificates/verify")
    page.get_by_label("证照文件（.json）").set_input_files(
        {"name": f"{number}.json", "mimeType": "application/json",
         "buffer": json.dumps(signed, ensure_ascii=False).encode()}
    )  # fmt: skip
    page.get_by_role("button", name="核验").click()
    page.wait_for_load_state()
    assert "伪造或被篡改" in page.locator(".verify-result").inner_text()
    assert errors == []
    page.close()
