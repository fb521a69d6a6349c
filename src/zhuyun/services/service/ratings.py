"""好差评: the applicant rates a finished case 1–5; a poor rating (≤ 2) opens a
rectification task for the unit with a deadline, which ends with a callback to the
applicant. A unit's ratings are public (scores and comments, never who gave them)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhuyun.core.calendar import china_today
from zhuyun.core.db import utcnow
from zhuyun.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from zhuyun.core.holidays import load_calendar
from zhuyun.core.ledger import Subject, record
from zhuyun.identity.permissions import Permission, Principal
from zhuyun.services.models import Case, Rating, Rectification
from zhuyun.services.service import cases, notifications

POOR = 2
RECTIFY_WORKING_DAYS = 5


def rate(session: Session, principal: Principal, case: Case, score: int, comment: str) -> Rating:
    """Rate one's own closed case once; a poor rating opens a rectification."""
    if case.applicant_id != principal.account_id:
        raise Forbidden("Only the applicant rates a case.", "只有申请人可以评价办件。")
    if case.status != "closed":
        raise Conflict(
            "Rate a case once it is finished.", "办件办结后才能评价。", code="not-closed"
        )
    if not 1 <= score <= 5:
        raise Unprocessable("A score is 1 to 5.", "评分为 1 至 5 分。", code="bad-score")
    text = " ".join(comment.split())[:500] or None
    if score <= POOR and (text is None or len(text) < 2):
        raise Unprocessable(
            "Say what went wrong, so the unit can put it right.",
            "差评请写明原因，便于部门整改。",
            code="comment-required",
        )
    rating = Rating(case_id=case.id, unit_id=case.unit_id, score=score, comment=text)
    try:
        with session.begin_nested():
            session.add(rating)
            session.flush()
    except IntegrityError:
        raise Conflict(
            "The case is already rated.", "该办件已评价。", code="already-rated"
        ) from None
    record(
        session,
        principal.as_actor(),
        "services.rated",
        Subject("service_case", case.number),
        {"score": score, "unit_id": case.unit_id},
        case_id=case.number,
    )
    if score <= POOR:
        due = load_calendar(session).add_working_days(china_today(), RECTIFY_WORKING_DAYS)
        task = Rectification(
            rating_id=rating.id, case_id=case.id, unit_id=case.unit_id, status="open", due_on=due
        )
        session.add(task)
        session.flush()
        message = f"办件 {case.number} 收到差评（{score} 分）：{text}。请于 {due} 前整改并回访。"
        notifications.notify(session, case, "poor_rating", message, unit_id=case.unit_id)
        record(
            session,
            principal.as_actor(),
            "services.rectification_opened",
            Subject("service_case", case.number),
            {"rectification_id": task.id, "due_on": due.isoformat()},
            case_id=case.number,
        )
    return rating


def rectify(
    session: Session, principal: Principal, rectification_id: int, measures: str, callback: str
) -> Rectification:
    """The unit's answer to a poor rating: what it changed and its callback to the applicant."""
    task = session.get(Rectification, rectification_id)
    if task is None or not (
        principal.can(Permission.SERVICES_HANDLE)
        and (principal.unit_id == task.unit_id or cases.is_city_wide(principal))
    ):
        raise NotFound("No such rectification.", "整改任务不存在。", code="rectification-not-found")
    if task.status != "open":
        raise Conflict("The rectification is done.", "该整改任务已完成。", code="already-done")
    measures, callback = " ".join(measures.split()), " ".join(callback.split())
    if len(measures) < 2 or len(callback) < 2:
        raise Unprocessable(
            "Describe the measures and the callback to the applicant.",
            "请填写整改措施和对申请人的回访情况。",
            code="rectification-incomplete",
        )
    task.measures, task.callback = measures[:1000], callback[:1000]
    task.status, task.done_at = "done", utcnow()
    case = session.get(Case, task.case_id)
    assert case is not None
    reply = f"关于您对办件 {case.number} 的评价，部门已整改：{task.measures}"
    notifications.notify(session, case, "rectified", reply, account_id=case.applicant_id)
    record(
        session,
        principal.as_actor(),
        "services.rectified",
        Subject("service_case", case.number),
        {"rectification_id": task.id, "late": china_today() > task.due_on},
        case_id=case.number,
    )
    return task


def rectifications(
    session: Session, principal: Principal, status: str | None, offset: int, limit: int
) -> tuple[list[Rectification], int]:
    conditions = []
    if not cases.is_city_wide(principal):
        conditions.append(Rectification.unit_id == principal.unit_id)
    if status:
        conditions.append(Rectification.status == status)
    total = session.scalar(select(func.count()).select_from(Rectification).where(*conditions)) or 0
    rows = session.scalars(
        select(Rectification)
        .where(*conditions)
        .order_by(Rectification.due_on, Rectification.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total


def rating_of(session: Session, case: Case) -> Rating | None:
    return session.scalar(select(Rating).where(Rating.case_id == case.id))


@dataclass(frozen=True)
class UnitRatings:
    unit_id: int
    count: int
    average: float | None
    distribution: dict[int, int]


def unit_ratings(session: Session, unit_id: int | None) -> UnitRatings | list[UnitRatings]:
    """Public: a unit's rating count, average and 1–5 distribution (all units when None)."""
    query = select(Rating.unit_id, Rating.score, func.count()).group_by(
        Rating.unit_id, Rating.score
    )
    if unit_id is not None:
        query = query.where(Rating.unit_id == unit_id)
    by_unit: dict[int, dict[int, int]] = {}
    for unit, score, n in session.execute(query).all():
        by_unit.setdefault(unit, {s: 0 for s in range(1, 6)})[score] = n
    summaries = [_summary(u, d) for u, d in sorted(by_unit.items())]
    if unit_id is not None:
        return summaries[0] if summaries else _summary(unit_id, {s: 0 for s in range(1, 6)})
    return summaries


def _summary(unit_id: int, distribution: dict[int, int]) -> UnitRatings:
    count = sum(distribution.values())
    total = sum(score * n for score, n in distribution.items())
    return UnitRatings(unit_id, count, round(total / count, 2) if count else None, distribution)


def recent_comments(
    session: Session, unit_id: int, offset: int, limit: int
) -> tuple[list[Rating], int]:
    total = (
        session.scalar(select(func.count()).select_from(Rating).where(Rating.unit_id == unit_id))
        or 0
    )
    rows = session.scalars(
        select(Rating)
        .where(Rating.unit_id == unit_id)
        .order_by(Rating.created_at.desc(), Rating.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total
