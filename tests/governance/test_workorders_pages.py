"""The work-order pages answer: list, detail with timeline, inbox, report form, indicators."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.helpers import csrf, sign_in
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role


def test_the_command_centre_pages_show_orders_timelines_and_indicators(
    client: TestClient, demo_city: DemoResult
) -> None:
    operator = next(a for a in demo_city.accounts if a.username == "hotline.operator")
    sign_in(client, operator.username, operator.password)
    listing = client.get("/governance/workorders")
    assert listing.status_code == 200 and "GY" in listing.text
    link = listing.text.split('href="/governance/workorders/', 1)[1].split('"', 1)[0]
    detail = client.get(f"/governance/workorders/{link}")
    assert detail.status_code == 200 and "流转记录" in detail.text and "已采集" in detail.text
    assert client.get("/governance/inbox").status_code == 200
    for by in ("unit", "grid"):
        page = client.get(f"/governance/indicators?by={by}")
        assert page.status_code == 200 and "按期处置率" in page.text


def test_a_bad_report_from_the_form_says_what_is_wrong_and_keeps_the_text(
    client: TestClient, demo_city: DemoResult
) -> None:
    worker = demo_city.account(Role.GRID_WORKER)
    sign_in(client, worker.username, worker.password)
    form = client.get("/governance/report")
    assert form.status_code == 200 and "巡查上报" in form.text
    response = client.post(
        "/governance/report",
        data={"text": "路面有个大坑", "lng": "116.4", "lat": "39.9", "csrf_token": csrf(client)},
    )
    assert response.status_code == 422
    assert "不在本市范围内" in response.text and "路面有个大坑" in response.text
    missing_token = client.post("/governance/report", data={"text": "x"})
    assert missing_token.status_code == 403
