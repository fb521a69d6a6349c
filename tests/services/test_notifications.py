"""Notifications: the applicant hears when the case starts, when a correction is asked for
and when it is closed; the handling unit when a step opens; each outward message is in the
ledger without its text; nobody reads or marks another's messages."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.services.conftest import PENSION, act, submit, upload_missing
from zhuyun.core.db import Database
from zhuyun.core.ledger import LedgerEntry


def _messages(client: TestClient, headers: dict[str, str], number: str) -> list[dict]:  # type: ignore[type-arg]
    page = client.get("/api/services/notifications", params={"limit": 200}, headers=headers)
    assert page.status_code == 200
    return [m for m in page.json()["data"] if m["case_number"] == number]


def test_applicant_and_unit_are_told_of_each_turn(
    client: TestClient,
    citizen: dict[str, str],
    rsj: dict[str, str],
    other_citizen: dict[str, str],
    db: Database,
) -> None:
    case = upload_missing(
        client, citizen, submit(client, citizen, PENSION, {"contribution_level": "一档"}).json()
    )
    number = case["number"]
    assert (
        act(client, rsj, number, "request_correction", opinion="请补充户籍证明").status_code == 200
    )
    told = _messages(client, citizen, number)
    assert [m["kind"] for m in told] == ["correction", "started"]
    assert "请补充户籍证明" in told[0]["text"] and "暂停计时" in told[0]["text"]
    unit = _messages(client, rsj, number)
    assert [m["kind"] for m in unit] == ["task_opened"] and "受理" in unit[0]["text"]
    assert _messages(client, other_citizen, number) == []
    theirs = client.post(f"/api/services/notifications/{told[0]['id']}/read", headers=other_citizen)
    assert theirs.status_code == 404
    mine = client.post(f"/api/services/notifications/{told[0]['id']}/read", headers=citizen)
    assert mine.status_code == 204
    unread = client.get(
        "/api/services/notifications", params={"unread": True, "limit": 200}, headers=citizen
    ).json()
    assert told[0]["id"] not in [m["id"] for m in unread["data"]]
    with db.session() as session:
        sent = session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.case_id == number, LedgerEntry.activity == "services.notified"
            )
        ).all()
    assert {e.attrs["kind"] for e in sent} == {"started", "correction"}
    assert all("text" not in e.attrs for e in sent)
