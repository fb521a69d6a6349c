"""The shell's pages: the home dashboard, the ledger view and the working-day calendar."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response

from zhuyun.core import holidays, ledger
from zhuyun.core.errors import Problem
from zhuyun.core.ledger import HASH_ALGORITHM
from zhuyun.core.paging import PageDep
from zhuyun.identity.deps import Allowed, SessionDep
from zhuyun.identity.permissions import Permission, Principal
from zhuyun.web import service
from zhuyun.web.rendering import NavItem, local_time, pager, redirect, register_nav, render

router = APIRouter(include_in_schema=False)

register_nav(NavItem("首页", "/", "home", Permission.DASHBOARD_READ, 0))
register_nav(NavItem("工作日历", "/calendar", "calendar", Permission.DASHBOARD_READ, 880))
register_nav(NavItem("审计台账", "/ledger", "ledger", Permission.LEDGER_READ, 900))


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    principal: Annotated[Principal, Allowed(Permission.DASHBOARD_READ)],
    session: SessionDep,
) -> HTMLResponse:
    board = service.dashboard(session)
    return render(
        request,
        "home.html",
        page_title="首页",
        city_name=board.city_name,
        figures=board.figures,
        charts=board.charts,
        recent=board.recent,
    )


def _ledger_page(
    request: Request,
    session: SessionDep,
    activity: str | None,
    case_id: str | None,
    offset: int,
    limit: int,
    verify: dict[str, object] | None = None,
) -> HTMLResponse:
    rows, total = ledger.list_entries(
        session, ledger.LedgerQuery(activity=activity, case_id=case_id), offset, limit
    )
    return render(
        request,
        "ledger.html",
        page_title="审计台账",
        entries=service.ledger_rows(session, rows),
        filters={"activity": activity or "", "case_id": case_id or ""},
        pager=pager("/ledger", {"activity": activity, "case_id": case_id}, offset, limit, total),
        verify=verify,
    )


@router.get("/ledger", response_class=HTMLResponse)
def ledger_view(
    request: Request,
    principal: Annotated[Principal, Allowed(Permission.LEDGER_READ)],
    session: SessionDep,
    page: PageDep,
    activity: Annotated[str | None, Query(max_length=100)] = None,
    case_id: Annotated[str | None, Query(max_length=128)] = None,
) -> HTMLResponse:
    return _ledger_page(request, session, activity, case_id, page.offset, page.limit)


@router.post("/ledger/verify", response_class=HTMLResponse)
def ledger_verify(
    request: Request,
    principal: Annotated[Principal, Allowed(Permission.LEDGER_VERIFY)],
    session: SessionDep,
) -> HTMLResponse:
    report = service.verify_ledger(session, principal.as_actor())
    verify = {
        "ok": report.ok,
        "checked": report.checked,
        "head_seq": report.head_seq,
        "head_hash": report.head_hash,
        "broken_seq": report.broken_seq,
        "problem_zh": report.problem_zh,
        "problem_en": report.problem_en,
        "algorithm": ", ".join(sorted(report.algorithms)) or HASH_ALGORITHM,
    }
    return _ledger_page(request, session, None, None, 0, 50, verify=verify)


# ---------------------------------------------------------------- the working-day calendar

CALENDAR_FLASHES = {
    "year-confirmed": {"kind": "success", "text": "已确认该年度放假安排，相关期限不再提示待确认。"},
    "year-unconfirmed": {"kind": "warning", "text": "已撤销该年度确认，相关期限将再次提示待确认。"},
}
# Results of the day form show beside it (its action ends in #cal-entries, so the browser
# returns there), not at the top of a long page.
DAY_FLASHES = {
    "day-set": {"kind": "success", "text": "已保存该日的放假/调休安排，期限计算即时生效。"},
    "day-removed": {"kind": "success", "text": "已删除该日，恢复按内置安排或周一至周五推算。"},
}
YearArg = Annotated[int, PathParam(ge=0, le=99_999)]
PageYear = Annotated[int | None, Query(ge=0, le=99_999)]
Manager = Annotated[Principal, Allowed(Permission.CALENDAR_MANAGE)]


def _calendar_page(
    request: Request,
    principal: Principal,
    session: SessionDep,
    year: int | None,
    offset: int = 0,
    limit: int = 50,
    flash: dict[str, str] | None = None,
    status_code: int = 200,
    form: dict[str, str] | None = None,
    day_flash: dict[str, str] | None = None,
) -> HTMLResponse:
    today = service.today()
    year = holidays.check_year(year if year is not None else today.year)
    years = sorted({*service.calendar_years(session, today), year})
    statuses = {s.year: s for s in holidays.year_status(session, years)}
    status = statuses[year]
    months = service.month_grids(holidays.load_calendar(session), year, today)
    days, total = holidays.list_days(session, year, offset, limit)
    return render(
        request,
        "calendar.html",
        page_title="工作日历",
        flash=flash,
        day_flash=day_flash,
        status_code=status_code,
        year=year,
        years=[
            {
                "year": y,
                "confirmed": statuses[y].confirmed,
                "label": service.year_status_label(statuses[y]),
            }
            for y in years
        ],
        status=status,
        status_label=service.year_status_label(status),
        months=months,
        totals=service.year_totals(months),
        days=[
            {
                "day": d.day.isoformat(),
                "weekday": "一二三四五六日"[d.day.weekday()],
                "kind": d.kind,
                "kind_label": service.DAY_KIND_LABELS_ZH.get(d.kind, d.kind),
                "name": d.name,
                "set_by_name": d.set_by_name,
                "set_at": local_time(d.set_at),
            }
            for d in days
        ],
        pager=pager("/calendar", {"year": str(year)}, offset, limit, total),
        can_manage=principal.can(Permission.CALENDAR_MANAGE),
        form=form or {"day": "", "until": "", "kind": "holiday", "name": ""},
        first_year=holidays.FIRST_YEAR,
        last_year=holidays.LAST_YEAR,
        name_max=holidays.NAME_MAX,
    )


def _failed(
    request: Request,
    principal: Principal,
    session: SessionDep,
    problem: Problem,
    year: int | None,
    form: dict[str, str] | None = None,
    day_form: bool = False,
) -> HTMLResponse:
    """A refused change: the same page, the reason beside the form that was sent (a day form
    keeps what was typed)."""
    if year is None or not holidays.FIRST_YEAR <= year <= holidays.LAST_YEAR:
        year = None
    message = {"kind": "error", "text": problem.message_zh}
    return _calendar_page(
        request,
        principal,
        session,
        year,
        flash=None if day_form else message,
        day_flash=message if day_form else None,
        status_code=problem.status,
        form=form,
    )


@router.get("/calendar", response_class=HTMLResponse)
def calendar_view(
    request: Request,
    principal: Annotated[Principal, Allowed(Permission.DASHBOARD_READ)],
    session: SessionDep,
    page: PageDep,
    year: PageYear = None,
    msg: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    return _calendar_page(
        request,
        principal,
        session,
        year,
        page.offset,
        page.limit,
        flash=CALENDAR_FLASHES.get(msg or ""),
        day_flash=DAY_FLASHES.get(msg or ""),
    )


def _year_of(text: str) -> int | None:
    try:
        return holidays.parse_day(text).year
    except Problem:
        return None


@router.post("/calendar/days", response_class=HTMLResponse)
def calendar_set_day(
    request: Request,
    principal: Manager,
    session: SessionDep,
    day: Annotated[str, Form(max_length=32)] = "",
    until: Annotated[str, Form(max_length=32)] = "",
    kind: Annotated[str, Form(max_length=20)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    year: Annotated[int | None, Form(ge=0, le=99_999)] = None,
) -> Response:
    """One day, or a run of days up to `until` (a whole holiday in one go), all or nothing."""
    try:
        first = holidays.parse_day(day)
        last = holidays.parse_day(until) if until.strip() else first
        rows = holidays.set_days(session, principal.as_actor(), first, last, kind, name)
    except Problem as problem:
        session.rollback()  # a run may have set some days before one was refused
        form = {"day": day, "until": until, "kind": kind, "name": name}
        return _failed(
            request, principal, session, problem, _year_of(day) or year, form, day_form=True
        )
    return redirect(f"/calendar?year={rows[0].day.year}&msg=day-set")


@router.post("/calendar/days/{day}/delete", response_class=HTMLResponse)
def calendar_remove_day(
    request: Request,
    principal: Manager,
    session: SessionDep,
    day: Annotated[str, PathParam(max_length=32)],
) -> Response:
    try:
        holidays.remove_day(session, principal.as_actor(), day)
    except Problem as problem:
        return _failed(request, principal, session, problem, _year_of(day), day_form=True)
    return redirect(f"/calendar?year={_year_of(day)}&msg=day-removed")


@router.post("/calendar/years/{year}/confirm", response_class=HTMLResponse)
def calendar_confirm_year(
    request: Request,
    principal: Manager,
    session: SessionDep,
    year: YearArg,
    basis: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    try:
        holidays.confirm_year(session, principal.as_actor(), year, basis)
    except Problem as problem:
        return _failed(request, principal, session, problem, year)
    return redirect(f"/calendar?year={year}&msg=year-confirmed")


@router.post("/calendar/years/{year}/unconfirm", response_class=HTMLResponse)
def calendar_unconfirm_year(
    request: Request, principal: Manager, session: SessionDep, year: YearArg
) -> Response:
    try:
        holidays.unconfirm_year(session, principal.as_actor(), year)
    except Problem as problem:
        return _failed(request, principal, session, problem, year)
    return redirect(f"/calendar?year={year}&msg=year-unconfirmed")
