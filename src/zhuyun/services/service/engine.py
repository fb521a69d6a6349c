"""The one workflow engine: a case moves through its item's workflow one step at a time;
a parallel step opens one task per branch and moves on when every branch is done (join).

submit → accept (or request correction, which suspends the clock, or refuse) → review →
decide → issue the result → deliver. Each action is checked against the step it is taken
in (a step out of order is refused), the acting unit (only the unit a task is open for)
and the role (`services.handle`), and recorded in the ledger with the case number as its
case id — so supervision can mine every case's path and times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuyun.core.calendar import china_today
from zhuyun.core.db import utcnow
from zhuyun.core.errors import Conflict, Forbidden, Unprocessable
from zhuyun.core.holidays import load_calendar
from zhuyun.core.ledger import Actor, Subject, record
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import Permission, Principal, Role
from zhuyun.services.models import Case, CaseTask, ServiceItem
from zhuyun.services.service import notifications, results, workflows
from zhuyun.services.service.items import workflow_spec


def _subject(case: Case) -> Subject:
    return Subject("service_case", case.number)


def _spec(session: Session, case: Case) -> tuple[ServiceItem, workflows.WorkflowSpec]:
    item = session.get(ServiceItem, case.item_id)
    assert item is not None
    return item, workflow_spec(session, item.workflow_code)


def _unit_id(session: Session, item: ServiceItem, code: str) -> int:
    if code == workflows.LEAD:
        return item.unit_id
    unit = identity.find_unit_by_code(session, code)
    return unit.id if unit is not None else item.unit_id  # a scale without it: the lead does it


def _open(session: Session, case: Case, item: ServiceItem, step: workflows.StepSpec) -> None:
    today = china_today()
    due = load_calendar(session).add_working_days(today, step.days)
    case.step = step.code
    targets: list[tuple[str | None, str, str]] = [(b.code, b.name, b.unit) for b in step.branches]
    targets = targets or [(None, step.name, step.unit)]
    for branch, name, unit in targets:
        unit_id = _unit_id(session, item, unit)
        text = f"办件 {case.number}（{item.name}）待办：{name}，环节时限 {due}。"
        notifications.notify(session, case, "task_opened", text, unit_id=unit_id)
        session.add(
            CaseTask(
                case_id=case.id,
                step=step.code,
                branch=branch,
                name=name,
                unit_id=unit_id,
                status="open",
                due_on=due,
            )
        )
    session.flush()


def open_first_step(session: Session, case: Case) -> None:
    item, spec = _spec(session, case)
    _open(session, case, item, spec.steps[0])


def open_tasks(session: Session, case: Case) -> list[CaseTask]:
    return list(
        session.scalars(
            select(CaseTask)
            .where(CaseTask.case_id == case.id, CaseTask.status == "open")
            .order_by(CaseTask.id)
        )
    )


@dataclass(frozen=True)
class Action:
    action: str
    opinion: str = ""
    branch: str | None = None


def allowed_actions(
    session: Session, principal: Principal, case: Case
) -> list[tuple[CaseTask, list[str]]]:
    """The open tasks this principal may act on, with the actions each allows."""
    if case.status != "processing" or not principal.can(Permission.SERVICES_HANDLE):
        return []
    _item, spec = _spec(session, case)
    return [
        (task, list(spec.step(task.step).actions))
        for task in open_tasks(session, case)
        if _acts_for(principal, task.unit_id)
    ]


def _acts_for(principal: Principal, unit_id: int) -> bool:
    return principal.unit_id == unit_id or principal.has_role(Role.PLATFORM_ADMIN)


def act(session: Session, principal: Principal, case: Case, action: Action) -> Case:
    """Take one action on the case's current step; refuses what is out of order, outside
    the principal's unit or role, or missing its reasons."""
    if not principal.can(Permission.SERVICES_HANDLE):
        raise Forbidden("Only case handlers act on cases.", "只有经办人员可以办理办件。")
    item, spec = _spec(session, case)
    if case.status != "processing" or case.step is None:
        raise Conflict(
            f"The case is {case.status}: no step is open for action.",
            "该办件当前不在办理环节，不能执行此操作。",
            code="step-out-of-order",
        )
    step = spec.step(case.step)
    if action.action not in step.actions:
        label = workflows.ACTION_LABELS_ZH.get(action.action, action.action)
        raise Conflict(
            f"'{action.action}' is not an action of the step '{step.name}'.",
            f"“{step.name}”环节不能执行“{label}”。",
            code="step-out-of-order",
        )
    tasks = [t for t in open_tasks(session, case) if action.branch in (None, t.branch)]
    mine = [t for t in tasks if _acts_for(principal, t.unit_id)]
    if not mine:
        raise Forbidden(
            "This step is open for another unit.",
            "该环节由其他单位办理，您无权操作。",
            code="not-your-unit",
        )
    task = mine[0]
    needs_reason = action.action in ("request_correction", "refuse", "reject")
    opinion = " ".join(action.opinion.split())[:1000]
    if needs_reason and len(opinion) < 2:
        raise Unprocessable(
            "Give the reason (at least 2 characters).",
            "请填写理由（至少 2 个字）。",
            code="reason-required",
        )
    if action.action == "issue" and case.fee_fen and case.paid_at is None:
        raise Conflict(
            "The fee is not paid yet.", "申请人尚未缴费，暂不能出具结果。", code="fee-unpaid"
        )
    task.status, task.done_at = "done", utcnow()
    task.actor_id, task.action, task.opinion = principal.account_ref, action.action, opinion or None
    actor = principal.as_actor()
    record(
        session,
        actor,
        f"services.{action.action}",
        _subject(case),
        {
            "step": step.code,
            "branch": task.branch,
            "item_code": item.code,
            "power_code": item.power_code,
            "task_unit_id": task.unit_id,
            "opinion": opinion[:200] or None,
        },
        case_id=case.number,
    )
    _advance(session, principal, case, item, spec, step, action.action, opinion)
    return case


