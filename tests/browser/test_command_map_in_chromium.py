"""The 12345 operator (the command centre) opens 指挥中心 in Debian's chromium: the grids are
drawn, the grid with the most live orders is painted in the visualMap's hot colour and an
empty grid in its cold one, the live orders are dots, and a click on a dot opens its order."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import CHROMIUM
from zhuyun.demo.builder import DemoResult

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is missing"),
]

PIXEL = """([lng, lat]) => {
    const el = document.getElementById('command-map');
    const chart = echarts.getInstanceByDom(el);
    const [x, y] = chart.convertToPixel({geoIndex: 0}, [lng, lat]);
    const canvas = el.querySelector('canvas');
    const ratio = canvas.width / el.clientWidth;
    const d = canvas.getContext('2d')
        .getImageData(Math.round(x * ratio), Math.round(y * ratio), 1, 1).data;
    return [d[0], d[1], d[2]];
}"""


def test_the_command_centre_sees_grids_heat_coloured_and_live_orders_as_dots(
    live_server: str, browser, demo_city: DemoResult, tmp_path: Path
) -> None:
    operator = next(a for a in demo_city.accounts if a.username == "hotline.operator")
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/login?next=/governance/command")
    page.get_by_label("账号").fill(operator.username)
    page.get_by_label("密码").fill(operator.password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server}/governance/command")
    page.locator("#command-map[data-points]").wait_for(timeout=20_000)
    city = page.request.get(f"{live_server}/api/governance/workorders/heat").json()
    district = max(city["grids"], key=lambda g: (g["live"], g["grid_code"]))["grid_code"][:6]
    # one district, where its grids are big enough to look at
    page.select_option("#f-district", district)
    page.get_by_role("button", name="查看").click()
    page.wait_for_url(f"**/governance/command?district={district}")
    drawn = page.locator("#command-map[data-points]")
    drawn.wait_for(timeout=20_000)
    assert int(drawn.get_attribute("data-points") or "0") > 0
    assert int(drawn.get_attribute("data-heat-grids") or "0") > 0
    busiest = page.locator("#busiest li").first.get_attribute("data-grid") or ""
    heat = page.request.get(
        f"{live_server}/api/governance/workorders/heat?division={district}"
    ).json()
    hot = max(heat["grids"], key=lambda g: (g["live"], -int(g["grid_code"])))
    assert hot["live"] == heat["max"] and hot["grid_code"] == busiest
    grids = page.request.get(
        f"{live_server}/api/governance/grids.geojson?district={district}"
    ).json()["features"]
    busy = {g["grid_code"] for g in heat["grids"]}
    cold = next(f for f in grids if f["properties"]["code"] not in busy)
    centroid = {f["properties"]["code"]: f["properties"]["centroid"] for f in grids}
    # hide the dots, then read the painted colour of the hottest and of an empty grid
    page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('command-map'))"
        ".setOption({series: [{}, {data: []}], animation: false})"
    )
    page.wait_for_timeout(500)
    red, green, blue = page.evaluate(PIXEL, centroid[hot["grid_code"]])
    assert red > 180 and blue < 120, (red, green, blue)  # the hot end: orange to red
    red, green, blue = page.evaluate(PIXEL, centroid[cold["properties"]["code"]])
    assert blue > 200 and red > 200, (red, green, blue)  # empty: the palest colour
    page.screenshot(path=str(tmp_path / "command.png"), full_page=True)

    page.reload()
    page.locator("#command-map[data-points]").wait_for(timeout=20_000)
    first = page.request.get(
        f"{live_server}/api/governance/workorders/live?limit=1&division={district}"
    ).json()
    order = first["data"][0]
    x, y = page.evaluate(
        """([lng, lat]) => echarts.getInstanceByDom(document.getElementById('command-map'))
            .convertToPixel({geoIndex: 0}, [lng, lat])""",
        [order["lng"], order["lat"]],
    )
    box = page.locator("#command-map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url(f"{live_server}/governance/workorders/*", timeout=10_000)
    assert page.locator("h1").inner_text().startswith("工单 GY")
    assert errors == []
