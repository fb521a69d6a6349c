"""The issue-result step: what a decision hands the applicant.

An approved case of an item with a `certificate_kind` gets an electronic certificate from
the certificate library (`services.certificates.service.issue_certificate`), signed by the
issuing unit; its face fields are the case form's fields of the same names. The holder is
the applicant (ID number or credit code) — or, for establishing an enterprise, the new
enterprise, whose credit code is assigned here. Other results are a written decision.
Either way the result is ledgered with the case number as its case id.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.orm import Session

from zhuyun.core.ids import make_credit_code
from zhuyun.core.ledger import Subject, record
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import Principal
from zhuyun.services.models import Case, ServiceItem
from zhuyun.services.service import certificate_link

MISSING_FACE_VALUE = "未登记"


def _holder(session: Session, case: Case, kind_holder: str) -> tuple[str, str]:
    account = identity.get_account(session, case.applicant_id)
    if kind_holder == "legal" and account.credit_code is None:
        # a new enterprise: its unified social credit code is assigned at registration
        code = str(case.form.get("credit_code") or "") or make_credit_code(
            "520100", secrets.randbelow(31**6)
        )
        case.form = {**case.form, "credit_code": code}
        return code, str(case.form.get("name") or case.applicant_name)
    return str(account.credit_code or account.id_number), account.display_name


def _face(case: Case, spec: Any) -> dict[str, Any]:
    face: dict[str, Any] = {}
    for field in spec.fields:
        value = case.form.get(field.key)
        if value not in (None, ""):
            face[field.key] = value
        elif field.required:
            face[field.key] = MISSING_FACE_VALUE
    return face


def issue_result(
    session: Session, principal: Principal, case: Case, item: ServiceItem
) -> tuple[str, str | None]:
    """The result text and, when a certificate was issued, its number."""
    number: str | None = None
    if case.outcome == "approved":
        text = f"准予办理：{item.name}（办件编号 {case.number}）。"
        kind = certificate_link.kind(item.certificate_kind)
        if kind is not None:
            holder_id, holder_name = _holder(session, case, str(kind.holder_type))
            certificate = certificate_link.issue_certificate(
                session,
                kind=kind.code,
                issuer_unit_id=case.unit_id,
                holder_id=holder_id,
                holder_name=holder_name,
                fields=_face(case, kind),
                case_ref=case.number,
                actor=principal,
            )
            if certificate is not None:
                number = str(certificate.number)
                text += f"已签发电子证照《{kind.name}》{number}。"
    else:
        text = f"不予办理：{item.name}（办件编号 {case.number}），理由见审批意见。"
    record(
        session,
        principal.as_actor(),
        "services.result_issued",
        Subject("service_case", case.number),
        {"outcome": case.outcome, "certificate_number": number},
        case_id=case.number,
    )
    return text, number
