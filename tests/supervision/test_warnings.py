"""Warnings end to end: a step reported through the API becomes a warning within seconds of
the ledger entry (the in-process watcher), the officer explains, the supervisor verifies or
marks a false positive (which tunes the rule), unexplained warnings climb the escalation
ladder by working days, every change is in the ledger, and supervisors see only their remit."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.helpers import api_token, token_for
from zhuyun.core.db import Database
from zhuyun.core.ledger import SYSTEM, LedgerEntry
from zhuyun.demo.builder import DemoResult
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import Role
from zhuyun.identity.service import StaffDraft
from zhuyun.supervision.models import Rule, RuleWarning
from zhuyun.supervision.rules.engine import Finding
from zhuyun.supervision.rules.watcher import start_in_process
from zhuyun.supervision.warnings import escalate_due, raise_findings

BEIJING = ZoneInfo("Asia/Shanghai")


def _report(
    client: TestClient, headers: dict[str, str], case: str, step: str, key: str | None = None
):  # type: ignore[no-untyped-def]
    extra = {"Idempotency-Key": key} if key else {}
    return client.post(
        "/api/supervision/operations",
        headers={**headers, **extra},
        json={"power_code": "SCJG-XK-0001", "case_ref": case, "step": step},
    )


def _wait_for_warning(client: TestClient, headers: dict[str, str], case_id: str) -> list[dict]:  # type: ignore[type-arg]
    """The process warnings on a case, waiting (up to 20 s) for the watcher to raise one
    (out-of-hours warnings come too when the test runs at night: the clock is real here)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = client.get(
            "/api/supervision/warnings", params={"case_id": case_id}, headers=headers
        ).json()["data"]
        found = [w for w in found if w["template"] != "out_of_hours"]
        if found:
            return found  # type: ignore[no-any-return]
        time.sleep(0.1)
    return []


