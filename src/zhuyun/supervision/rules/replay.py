"""Supervising another system's history: the events of an imported log (XES or CSV) read as
steps of one power and run through the same rules, in time order. Each event's activity is
the step's ledger activity or its code; `amount` and `article` attributes are read like the
ledger's; the resource names an account (by username) when one exists."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuyun.core.errors import NotFound
from zhuyun.core.ledger import Actor, Subject, record
from zhuyun.identity import service as identity
from zhuyun.supervision.models import ImportedCase, ImportedEvent, ImportedLog
from zhuyun.supervision.powers import get_power
from zhuyun.supervision.rules.engine import Evaluator, RuleBook
from zhuyun.supervision.warnings.service import raise_findings

MAX_REPLAY_EVENTS = 500_000


@dataclass
class ReplayEntry:
    """An imported event in the shape the evaluator reads (no ledger sequence number)."""

    occurred_at: datetime
    case_id: str
    activity: str
    actor_id: int | None
    actor_name: str
    unit_id: int | None
    attrs: dict[str, Any] = field(default_factory=dict)
    seq: int | None = None
    subject_id: str = ""


def supervise_log(session: Session, actor: Actor, log_id: int, power_code: str) -> dict[str, int]:
    """Run the rules over an imported log as the history of `power_code`; the warnings it
    raises are kept like any other. Returns how many events, cases and warnings."""
    log = session.get(ImportedLog, log_id)
    if log is None:
        raise NotFound(
            f"Log {log_id} does not exist.", f"日志 {log_id} 不存在。", code="log-not-found"
        )
    power = get_power(session, power_code)
    by_code = {s["code"]: s["activity"] for s in power.steps}
    rows = session.execute(
        select(ImportedCase.case_index, ImportedCase.case_id).where(ImportedCase.log_id == log_id)
    )
    cases = {index: case for index, case in rows}
    accounts: dict[str, int | None] = {}
    book = RuleBook(session)
    evaluator = Evaluator(session, book)
    findings = []
    events = session.scalars(
        select(ImportedEvent)
        .where(ImportedEvent.log_id == log_id)
        .order_by(ImportedEvent.occurred_at, ImportedEvent.case_index, ImportedEvent.position)
        .limit(MAX_REPLAY_EVENTS)
    )
    count = 0
    for event in events:
        count += 1
        resource = event.resource or ""
        if resource not in accounts:
            account = identity.find_account(session, resource) if resource else None
            accounts[resource] = account.id if account is not None else None
        attrs = {k: v for k, v in (event.attrs or {}).items() if k in ("amount", "article")}
        entry = ReplayEntry(
            occurred_at=event.occurred_at,
            case_id=f"log{log_id}:{cases[event.case_index]}"[:128],
            activity=by_code.get(event.activity, event.activity),
            actor_id=accounts[resource],
            actor_name=resource,
            unit_id=power.unit_id,
            attrs={**attrs, "power_code": power.code},
        )
        findings += evaluator.evaluate(entry)  # type: ignore[arg-type]
    raised = raise_findings(session, findings)
    summary = {"events": count, "cases": len(cases), "warnings": len(raised)}
    record(
        session,
        actor,
        "supervision.log_supervised",
        Subject("event_log", log_id),
        {"power_code": power.code, **summary},
    )
    return summary
