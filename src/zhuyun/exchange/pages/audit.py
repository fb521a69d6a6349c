"""Who read what: a resource's access log, "who read my data", the sharing statistics."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from zhuyun.catalog import service as catalog
from zhuyun.core.db import utcnow
from zhuyun.core.errors import Forbidden
from zhuyun.core.ledger import LedgerQuery, list_entries
from zhuyun.core.paging import PageDep
from zhuyun.exchange.pages.common import (
    CHART_UNITS,
    STATS_DAYS,
    IdPath,
    ResourceNames,
    basis_label,
    secret_key_of,
)
from zhuyun.exchange.service import access
from zhuyun.identity import service as identity
from zhuyun.identity.deps import Allowed, Caller, SessionDep, SettingsDep
from zhuyun.identity.permissions import AccountKind, Permission, Principal, Role
from zhuyun.web.rendering import (
    local_time,
    pager,
    render,
)

router = APIRouter(include_in_schema=False)


@router.get("/exchange/resources/{resource_id}/access-log", response_class=HTMLResponse)
def access_log(
    request: Request,
    resource_id: IdPath,
    principal: Annotated[Principal, Allowed(Permission.CATALOG_READ)],
    session: SessionDep,
    page: PageDep,
) -> HTMLResponse:
    view = catalog.published_view(session, resource_id)
    if not (
        principal.can(Permission.EXCHANGE_AUDIT)
        or principal.has_role(Role.DATA_ADMIN, view.provider_unit_id)
    ):
        raise Forbidden(
            "Only the provider's data admins and auditors read a resource's access log.",
            "只有资源提供单位的数据管理员和审计人员可以查看访问日志。",
        )
    entries, total = list_entries(
        session,
        LedgerQuery(activity="exchange.", case_id=f"resource:{resource_id}"),
        page.offset,
        page.limit,
    )
    names = identity.unit_names(session, [e.unit_id for e in entries] + [view.provider_unit_id])
    resources = ResourceNames(session)
    rows = [
        {
            "e": e,
            "time": local_time(e.occurred_at),
            "unit": names.get(e.unit_id or 0, ""),
            "items": resources.items(resource_id, [str(i) for i in e.attrs.get("items", [])]),
            "masked": len(e.attrs.get("masked", [])),
            "basis": basis_label(str(e.attrs.get("basis", ""))) if e.attrs.get("basis") else None,
        }
        for e in entries
    ]
    return render(
        request,
        "exchange_access_log.html",
        page_title=f"访问日志：{view.name}",
        resource=view,
        provider=names.get(view.provider_unit_id, ""),
        rows=rows,
        pager=pager(
            f"/exchange/resources/{resource_id}/access-log", {}, page.offset, page.limit, total
        ),
    )


@router.get("/exchange/my-access", response_class=HTMLResponse)
def my_access(
    request: Request,
    principal: Caller,
    session: SessionDep,
    settings: SettingsDep,
    page: PageDep,
) -> HTMLResponse:
    if principal.kind != AccountKind.PERSON:
        return render(
            request,
            "exchange_my_access.html",
            page_title="谁查看了我的数据",
            status_code=403,
            flash={
                "kind": "warning",
                "text": "只有以身份证号注册的自然人账号可以查询谁查看了本人的数据；"
                "工作人员和法人账号没有可供查询的个人记录。",
            },
            person=False,
            rows=[],
            pager=None,
        )
    records, total = access.accesses_to(
        session, secret_key_of(settings), principal.username, page.offset, page.limit
    )
    names = identity.unit_names(session, [r.unit_id for r in records])
    resources = ResourceNames(session)
    rows = [
        {
            "r": r,
            "time": local_time(r.occurred_at, "%Y-%m-%d %H:%M"),
            "unit": names.get(r.unit_id or 0, "（单位不详）"),
            "resource": resources.name(r.resource_id),
            "items": resources.items(r.resource_id, r.items),
            "exported": r.activity == "exchange.exported",
        }
        for r in records
    ]
    return render(
        request,
        "exchange_my_access.html",
        page_title="谁查看了我的数据",
        person=True,
        rows=rows,
        pager=pager("/exchange/my-access", {}, page.offset, page.limit, total),
    )


@router.get("/exchange/statistics", response_class=HTMLResponse)
def statistics(
    request: Request,
    principal: Annotated[Principal, Allowed(Permission.DASHBOARD_READ)],
    session: SessionDep,
    page: PageDep,
) -> HTMLResponse:
    stats = access.sharing_statistics(session, utcnow() - timedelta(days=STATS_DAYS))
    names = identity.unit_names(session, [s.unit_id for s in stats])
    rows: list[dict[str, Any]] = [
        {
            "unit_id": s.unit_id,
            "name": names.get(s.unit_id, f"单位 {s.unit_id}"),
            "queries": s.queries,
            "rows": s.rows,
            "refused": s.refused,
            "refused_pct": round(100 * s.refused / (s.queries + s.refused), 1)
            if s.queries + s.refused
            else 0.0,
        }
        for s in stats
    ]
    totals = {k: sum(int(r[k]) for r in rows) for k in ("queries", "rows", "refused")}
    chart = [{k: r[k] for k in ("name", "queries", "refused", "rows")} for r in rows[:CHART_UNITS]]
    return render(
        request,
        "exchange_statistics.html",
        page_title="共享统计",
        days=STATS_DAYS,
        totals=totals,
        units=len(rows),
        chart={"units": chart},
        rows=rows[page.offset : page.offset + page.limit],
        pager=pager("/exchange/statistics", {}, page.offset, page.limit, len(rows)),
    )
