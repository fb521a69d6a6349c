"""Putting power on the platform (权力上网运行): a unit's system — or its staff through the
API — reports each step of a power's case as it is taken. The step becomes a ledger entry
with the step's activity and the power's code, which the rules then read like any other.
A report carries an idempotency key: one entry per key and account, across restarts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuyun.core.errors import Forbidden, Unprocessable
from zhuyun.core.ledger import Subject, record
from zhuyun.identity.permissions import Principal
from zhuyun.supervision.models import Submission
from zhuyun.supervision.powers import get_power

CASE_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
MAX_AMOUNT = 1e12


@dataclass(frozen=True)
class StepReport:
    power_code: str
    case_ref: str
    step: str
    amount: float | None = None
    article: str | None = None


def case_id_of(power_code: str, case_ref: str) -> str:
    return f"power:{power_code}:{case_ref}"


def report_step(
    session: Session, principal: Principal, report: StepReport, idempotency_key: str | None
) -> tuple[dict[str, Any], bool]:
    """Record one step; (the result, True) when new, (the earlier result, False) when the
    key was used before."""
    if idempotency_key:
        earlier = session.scalar(
            select(Submission).where(
                Submission.account_id == principal.account_id, Submission.key == idempotency_key
            )
        )
        if earlier is not None:
            return earlier.result, False
    power = get_power(session, report.power_code)
    if principal.unit_id != power.unit_id:
        raise Forbidden(
            "Only the power's own unit reports its steps.",
            "只有权力所属单位可以报送其办理环节。",
            code="not-your-power",
        )
    if not CASE_REF.match(report.case_ref):
        raise Unprocessable(
            "The case reference is 1–64 letters, digits, '.', '_', ':' or '-'.",
            "案件编号须为 1–64 位字母、数字或 . _ : -",
            code="invalid-case-ref",
        )
    step = next((s for s in power.steps if s["code"] == report.step), None)
    if step is None:
        raise Unprocessable(
            f"The power has no step {report.step!r}; its steps: "
            + ", ".join(s["code"] for s in power.steps),
            f"该权力没有环节“{report.step}”",
            code="unknown-step",
        )
    attrs: dict[str, Any] = {
        "power_code": power.code,
        "step": step["code"],
        "unit_id": power.unit_id,
    }
    if report.amount is not None:
        if not 0 <= report.amount <= MAX_AMOUNT or not report.article:
            raise Unprocessable(
                "An amount needs an article and lies from 0 to 10^12.",
                "金额须在 0 至 10^12 之间并注明违法条款。",
                code="invalid-amount",
            )
        attrs.update(amount=report.amount, article=report.article[:100])
    entry = record(
        session,
        principal.as_actor(),
        step["activity"],
        Subject("power_case", report.case_ref),
        attrs,
        case_id=case_id_of(power.code, report.case_ref),
    )
    result = {
        "case_id": entry.case_id,
        "ledger_seq": entry.seq,
        "step": step["code"],
        "activity": step["activity"],
    }
    if idempotency_key:
        session.add(Submission(account_id=principal.account_id, key=idempotency_key, result=result))
        session.flush()
    return result, True
