"""Who sees and acts on which orders, and bad input: clear errors, nothing stored or leaked."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.governance.workorders_support import (
    act,
    handler_of_unit,
    operator,
    other_point,
    submit,
)
from tests.helpers import api_token, token_for
from zhuyun.core.db import Database
from zhuyun.demo.builder import DemoResult
from zhuyun.governance.models import WorkOrder
from zhuyun.identity.permissions import Role


def _count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(WorkOrder)) or 0


def test_a_citizen_sees_only_their_own_orders(
    client: TestClient, db: Database, demo_city: DemoResult
) -> None:
    citizen = api_token(client, demo_city, Role.CITIZEN)
    enterprise = api_token(client, demo_city, Role.ENTERPRISE)
    _, lng, lat = other_point(db, "", 5)
    mine = submit(client, citizen, text="物业电梯坏了一个月没人修", lng=lng, lat=lat)
    listed = client.get("/api/governance/workorders", headers=citizen).json()
    assert listed["count"] >= 1
    assert all(o["id"] != 0 for o in listed["data"])
    theirs = client.get("/api/governance/workorders", headers=enterprise).json()
    assert mine["id"] not in {o["id"] for o in theirs["data"]}
    hidden = client.get(f"/api/governance/workorders/{mine['id']}", headers=enterprise)
    assert hidden.status_code == 404  # not 403: its existence is not leaked
    assert "电梯" not in hidden.text


def test_a_unit_acts_only_on_orders_assigned_to_it(
    client: TestClient, db: Database, demo_city: DemoResult
) -> None:
    _, lng, lat = other_point(db, "", 6)
    order = submit(client, operator(client, demo_city), text="老板拖欠工资三个月", lng=lng, lat=lat)
    assert order["category"] == "labour"
    stranger = token_for(client, demo_city, "cgj.handler")
    refused = client.post(f"/api/governance/workorders/{order['id']}/accept", headers=stranger)
    assert refused.status_code == 404
    owner = handler_of_unit(client, db, order["unit_id"])
    inbox = client.get("/api/governance/workorders/inbox", headers=owner).json()
    assert order["id"] in {o["id"] for o in inbox["data"]}
    act(client, owner, order["id"], "accept")
    again = client.post(f"/api/governance/workorders/{order['id']}/accept", headers=owner)
    assert again.status_code == 409 and again.json()["code"] == "wrong-status"
    # a citizen cannot handle; the unit cannot verify its own work (not a grid worker there)
    citizen = api_token(client, demo_city, Role.CITIZEN)
    assert (
        client.post(f"/api/governance/workorders/{order['id']}/accept", headers=citizen).status_code
        == 403
    )
    act(client, owner, order["id"], "report", result="已督促支付")
    verify = client.post(
        f"/api/governance/workorders/{order['id']}/verify", json={"passed": True}, headers=owner
    )
    assert verify.status_code == 403 and verify.json()["code"] == "not-verifier"


def test_bad_input_is_a_clear_error_that_stores_nothing(
    client: TestClient, db: Database, demo_city: DemoResult
) -> None:
    hotline = operator(client, demo_city)
    _, lng, lat = other_point(db, "", 7)
    before = _count(db)
    cases = [
        ({"text": "路面有个大坑", "lng": 116.40, "lat": 39.90}, 422, "outside-city"),
        ({"text": "   ", "lng": lng, "lat": lat}, 422, "empty-text"),
        ({"text": "坑" * 5_000, "lng": lng, "lat": lat}, 422, "text-too-long"),
        ({"text": "x" * 30_000, "lng": lng, "lat": lat}, 422, "validation-failed"),
        ({"text": "路面有个大坑"}, 422, "location-required"),
        ({"text": "路面有个大坑", "lng": lng}, 422, "invalid-coordinates"),
        (
            {"text": "路面有个大坑", "lng": lng, "lat": lat, "category": "ufo"},
            422,
            "unknown-category",
        ),
        (
            {"text": "路面有个大坑", "lng": lng, "lat": lat, "urgency": "now"},
            422,
            "invalid-urgency",
        ),
    ]
    for body, status, code in cases:
        response = client.post("/api/governance/workorders", json=body, headers=hotline)
        assert response.status_code == status, (body, response.text)
        assert response.json()["code"] == code
        assert response.json()["detail_zh"]
    citizen = api_token(client, demo_city, Role.CITIZEN)
    hotline_as_citizen = client.post(
        "/api/governance/workorders",
        json={"text": "路面有个大坑", "lng": lng, "lat": lat, "channel": "hotline"},
        headers=citizen,
    )
    assert hotline_as_citizen.status_code == 403
    anonymous = client.post(
        "/api/governance/workorders", json={"text": "x", "lng": lng, "lat": lat}
    )
    assert anonymous.status_code == 401
    assert _count(db) == before


def test_a_handler_correction_feeds_the_classifier(
    client: TestClient, db: Database, demo_city: DemoResult
) -> None:
    from zhuyun.governance.service.classify import classifier

    hotline = operator(client, demo_city)
    text = "反映黔灵山公园猴子抢游客食物伤人"
    _, lng, lat = other_point(db, "", 8)
    order = submit(client, hotline, text=text, lng=lng, lat=lat)
    target = "public_security" if order["category"] != "public_security" else "health"
    fixed = act(client, hotline, order["id"], "category", category=target)
    assert fixed["category"] == target and fixed["category_source"] == "handler"
    with db.session() as session:
        model = classifier(session)
        assert model.trained_on > 4_800  # the corpus and the correction
