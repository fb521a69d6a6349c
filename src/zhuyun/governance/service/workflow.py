"""The GB/T 30428 workflow of a work order, and who may see and act on it.

collected (采集) → registered (立案) → dispatched (派遣) → handling (处置中) → reported
(处置反馈) → verified (核查) → closed (结案) → evaluated (评价). Side roads: a unit returns
an order it is not responsible for (returned → redispatched), a failed verification sends it
back to the unit (rework), a bad rating (1–2 stars) reopens it, an order the command centre
declines to register is rejected (不予立案), and a duplicate is merged into the order it
repeats. Every step is one timeline event and one ledger entry, in the caller's transaction.

Who: the city command centre (the platform admin, or a handler of the command-centre unit)
registers, dispatches, verifies and closes any order; a unit's handlers act only on orders
assigned to their unit; a collaborating organisation's handlers finish their assist tasks;
grid workers see and verify the orders of their grids; a citizen sees their own orders and
rates them. An order a caller may not see does not exist for them (404); one they may see
but not act on is a 403 that says why.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuyun.core.db import utcnow
from zhuyun.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from zhuyun.core.ledger import Actor, Subject, record
from zhuyun.governance.models import AssistTask, CategoryCorrection, WorkOrder, WorkOrderEvent
from zhuyun.governance.service import sla
from zhuyun.governance.service.categories import BY_CODE
from zhuyun.governance.service.dispatch import command_centre_id, responsible
from zhuyun.governance.service.grids import grids_of_worker
from zhuyun.identity.permissions import Permission, Principal, Role

STATUS_LABELS_ZH = {
    "collected": "已采集",
    "registered": "已立案",
    "rejected": "不予立案",
    "dispatched": "已派遣",
    "handling": "处置中",
    "returned": "已退回",
    "reported": "已反馈",
    "verified": "已核查",
    "closed": "已结案",
    "evaluated": "已评价",
    "merged": "已合并",
}
FINISHED = ("closed", "evaluated", "rejected", "merged")
BAD_RATING = 2  # a rating of this or less reopens the order


def add_event(
    session: Session,
    order: WorkOrder,
    actor: Actor,
    activity: str,
    status_to: str,
    note: str | None = None,
    *,
    status_from: str | None = None,
    at: datetime | None = None,
) -> None:
    session.add(
        WorkOrderEvent(
            order_id=order.id,
            at=at or utcnow(),
            activity=activity,
            status_from=status_from if status_from is not None else order.status,
            status_to=status_to,
            actor_id=actor.id,
            actor_name=actor.name,
            unit_id=actor.unit_id,
            note=(note or None) and note[:1000],
        )
    )


def _step(
    session: Session,
    order: WorkOrder,
    actor: Actor,
    activity: str,
    status_to: str,
    note: str | None = None,
    **attrs: object,
) -> None:
    """Move the order to `status_to`: one timeline event and one ledger entry."""
    now = utcnow()
    add_event(session, order, actor, activity, status_to, note, at=now)
    previous = order.status
    order.status = status_to
    order.updated_at = now
    record(
        session,
        actor,
        f"workorder.{activity}",
        Subject("workorder", order.id),
        {
            "number": order.number,
            "from": previous,
            "to": status_to,
            "category": order.category,
            "unit_id": order.unit_id,
            **({"note": note[:200]} if note else {}),
            **attrs,
        },
    )


# --- who may see and do what -------------------------------------------------------------


def is_command_centre(session: Session, principal: Principal) -> bool:
    if principal.can(Permission.WORKORDERS_DISPATCH):
        return True
    return principal.can(Permission.WORKORDERS_HANDLE) and principal.unit_id == command_centre_id(
        session
    )


def _assist_units(session: Session, order: WorkOrder) -> set[int]:
    return set(session.scalars(select(AssistTask.unit_id).where(AssistTask.order_id == order.id)))


def can_see(session: Session, principal: Principal, order: WorkOrder) -> bool:
    if order.reporter_id == principal.account_id and principal.via != "system":
        return True
    if is_command_centre(session, principal) or principal.has_role(Role.SUPERVISOR):
        return True
    if (
        principal.can(Permission.WORKORDERS_HANDLE)
        and principal.unit_id is not None
        and (
            order.unit_id == principal.unit_id or principal.unit_id in _assist_units(session, order)
        )
    ):
        return True
    if principal.has_role(Role.GRID_WORKER) and order.grid_code:
        return order.grid_code in {g.code for g in grids_of_worker(session, principal.account_id)}
    return False


def may_add_photos(session: Session, principal: Principal, order: WorkOrder) -> bool:
    """The reporter, the command centre, the assigned unit and the grid's workers."""
    if principal.via != "system" and order.reporter_id == principal.account_id:
        return True
    if is_command_centre(session, principal):
        return True
    if principal.can(Permission.WORKORDERS_HANDLE) and order.unit_id == principal.unit_id:
        return order.unit_id is not None
    if principal.has_role(Role.GRID_WORKER) and order.grid_code:
        return order.grid_code in {g.code for g in grids_of_worker(session, principal.account_id)}
    return False