def _advance(
    session: Session,
    principal: Principal,
    case: Case,
    item: ServiceItem,
    spec: workflows.WorkflowSpec,
    step: workflows.StepSpec,
    action: str,
    opinion: str = "",
) -> None:
    actor = principal.as_actor()
    if action == "request_correction":
        case.status, case.paused_on = "correction", china_today()
        text = f"您的办件 {case.number} 需要补正材料：{opinion}。补正期间暂停计时。"
        notifications.notify(session, case, "correction", text, account_id=case.applicant_id)
        return
    if action == "refuse":
        _close(session, actor, case, "refused")
        return
    if step.kind == "review":
        if open_tasks(session, case):
            return  # the other branches still work: the join waits
        _open(session, case, item, spec.after(step.code) or spec.steps[-1])
        return
    if step.kind == "decide":
        case.outcome = "approved" if action == "approve" else "rejected"
        following = spec.after(step.code) if action == "approve" else spec.steps[-1]
        _open(session, case, item, following or spec.steps[-1])
        return
    if step.kind == "issue":
        case.result_text, case.certificate_ref = results.issue_result(
            session, principal, case, item
        )
    following = spec.after(step.code)
    if following is None:
        _close(session, actor, case, case.outcome or "approved")
    else:
        _open(session, case, item, following)


def _close(session: Session, actor: Actor, case: Case, outcome: str) -> None:
    for task in open_tasks(session, case):
        task.status, task.done_at = "cancelled", utcnow()
    case.status, case.outcome, case.step = "closed", outcome, None
    case.closed_at = utcnow()
    today = china_today()
    case.closed_late = case.due_on is not None and today > case.due_on
    label = {"approved": "准予办理", "rejected": "不予办理", "refused": "不予受理"}.get(
        outcome, outcome
    )
    text = f"您的办件 {case.number} 已办结：{label}。欢迎对本次服务作出评价。"
    notifications.notify(session, case, "closed", text, account_id=case.applicant_id)
    record(
        session,
        actor,
        "services.closed",
        _subject(case),
        {"outcome": outcome, "late": case.closed_late},
        case_id=case.number,
    )


def resubmit(session: Session, principal: Principal, case: Case) -> Case:
    """The applicant answers a correction: the clock runs again, the deadline moves by the
    working days it was suspended, and acceptance reopens."""
    if case.applicant_id != principal.account_id:
        raise Forbidden("Only the applicant resubmits.", "只有申请人可以提交补正材料。")
    if case.status != "correction" or case.paused_on is None:
        raise Conflict(
            "The case is not waiting for a correction.",
            "该办件不在待补正状态。",
            code="step-out-of-order",
        )
    calendar = load_calendar(session)
    today = china_today()
    paused = max(0, calendar.working_days_between(case.paused_on, today))
    if case.due_on is not None:
        case.due_on = calendar.add_working_days(case.due_on, paused)
    case.paused_days += paused
    case.paused_on = None
    case.status = "processing"
    item, spec = _spec(session, case)
    record(
        session,
        principal.as_actor(),
        "services.corrected",
        _subject(case),
        {"paused_working_days": paused, "due_on": case.due_on.isoformat() if case.due_on else None},
        case_id=case.number,
    )
    _open(session, case, item, spec.steps[0])
    return case


def is_overdue(case: Case, today: date | None = None) -> bool:
    if case.due_on is None:
        return False
    if case.status == "closed":
        return bool(case.closed_late)
    if case.status == "correction":
        return False  # the clock is suspended
    return (today or china_today()) > case.due_on
