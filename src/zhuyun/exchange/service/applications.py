"""Applications and grants for conditionally shared resources (有条件共享), and objections.

A consumer unit applies with items, purpose, basis, validity and expected volume; the
provider's data admin approves (possibly fewer items, a shorter validity, row limits) or
rejects with a reason within N working days (Chinese holidays counted); an application left
undecided past its deadline escalates to the big-data bureau, which may decide it. Grants
can be revoked at any time and the revocation holds from the next query. Each step is in the
ledger under the application's case id, so the process can be mined later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhuyun.catalog import service as catalog
from zhuyun.catalog.vocab import ShareType
from zhuyun.core.db import utcnow
from zhuyun.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from zhuyun.core.holidays import load_calendar
from zhuyun.core.ledger import Actor, Subject, record
from zhuyun.exchange.models import Application, Grant, Objection
from zhuyun.identity.permissions import Permission, Principal, Role

MAX_VALIDITY_DAYS = 3 * 366
OBJECTION_WORKING_DAYS = 5


class Status:
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


STATUS_LABELS_ZH = {
    Status.PENDING: "待审核",
    Status.APPROVED: "已批准",
    Status.REJECTED: "已驳回",
    Status.WITHDRAWN: "已撤回",
}


def _case(application_id: int) -> str:
    return f"application:{application_id}"


def _text(value: str, label_en: str, label_zh: str, low: int, high: int) -> str:
    text = " ".join(value.split())
    if not low <= len(text) <= high:
        raise Unprocessable(
            f"{label_en} needs {low} to {high} characters.",
            f"{label_zh}须为 {low} 至 {high} 个字符。",
            code="bad-application",
        )
    return text


@dataclass(frozen=True)
class ApplicationDraft:
    resource_id: int
    items: Sequence[str]
    purpose: str
    basis: str
    valid_until: date
    expected_daily_rows: int
    idempotency_key: str


def _consumer_unit(principal: Principal) -> int:
    if principal.unit_id is None or not principal.can(Permission.EXCHANGE_APPLY):
        raise Forbidden(
            "Only a unit's data admins can apply for shared data.",
            "只有单位的数据管理员才能提交共享申请。",
        )
    return principal.unit_id


def apply(
    session: Session, principal: Principal, draft: ApplicationDraft, today: date, review_days: int
) -> tuple[Application, bool]:
    """Submit an application once: the same idempotency key returns the first one.
    Returns the application and whether it was created now."""
    consumer_unit_id = _consumer_unit(principal)
    key = _text(draft.idempotency_key, "The idempotency key", "幂等键", 8, 100)
    existing = _submitted_with(session, principal, key, draft)
    if existing is not None:
        return existing, False
    resource = catalog.published_view(session, draft.resource_id)
    if resource.status != "published":
        raise Unprocessable(
            "Only published resources can be applied for.",
            "只能申请已发布的资源。",
            code="resource-not-published",
        )
    if resource.provider_unit_id == consumer_unit_id:
        raise Unprocessable(
            "Your unit provides this resource: it needs no application.",
            "本单位即为该资源的提供方，无需申请。",
            code="own-resource",
        )
    if resource.share_type == ShareType.NONE:
        raise Unprocessable(
            f"{resource.name} is not shared (不予共享); it cannot be applied for.",
            f"“{resource.name}”为不予共享资源，不能申请。",
            code="not-shared",
        )
    items = list(dict.fromkeys(draft.items))
    unknown = [i for i in items if i not in resource.items]
    withheld = [i for i in items if i in resource.items and resource.items[i].share_type == "none"]
    if not items or unknown or withheld:
        raise Unprocessable(
            f"Choose items the resource shares; unknown: {unknown}, not shared: {withheld}.",
            f"请选择该资源可共享的信息项；不存在：{unknown}，不予共享：{withheld}。",
            code="bad-items",
        )
    if not today < draft.valid_until <= today + timedelta(days=MAX_VALIDITY_DAYS):
        raise Unprocessable(
            "The validity must end after today and within three years.",
            "有效期须晚于今天，且不超过三年。",
            code="bad-validity",
        )
    if not 1 <= draft.expected_daily_rows <= 100_000_000:
        raise Unprocessable(
            "Expected rows per day must be between 1 and 100,000,000.",
            "预计日调用量须在 1 至 1 亿行之间。",
            code="bad-volume",
        )
    application = Application(
        resource_id=resource.id,
        provider_unit_id=resource.provider_unit_id,
        consumer_unit_id=consumer_unit_id,
        applicant_id=principal.account_id,
        idempotency_key=key,
        items=items,
        purpose=_text(draft.purpose, "The purpose", "用途", 2, 500),
        basis=_text(draft.basis, "The basis", "依据", 2, 1000),
        valid_until=draft.valid_until,
        expected_daily_rows=draft.expected_daily_rows,
        status=Status.PENDING,
        due_on=load_calendar(session).add_working_days(today, review_days),
    )
    try:
        with session.begin_nested():
            session.add(application)
    except IntegrityError:  # the same key, submitted at the same moment, won
        existing = _submitted_with(session, principal, key, draft)
        assert existing is not None
        return existing, False
    record(
        session,
        principal.as_actor(),
        "application.submitted",
        Subject("application", application.id),
        {"resource_id": resource.id, "provider_unit_id": resource.provider_unit_id,
         "items": items, "purpose": application.purpose, "due_on": application.due_on},
        case_id=_case(application.id),
    )  # fmt: skip
    return application, True


def _submitted_with(
    session: Session, principal: Principal, key: str, draft: ApplicationDraft
) -> Application | None:
    """The application this applicant already submitted under this key, if it is this one."""
    existing = session.scalar(
        select(Application).where(
            Application.applicant_id == principal.account_id, Application.idempotency_key == key
        )
    )
    if existing is not None and (
        existing.resource_id != draft.resource_id
        or existing.items != list(dict.fromkeys(draft.items))
    ):
        raise Conflict(
            "This idempotency key was used for a different application.",
            "该幂等键已用于另一份申请。",
            code="idempotency-key-reused",
        )
    return existing


def get_application(session: Session, application_id: int) -> Application:
    application = session.get(Application, application_id)
    if application is None:
        raise NotFound(
            f"Application {application_id} does not exist.",
            f"申请 {application_id} 不存在。",
            code="application-not-found",
        )
    return application


def can_see_application(principal: Principal, application: Application) -> bool:
    return principal.can(Permission.EXCHANGE_COORDINATE) or principal.unit_id in (
        application.consumer_unit_id,
        application.provider_unit_id,
    )


def _may_decide(principal: Principal, application: Application) -> bool:
    if principal.can(Permission.EXCHANGE_COORDINATE):
        return True
    return principal.can(Permission.EXCHANGE_REVIEW) and principal.has_role(
        Role.DATA_ADMIN, application.provider_unit_id
    )


@dataclass(frozen=True)
class Approval:
    items: Sequence[str] | None = None  # None: as applied
    valid_until: date | None = None  # None: as applied
    clear_items: Sequence[str] = ()
    max_rows_per_query: int = 1_000
    max_rows_per_day: int = 100_000
    city_wide: bool = False
    note: str = ""


def _pending(application: Application) -> None:
    if application.status != Status.PENDING:
        raise Conflict(
            f"Application {application.id} is already {application.status}.",
            f"申请 {application.id} 已{STATUS_LABELS_ZH[application.status]}，不能再处理。",
            code="application-decided",
        )


def approve(
    session: Session, principal: Principal, application_id: int, approval: Approval
) -> Grant:
    """Approve, possibly narrowing items, validity and rows; the grant is issued at once."""
    application = get_application(session, application_id)
    if not _may_decide(principal, application):
        raise Forbidden(
            "Only the provider's data admins (or the big-data bureau) decide this application.",
            "只有资源提供单位的数据管理员（或大数据局）可以审核该申请。",
        )
    _pending(application)
    items = list(approval.items) if approval.items is not None else list(application.items)
    if not items or not set(items) <= set(application.items):
        raise Unprocessable(
            "Approve some of the items applied for, and no others.",
            "批准的信息项须为申请信息项的子集且不能为空。",
            code="bad-approval",
        )
    if not set(approval.clear_items) <= set(items):
        raise Unprocessable(
            "Items in clear must be among the approved items.",
            "明文提供的信息项须在批准的信息项之内。",
            code="bad-approval",
        )
    valid_until = approval.valid_until or application.valid_until
    if valid_until > application.valid_until or valid_until <= application.submitted_at.date():
        raise Unprocessable(
            "The validity may be shortened, not extended.",
            "有效期只能缩短，不能延长。",
            code="bad-approval",
        )
    if not 1 <= approval.max_rows_per_query <= approval.max_rows_per_day:
        raise Unprocessable(
            "Rows per query must be at least 1 and at most the rows per day.",
            "单次行数须至少为 1，且不超过每日行数。",
            code="bad-approval",
        )
    application.status = Status.APPROVED
    application.decided_at = utcnow()
    application.decided_by = principal.account_ref
    application.decision_reason = approval.note.strip()[:1000] or None
    grant = Grant(
        application_id=application.id,
        resource_id=application.resource_id,
        consumer_unit_id=application.consumer_unit_id,
        items=items,
        clear_items=list(approval.clear_items),
        purpose=application.purpose,
        valid_until=valid_until,
        max_rows_per_query=approval.max_rows_per_query,
        max_rows_per_day=approval.max_rows_per_day,
        city_wide=approval.city_wide,
        granted_by=principal.account_ref,
    )
    session.add(grant)
    session.flush()
    record(
        session,
        principal.as_actor(),
        "application.approved",
        Subject("application", application.id),
        {"grant_id": grant.id, "items": items, "clear_items": list(approval.clear_items),
         "valid_until": valid_until, "max_rows_per_query": approval.max_rows_per_query,
         "max_rows_per_day": approval.max_rows_per_day, "city_wide": approval.city_wide,
         "late": application.escalated_at is not None},
        case_id=_case(application.id),
    )  # fmt: skip
    return grant


def reject(session: Session, principal: Principal, application_id: int, reason: str) -> Application:
    application = get_application(session, application_id)
    if not _may_decide(principal, application):
        raise Forbidden(
            "Only the provider's data admins (or the big-data bureau) decide this application.",
            "只有资源提供单位的数据管理员（或大数据局）可以审核该申请。",
        )
    _pending(application)
    application.decision_reason = _text(reason, "A rejection reason", "驳回理由", 2, 1000)
    application.status = Status.REJECTED
    application.decided_at = utcnow()
    application.decided_by = principal.account_ref
    record(
        session,
        principal.as_actor(),
        "application.rejected",
        Subject("application", application.id),
        {"reason": application.decision_reason, "late": application.escalated_at is not None},
        case_id=_case(application.id),
    )
    return application


def withdraw(session: Session, principal: Principal, application_id: int) -> Application:
    application = get_application(session, application_id)
    if application.applicant_id != principal.account_id:
        raise Forbidden("Only the applicant can withdraw it.", "只有申请人可以撤回申请。")
    _pending(application)
    application.status = Status.WITHDRAWN
    application.decided_at = utcnow()
    record(
        session,
        principal.as_actor(),
        "application.withdrawn",
        Subject("application", application.id),
        case_id=_case(application.id),
    )
    return application


def escalate_overdue(session: Session, actor: Actor, today: date) -> list[Application]:
    """Pending applications past their deadline go to the big-data bureau, once each."""
    overdue = session.scalars(
        select(Application).where(
            Application.status == Status.PENDING,
            Application.due_on < today,
            Application.escalated_at.is_(None),
        )
    ).all()
    for application in overdue:
        application.escalated_at = utcnow()
        record(
            session,
            actor,
            "application.escalated",
            Subject("application", application.id),
            {"due_on": application.due_on, "provider_unit_id": application.provider_unit_id},
            case_id=_case(application.id),
        )
    return list(overdue)


@dataclass(frozen=True)
class ApplicationQuery:
    box: str = "all"  # inbox (to my unit), outbox (from my unit), escalated, all (coordinators)
    status: str | None = None


def list_applications(
    session: Session, principal: Principal, query: ApplicationQuery, offset: int, limit: int
) -> tuple[list[Application], int]:
    conditions = []
    if query.box == "inbox":
        conditions.append(Application.provider_unit_id == principal.unit_id)
    elif query.box == "outbox":
        conditions.append(Application.consumer_unit_id == principal.unit_id)
    elif query.box == "escalated":
        conditions.append(Application.escalated_at.is_not(None))
    if not principal.can(Permission.EXCHANGE_COORDINATE):
        conditions.append(
            or_(
                Application.provider_unit_id == principal.unit_id,
                Application.consumer_unit_id == principal.unit_id,
            )
        )
    if query.status:
        conditions.append(Application.status == query.status)
    total = session.scalar(select(func.count()).select_from(Application).where(*conditions)) or 0
    rows = session.scalars(
        select(Application)
        .where(*conditions)
        .order_by(Application.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total


def get_grant(session: Session, grant_id: int) -> Grant:
    grant = session.get(Grant, grant_id)
    if grant is None:
        raise NotFound(
            f"Grant {grant_id} does not exist.", f"授权 {grant_id} 不存在。", code="grant-not-found"
        )
    return grant


def list_grants(
    session: Session, principal: Principal, resource_id: int | None, offset: int, limit: int
) -> tuple[list[Grant], int]:
    """Grants to or of the caller's unit (all of them for the bureau)."""
    conditions = []
    if resource_id is not None:
        conditions.append(Grant.resource_id == resource_id)
    if not principal.can(Permission.EXCHANGE_COORDINATE):
        provided = select(Application.id).where(Application.provider_unit_id == principal.unit_id)
        conditions.append(
            or_(Grant.consumer_unit_id == principal.unit_id, Grant.application_id.in_(provided))
        )
    total = session.scalar(select(func.count()).select_from(Grant).where(*conditions)) or 0
    rows = session.scalars(
        select(Grant).where(*conditions).order_by(Grant.id.desc()).offset(offset).limit(limit)
    ).all()
    return list(rows), total