def get_order(session: Session, principal: Principal, order_id: int) -> WorkOrder:
    order = session.get(WorkOrder, order_id)
    if order is None or not can_see(session, principal, order):
        raise NotFound(
            f"Work order {order_id} does not exist.",
            f"工单 {order_id} 不存在。",
            code="workorder-not-found",
        )
    return order


def _require_status(order: WorkOrder, *allowed: str) -> None:
    if order.status not in allowed:
        label = STATUS_LABELS_ZH.get(order.status, order.status)
        raise Conflict(
            f"Work order {order.number} is {order.status}; this needs {', '.join(allowed)}.",
            f"工单 {order.number} 当前状态为“{label}”，不能执行此操作。",
            code="wrong-status",
        )


def _require_centre(session: Session, principal: Principal) -> None:
    if not is_command_centre(session, principal):
        raise Forbidden(
            "Only the city command centre may do this.",
            "只有市指挥中心可以执行此操作。",
            code="not-command-centre",
        )


def _require_assigned(session: Session, principal: Principal, order: WorkOrder) -> None:
    if is_command_centre(session, principal):
        return
    if not principal.can(Permission.WORKORDERS_HANDLE) or order.unit_id != principal.unit_id:
        raise Forbidden(
            f"Work order {order.number} is not assigned to your unit.",
            f"工单 {order.number} 未派遣给本单位，不能办理。",
            code="not-assigned",
        )


# --- the steps -----------------------------------------------------------------------------


def register(
    session: Session,
    actor: Actor,
    order: WorkOrder,
    category: str | None = None,
    deadlines: dict[tuple[str, int], datetime] | None = None,
) -> None:
    """立案: the order is accepted as a case; its SLA clock starts. Then dispatch."""
    _require_status(order, "collected")
    if category and category != order.category:
        _recategorise(session, actor, order, category)
    now = utcnow()
    order.registered_at = now
    order.due_at = sla.due_at(session, order.category, order.urgency, now, deadlines)
    _step(
        session,
        order,
        actor,
        "registered",
        "registered",
        f"时限 {sla.sla_label(order.category, order.urgency)}",
        due_at=order.due_at.isoformat(),
    )
    dispatch(session, actor, order)


def dispatch(
    session: Session,
    actor: Actor,
    order: WorkOrder,
    unit_id: int | None = None,
    note: str | None = None,
) -> bool:
    """派遣 by the duty matrix (or to `unit_id`), with assist tasks for collaborating
    organisations; False when the matrix has no unit for the order (it waits, registered)."""
    assist_id: int | None = None
    if unit_id is None:
        rule = responsible(session, order.category, order.street_code, order.district_code)
        if rule is None:
            return False
        unit_id, assist_id = rule.unit_id, rule.assist_unit_id
    order.unit_id = unit_id
    _step(session, order, actor, "dispatched", "dispatched", note, assigned_unit_id=unit_id)
    if assist_id is not None:
        exists = session.scalar(
            select(AssistTask.id).where(
                AssistTask.order_id == order.id, AssistTask.unit_id == assist_id
            )
        )
        if exists is None:
            session.add(AssistTask(order_id=order.id, unit_id=assist_id, status="assigned"))
            record(
                session,
                actor,
                "workorder.assist_assigned",
                Subject("workorder", order.id),
                {"number": order.number, "assist_unit_id": assist_id},
            )
    return True


def reject(session: Session, principal: Principal, order: WorkOrder, reason: str) -> None:
    _require_centre(session, principal)
    _require_status(order, "collected")
    _step(session, order, principal.as_actor(), "rejected", "rejected", _reason(reason))
    order.closed_at = utcnow()


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise Unprocessable("Give a reason.", "请填写理由。", code="reason-required")
    return text[:500]


def _recategorise(session: Session, actor: Actor, order: WorkOrder, category: str) -> None:
    if category not in BY_CODE:
        raise Unprocessable(
            f"Unknown category {category!r}.",
            f"未知事项类别 {category}。",
            code="unknown-category",
        )
    session.add(
        CategoryCorrection(
            order_id=order.id,
            text=order.text,
            old_category=order.category,
            new_category=category,
            account_id=actor.id,
        )
    )
    record(
        session,
        actor,
        "workorder.recategorised",
        Subject("workorder", order.id),
        {"number": order.number, "old_category": order.category, "new_category": category},
    )
    order.category = category
    order.category_source = "handler"


def correct_category(
    session: Session, principal: Principal, order: WorkOrder, category: str
) -> None:
    """A handler corrects the category (the correction feeds the classifier's training)."""
    if order.status in FINISHED:
        _require_status(order, "collected", "registered", "dispatched", "handling", "returned")
    if not is_command_centre(session, principal):
        _require_assigned(session, principal, order)
    if category != order.category:
        _recategorise(session, principal.as_actor(), order, category)


def accept(session: Session, principal: Principal, order: WorkOrder) -> None:
    _require_assigned(session, principal, order)
    _require_status(order, "dispatched")
    _step(session, order, principal.as_actor(), "accepted", "handling")


