"""Fees and late fetches: what an applicant (or handler) does besides the steps.

Payment is SIMULATED: the platform records a payment with a reference of its own and no
money moves (a city wires its non-tax revenue payment platform in here).
"""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from zhuyun.core.db import utcnow
from zhuyun.core.errors import Conflict, Forbidden
from zhuyun.core.ledger import Subject, record
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import Principal
from zhuyun.services.models import Case, ItemMaterial, ServiceItem
from zhuyun.services.service import autofill, cases


def pay(session: Session, principal: Principal, case: Case) -> Case:
    """Record the (simulated) payment of the case's fee; paying twice is refused."""
    if case.applicant_id != principal.account_id:
        raise Forbidden("Only the applicant pays.", "只有申请人可以缴费。")
    if not case.fee_fen:
        raise Conflict("This item is free of charge.", "该事项不收费。", code="no-fee")
    if case.paid_at is not None:
        raise Conflict(
            "The fee is already paid.", "费用已缴纳，无需重复缴费。", code="already-paid"
        )
    if case.status == "closed":
        raise Conflict("The case is closed.", "办件已办结。", code="case-closed")
    case.paid_at = utcnow()
    case.payment_ref = f"SIM{secrets.token_hex(8).upper()}"
    record(
        session,
        principal.as_actor(),
        "services.fee_paid",
        Subject("service_case", case.number),
        {"amount_fen": case.fee_fen, "payment_ref": case.payment_ref, "simulated": True},
        case_id=case.number,
    )
    return case


def refetch(session: Session, secret_key: str, principal: Principal, case: Case) -> int:
    """Fetch again the materials left pending (a department was down); returns how many
    arrived. The applicant or a handler of the case may ask."""
    if not cases.may_see(session, principal, case):
        raise Forbidden()
    number, case_id = case.number, case.id
    item = session.get(ServiceItem, case.item_id)
    assert item is not None
    pending = [m for m in cases.case_materials(session, case) if m.status == "pending"]
    if not pending:
        return 0
    specs = {m.id: m for m in (session.get(ItemMaterial, p.material_id) for p in pending) if m}
    account = identity.get_account(session, case.applicant_id)
    applicant = {"id_number": account.id_number, "credit_code": account.credit_code}
    form = dict(case.form)
    unit_name = identity.unit_names(session, [item.unit_id]).get(item.unit_id, "")
    consumer = autofill.platform_principal(item.unit_id, unit_name)
    fetched = autofill.fetch_all(
        session, secret_key, consumer, list(specs.values()), applicant, form
    )
    arrived = 0
    case = session.get(Case, case_id) or case  # fetches commit: read the case again
    for row in cases.case_materials(session, case):
        got = fetched.get(row.material_id)
        if got is None or row.status != "pending":
            continue
        row.status, row.message, row.query_seq = got.status, got.message, got.query_seq
        row.data = {"items": got.items, "rows": got.rows, "masked": got.masked}
        row.updated_at = utcnow()
        record(
            session,
            consumer.as_actor(),
            "services.material_fetched"
            if got.status == "fetched"
            else "services.material_not_fetched",
            Subject("service_case", number),
            {"material": row.name, "status": got.status, "query_seq": got.query_seq, "late": True},
            case_id=number,
        )
        if got.status == "fetched":
            arrived += 1
    case.materials_spared += arrived
    return arrived