def revoke_grant(session: Session, principal: Principal, grant_id: int, reason: str) -> Grant:
    """Revoke a grant; the next query under it is refused."""
    grant = get_grant(session, grant_id)
    provider = catalog.published_view(session, grant.resource_id).provider_unit_id
    allowed = principal.can(Permission.EXCHANGE_COORDINATE) or (
        principal.can(Permission.EXCHANGE_REVIEW) and principal.has_role(Role.DATA_ADMIN, provider)
    )
    if not allowed:
        raise Forbidden(
            "Only the provider's data admins (or the big-data bureau) revoke this grant.",
            "只有资源提供单位的数据管理员（或大数据局）可以撤销该授权。",
        )
    if grant.revoked_at is not None:
        raise Conflict(
            f"Grant {grant_id} is already revoked.",
            f"授权 {grant_id} 已被撤销。",
            code="grant-revoked",
        )
    grant.revoked_at = utcnow()
    grant.revoked_by = principal.account_ref
    grant.revoke_reason = _text(reason, "A revocation reason", "撤销理由", 2, 500)
    record(
        session,
        principal.as_actor(),
        "grant.revoked",
        Subject("grant", grant.id),
        {"resource_id": grant.resource_id, "consumer_unit_id": grant.consumer_unit_id,
         "reason": grant.revoke_reason},
        case_id=_case(grant.application_id) if grant.application_id else None,
    )  # fmt: skip
    return grant