def test_a_skipped_step_reported_through_the_api_is_warned_within_seconds(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    officer = token_for(client, demo_city, "scjg.officer1")
    chief = token_for(client, demo_city, "scjg.chief")
    supervisor = api_token(client, demo_city, Role.SUPERVISOR)
    stop = start_in_process(db, 0.05)
    assert stop is not None
    try:
        first = _report(client, officer, "LIVE-1", "accept", key="live-1-accept")
        assert first.status_code == 201, first.text
        again = _report(client, officer, "LIVE-1", "accept", key="live-1-accept")
        assert again.status_code == 200 and again.json() == first.json()  # one entry per key
        skipped = _report(client, chief, "LIVE-1", "approve")
        assert skipped.status_code == 201
        warnings = _wait_for_warning(client, supervisor, first.json()["case_id"])
    finally:
        stop.set()
    assert [(w["template"], w["level"], w["status"]) for w in warnings] == [
        ("step_order", "red", "open")
    ]
    assert warnings[0]["ledger_seq"] == skipped.json()["ledger_seq"]
    assert "审查" in warnings[0]["message_zh"]
    with db.session() as session:
        accepts = session.scalars(
            select(LedgerEntry).where(LedgerEntry.case_id == first.json()["case_id"])
        ).all()
        assert [e.activity for e in accepts] == ["power.accept", "power.approve"]


def test_reports_are_checked(client: TestClient, demo_city: DemoResult) -> None:
    officer = token_for(client, demo_city, "scjg.officer1")
    unknown = _report(client, officer, "LIVE-2", "stamp")
    assert unknown.status_code == 422 and "没有环节" in unknown.json()["detail_zh"]
    police = token_for(client, demo_city, "gongan.handler")
    assert _report(client, police, "LIVE-2", "accept").status_code == 403
    bad = client.post(
        "/api/supervision/operations",
        headers=officer,
        json={"power_code": "SCJG-CF-0001", "case_ref": "X", "step": "decide", "amount": 100},
    )
    assert bad.status_code == 422 and "违法条款" in bad.json()["detail_zh"]


def _officer_warning(client: TestClient, demo_city: DemoResult, case: str) -> dict:  # type: ignore[type-arg]
    """A red warning on scjg.chief: a licence approved without its examination."""
    officer = token_for(client, demo_city, "scjg.officer1")
    chief = token_for(client, demo_city, "scjg.chief")
    supervisor = api_token(client, demo_city, Role.SUPERVISOR)
    _report(client, officer, case, "accept")
    _report(client, chief, case, "approve")
    ran = client.post("/api/supervision/rules/run", headers=supervisor)
    assert ran.status_code == 200 and ran.json()["entries"] >= 2
    found = client.get(
        "/api/supervision/warnings",
        headers=supervisor,
        params={"case_id": f"power:SCJG-XK-0001:{case}"},
    ).json()["data"]
    found = [w for w in found if w["template"] == "step_order"]  # not out-of-hours ones
    assert len(found) == 1
    return found[0]  # type: ignore[no-any-return]


def test_the_officer_explains_and_the_supervisor_verifies(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    warning = _officer_warning(client, demo_city, "LIFE-1")
    chief = token_for(client, demo_city, "scjg.chief")
    supervisor = api_token(client, demo_city, Role.SUPERVISOR)
    mine = client.get("/api/supervision/warnings/mine", headers=chief).json()["data"]
    assert warning["id"] in {w["id"] for w in mine}
    other = token_for(client, demo_city, "scjg.officer2")
    url = f"/api/supervision/warnings/{warning['id']}"
    refused = client.post(f"{url}/explain", json={"text": "不是我"}, headers=other)
    assert refused.status_code == 403
    early = client.post(
        f"{url}/verify", json={"accepted": True, "feedback": "好"}, headers=supervisor
    )
    assert early.status_code == 409  # nothing to verify before an explanation
    explained = client.post(
        f"{url}/explain", json={"text": "急办件，审查已线下完成"}, headers=chief
    )
    assert explained.status_code == 200 and explained.json()["status"] == "explained"
    sent_back = client.post(
        f"{url}/verify", headers=supervisor, json={"accepted": False, "feedback": "请补充审查记录"}
    )
    assert sent_back.json()["status"] == "open" and sent_back.json()["feedback"] == "请补充审查记录"
    client.post(f"{url}/explain", json={"text": "已补录审查记录"}, headers=chief)
    closed = client.post(
        f"{url}/verify", headers=supervisor, json={"accepted": True, "feedback": "核查属实"}
    )
    assert closed.json()["status"] == "closed" and closed.json()["closed_at"]
    with db.session() as session:
        trail = session.scalars(
            select(LedgerEntry.activity)
            .where(
                LedgerEntry.subject_type == "warning", LedgerEntry.subject_id == str(warning["id"])
            )
            .order_by(LedgerEntry.seq)
        ).all()
    assert trail == [
        "supervision.warning_raised",
        "supervision.warning_explained",
        "supervision.warning_verified",
        "supervision.warning_explained",
        "supervision.warning_verified",
    ]


def test_unexplained_warnings_climb_the_ladder_by_working_days(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    warning = _officer_warning(client, demo_city, "LADDER-1")
    with db.session() as session:
        row = session.get(RuleWarning, warning["id"])
        assert row is not None
        # raised on Friday 2025-09-26: the National Day week does not count
        row.raised_at = datetime(2025, 9, 26, 10, tzinfo=BEIJING)
    days = ["2025-09-29", "2025-10-09", "2025-10-10", "2025-10-13", "2025-10-16"]
    seen = []
    for day in days:
        with db.session() as session:
            escalate_due(session, datetime.fromisoformat(day).replace(hour=12, tzinfo=BEIJING))
            row = session.get(RuleWarning, warning["id"])
            assert row is not None
            seen.append(row.escalation)
    # working days after Fri 26 Sep: 28 Sep (a make-up Sunday) and 29 Sep → 2, still with the
    # officer; 30 Sep → 3 (the leader); the holiday week adds none; 9 Oct → 4; 10 Oct → 5
    # (the deputy head); 11 Oct (a make-up Saturday) → 6; 13 Oct → 7 (discipline inspection)
    assert seen == [0, 1, 2, 3, 3]
    supervisor = api_token(client, demo_city, Role.SUPERVISOR)
    shown = client.get(f"/api/supervision/warnings/{warning['id']}", headers=supervisor).json()
    assert shown["escalated_to"] == "纪检监察"
    with db.session() as session:
        climbs = session.scalars(
            select(LedgerEntry.attrs).where(
                LedgerEntry.activity == "supervision.warning_escalated",
                LedgerEntry.subject_id == str(warning["id"]),
            )
        ).all()
    assert [c["to"] for c in climbs] == [
        "supervising leader",
        "deputy head",
        "discipline inspection",
    ]


def test_a_false_positive_closes_the_warning_and_widens_its_rule(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    supervisor = api_token(client, demo_city, Role.SUPERVISOR)
    added = client.post(
        "/api/supervision/rules",
        headers=supervisor,
        json={
            "code": "amount_outlier.fp-test",
            "template": "amount_outlier",
            "power_code": "SCJG-CF-0001",
            "params": {"k": 2},
        },
    )
    assert added.status_code == 201, added.text
    with db.session() as session:
        rule = session.scalar(select(Rule).where(Rule.code == "amount_outlier.fp-test"))
        assert rule is not None
        [warning] = raise_findings(
            session,
            [
                Finding(
                    rule,
                    "yellow",
                    "fp",
                    "金额偏离同类案件",
                    "outlier",
                    case_id="fp-case",
                    power_code="SCJG-CF-0001",
                    unit_id=rule.unit_id,
                )
            ],
        )
        warning_id = warning.id
    marked = client.post(
        f"/api/supervision/warnings/{warning_id}/false-positive",
        json={"text": "大额案件货值高，属正常"},
        headers=supervisor,
    )
    assert marked.status_code == 200 and marked.json()["status"] == "false_positive"
    rules = client.get("/api/supervision/rules", params={"limit": 200}, headers=supervisor)
    tuned = next(r for r in rules.json()["data"] if r["code"] == "amount_outlier.fp-test")
    assert tuned["params"]["k"] == 2.5 and tuned["false_positives"] == 1
    again = client.post(
        f"/api/supervision/warnings/{warning_id}/false-positive",
        json={"text": "再次"},
        headers=supervisor,
    )
    assert again.status_code == 409


def test_rules_with_bad_thresholds_are_refused_and_change_nothing(
    client: TestClient, demo_city: DemoResult
) -> None:
    supervisor = api_token(client, demo_city, Role.SUPERVISOR)
    before = client.get("/api/supervision/rules", params={"limit": 200}, headers=supervisor).json()
    bad = client.patch(
        "/api/supervision/rules/time_limit",
        headers=supervisor,
        json={"params": {"yellow_ratio": 3}},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "params.yellow_ratio"
    unknown = client.post(
        "/api/supervision/rules",
        headers=supervisor,
        json={"code": "x.y", "template": "mind_reading"},
    )
    assert unknown.status_code == 422
    after = client.get("/api/supervision/rules", params={"limit": 200}, headers=supervisor).json()
    assert after == before
    handler = api_token(client, demo_city, Role.CASE_HANDLER)
    assert client.get("/api/supervision/rules", headers=handler).status_code == 403


def test_a_district_supervisor_sees_only_their_remit(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    warning = _officer_warning(client, demo_city, "REMIT-1")
    with db.session() as session:
        district = identity.find_unit_by_code(session, "520102")
        assert district is not None
        identity.create_staff(
            session,
            SYSTEM,
            StaffDraft(
                username="nm.supervisor",
                display_name="南明区监督员",
                unit_id=district.id,
                password="Remit-Test-2025!",
                roles=((Role.SUPERVISOR, district.id),),
            ),
        )
    response = client.post(
        "/api/auth/token", json={"username": "nm.supervisor", "password": "Remit-Test-2025!"}
    )
    assert response.status_code == 201, response.text
    local = {"Authorization": f"Bearer {response.json()['token']}"}
    listed = client.get("/api/supervision/warnings", params={"limit": 200}, headers=local).json()
    assert warning["id"] not in {w["id"] for w in listed["data"]}
    assert all(w["unit_id"] != warning["unit_id"] for w in listed["data"])
    url = f"/api/supervision/warnings/{warning['id']}"
    assert client.get(url, headers=local).status_code == 404
    verify = client.post(f"{url}/verify", json={"accepted": True, "feedback": "x"}, headers=local)
    assert verify.status_code == 404
    outside = client.get(
        "/api/supervision/warnings", params={"unit_id": warning["unit_id"]}, headers=local
    )
    assert outside.status_code == 403 and "监督范围" in outside.json()["detail_zh"]
    city_rule = client.post(
        "/api/supervision/rules",
        headers=local,
        json={"code": "time_limit.nm", "template": "time_limit"},
    )
    assert city_rule.status_code == 403


def test_scores_and_trend_come_from_the_tracked_cases(
    client: TestClient, demo_city: DemoResult
) -> None:
    supervisor = api_token(client, demo_city, Role.SUPERVISOR)
    units = client.get("/api/supervision/scores", headers=supervisor).json()
    scjg = next(s for s in units if s["name"] == "贵阳市市场监督管理局")
    assert scjg["cases"] >= 60 and 0 < scjg["timeliness"] <= 1 and scjg["score"] is not None
    assert scjg["warnings"] > 0 and scjg["conformance"] < 1
    officers = client.get(
        "/api/supervision/scores", params={"by": "officer"}, headers=supervisor
    ).json()
    assert {"市场监管执法人员（王）", "市场监管法制审核员"} <= {o["name"] for o in officers}
    trend = client.get("/api/supervision/trend", params={"days": 200}, headers=supervisor).json()
    assert len(trend["days"]) == 200 and sum(trend["ended"]) >= 50
    assert sum(trend["red"]) > 0
