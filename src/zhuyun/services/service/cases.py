"""Cases (办件): submission exactly once per idempotency key, who may see which case, the
applicant's own list and the unit's queues.

A case's number is its case id in the ledger, so supervision can mine every step of it.
Submission records the applicant's consent, fetches what the departments hold, pre-fills
the form, and asks the applicant only for the rest; a case with every required material in
hand starts its clock (the promised limit in working days) and opens its first step.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhuyun.core.calendar import CHINA_TIME, china_today
from zhuyun.core.db import utcnow
from zhuyun.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from zhuyun.core.holidays import load_calendar
from zhuyun.core.ledger import Actor, Subject, record
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import Permission, Principal, Role
from zhuyun.identity.service.auth import record_refusal
from zhuyun.services.models import Case, CaseMaterial, CaseTask, ItemMaterial, ServiceItem
from zhuyun.services.service import autofill, engine, items, notifications

STATUS_LABELS_ZH = {
    "materials": "待补充材料",
    "processing": "办理中",
    "correction": "待补正",
    "closed": "已办结",
}
OUTCOME_LABELS_ZH = {
    "approved": "准予办理",
    "rejected": "不予办理",
    "refused": "不予受理",
}
MATERIAL_STATUS_ZH = {
    "fetched": "已共享获取（免提交）",
    "uploaded": "已上传",
    "missing": "待上传",
    "pending": "待重新获取",
}
MAX_FORM_FIELDS = 40
MAX_FIELD_LENGTH = 500


def subject(case: Case) -> Subject:
    return Subject("service_case", case.number)


def new_number(today: date) -> str:
    """`BJ` + the day in Beijing + 8 random digits: unguessable from another case's number."""
    return f"BJ{today:%Y%m%d}{secrets.randbelow(10**8):08d}"


def _applicant_ids(session: Session, principal: Principal) -> dict[str, str | None]:
    account = identity.get_account(session, principal.account_id)
    return {"id_number": account.id_number, "credit_code": account.credit_code}


def _check_form(item: ServiceItem, form: Mapping[str, Any]) -> dict[str, Any]:
    """The form's known fields, as text; unknown fields refused; required ones present
    unless the platform may fill them from shared data."""
    specs = {f["name"]: f for f in item.form_fields}
    unknown = sorted(set(form) - set(specs))
    if unknown:
        raise Unprocessable(
            f"Unknown form fields: {', '.join(unknown[:5])}.",
            f"表单中有未知字段：{'、'.join(unknown[:5])}。",
            code="bad-form",
        )
    clean: dict[str, Any] = {}
    for name, value in form.items():
        if value is None:
            continue
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise Unprocessable(
                f"Field {name} must be text or a number.",
                f"字段 {name} 须为文本或数字。",
                code="bad-form",
            )
        text = str(value).strip()
        if len(text) > MAX_FIELD_LENGTH:
            raise Unprocessable(
                f"Field {name} is longer than {MAX_FIELD_LENGTH} characters.",
                f"字段“{specs[name]['label']}”超过 {MAX_FIELD_LENGTH} 个字。",
                code="bad-form",
            )
        if text:
            clean[name] = text
    missing = [
        s["label"]
        for s in item.form_fields
        if s.get("required") and not s.get("prefill") and s["name"] not in clean
    ]
    if missing:
        raise Unprocessable(
            f"Fill in the required fields ({len(missing)} missing).",
            f"请填写必填项：{'、'.join(missing)}。",
            code="form-incomplete",
        )
    return clean


def _replay(session: Session, applicant_id: int, key: str) -> Case | None:
    return session.scalar(
        select(Case).where(Case.applicant_id == applicant_id, Case.idempotency_key == key)
    )


@dataclass(frozen=True)
class Submission:
    item_code: str
    form: Mapping[str, Any]
    consent: bool
    idempotency_key: str


