"""A supervisor opens the grids page in Debian's chromium (Playwright, headless): the map is
drawn from the GeoJSON export, a click on a grid shows its code, community and workers, and
the table lists the grids."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import CHROMIUM
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is missing (scripts/services installs it)"
    ),
]


def test_a_supervisor_sees_the_grids_drawn_on_the_map_and_clicks_one(
    live_server: str, browser, demo_city: DemoResult, tmp_path: Path
) -> None:
    supervisor = demo_city.account(Role.SUPERVISOR)
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/login?next=/governance/grids")
    page.get_by_label("账号").fill(supervisor.username)
    page.get_by_label("密码").fill(supervisor.password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server}/governance/grids")
    page.get_by_role("link", name="网格管理").wait_for()

    page.select_option("#f-district", "520102")
    page.get_by_role("button", name="查看").click()
    page.wait_for_url("**/governance/grids?district=520102*")
    drawn = page.locator("#grid-map[data-grids-drawn]")
    drawn.wait_for(timeout=15_000)
    assert int(drawn.get_attribute("data-grids-drawn") or "0") > 0
    page.locator("#grid-map canvas").first.wait_for()

    rows = page.locator("#grid-table tbody tr")
    assert rows.count() > 0
    code = rows.first.get_attribute("data-grid") or ""
    assert code.startswith("520102") and len(code) == 15

    grid = page.request.get(f"{live_server}/api/governance/grids/{code}").json()
    x, y = page.evaluate(
        """([lng, lat]) => {
            const chart = echarts.getInstanceByDom(document.getElementById('grid-map'));
            return chart.convertToPixel({seriesIndex: 0}, [lng, lat]);
        }""",
        grid["centroid"],
    )
    box = page.locator("#grid-map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + x, box["y"] + y)
    detail = page.locator("#grid-detail")
    page.wait_for_function(
        "code => document.getElementById('grid-detail').getAttribute('data-grid') === code",
        arg=code,
    )
    text = detail.inner_text()
    assert code in text and grid["community_name"] in text
    assert grid["workers"][0]["name"] in text
    page.screenshot(path=str(tmp_path / "grids.png"), full_page=True)
    assert errors == []
