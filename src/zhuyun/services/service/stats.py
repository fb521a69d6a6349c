"""The dashboard's figures for one unit or the whole city: 全程网办率, 材料减免率 (per item
and per case), 即办件比例, average handling time against the promise, overdue rate and the
rating distribution."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from zhuyun.core.calendar import CHINA_TIME, china_today
from zhuyun.core.db import utcnow
from zhuyun.core.holidays import load_calendar
from zhuyun.services.models import Case, ItemMaterial, ServiceItem
from zhuyun.services.service import ratings

HANDLING_SAMPLE = 2_000  # the most recent closed cases averaged for handling time


@dataclass(frozen=True)
class Figures:
    unit_id: int | None
    items: int
    full_online_rate: float | None
    immediate_rate: float | None
    item_reduction_rate: float | None
    materials_required: int
    materials_spared: int
    case_reduction_rate: float | None
    cases: int
    open_cases: int
    closed_cases: int
    overdue_cases: int
    overdue_rate: float | None
    average_working_days: float | None
    average_promised_days: float | None
    rating_count: int
    rating_average: float | None
    rating_distribution: dict[int, int]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def figures(session: Session, unit_id: int | None) -> Figures:
    item_scope = [ServiceItem.unit_id == unit_id] if unit_id is not None else []
    case_scope = [Case.unit_id == unit_id] if unit_id is not None else []
    n_items, online, immediate = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(when((ServiceItem.online_depth == "全程网办", 1), else_=0)), 0),
            func.coalesce(func.sum(when((ServiceItem.immediate.is_(True), 1), else_=0)), 0),
        ).where(*item_scope)
    ).one()
    required, fetched = session.execute(
        select(
            func.count(ItemMaterial.id),
            func.coalesce(func.sum(when((ItemMaterial.kind != "upload", 1), else_=0)), 0),
        )
        .join(ServiceItem, ServiceItem.id == ItemMaterial.item_id)
        .where(*item_scope)
    ).one()
    today = china_today()
    overdue = or_(
        Case.closed_late.is_(True),
        and_(Case.status == "processing", Case.due_on < today),
    )
    n_cases, open_cases, closed, late, total_m, spared_m = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(when((Case.status != "closed", 1), else_=0)), 0),
            func.coalesce(func.sum(when((Case.status == "closed", 1), else_=0)), 0),
            func.coalesce(func.sum(when((overdue, 1), else_=0)), 0),
            func.coalesce(func.sum(Case.materials_total), 0),
            func.coalesce(func.sum(Case.materials_spared), 0),
        ).where(*case_scope)
    ).one()
    with_deadline = (
        session.scalar(
            select(func.count()).select_from(Case).where(*case_scope, Case.due_on.is_not(None))
        )
        or 0
    )
    average, promised = _handling(session, case_scope)
    summary = ratings.unit_ratings(session, unit_id)
    if isinstance(summary, list):
        distribution = {s: sum(u.distribution[s] for u in summary) for s in range(1, 6)}
        count = sum(distribution.values())
        avg = round(sum(s * n for s, n in distribution.items()) / count, 2) if count else None
    else:
        distribution, count, avg = summary.distribution, summary.count, summary.average
    return Figures(
        unit_id=unit_id,
        items=int(n_items),
        full_online_rate=_rate(int(online), int(n_items)),
        immediate_rate=_rate(int(immediate), int(n_items)),
        item_reduction_rate=_rate(int(fetched), int(required)),
        materials_required=int(total_m),
        materials_spared=int(spared_m),
        case_reduction_rate=_rate(int(spared_m), int(total_m)),
        cases=int(n_cases),
        open_cases=int(open_cases),
        closed_cases=int(closed),
        overdue_cases=int(late),
        overdue_rate=_rate(int(late), int(with_deadline)),
        average_working_days=average,
        average_promised_days=promised,
        rating_count=count,
        rating_average=avg,
        rating_distribution=distribution,
    )


def _handling(session: Session, case_scope: list[Any]) -> tuple[float | None, float | None]:
    """Average working days from complete materials to closing (less the days suspended
    for corrections), and the average promise, over the most recent closed cases."""
    rows = session.execute(
        select(Case.complete_at, Case.closed_at, Case.paused_days, ServiceItem.promised_days)
        .join(ServiceItem, ServiceItem.id == Case.item_id)
        .where(*case_scope, Case.status == "closed", Case.complete_at.is_not(None))
        .order_by(Case.closed_at.desc())
        .limit(HANDLING_SAMPLE)
    ).all()
    if not rows:
        return None, None
    calendar = load_calendar(session)
    spent = [
        max(0, calendar.working_days_between(_day(start), _day(end)) - paused)
        for start, end, paused, _ in rows
    ]
    return round(sum(spent) / len(rows), 2), round(sum(r[3] for r in rows) / len(rows), 2)


def _day(moment: datetime | None) -> date:
    return (moment or utcnow()).astimezone(CHINA_TIME).date()


def per_unit(session: Session) -> list[tuple[int, int, int, int]]:
    """(unit, cases, closed, overdue) of every unit that handles cases: the city's table."""
    today = china_today()
    overdue = or_(
        Case.closed_late.is_(True), and_(Case.status == "processing", Case.due_on < today)
    )
    rows = session.execute(
        select(
            Case.unit_id,
            func.count(),
            func.coalesce(func.sum(when((Case.status == "closed", 1), else_=0)), 0),
            func.coalesce(func.sum(when((overdue, 1), else_=0)), 0),
        )
        .group_by(Case.unit_id)
        .order_by(Case.unit_id)
    ).all()
    return [(int(u), int(n), int(c), int(o)) for u, n, c, o in rows]
