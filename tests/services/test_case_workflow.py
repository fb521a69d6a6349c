"""The engine: accept → review → decide → issue → deliver; 补正 suspends the clock; 企业开办
runs its five branches in parallel and joins; steps out of order, another unit's step and a
citizen acting are refused; every step is in the ledger under the case number."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.services.conftest import PENSION, PROOF, PROPERTY, STARTUP, act, submit, upload_missing
from zhuyun.core.db import Database
from zhuyun.core.ledger import LedgerEntry
from zhuyun.services.models import Case
from zhuyun.services.service import engine

STARTUP_FORM = {
    "name": "贵阳并联科技有限公司",
    "entity_type": "有限责任公司（自然人独资）",
    "registered_capital": "20万元人民币",
    "address": "贵阳市南明区花果园1号",
    "business_scope": "信息技术咨询服务",
}


def _case(client: TestClient, headers: dict[str, str], code: str, form: dict[str, str]) -> dict:  # type: ignore[type-arg]
    case = submit(client, headers, code, form).json()
    return upload_missing(client, headers, case)


def test_a_standard_case_runs_every_step_and_the_ledger_holds_each(
    client: TestClient, citizen: dict[str, str], rsj: dict[str, str], db: Database
) -> None:
    case = _case(client, citizen, PENSION, {"contribution_level": "第二档"})
    number = case["number"]
    for action in ("accept", "approve", "approve", "issue", "deliver"):
        response = act(client, rsj, number, action)
        assert response.status_code == 200, response.text
    done = client.get(f"/api/services/cases/{number}", headers=citizen).json()
    assert done["status"] == "closed" and done["outcome"] == "approved"
    assert done["result_text"].startswith("准予办理")
    assert [t["step"] for t in done["tasks"]] == ["accept", "review", "decide", "issue", "deliver"]
    with db.session() as session:
        activities = session.scalars(
            select(LedgerEntry.activity)
            .where(LedgerEntry.case_id == number)
            .order_by(LedgerEntry.seq)
        ).all()
    steps = [a for a in activities if a != "services.notified"]  # messages to the applicant
    assert steps[-7:] == [
        "services.accept",
        "services.approve",
        "services.approve",
        "services.issue",
        "services.result_issued",
        "services.deliver",
        "services.closed",
    ]


def test_a_step_out_of_order_is_a_409_and_changes_nothing(
    client: TestClient, citizen: dict[str, str], rsj: dict[str, str]
) -> None:
    number = _case(client, citizen, PENSION, {"contribution_level": "第一档"})["number"]
    early = act(client, rsj, number, "issue")
    assert early.status_code == 409 and early.json()["code"] == "step-out-of-order"
    assert "受理" in early.json()["detail_zh"]
    case = client.get(f"/api/services/cases/{number}", headers=rsj).json()
    assert case["step"] == "accept"


def test_another_unit_and_a_citizen_cannot_act(
    client: TestClient, citizen: dict[str, str], handler_of: object, rsj: dict[str, str]
) -> None:
    number = _case(client, citizen, PENSION, {"contribution_level": "第一档"})["number"]
    scjg = handler_of("scjg")  # type: ignore[operator]
    assert act(client, scjg, number, "accept").status_code == 404  # not its case at all
    assert act(client, citizen, number, "accept").status_code == 403
    assert act(client, rsj, number, "accept").status_code == 200


def test_enterprise_startup_runs_five_branches_in_parallel_and_issues_one_result(
    client: TestClient, citizen: dict[str, str], handler_of: object
) -> None:
    handler = handler_of  # type: ignore[assignment]
    case = _case(client, citizen, STARTUP, STARTUP_FORM)
    number = case["number"]
    scjg = handler("scjg")  # type: ignore[operator]
    assert act(client, scjg, number, "accept").status_code == 200
    parallel = client.get(f"/api/services/cases/{number}", headers=scjg).json()
    open_branches = {
        t["branch"]: t["unit_name"] for t in parallel["tasks"] if t["status"] == "open"
    }
    assert set(open_branches) == {"registration", "tax", "social_insurance", "seal", "bank"}
    assert open_branches["tax"].endswith("税务局") and open_branches["seal"] == "贵阳市公安局"
    # a branch unit sees the case and its own branch, and acts only on it
    swj = handler("swj")  # type: ignore[operator]
    tax_view = client.get(f"/api/services/cases/{number}", headers=swj).json()
    assert [a["branch"] for a in tax_view["actions"]] == ["tax"]
    wrong = act(client, swj, number, "approve", branch="seal")
    assert wrong.status_code == 403 and wrong.json()["code"] == "not-your-unit"
    for code, branch in (
        ("swj", "tax"),
        ("rsj", "social_insurance"),
        ("gongan", "seal"),
        ("scjg", "registration"),
    ):
        assert act(client, handler(code), number, "approve", branch=branch).status_code == 200  # type: ignore[operator]
        still = client.get(f"/api/services/cases/{number}", headers=scjg).json()
        assert still["step"] == "parallel", "the join waits for every branch"
    assert act(client, handler("zwfw"), number, "approve", branch="bank").status_code == 200  # type: ignore[operator]
    joined = client.get(f"/api/services/cases/{number}", headers=scjg).json()
    assert joined["step"] == "decide"
    for action in ("approve", "issue", "deliver"):
        assert act(client, scjg, number, action).status_code == 200
    result = client.get(f"/api/services/cases/{number}", headers=citizen).json()
    assert result["status"] == "closed" and result["outcome"] == "approved"
    assert result["result_text"].count("办件编号") == 1  # one result for the five branches


def test_a_correction_suspends_the_clock_and_moves_the_deadline(
    client: TestClient, citizen: dict[str, str], rsj: dict[str, str], db: Database
) -> None:
    case = _case(client, citizen, PENSION, {"contribution_level": "第一档"})
    number = case["number"]
    no_reason = act(client, rsj, number, "request_correction", opinion="")
    assert no_reason.status_code == 422 and no_reason.json()["code"] == "reason-required"
    assert (
        act(client, rsj, number, "request_correction", opinion="户籍证明不清晰").status_code == 200
    )
    waiting = client.get(f"/api/services/cases/{number}", headers=citizen).json()
    assert waiting["status"] == "correction" and waiting["overdue"] is False
    assert act(client, rsj, number, "accept").status_code == 409
    # three working days pass while the applicant corrects: the deadline moves by three
    with db.session() as session:
        row = session.scalar(select(Case).where(Case.number == number))
        assert row is not None and row.due_on is not None
        before = row.due_on
        row.paused_on = date(2026, 11, 20)  # a Friday; today counts from there
    resumed = client.post(f"/api/services/cases/{number}/resubmit", headers=citizen)
    assert resumed.status_code == 200, resumed.text
    body = resumed.json()
    assert body["status"] == "processing" and body["step"] == "accept"
    assert body["paused_days"] >= 1 and date.fromisoformat(body["due_on"]) > before
    assert client.post(f"/api/services/cases/{number}/resubmit", headers=citizen).status_code == 409


def test_refusing_to_accept_closes_the_case_with_its_reason(
    client: TestClient, citizen: dict[str, str], rsj: dict[str, str]
) -> None:
    number = _case(client, citizen, PENSION, {"contribution_level": "第一档"})["number"]
    assert act(client, rsj, number, "refuse", opinion="不属于本事项受理范围").status_code == 200
    closed = client.get(f"/api/services/cases/{number}", headers=citizen).json()
    assert closed["status"] == "closed" and closed["outcome"] == "refused"
    assert closed["outcome_label"] == "不予受理"


def test_an_immediate_item_is_due_today_and_issues_a_certificate_where_the_library_is(
    client: TestClient, citizen: dict[str, str], rsj: dict[str, str]
) -> None:
    case = _case(client, citizen, PROOF, {})
    assert case["due_on"] is not None and case["working_days_left"] == 0  # due today
    for action in ("accept", "approve", "issue", "deliver"):
        assert act(client, rsj, case["number"], action).status_code == 200
    done = client.get(f"/api/services/cases/{case['number']}", headers=citizen).json()
    if done["certificate_number"]:
        assert done["certificate_number"].startswith("SBCBZM-")


def test_a_fee_must_be_paid_before_the_result_and_paying_is_simulated_once(
    client: TestClient, citizen: dict[str, str], handler_of: object
) -> None:
    zrzy = handler_of("zrzy")  # type: ignore[operator]
    case = _case(
        client,
        citizen,
        PROPERTY,
        {
            "property_address": "贵阳市云岩区中华北路5号1单元101",
            "unit_no": "520102001001GB00001F00010001",
            "area_sqm": "89.5",
        },
    )
    number = case["number"]
    assert case["fee_yuan"] == 80.0 and case["paid"] is False
    for action in ("accept", "approve", "approve"):
        assert act(client, zrzy, number, action).status_code == 200
    unpaid = act(client, zrzy, number, "issue")
    assert unpaid.status_code == 409 and unpaid.json()["code"] == "fee-unpaid"
    paid = client.post(f"/api/services/cases/{number}/payment", headers=citizen)
    assert paid.status_code == 200 and paid.json()["payment_ref"].startswith("SIM")
    twice = client.post(f"/api/services/cases/{number}/payment", headers=citizen)
    assert twice.status_code == 409 and twice.json()["code"] == "already-paid"
    assert act(client, zrzy, number, "issue").status_code == 200


def test_workbench_lists_the_units_open_tasks_most_urgent_first(
    client: TestClient, citizen: dict[str, str], rsj: dict[str, str], db: Database
) -> None:
    late = _case(client, citizen, PENSION, {"contribution_level": "第一档"})["number"]
    with db.session() as session:
        row = session.scalar(select(Case).where(Case.number == late))
        assert row is not None
        row.due_on = date(2026, 1, 5)
    queue = client.get("/api/services/workbench", params={"limit": 200}, headers=rsj).json()
    # urgency: the earlier of the case's deadline and the step's own time limit
    dues = [min(e["case"]["due_on"], e["task_due_on"]) for e in queue["data"]]
    assert queue["data"][0]["case"]["number"] == late and queue["data"][0]["case"]["overdue"]
    assert dues == sorted(dues)
    assert all(e["case"]["unit_name"] for e in queue["data"])
    overdue = client.get("/api/services/overdue", headers=rsj).json()
    assert late in [e["case"]["number"] for e in overdue["data"]]
    assert all(e["case"]["overdue"] for e in overdue["data"])
    assert client.get("/api/services/workbench", headers=citizen).status_code == 403


def test_deadlines_into_2027_never_crash(db: Database) -> None:
    from zhuyun.core.calendar import WorkingCalendar

    assert WorkingCalendar().add_working_days(date(2026, 12, 24), 20) > date(2027, 1, 1)
    assert engine.is_overdue(Case(status="processing", due_on=date(2027, 3, 1)), date(2027, 3, 2))