def return_order(
    session: Session,
    principal: Principal,
    order: WorkOrder,
    reason: str,
    category: str | None = None,
) -> None:
    """The unit returns an order it is not responsible for. With a corrected category the
    matrix redispatches at once (to another unit); otherwise the command centre does."""
    _require_assigned(session, principal, order)
    _require_status(order, "dispatched", "handling")
    actor = principal.as_actor()
    returned_by = order.unit_id
    order.return_count += 1
    _step(session, order, actor, "returned", "returned", _reason(reason))
    if category and category != order.category:
        _recategorise(session, actor, order, category)
        rule = responsible(session, order.category, order.street_code, order.district_code)
        if rule is not None and rule.unit_id != returned_by:
            dispatch(session, actor, order, note="按更正类别重新派遣")
            return
    order.unit_id = command_centre_id(session)


def redispatch(
    session: Session,
    principal: Principal,
    order: WorkOrder,
    unit_id: int | None,
    category: str | None = None,
) -> None:
    _require_centre(session, principal)
    _require_status(order, "returned", "registered")
    if category and category != order.category:
        _recategorise(session, principal.as_actor(), order, category)
    if not dispatch(session, principal.as_actor(), order, unit_id, note="重新派遣"):
        raise Unprocessable(
            "The duty matrix names no unit for this order; choose one.",
            "责任清单中没有该工单的责任单位，请指定单位。",
            code="no-responsible-unit",
        )


def report_back(session: Session, principal: Principal, order: WorkOrder, result: str) -> None:
    """处置反馈: the unit reports what it did."""
    _require_assigned(session, principal, order)
    _require_status(order, "dispatched", "handling")
    _step(session, order, principal.as_actor(), "reported", "reported", _reason(result))


def _may_verify(session: Session, principal: Principal, order: WorkOrder) -> bool:
    if is_command_centre(session, principal):
        return True
    return (
        principal.can(Permission.WORKORDERS_VERIFY)
        and principal.has_role(Role.GRID_WORKER)
        and order.grid_code in {g.code for g in grids_of_worker(session, principal.account_id)}
    )


def verify(
    session: Session, principal: Principal, order: WorkOrder, passed: bool, note: str = ""
) -> None:
    """核查 by the command centre or a grid worker of the order's grid: passed → closed;
    failed → back to the unit (rework)."""
    if not _may_verify(session, principal, order):
        raise Forbidden(
            "Only the command centre or a grid worker of the order's grid may verify it.",
            "只有市指挥中心或工单所在网格的网格员可以核查。",
            code="not-verifier",
        )
    _require_status(order, "reported")
    actor = principal.as_actor()
    if not passed:
        order.rework_count += 1
        _step(session, order, actor, "rework", "dispatched", _reason(note))
        return
    _step(session, order, actor, "verified", "verified", note or None)
    close(session, actor, order)


def close(session: Session, actor: Actor, order: WorkOrder) -> None:
    now = utcnow()
    order.closed_at = now
    order.closed_late = bool(order.due_at and now > order.due_at)
    _step(session, order, actor, "closed", "closed", late=order.closed_late)


def rate(
    session: Session, principal: Principal, order: WorkOrder, stars: int, comment: str = ""
) -> None:
    """The reporter rates a closed order (1–5); 1 or 2 reopens it to the same unit."""
    if order.reporter_id != principal.account_id:
        raise Forbidden("Only the reporter may rate.", "只有反映人可以评价。", code="not-reporter")
    _require_status(order, "closed")
    if not 1 <= stars <= 5:
        raise Unprocessable("Rate 1 to 5.", "评分须为 1–5 星。", code="invalid-rating")
    actor = principal.as_actor()
    order.rating = stars
    order.rating_comment = comment.strip()[:500] or None
    if stars <= BAD_RATING:
        order.reopen_count += 1
        order.closed_at = None
        _step(
            session,
            order,
            actor,
            "reopened",
            "dispatched",
            f"评价 {stars} 星，重新办理：{order.rating_comment or ''}",
            rating=stars,
        )
        return
    _step(session, order, actor, "rated", "evaluated", order.rating_comment, rating=stars)


def finish_assist(
    session: Session, principal: Principal, order: WorkOrder, task_id: int, note: str
) -> AssistTask:
    task = session.get(AssistTask, task_id)
    if task is None or task.order_id != order.id:
        raise NotFound("No such assist task.", "协办任务不存在。", code="assist-not-found")
    if task.unit_id != principal.unit_id or not principal.can(Permission.WORKORDERS_HANDLE):
        raise Forbidden(
            "The assist task is not your unit's.",
            "该协办任务不属于本单位。",
            code="not-assigned",
        )
    if task.status == "done":
        raise Conflict("The task is done already.", "协办任务已完成。", code="wrong-status")
    task.status = "done"
    task.note = _reason(note)
    task.done_at = utcnow()
    add_event(
        session, order, principal.as_actor(), "assist_done", order.status, f"协办完成：{task.note}"
    )
    record(
        session,
        principal.as_actor(),
        "workorder.assist_done",
        Subject("workorder", order.id),
        {"number": order.number, "assist_unit_id": task.unit_id},
    )
    return task
