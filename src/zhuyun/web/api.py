"""JSON API of the shell: health, the dashboard's figures, the ledger and its verification, and
the working-day calendar every module counts deadlines with."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi import Path as PathParam
from sqlalchemy import text

from zhuyun import __version__
from zhuyun.core import holidays, ledger
from zhuyun.core.errors import Unprocessable
from zhuyun.core.paging import Page, PageDep
from zhuyun.identity.deps import Allowed, Caller, MaybeCaller, SessionDep
from zhuyun.identity.permissions import Permission, Principal
from zhuyun.web import service
from zhuyun.web.schemas import (
    CalendarDayPublic,
    CalendarDaySet,
    DashboardPublic,
    DeadlinePublic,
    Health,
    LedgerEntryPublic,
    VerifyResult,
    YearConfirm,
    YearsPublic,
    YearStatusPublic,
)

router = APIRouter(prefix="/api", tags=["platform 平台"])


@router.get("/health", response_model=Health, summary="Liveness and database check / 健康检查")
def health(session: SessionDep, _: MaybeCaller) -> Health:
    session.execute(text("SELECT 1"))
    return Health(status="ok", version=__version__, database=session.get_bind().dialect.name)


@router.get("/dashboard", response_model=DashboardPublic, summary="Key figures / 关键指标")
def dashboard(
    principal: Annotated[Principal, Allowed(Permission.DASHBOARD_READ)], session: SessionDep
) -> DashboardPublic:
    board = service.dashboard(session)
    return DashboardPublic(city_name=board.city_name, figures=board.figures, charts=board.charts)


@router.get("/ledger", response_model=Page[LedgerEntryPublic], summary="Ledger entries / 审计台账")
def list_ledger(
    principal: Annotated[Principal, Allowed(Permission.LEDGER_READ)],
    session: SessionDep,
    page: PageDep,
    activity: Annotated[str | None, Query(max_length=100)] = None,
    case_id: Annotated[str | None, Query(max_length=128)] = None,
    actor_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    unit_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> Page[LedgerEntryPublic]:
    rows, total = ledger.list_entries(
        session,
        ledger.LedgerQuery(activity=activity, case_id=case_id, actor_id=actor_id, unit_id=unit_id),
        page.offset,
        page.limit,
    )
    return Page.of([LedgerEntryPublic.model_validate(r) for r in rows], total, page)


@router.post(
    "/ledger/verify", response_model=VerifyResult, summary="Recompute the hash chain / 校验哈希链"
)
def verify_ledger(
    principal: Annotated[Principal, Allowed(Permission.LEDGER_VERIFY)], session: SessionDep
) -> VerifyResult:
    report = service.verify_ledger(session, principal.as_actor())
    return VerifyResult(
        ok=report.ok,
        checked=report.checked,
        head_seq=report.head_seq,
        head_hash=report.head_hash,
        broken_seq=report.broken_seq,
        problem_en=report.problem_en,
        problem_zh=report.problem_zh,
        algorithms=sorted(report.algorithms),
    )


# ---------------------------------------------------------------- the working-day calendar

# Dates and years arrive as text and numbers the service checks, so a wrong one gets a
# message that says what is wrong (in Chinese and English), not a bare type error.
DayPath = Annotated[
    str, PathParam(max_length=32, description="YYYY-MM-DD", json_schema_extra={"format": "date"})
]
YearPath = Annotated[int, PathParam(ge=0, le=99_999, description="2004–2100")]
YearQuery = Annotated[int | None, Query(ge=0, le=99_999, description="2004–2100")]


def year_public(status: holidays.YearStatus) -> YearStatusPublic:
    return YearStatusPublic(
        year=status.year,
        known_to_package=status.known_to_package,
        admin_confirmed=status.admin_confirmed,
        confirmed=status.confirmed,
        holidays=status.holidays,
        workdays=status.workdays,
        basis=status.basis,
        confirmed_by_name=status.confirmed_by_name,
        confirmed_at=status.confirmed_at,
        status_label=service.year_status_label(status),
    )


def day_public(row: holidays.CalendarDay) -> CalendarDayPublic:
    return CalendarDayPublic(
        day=row.day,
        kind=row.kind,
        kind_label=service.DAY_KIND_LABELS_ZH.get(row.kind, row.kind),
        name=row.name,
        set_by_id=row.set_by_id,
        set_by_name=row.set_by_name,
        set_at=row.set_at,
    )


@router.get(
    "/calendar/years",
    response_model=YearsPublic,
    summary="Which years' holiday schedules are confirmed / 各年度放假安排确认情况",
)
def calendar_years(
    principal: Caller,
    session: SessionDep,
    from_year: YearQuery = None,
    to_year: YearQuery = None,
) -> YearsPublic:
    """Without a range: last year to next year and every year an admin has entered."""
    if from_year is None and to_year is None:
        years = service.calendar_years(session)
    else:
        first = holidays.check_year(from_year if from_year is not None else holidays.FIRST_YEAR)
        last = holidays.check_year(to_year if to_year is not None else holidays.LAST_YEAR)
        if last < first:
            raise Unprocessable(
                f"to_year ({last}) comes before from_year ({first}).",
                f"结束年份（{last}）早于起始年份（{first}）。",
                code="calendar-bad-range",
            )
        years = list(range(first, last + 1))
    data = [year_public(s) for s in holidays.year_status(session, years)]
    return YearsPublic(data=data, count=len(data))


@router.get(
    "/calendar/days",
    response_model=Page[CalendarDayPublic],
    summary="Holidays and make-up workdays an admin entered / 管理员录入的放假与调休日",
)
def calendar_days(
    principal: Caller, session: SessionDep, page: PageDep, year: YearQuery = None
) -> Page[CalendarDayPublic]:
    rows, total = holidays.list_days(session, year, page.offset, page.limit)
    return Page.of([day_public(r) for r in rows], total, page)


@router.put(
    "/calendar/days/{day}",
    response_model=CalendarDayPublic,
    summary="Set a holiday or a make-up workday / 设置放假或调休上班日",
)
def set_calendar_day(
    day: DayPath,
    body: CalendarDaySet,
    principal: Annotated[Principal, Allowed(Permission.CALENDAR_MANAGE)],
    session: SessionDep,
) -> CalendarDayPublic:
    row = holidays.set_day(
        session, principal.as_actor(), holidays.parse_day(day), body.kind, body.name
    )
    return day_public(row)


@router.delete(
    "/calendar/days/{day}",
    status_code=204,
    summary="Remove a day from the table / 删除放假或调休上班日",
)
def remove_calendar_day(
    day: DayPath,
    principal: Annotated[Principal, Allowed(Permission.CALENDAR_MANAGE)],
    session: SessionDep,
) -> Response:
    holidays.remove_day(session, principal.as_actor(), day)
    return Response(status_code=204)


@router.post(
    "/calendar/years/{year}/confirm",
    response_model=YearStatusPublic,
    summary="Confirm a year's schedule is entered / 确认年度放假安排",
)
def confirm_calendar_year(
    year: YearPath,
    principal: Annotated[Principal, Allowed(Permission.CALENDAR_MANAGE)],
    session: SessionDep,
    body: YearConfirm | None = None,
) -> YearStatusPublic:
    holidays.confirm_year(session, principal.as_actor(), year, body.basis if body else None)
    return year_public(holidays.year_status(session, [year])[0])


@router.delete(
    "/calendar/years/{year}/confirm",
    response_model=YearStatusPublic,
    summary="Take a year's confirmation back / 撤销年度确认",
)
def unconfirm_calendar_year(
    year: YearPath,
    principal: Annotated[Principal, Allowed(Permission.CALENDAR_MANAGE)],
    session: SessionDep,
) -> YearStatusPublic:
    holidays.unconfirm_year(session, principal.as_actor(), year)
    return year_public(holidays.year_status(session, [year])[0])


@router.get(
    "/calendar/deadline",
    response_model=DeadlinePublic,
    summary="The deadline N working days after a date / 计算 N 个工作日后的期限",
)
def calendar_deadline(
    principal: Caller,
    session: SessionDep,
    start: Annotated[
        str, Query(max_length=32, description="YYYY-MM-DD", json_schema_extra={"format": "date"})
    ],
    working_days: Annotated[int, Query(ge=0, le=holidays.MAX_WORKING_DAYS)],
) -> DeadlinePublic:
    """The start day never counts; a warning names the years the count assumed Monday–Friday."""
    due = holidays.deadline(session, start, working_days)
    return DeadlinePublic(
        start=due.start,
        working_days=due.working_days,
        deadline=due.due,
        confirmed=due.confirmed,
        unconfirmed_years=list(due.unconfirmed_years),
        warning=due.warning_en,
        warning_zh=due.warning_zh,
    )
