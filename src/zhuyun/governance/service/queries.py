"""Reading work orders: lists scoped to who asks, timelines, inboxes and indicators.

Indicators (per unit or per grid, over orders created in a period):
- 立案率 registered / collected (merged duplicates not counted);
- 按期处置率 closed on time / closed;
- 结案率 closed / registered (an order reopened by a bad rating is not closed);
- 返工率 orders verified as not done at least once / orders reported back;
- 满意度 the mean rating (1–5) and the share of ratings of 4 or 5.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session

from zhuyun.governance.models import AssistTask, Escalation, WorkOrder, WorkOrderEvent
from zhuyun.governance.service.grids import grids_of_worker
from zhuyun.governance.service.workflow import is_command_centre
from zhuyun.identity.permissions import Permission, Principal, Role


@dataclass(frozen=True)
class OrderFilter:
    status: str | None = None
    category: str | None = None
    channel: str | None = None
    unit_id: int | None = None
    grid_code: str | None = None
    district_code: str | None = None
    overdue_at: datetime | None = None  # open orders past their deadline at this time
    q: str | None = None
    mine: bool = False  # only the caller's own reports


def scoped(session: Session, principal: Principal, query: Select) -> Select:  # type: ignore[type-arg]
    """Restrict a query of work orders to those the principal may see."""
    if is_command_centre(session, principal) or principal.has_role(Role.SUPERVISOR):
        return query
    visible = [WorkOrder.reporter_id == principal.account_id]
    if principal.can(Permission.WORKORDERS_HANDLE) and principal.unit_id is not None:
        visible.append(WorkOrder.unit_id == principal.unit_id)
        visible.append(
            WorkOrder.id.in_(
                select(AssistTask.order_id).where(AssistTask.unit_id == principal.unit_id)
            )
        )
    if principal.has_role(Role.GRID_WORKER):
        codes = [g.code for g in grids_of_worker(session, principal.account_id)]
        if codes:
            visible.append(WorkOrder.grid_code.in_(codes))
    return query.where(or_(*visible))


def list_orders(
    session: Session, principal: Principal, flt: OrderFilter, offset: int, limit: int
) -> tuple[Sequence[WorkOrder], int]:
    query = scoped(session, principal, select(WorkOrder))
    if flt.mine:
        query = query.where(WorkOrder.reporter_id == principal.account_id)
    if flt.status:
        query = query.where(WorkOrder.status == flt.status)
    if flt.category:
        query = query.where(WorkOrder.category == flt.category)
    if flt.channel:
        query = query.where(WorkOrder.channel == flt.channel)
    if flt.unit_id:
        query = query.where(WorkOrder.unit_id == flt.unit_id)
    if flt.grid_code:
        query = query.where(WorkOrder.grid_code == flt.grid_code)
    if flt.district_code:
        query = query.where(WorkOrder.district_code == flt.district_code)
    if flt.overdue_at is not None:
        query = query.where(
            WorkOrder.due_at < flt.overdue_at,
            WorkOrder.status.in_(("registered", "dispatched", "handling", "returned", "reported")),
        )
    if flt.q:
        like = f"%{flt.q}%"
        query = query.where(or_(WorkOrder.text.like(like), WorkOrder.number.like(like)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(WorkOrder.id.desc()).offset(offset).limit(limit)).all()
    return rows, total


def inbox(
    session: Session, principal: Principal, offset: int, limit: int
) -> tuple[Sequence[WorkOrder], int]:
    """Orders waiting for the caller's unit: assigned and open (the command centre: also
    those waiting to be registered or redispatched)."""
    statuses = ("dispatched", "handling", "returned")
    query = select(WorkOrder)
    if is_command_centre(session, principal):
        query = query.where(
            or_(
                WorkOrder.status.in_(("collected", "returned", "reported")),
                WorkOrder.escalation_level >= 2,
                WorkOrder.unit_id == principal.unit_id,
            ),
            WorkOrder.status.not_in(("closed", "evaluated", "rejected", "merged")),
        )
    else:
        query = query.where(WorkOrder.unit_id == principal.unit_id, WorkOrder.status.in_(statuses))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(WorkOrder.escalation_level.desc(), WorkOrder.due_at.asc(), WorkOrder.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return rows, total


def timeline(session: Session, order: WorkOrder) -> Sequence[WorkOrderEvent]:
    return session.scalars(
        select(WorkOrderEvent)
        .where(WorkOrderEvent.order_id == order.id)
        .order_by(WorkOrderEvent.at, WorkOrderEvent.id)
    ).all()


def assists(session: Session, order: WorkOrder) -> Sequence[AssistTask]:
    return session.scalars(
        select(AssistTask).where(AssistTask.order_id == order.id).order_by(AssistTask.id)
    ).all()


def escalations(session: Session, order: WorkOrder) -> Sequence[Escalation]:
    return session.scalars(
        select(Escalation).where(Escalation.order_id == order.id).order_by(Escalation.id)
    ).all()


def duplicates(session: Session, order: WorkOrder) -> Sequence[WorkOrder]:
    return session.scalars(
        select(WorkOrder).where(WorkOrder.duplicate_of_id == order.id).order_by(WorkOrder.id)
    ).all()


@dataclass(frozen=True)
class Indicators:
    key: str | int | None
    collected: int
    registered: int
    closed: int
    closed_on_time: int
    reported: int
    reworked: int
    rated: int
    rating_sum: int
    satisfied: int

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    @property
    def registration_rate(self) -> float | None:  # 立案率
        return self._rate(self.registered, self.collected)

    @property
    def on_time_rate(self) -> float | None:  # 按期处置率
        return self._rate(self.closed_on_time, self.closed)

    @property
    def closure_rate(self) -> float | None:  # 结案率
        return self._rate(self.closed, self.registered)

    @property
    def rework_rate(self) -> float | None:  # 返工率
        return self._rate(self.reworked, self.reported)

    @property
    def satisfaction(self) -> float | None:  # mean rating
        return round(self.rating_sum / self.rated, 2) if self.rated else None

    @property
    def satisfied_rate(self) -> float | None:
        return self._rate(self.satisfied, self.rated)


def indicators(
    session: Session, by: str, since: datetime | None = None, limit: int = 200
) -> list[Indicators]:
    """The indicators grouped by `unit` (the responsible unit) or `grid`, busiest first."""
    column = WorkOrder.unit_id if by == "unit" else WorkOrder.grid_code
    closed = WorkOrder.status.in_(("closed", "evaluated"))
    one = 1
    reported_ever = select(WorkOrderEvent.order_id).where(WorkOrderEvent.status_to == "reported")
    query = (
        select(
            column,
            func.count(),
            func.sum(case((WorkOrder.registered_at.is_not(None), one), else_=0)),
            func.sum(case((closed, one), else_=0)),
            func.sum(case((closed & WorkOrder.closed_late.is_(False), one), else_=0)),
            func.sum(case((WorkOrder.id.in_(reported_ever), one), else_=0)),
            func.sum(case((WorkOrder.rework_count > 0, one), else_=0)),
            func.count(WorkOrder.rating),
            func.coalesce(func.sum(WorkOrder.rating), 0),
            func.sum(case((WorkOrder.rating >= 4, one), else_=0)),
        )
        .where(WorkOrder.status != "merged", column.is_not(None))
        .group_by(column)
        .order_by(func.count().desc())
        .limit(limit)
    )
    if since is not None:
        query = query.where(WorkOrder.created_at >= since)
    return [
        Indicators(key, *(int(v or 0) for v in values))
        for key, *values in session.execute(query).all()
    ]


LIVE = ("collected", "registered", "dispatched", "handling", "returned", "reported")
"""Orders still in the city's hands: not closed, evaluated, rejected or merged."""