@dataclass(frozen=True)
class ObjectionDraft:
    resource_id: int
    record_key: str
    field: str | None
    description: str


def raise_objection(
    session: Session, principal: Principal, draft: ObjectionDraft, today: date
) -> Objection:
    """A consumer flags a record it believes wrong; the provider gets it with a deadline."""
    if principal.unit_id is None or not principal.can(Permission.EXCHANGE_QUERY):
        raise Forbidden(
            "Only staff who use shared data can raise an objection.",
            "只有使用共享数据的工作人员才能提出疑义。",
        )
    resource = catalog.published_view(session, draft.resource_id)
    if draft.field is not None and draft.field not in resource.items:
        raise Unprocessable(
            f"Resource {resource.id} has no item {draft.field}.",
            f"资源 {resource.id} 没有信息项 {draft.field}。",
            code="bad-objection",
        )
    objection = Objection(
        resource_id=resource.id,
        provider_unit_id=resource.provider_unit_id,
        consumer_unit_id=principal.unit_id,
        raised_by=principal.account_id,
        record_key=_text(draft.record_key, "The record key", "记录标识", 1, 200),
        field=draft.field,
        description=_text(draft.description, "The description", "疑义说明", 2, 1000),
        status="open",
        due_on=load_calendar(session).add_working_days(today, OBJECTION_WORKING_DAYS),
    )
    session.add(objection)
    session.flush()
    record(
        session,
        principal.as_actor(),
        "objection.raised",
        Subject("objection", objection.id),
        {"resource_id": resource.id, "provider_unit_id": resource.provider_unit_id,
         "field": draft.field, "due_on": objection.due_on},
    )  # fmt: skip
    return objection


