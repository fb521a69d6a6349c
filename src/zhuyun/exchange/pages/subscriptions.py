"""订阅: a unit's subscriptions to other units' resources — how they are delivered, whether
they are active, how far behind (undelivered batches and since when) and the last delivery —
with cancel and resume."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from zhuyun.catalog import service as catalog
from zhuyun.core.calendar import china_today
from zhuyun.core.db import utcnow
from zhuyun.core.errors import NotFound, Problem
from zhuyun.core.paging import PageDep
from zhuyun.exchange.pages.common import IdPath, error_flash, secret_key_of
from zhuyun.exchange.service import subscriptions
from zhuyun.identity.deps import Allowed, SessionDep, SettingsDep
from zhuyun.identity.permissions import Permission, Principal
from zhuyun.web.rendering import pager, redirect, render

router = APIRouter(include_in_schema=False)
Querying = Annotated[Principal, Allowed(Permission.EXCHANGE_QUERY)]
Message = Annotated[str | None, Query(max_length=20)]
FLASHES = {
    "cancelled": ("success", "订阅已取消：未投递的变更已撤回，不再读取新的变更。"),
    "resumed": ("success", "订阅已恢复：暂停期间撤回的变更将按现行授权重新读取并投递。"),
}
STATUS_LABELS = {"active": "投递中", "suspended": "已暂停", "cancelled": "已取消"}
MODE_LABELS = {"webhook": "推送", "pull": "拉取"}


def _resource_name(session: Session, resource_id: int) -> str:
    try:
        return catalog.published_view(session, resource_id).name
    except NotFound:
        return f"资源 {resource_id}"


def _rows(session: Session, found: list[Any]) -> list[dict[str, Any]]:
    lags = subscriptions.lags(session, [s.id for s in found])
    now = utcnow()
    rows = []
    for s in found:
        lag = lags[s.id]
        oldest = lag.oldest_pending_at
        rows.append(
            {
                "s": s,
                "resource": _resource_name(session, s.resource_id),
                "pending": lag.pending,
                "pending_rows": lag.pending_rows,
                "lag_s": (now - oldest).total_seconds() if oldest else 0.0,
            }
        )
    return rows


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    offset: int,
    limit: int,
    flash: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    found, total = subscriptions.list_subscriptions(session, principal, None, offset, limit)
    return render(
        request,
        "exchange_subscriptions.html",
        page_title="数据订阅",
        flash=flash,
        status_code=status_code,
        rows=_rows(session, found),
        status_labels=STATUS_LABELS,
        mode_labels=MODE_LABELS,
        pager=pager("/exchange/subscriptions", {}, offset, limit, total),
    )


@router.get("/exchange/subscriptions", response_class=HTMLResponse)
def subscriptions_page(
    request: Request,
    principal: Querying,
    session: SessionDep,
    page: PageDep,
    msg: Message = None,
) -> HTMLResponse:
    found = FLASHES.get(msg or "")
    flash = {"kind": found[0], "text": found[1]} if found else None
    return _page(request, session, principal, page.offset, page.limit, flash)


def _acted(
    request: Request, session: Session, principal: Principal, problem: Problem
) -> HTMLResponse:
    session.rollback()
    return _page(request, session, principal, 0, 50, error_flash(problem), problem.status)


@router.post("/exchange/subscriptions/{subscription_id}/cancel", response_class=HTMLResponse)
def cancel(
    request: Request, subscription_id: IdPath, principal: Querying, session: SessionDep
) -> Response:
    try:
        subscriptions.cancel(session, principal, subscription_id)
    except Problem as problem:
        return _acted(request, session, principal, problem)
    return redirect("/exchange/subscriptions?msg=cancelled")


@router.post("/exchange/subscriptions/{subscription_id}/resume", response_class=HTMLResponse)
def resume(
    request: Request,
    subscription_id: IdPath,
    principal: Querying,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    try:
        subscriptions.resume(
            session, principal, secret_key_of(settings), subscription_id, china_today()
        )
    except Problem as problem:
        return _acted(request, session, principal, problem)
    return redirect("/exchange/subscriptions?msg=resumed")
