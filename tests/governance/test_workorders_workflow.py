"""The GB/T 30428 workflow through the JSON API: intake, dispatch by the duty matrix, return,
rework, rating, reopening, escalation, duplicates, every step in the ledger."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.governance.workorders_support import (
    act,
    activities,
    handler_of_unit,
    operator,
    other_point,
    submit,
    worker_point,
)
from tests.helpers import api_token, token_for
from zhuyun.core.db import Database, utcnow
from zhuyun.demo.builder import DemoResult
from zhuyun.governance.models import WorkOrder
from zhuyun.governance.service import sla
from zhuyun.identity.permissions import Role


def test_a_hotline_call_is_classified_located_registered_and_dispatched(
    client: TestClient, db: Database, demo_city: DemoResult
) -> None:
    grid, lng, lat = other_point(db, "", 1)
    order = submit(
        client, operator(client, demo_city),
        text="市民来电反映：小区门口有人打架斗殴，已经有人受伤！请马上处理",
        lng=lng, lat=lat, caller_name="王小明", caller_phone="13812345678",
    )  # fmt: skip
    assert order["channel"] == "hotline"
    assert order["category"] == "public_security"
    assert order["urgency"] == "critical"
    assert order["grid_code"] == grid
    assert order["status"] == "dispatched"
    assert order["unit_name"].startswith("贵阳市公安局")
    assert order["caller_phone"] == "13812345678"  # the command centre sees the caller
    assert order["due_at"] is not None
    assert activities(db, order["id"]) == [
        "workorder.collected", "workorder.registered", "workorder.dispatched",
    ]  # fmt: skip
    unit = handler_of_unit(client, db, order["unit_id"])
    seen = client.get(f"/api/governance/workorders/{order['id']}", headers=unit).json()
    assert seen["caller_phone"] == "138****5678" and seen["caller_name"] == "王**"


def test_return_rework_and_a_bad_rating_take_the_order_round_again(
    client: TestClient, db: Database, demo_city: DemoResult
) -> None:
    citizen = api_token(client, demo_city, Role.CITIZEN)
    _, lng, lat = worker_point(db, demo_city)
    order = submit(
        client, citizen, text="我家楼下垃圾站堆满了垃圾没人清运，臭气熏天", lng=lng, lat=lat
    )
    assert order["channel"] == "app" and order["category"] == "sanitation"
    first_unit = order["unit_id"]
    wrong = handler_of_unit(client, db, first_unit)
    # the unit says it is not theirs: a security matter → redispatched by the corrected category
    returned = act(
        client, wrong, order["id"], "return", reason="属于治安问题", category="public_security"
    )
    assert returned["status"] == "dispatched" and returned["unit_id"] != first_unit
    assert returned["return_count"] == 1
    right = handler_of_unit(client, db, returned["unit_id"])
    act(client, right, order["id"], "accept")
    act(client, right, order["id"], "report", result="已处置")
    worker = token_for(client, demo_city, "grid.worker")
    reworked = act(client, worker, order["id"], "verify", passed=False, note="现场仍有垃圾")
    assert reworked["status"] == "dispatched" and reworked["rework_count"] == 1
    act(client, right, order["id"], "report", result="已彻底清理")
    closed = act(client, worker, order["id"], "verify", passed=True, note="核查已清理")
    assert closed["status"] == "closed"
    reopened = act(client, citizen, order["id"], "rating", stars=1, comment="又堆满了")
    assert reopened["status"] == "dispatched" and reopened["reopen_count"] == 1
    act(client, right, order["id"], "report", result="已安排每日清运")
    act(client, worker, order["id"], "verify", passed=True)
    rated = act(client, citizen, order["id"], "rating", stars=5)
    assert rated["status"] == "evaluated" and rated["rating"] == 5
    steps = [e["status_to"] for e in rated["timeline"]]
    assert steps[:4] == ["collected", "registered", "dispatched", "returned"]
    assert steps[-1] == "evaluated"
    ledger = activities(db, order["id"])
    assert len(ledger) == len(rated["timeline"]) + 1  # + the category correction
    assert "workorder.recategorised" in ledger and "workorder.reopened" in ledger


def test_an_overdue_order_escalates_to_the_unit_leaders_then_the_command_centre(
    client: TestClient, db: Database, demo_city: DemoResult
) -> None:
    _, lng, lat = other_point(db, "", 2)
    order = submit(
        client, operator(client, demo_city), text="路口的红绿灯坏了，车辆乱行", lng=lng, lat=lat
    )
    with db.session() as session:
        due = session.get(WorkOrder, order["id"]).due_at
        assert due is not None
        sla.run_escalations(session, due - timedelta(minutes=1))
        assert session.get(WorkOrder, order["id"]).escalation_level == 0
    with db.session() as session:
        first = sla.run_escalations(session, due + timedelta(hours=1))
        assert session.get(WorkOrder, order["id"]).escalation_level == 1
    with db.session() as session:
        second = sla.run_escalations(session, due + timedelta(hours=30))
        assert session.get(WorkOrder, order["id"]).escalation_level == 2
    assert first.level_one >= 1 and second.level_two >= 1
    detail = client.get(
        f"/api/governance/workorders/{order['id']}", headers=operator(client, demo_city)
    ).json()
    assert [e["level"] for e in detail["escalations"]] == [1, 2]
    assert detail["escalations"][0]["unit_id"] == order["unit_id"]
    assert activities(db, order["id"]).count("workorder.escalated") == 2


def test_the_same_problem_reported_twice_nearby_is_merged(
    client: TestClient, db: Database, demo_city: DemoResult
) -> None:
    _, lng, lat = other_point(db, "", 3)
    hotline = operator(client, demo_city)
    first = submit(client, hotline, text="工地半夜还在施工，噪音太大吵得睡不着", lng=lng, lat=lat)
    again = submit(client, hotline, text="旁边工地凌晨施工声音很大", lng=lng + 0.0003, lat=lat,
                   category="noise")  # fmt: skip
    assert again["status"] == "merged" and again["duplicate_of"] == first["number"]
    original = client.get(f"/api/governance/workorders/{first['id']}", headers=hotline).json()
    assert original["merged_count"] == 1
    assert activities(db, again["id"]) == ["workorder.collected", "workorder.merged"]


def test_a_replayed_submission_answers_the_same_order_once(
    client: TestClient, db: Database, demo_city: DemoResult
) -> None:
    citizen = api_token(client, demo_city, Role.CITIZEN)
    _, lng, lat = other_point(db, "", 4)
    body = {"text": "超市卖过期食品", "lng": lng, "lat": lat}
    headers = {**citizen, "Idempotency-Key": "app-7f3a-0001"}
    one = client.post("/api/governance/workorders", json=body, headers=headers)
    two = client.post("/api/governance/workorders", json=body, headers=headers)
    assert one.status_code == two.status_code == 201
    assert one.json()["id"] == two.json()["id"]
    assert two.headers["Idempotent-Replayed"] == "true"
    with db.session() as session:
        from sqlalchemy import func, select

        count = session.scalar(
            select(func.count())
            .select_from(WorkOrder)
            .where(WorkOrder.idempotency_key == "app-7f3a-0001")
        )
    assert count == 1


def test_escalation_runs_through_the_api_for_the_command_centre_only(
    client: TestClient, demo_city: DemoResult
) -> None:
    admin = api_token(client, demo_city, Role.PLATFORM_ADMIN)
    later = (utcnow() + timedelta(days=400)).isoformat()
    response = client.post(
        "/api/governance/workorders/escalate", json={"now": later}, headers=admin
    )
    assert response.status_code == 200 and response.json()["checked"] >= 1
    citizen = api_token(client, demo_city, Role.CITIZEN)
    refused = client.post("/api/governance/workorders/escalate", json={}, headers=citizen)
    assert refused.status_code == 403
