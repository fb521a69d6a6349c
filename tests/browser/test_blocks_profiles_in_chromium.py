"""A data admin looks a person up in 一人一档 with Debian's chromium and sees each source's
facts with where they came from; a case handler of another unit looking at the same person
sees only what their unit is granted."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.browser.conftest import CHROMIUM
from tests.browser.signin import sign_in_through_form
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import DemoResult

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is missing (scripts/services installs it)"
    ),
]


def _person(demo_settings: Settings) -> tuple[str, str]:
    with sqlite3.connect(demo_settings.sources_dir / "gongan.sqlite") as connection:
        row = connection.execute(
            "SELECT id_number, name FROM people ORDER BY id_number LIMIT 1 OFFSET 3"
        ).fetchone()
    return str(row[0]), str(row[1])


def _look_up(page, live_server: str, username: str, password: str, id_number: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/blocks/jobs")
    sign_in_through_form(page, username, password)
    page.wait_for_url(f"{live_server}/blocks/jobs")
    page.get_by_role("link", name="一人一档").click()
    page.get_by_label("公民身份号码").fill(id_number)
    page.get_by_role("button", name="查看档案").click()
    page.wait_for_url(f"**/profiles/{id_number}")


def test_a_person_profile_shows_each_fact_with_its_source_and_only_granted_sources(
    live_server: str, browser, demo_city: DemoResult, demo_settings: Settings, tmp_path: Path
) -> None:
    id_number, name = _person(demo_settings)
    admin = next(a for a in demo_city.accounts if a.username == "dsj.data")
    page = browser.new_page(viewport={"width": 1300, "height": 900}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _look_up(page, live_server, admin.username, admin.password, id_number)
    population = page.locator('section[data-alias="population"]')
    assert "人口基础信息" in population.inner_text()
    assert "来源：贵阳市公安局" in population.inner_text()
    assert "更新时间 2026-11-01" in population.inner_text()
    assert name in population.locator("dl.facts").inner_text()
    medical = page.locator('section[data-alias="medical_insurance"]')
    assert (
        "基本医疗保险参保信息" in medical.inner_text()
        and "贵阳市医疗保障局" in medical.inner_text()
    )
    page.screenshot(path=str(tmp_path / "person-profile-bureau.png"), full_page=True)

    handler = next(a for a in demo_city.accounts if a.username == "rsj.handler")
    other = browser.new_context(viewport={"width": 1300, "height": 900}, locale="zh-CN")
    second = other.new_page()
    second.on("pageerror", lambda exc: errors.append(str(exc)))
    _look_up(second, live_server, handler.username, handler.password, id_number)
    hidden = second.locator('section[data-alias="medical_insurance"]')
    assert "本单位无权查看该来源的数据" in hidden.inner_text()
    assert hidden.locator("dl.facts").count() == 0
    own = second.locator('section[data-alias="social_insurance"]')
    assert "贵阳市人力资源和社会保障局" in own.inner_text()
    second.screenshot(path=str(tmp_path / "person-profile-handler.png"), full_page=True)
    other.close()
    assert errors == []