def submit(
    session: Session, secret_key: str, principal: Principal, submission: Submission
) -> tuple[Case, bool]:
    """Create the case once per (applicant, key); returns it and whether it is new."""
    key = submission.idempotency_key.strip()
    if not 1 <= len(key) <= 100:
        raise Unprocessable(
            "Send an Idempotency-Key of 1 to 100 characters.",
            "请提供 1 至 100 个字符的幂等键（Idempotency-Key）。",
            code="invalid-idempotency-key",
        )
    existing = _replay(session, principal.account_id, key)
    if existing is not None:
        return existing, False
    item = items.get_item(session, submission.item_code)
    if item.withdrawn_at is not None:
        raise Conflict(
            f"Item {item.code} has been withdrawn and takes no new applications.",
            f"事项 {item.code} 已撤销，不再受理新的申请。",
            code="item-withdrawn",
        )
    if principal.kind.value not in item.applicant_kinds:
        raise Forbidden(
            "This item is not for your kind of account.",
            "该事项的申请对象不包括您的账号类型（自然人/法人）。",
            code="wrong-applicant-kind",
        )
    form = _check_form(item, submission.form)
    materials = items.materials_of(session, item.id)
    if any(m.kind != "upload" for m in materials) and not submission.consent:
        raise Unprocessable(
            "Consent to the platform fetching your materials from the departments, or apply "
            "at a counter.",
            "请授权平台向有关部门共享获取您的材料（或到窗口办理）。",
            code="consent-required",
        )
    today = china_today()
    number = new_number(today)
    unit_name = identity.unit_names(session, [item.unit_id]).get(item.unit_id, "")
    applicant_actor = principal.as_actor()
    consented_at = utcnow()
    if submission.consent:
        record(
            session,
            applicant_actor,
            "services.consent_given",
            Subject("service_case", number),
            {
                "item_code": item.code,
                "purpose": autofill.PURPOSE,
                "unit_id": item.unit_id,
                "resources": sorted({m.resource_id for m in materials if m.resource_id}),
            },
            case_id=number,
        )
        session.commit()
    fetched = autofill.fetch_all(
        session,
        secret_key,
        autofill.platform_principal(item.unit_id, unit_name),
        materials,
        _applicant_ids(session, principal),
        form,
    )
    form, prefilled = autofill.prefill(
        item.form_fields, form, fetched, {m.id: m.position for m in materials}
    )
    case = Case(
        number=number,
        item_id=item.id,
        unit_id=item.unit_id,
        applicant_id=principal.account_id,
        applicant_name=principal.display_name,
        idempotency_key=key,
        form=form,
        status="materials",
        consent_at=consented_at,
        fee_fen=item.fee_fen,
        materials_total=len(materials),
        materials_spared=sum(1 for f in fetched.values() if f.status == "fetched"),
    )
    try:
        with session.begin_nested():
            session.add(case)
            session.flush()
    except IntegrityError:
        existing = _replay(session, principal.account_id, key)
        if existing is None:
            raise
        return existing, False
    record(
        session,
        applicant_actor,
        "services.submitted",
        subject(case),
        {
            "item_code": item.code,
            "unit_id": item.unit_id,
            "power_code": item.power_code,
            "prefilled": prefilled,
            "idempotency_key": key,
        },
        case_id=number,
    )
    platform = autofill.platform_principal(item.unit_id, unit_name).as_actor()
    for m in materials:
        got = fetched.get(m.id)
        row = CaseMaterial(
            case_id=case.id,
            material_id=m.id,
            name=m.name,
            kind=m.kind,
            required=m.required,
            status=got.status if got else "missing",
            data=_data(got) if got else {},
            query_seq=got.query_seq if got else None,
            message=got.message if got else None,
        )
        session.add(row)
        if got is not None:
            _ledger_fetch(session, platform, case, m, got)
    session.flush()
    _start_if_complete(session, principal.as_actor(), case)
    return case, True


def _data(got: autofill.Fetched) -> dict[str, Any]:
    return {"items": got.items, "rows": got.rows, "masked": got.masked}


def _ledger_fetch(
    session: Session, actor: Actor, case: Case, material: ItemMaterial, got: autofill.Fetched
) -> None:
    activity = (
        "services.material_fetched" if got.status == "fetched" else "services.material_not_fetched"
    )
    record(
        session,
        actor,
        activity,
        subject(case),
        {
            "material": material.name,
            "resource_id": material.resource_id,
            "status": got.status,
            "query_seq": got.query_seq,
            "rows": len(got.rows),
        },
        case_id=case.number,
    )


def case_materials(session: Session, case: Case) -> list[CaseMaterial]:
    return list(
        session.scalars(
            select(CaseMaterial)
            .where(CaseMaterial.case_id == case.id)
            .order_by(CaseMaterial.material_id)
        )
    )


def _complete(materials: Sequence[CaseMaterial]) -> bool:
    """Every required material is in hand, or on its way from a department (pending)."""
    return all(m.status in ("fetched", "uploaded", "pending") for m in materials if m.required)


def _start_if_complete(session: Session, actor: Actor, case: Case) -> None:
    """With the materials complete the clock starts: the deadline is the promised limit in
    working days from today, and the first step opens."""
    if case.status != "materials" or not _complete(case_materials(session, case)):
        return
    item = session.get(ServiceItem, case.item_id)
    assert item is not None
    today = china_today()
    case.complete_at = utcnow()
    case.due_on = load_calendar(session).add_working_days(today, item.promised_days)
    case.status = "processing"
    record(
        session,
        actor,
        "services.materials_complete",
        subject(case),
        {"due_on": case.due_on.isoformat(), "promised_days": item.promised_days},
        case_id=case.number,
    )
    text = f"您的办件 {case.number}（{item.name}）材料齐全，已进入办理，办结时限 {case.due_on}。"
    notifications.notify(session, case, "started", text, account_id=case.applicant_id)
    engine.open_first_step(session, case)


