"""The shell's pages: the home dashboard and the ledger view."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from zhuyun.core import ledger
from zhuyun.core.ledger import HASH_ALGORITHM
from zhuyun.core.paging import PageDep
from zhuyun.identity.deps import Allowed, SessionDep
from zhuyun.identity.permissions import Permission, Principal
from zhuyun.web import service
from zhuyun.web.rendering import NavItem, pager, register_nav, render

router = APIRouter(include_in_schema=False)

register_nav(NavItem("首页", "/", "home", Permission.DASHBOARD_READ, 0))
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