def _in_scope(query: Select, division: str | None) -> Select:  # type: ignore[type-arg]
    if division is None:
        return query
    if len(division) == 6:
        return query.where(WorkOrder.district_code == division)
    return query.where(WorkOrder.grid_code.startswith(division, autoescape=True))


def live_by_grid(
    session: Session, principal: Principal, division: str | None, now: datetime
) -> list[tuple[str, int, int]]:
    """Per grid (of the district or street, or the city): live orders and how many of them
    are past their deadline — what the command centre's heat map colours. One row per grid
    with live orders, so at most the number of grids."""
    overdue = case((WorkOrder.due_at < now, 1), else_=0)
    query = select(WorkOrder.grid_code, func.count(), func.sum(overdue)).where(
        WorkOrder.status.in_(LIVE), WorkOrder.grid_code.is_not(None)
    )
    query = scoped(session, principal, _in_scope(query, division))
    rows = session.execute(query.group_by(WorkOrder.grid_code)).all()
    return [(str(code), int(count), int(late or 0)) for code, count, late in rows]


def live_orders(
    session: Session, principal: Principal, division: str | None, offset: int, limit: int
) -> tuple[Sequence[WorkOrder], int]:
    """Live orders with a point, most urgent first (escalated, then by deadline): the map's dots."""
    query = select(WorkOrder).where(WorkOrder.status.in_(LIVE), WorkOrder.lng.is_not(None))
    query = scoped(session, principal, _in_scope(query, division))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(
            WorkOrder.escalation_level.desc(), WorkOrder.due_at.asc(), WorkOrder.id.desc()
        )
        .offset(offset)
        .limit(limit)
    ).all()
    return rows, total
