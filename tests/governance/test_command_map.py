"""The command centre's map data: live orders per grid (the heat) and live orders as points,
paged and scoped like every list of orders; the page answers."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.governance.workorders_support import operator, other_point, submit
from tests.helpers import api_token, sign_in
from zhuyun.core.db import Database
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role


def test_the_heat_counts_live_orders_per_grid_and_the_points_page(
    client: TestClient, db: Database, demo_city: DemoResult
) -> None:
    centre = operator(client, demo_city)
    code, lng, lat = other_point(db, "", 31)
    before = client.get(
        "/api/governance/workorders/heat", params={"division": code[:6]}, headers=centre
    ).json()
    had = next((g["live"] for g in before["grids"] if g["grid_code"] == code), 0)
    order = submit(client, centre, text="路口红绿灯坏了，车辆乱成一团", lng=lng, lat=lat)
    assert order["status"] not in ("merged", "closed")
    after = client.get(
        "/api/governance/workorders/heat", params={"division": code[:6]}, headers=centre
    ).json()
    assert next(g["live"] for g in after["grids"] if g["grid_code"] == order["grid_code"]) == (
        had + 1 if order["grid_code"] == code else 1
    )
    assert after["live"] == before["live"] + 1
    assert all(g["grid_code"].startswith(code[:6]) for g in after["grids"])
    assert after["max"] == max(g["live"] for g in after["grids"])

    first = client.get("/api/governance/workorders/live", params={"limit": 5}, headers=centre)
    body = first.json()
    assert first.status_code == 200 and len(body["data"]) == 5 and body["count"] > 5
    rest = client.get(
        "/api/governance/workorders/live", params={"limit": 5, "offset": 5}, headers=centre
    ).json()
    assert not {p["id"] for p in body["data"]} & {p["id"] for p in rest["data"]}
    assert all(p["status"] not in ("closed", "evaluated", "merged") for p in body["data"])

    # the map is for staff; a division that is neither a district nor a street is a 422
    citizen = api_token(client, demo_city, Role.CITIZEN)
    assert client.get("/api/governance/workorders/heat", headers=citizen).status_code == 403
    bad = client.get("/api/governance/workorders/heat", params={"division": "52"}, headers=centre)
    assert bad.status_code == 422


def test_the_command_page_lists_the_busiest_grids(
    client: TestClient, demo_city: DemoResult
) -> None:
    account = next(a for a in demo_city.accounts if a.username == "hotline.operator")
    sign_in(client, account.username, account.password)
    page = client.get("/governance/command")
    assert page.status_code == 200 and "在办工单最多的网格" in page.text
    assert 'id="command-map-data"' in page.text and "/api/governance/workorders/heat" in page.text
    assert client.get("/governance/command?district=110101").status_code == 422