def after_upload(session: Session, actor: Actor, case: Case) -> None:
    """An upload may complete the materials (start the clock) or answer a correction."""
    _start_if_complete(session, actor, case)


# --- who may see what -------------------------------------------------------------------


def is_city_wide(principal: Principal) -> bool:
    return principal.has_role(Role.PLATFORM_ADMIN) or principal.has_role(Role.SUPERVISOR)


def _staff_may_see(session: Session, principal: Principal, case: Case) -> bool:
    if not (
        principal.can(Permission.SERVICES_HANDLE) or principal.can(Permission.SERVICES_DASHBOARD)
    ):
        return False
    if is_city_wide(principal):
        return True
    if principal.unit_id is None:
        return False
    if case.unit_id == principal.unit_id:
        return True
    return bool(
        session.scalar(
            select(
                exists().where(CaseTask.case_id == case.id, CaseTask.unit_id == principal.unit_id)
            )
        )
    )


def may_see(session: Session, principal: Principal, case: Case) -> bool:
    return case.applicant_id == principal.account_id or _staff_may_see(session, principal, case)


def visible_case(session: Session, principal: Principal, number: str) -> Case:
    """The case if the principal is its applicant or staff of a unit that handles it; any
    other attempt is refused as 'not found' (nothing tells whether it exists) and ledgered."""
    case = session.scalar(select(Case).where(Case.number == number))
    if case is None or not may_see(session, principal, case):
        if case is not None:
            record_refusal(
                session,
                "services.case_refused",
                Subject("service_case", number),
                {"reason": "not-applicant-or-handler"},
                actor=principal.as_actor(),
            )
        raise NotFound(f"No case {number}.", f"办件 {number} 不存在。", code="case-not-found")
    return case


@dataclass(frozen=True)
class CaseFilter:
    status: str | None = None
    item_code: str | None = None


def list_mine(
    session: Session, principal: Principal, flt: CaseFilter, offset: int, limit: int
) -> tuple[list[Case], int]:
    conditions: list[Any] = [Case.applicant_id == principal.account_id]
    if flt.status:
        conditions.append(Case.status == flt.status)
    total = session.scalar(select(func.count()).select_from(Case).where(*conditions)) or 0
    rows = session.scalars(
        select(Case)
        .where(*conditions)
        .order_by(Case.submitted_at.desc(), Case.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total


def queue(
    session: Session, principal: Principal, overdue_only: bool, offset: int, limit: int
) -> tuple[list[tuple[CaseTask, Case]], int]:
    """The unit's open tasks, most urgent first (the earlier deadline of task and case);
    `overdue_only` keeps those whose case is past its deadline (for the unit's leaders)."""
    conditions: list[Any] = [CaseTask.status == "open", Case.id == CaseTask.case_id]
    if not is_city_wide(principal):
        if principal.unit_id is None:
            return [], 0
        conditions.append(CaseTask.unit_id == principal.unit_id)
    if overdue_only:
        conditions.append(Case.due_on < china_today())
    total = (
        session.scalar(
            select(func.count())
            .select_from(CaseTask)
            .join(Case, Case.id == CaseTask.case_id)
            .where(*conditions)
        )
        or 0
    )
    urgency = (
        func.min(Case.due_on, CaseTask.due_on)
        if session.get_bind().dialect.name == "sqlite"
        else func.least(Case.due_on, CaseTask.due_on)
    )
    rows = session.execute(
        select(CaseTask, Case)
        .join(Case, Case.id == CaseTask.case_id)
        .where(*conditions)
        .order_by(urgency, CaseTask.opened_at, CaseTask.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return [(t, c) for t, c in rows], total


def unit_cases(
    session: Session, principal: Principal, flt: CaseFilter, offset: int, limit: int
) -> tuple[list[Case], int]:
    """Every case the principal's unit handles (lead or branch), newest first."""
    conditions: list[Any] = []
    if not is_city_wide(principal):
        if principal.unit_id is None:
            return [], 0
        handled = select(CaseTask.case_id).where(CaseTask.unit_id == principal.unit_id)
        conditions.append(or_(Case.unit_id == principal.unit_id, Case.id.in_(handled)))
    if flt.status:
        conditions.append(Case.status == flt.status)
    total = session.scalar(select(func.count()).select_from(Case).where(*conditions)) or 0
    rows = session.scalars(
        select(Case)
        .where(*conditions)
        .order_by(Case.submitted_at.desc(), Case.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total


def tasks_of(session: Session, case: Case) -> list[CaseTask]:
    return list(
        session.scalars(select(CaseTask).where(CaseTask.case_id == case.id).order_by(CaseTask.id))
    )


def china_time(value: datetime | None) -> datetime | None:
    return value.astimezone(CHINA_TIME) if value else None


def working_days_left(session: Session, case: Case) -> int | None:
    """Working days until the deadline (negative when overdue); None without a deadline."""
    if case.due_on is None or case.status in ("closed", "materials"):
        return None
    return load_calendar(session).working_days_between(china_today(), case.due_on)
