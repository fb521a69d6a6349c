"""Block analytics on the demo city: the grids' indicators agree with the orders the
governance API lists, follow who is asking, and the page draws its charts and map."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from tests.helpers import api_token, sign_in, token_for
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role

URL = "/api/blocks/analytics/grids"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _visible_orders(client: TestClient, headers: dict[str, str]) -> list[dict]:
    orders, offset = [], 0
    while True:
        page = client.get(
            "/api/governance/workorders", params={"offset": offset, "limit": 200}, headers=headers
        ).json()
        orders += page["data"]
        offset += len(page["data"])
        if not page["data"] or offset >= page["count"]:
            return orders


def _all_grids(client: TestClient, headers: dict[str, str], **params: str) -> tuple[dict, list]:
    first = client.get(URL, params={**params, "limit": 200}, headers=headers)
    assert first.status_code == 200, first.text
    body = first.json()
    rows = list(body["data"])
    while len(rows) < body["count"]:
        more = client.get(
            URL, params={**params, "limit": 200, "offset": len(rows)}, headers=headers
        )
        rows += more.json()["data"]
    return body, rows


def test_monthly_orders_per_grid_agree_with_the_work_order_list(
    client: TestClient, demo_city: DemoResult
) -> None:
    centre = token_for(client, demo_city, "hotline.operator")  # the 12345 command centre
    body, rows = _all_grids(client, centre)
    listed = [
        o for o in _visible_orders(client, centre) if o["status"] != "merged" and o["grid_code"]
    ]
    by_month = Counter(
        datetime.fromisoformat(o["created_at"]).astimezone(SHANGHAI).strftime("%Y-%m")
        for o in listed
    )
    assert dict(zip(body["months"], body["city_orders_by_month"], strict=True)) == {
        m: by_month.get(m, 0) for m in body["months"]
    }
    this_month = Counter(
        o["grid_code"]
        for o in listed
        if datetime.fromisoformat(o["created_at"]).astimezone(SHANGHAI).strftime("%Y-%m")
        == body["month"]
    )
    assert {r["code"]: r["orders"] for r in rows if r["orders"]} == dict(this_month)
    assert body["orders_seen"] == len(listed)


def test_a_handler_sees_the_figures_of_the_orders_their_unit_may_see(
    client: TestClient, demo_city: DemoResult
) -> None:
    centre, _ = _all_grids(client, token_for(client, demo_city, "hotline.operator"))
    handler = token_for(client, demo_city, "cgj.handler")  # 综合行政执法局
    own, _ = _all_grids(client, handler)
    assert own["orders_seen"] == len(
        [o for o in _visible_orders(client, handler) if o["status"] != "merged" and o["grid_code"]]
    )
    assert own["orders_seen"] < centre["orders_seen"]


def test_population_structure_comes_from_the_register_through_the_gateway(
    client: TestClient, demo_city: DemoResult
) -> None:
    police = token_for(client, demo_city, "gongan.data")  # the register's own department
    body, rows = _all_grids(client, police)
    population = body["population"]
    assert population["refused"] is None and population["masked"] == []
    assert population["read"] >= 1_900
    residents = sum(r["residents"] for r in rows)
    assert residents + population["unplaced"] == population["read"]
    assert residents > 0.9 * population["read"]
    for r in rows:
        assert r["male"] + r["female"] == r["residents"]
        assert sum(r["ages"].values()) == r["residents"]
        if r["residents"] and r["orders"]:
            assert r["orders_per_1000"] == round(r["orders"] * 1000 / r["residents"], 2)
    admin = api_token(client, demo_city, Role.PLATFORM_ADMIN)
    queries = client.get(
        "/api/ledger", params={"activity": "exchange.query", "limit": 5}, headers=admin
    ).json()
    assert any("块数据分析" in json.dumps(e, ensure_ascii=False) for e in queries["data"])
    # viewed again at once: the counts come from the aggregates of the read just made
    again, _ = _all_grids(client, police)
    assert again["population"] == population
    after = client.get(
        "/api/ledger", params={"activity": "exchange.query", "limit": 1}, headers=admin
    ).json()
    assert after["count"] == queries["count"]


def test_without_a_grant_the_population_part_says_so_and_the_rest_still_shows(
    client: TestClient, demo_city: DemoResult
) -> None:
    handler = token_for(client, demo_city, "cgj.handler")
    body, rows = _all_grids(client, handler)
    assert body["population"]["refused"]
    assert all(r["residents"] == 0 and r["orders_per_1000"] is None for r in rows)


def test_the_demo_history_is_too_short_to_judge_a_forecast_and_says_so(
    client: TestClient, demo_city: DemoResult
) -> None:
    body, _ = _all_grids(client, token_for(client, demo_city, "hotline.operator"))
    forecast = body["forecast"]
    assert forecast["history_months"] <= 2  # the demo's orders span the last 30 days
    assert forecast["chosen"] is None and forecast["city_total"] is None


def test_one_district_only_lists_its_grids(client: TestClient, demo_city: DemoResult) -> None:
    centre = token_for(client, demo_city, "hotline.operator")
    _body, rows = _all_grids(client, centre, district="520102")
    assert rows and all(r["code"].startswith("520102") for r in rows)


def test_who_may_not_read_or_asks_wrongly_gets_a_problem(
    client: TestClient, demo_city: DemoResult
) -> None:
    citizen = api_token(client, demo_city, Role.CITIZEN)
    assert client.get(URL, headers=citizen).status_code == 403
    centre = token_for(client, demo_city, "hotline.operator")
    for params in ({"district": "110101"}, {"month": "2026-13"}, {"limit": 0}):
        response = client.get(URL, params=params, headers=centre)
        assert response.status_code == 422, params
        assert response.json()["detail_zh"]


def test_the_page_shows_figures_charts_map_and_table(
    client: TestClient, demo_city: DemoResult
) -> None:
    account = next(a for a in demo_city.accounts if a.username == "hotline.operator")
    sign_in(client, account.username, account.password)
    page = client.get("/blocks/analytics")
    assert page.status_code == 200
    html = page.text
    assert "块数据分析" in html and 'id="analytics-map"' in html and 'id="orders-chart"' in html
    assert "/static/js/blocks-analytics.js" in html
    assert "data-forecast-short" in html  # the demo's history is one month
    island = re.search(r'id="analytics-data">(.*?)</script>', html, re.S)
    assert island is not None
    data = json.loads(island.group(1))
    assert data["geojson_url"].startswith("/api/governance/grids.geojson")
    assert data["grids"] and "data-grid=" in html
    bad = client.get("/blocks/analytics", params={"district": "999999"})
    assert bad.status_code == 422 and "不是本市" in bad.text


def test_one_district_counts_only_its_residents(client: TestClient, demo_city: DemoResult) -> None:
    police = token_for(client, demo_city, "gongan.data")
    city, city_rows = _all_grids(client, police)
    district, rows = _all_grids(client, police, district="520102")
    assert district["population"]["refused"] is None
    assert 0 < district["population"]["read"] < city["population"]["read"]
    in_city = {r["code"]: r["residents"] for r in city_rows}
    assert {r["code"]: r["residents"] for r in rows} == {
        code: n for code, n in in_city.items() if code.startswith("520102")
    }
