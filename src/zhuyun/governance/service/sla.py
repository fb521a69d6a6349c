"""SLA timers and escalation of overdue work orders.

A normal order is due within its category's working days (China's working-day calendar,
`core.holidays`: holidays and make-up days counted), at 18:00 Beijing time of the due day;
an urgent one within one working day; a critical one within four hours, day and night.

`run_escalations(session, now)` escalates every open, overdue order: to level 1 (the
responsible unit's leaders: the order is marked 督办 in the unit's inbox) when it passes its
deadline, to level 2 (the city command centre) when it is still open
`LEVEL_TWO_AFTER` later. It takes the clock as an argument, so tests pass one in; the CLI
`zhuyun governance escalate` passes the real time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuyun.core import holidays
from zhuyun.core.ledger import SYSTEM, Subject, record
from zhuyun.governance.models import Escalation, WorkOrder
from zhuyun.governance.service.categories import (
    BY_CODE,
    CRITICAL_HOURS,
    URGENT_WORKING_DAYS,
    Urgency,
)
from zhuyun.governance.service.dispatch import command_centre_id

SHANGHAI = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(18, 0)
LEVEL_TWO_AFTER = timedelta(hours=24)
OPEN_STATUSES = ("registered", "dispatched", "handling", "returned", "reported")


def due_at(
    session: Session,
    category: str,
    urgency: str,
    start: datetime,
    cache: dict[tuple[str, int], datetime] | None = None,
) -> datetime:
    """The SLA deadline (UTC) of an order of this category and urgency registered at `start`;
    `cache` (one per batch of orders) remembers deadlines by start day and working days."""
    if urgency == Urgency.CRITICAL:
        return start + timedelta(hours=CRITICAL_HOURS)
    days = URGENT_WORKING_DAYS if urgency == Urgency.URGENT else BY_CODE[category].working_days
    local = start.astimezone(SHANGHAI)
    key = (local.date().isoformat(), days)
    if cache is not None and key in cache:
        return cache[key]
    due = holidays.deadline(session, local.date(), days).due
    result = datetime.combine(due, END_OF_DAY, SHANGHAI).astimezone(start.tzinfo)
    if cache is not None:
        cache[key] = result
    return result


def sla_label(category: str, urgency: str) -> str:
    if urgency == Urgency.CRITICAL:
        return f"{CRITICAL_HOURS} 小时"
    days = URGENT_WORKING_DAYS if urgency == Urgency.URGENT else BY_CODE[category].working_days
    return f"{days} 个工作日"


@dataclass(frozen=True)
class EscalationRun:
    checked: int
    level_one: int
    level_two: int


def run_escalations(session: Session, now: datetime, batch: int = 2_000) -> EscalationRun:
    """Escalate every open overdue order (see the module's docstring), each step ledgered."""
    from zhuyun.governance.service.workflow import add_event

    centre = command_centre_id(session)
    rows = session.scalars(
        select(WorkOrder)
        .where(
            WorkOrder.status.in_(OPEN_STATUSES),
            WorkOrder.due_at.is_not(None),
            WorkOrder.due_at < now,
            WorkOrder.escalation_level < 2,
        )
        .order_by(WorkOrder.due_at)
        .limit(batch)
    ).all()
    one = two = 0
    for order in rows:
        assert order.due_at is not None
        overdue = now - order.due_at
        level = 2 if overdue >= LEVEL_TWO_AFTER else 1
        if level <= order.escalation_level:
            continue
        target = centre if level == 2 else (order.unit_id or centre)
        hours = round(overdue.total_seconds() / 3600, 1)
        session.add(
            Escalation(order_id=order.id, level=level, unit_id=target, at=now, overdue_hours=hours)
        )
        order.escalation_level = level
        order.updated_at = now
        note = "逾期督办：单位领导" if level == 1 else "逾期升级：市指挥中心"
        add_event(
            session,
            order,
            SYSTEM,
            "escalated",
            order.status,
            f"{note}（逾期 {hours} 小时）",
            at=now,
        )
        record(
            session,
            SYSTEM,
            "workorder.escalated",
            Subject("workorder", order.id),
            {"level": level, "unit_id": target, "overdue_hours": hours, "number": order.number},
        )
        if level == 1:
            one += 1
        else:
            two += 1
    return EscalationRun(checked=len(rows), level_one=one, level_two=two)