def resolve_objection(
    session: Session, principal: Principal, objection_id: int, accepted: bool, resolution: str
) -> Objection:
    objection = session.get(Objection, objection_id)
    if objection is None:
        raise NotFound(
            f"Objection {objection_id} does not exist.",
            f"疑义 {objection_id} 不存在。",
            code="objection-not-found",
        )
    if not (
        principal.can(Permission.EXCHANGE_COORDINATE)
        or principal.has_role(Role.DATA_ADMIN, objection.provider_unit_id)
    ):
        raise Forbidden(
            "Only the provider's data admins answer this objection.",
            "只有资源提供单位的数据管理员可以答复该疑义。",
        )
    if objection.status != "open":
        raise Conflict(
            f"Objection {objection_id} is already answered.",
            f"疑义 {objection_id} 已答复。",
            code="objection-closed",
        )
    objection.status = "corrected" if accepted else "rejected"
    objection.resolution = _text(resolution, "The answer", "答复", 2, 1000)
    objection.resolved_at = utcnow()
    objection.resolved_by = principal.account_ref
    record(
        session,
        principal.as_actor(),
        "objection.resolved",
        Subject("objection", objection.id),
        {"accepted": accepted, "late": objection.resolved_at.date() > objection.due_on},
    )
    return objection


def list_objections(
    session: Session, principal: Principal, offset: int, limit: int
) -> tuple[list[Objection], int]:
    conditions = []
    if not principal.can(Permission.EXCHANGE_COORDINATE):
        conditions.append(
            or_(
                Objection.provider_unit_id == principal.unit_id,
                Objection.consumer_unit_id == principal.unit_id,
            )
        )
    total = session.scalar(select(func.count()).select_from(Objection).where(*conditions)) or 0
    rows = session.scalars(
        select(Objection)
        .where(*conditions)
        .order_by(Objection.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total
