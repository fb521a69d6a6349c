"""前置机节点: the department nodes the platform routes queries to — their status, version,
health and latency — and the platform admin's approve (by a node's registration code),
check and revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from zhuyun.core.errors import Problem
from zhuyun.core.paging import PageDep
from zhuyun.exchange.pages.common import IdPath, bad_input, error_flash, form_text
from zhuyun.exchange.service import nodes
from zhuyun.identity.deps import Allowed, SessionDep, SettingsDep
from zhuyun.identity.permissions import Permission, Principal
from zhuyun.web.rendering import PostedForm, pager, redirect, render

router = APIRouter(include_in_schema=False)
Admin = Annotated[Principal, Allowed(Permission.NODES_MANAGE)]
NodeMessage = Annotated[str | None, Query(max_length=20)]
NODE_FLASHES = {
    "approved": ("success", "节点已批准：平台即刻开始把该节点数据源的调用路由过去。"),
    "checked": ("success", "已向节点发出签名的健康检查，结果见下表。"),
    "revoked": ("success", "节点已吊销：它的下一次应答即被拒绝，它的数据源暂停服务。"),
}
STATUS_LABELS = {"pending": "待批准", "approved": "已批准", "revoked": "已吊销"}


def _page(
    request: Request,
    session: Session,
    settings: SettingsDep,
    offset: int,
    limit: int,
    flash: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    rows, total = nodes.list_nodes(session, offset, limit)
    public_key, key_id = nodes.platform_public(settings)
    return render(
        request,
        "exchange_nodes.html",
        page_title="前置机节点",
        flash=flash,
        status_code=status_code,
        rows=rows,
        status_labels=STATUS_LABELS,
        platform_key=public_key,
        platform_key_id=key_id,
        pager=pager("/exchange/nodes", {}, offset, limit, total),
    )


@router.get("/exchange/nodes", response_class=HTMLResponse)
def nodes_page(
    request: Request,
    principal: Admin,
    session: SessionDep,
    settings: SettingsDep,
    page: PageDep,
    msg: NodeMessage = None,
) -> HTMLResponse:
    found = NODE_FLASHES.get(msg or "")
    flash = {"kind": found[0], "text": found[1]} if found else None
    return _page(request, session, settings, page.offset, page.limit, flash)


def _acted(
    request: Request, session: Session, settings: SettingsDep, problem: Problem
) -> HTMLResponse:
    session.rollback()
    return _page(request, session, settings, 0, 50, error_flash(problem), problem.status)


@router.post("/exchange/nodes/approve", response_class=HTMLResponse)
def approve_by_code(
    request: Request,
    principal: Admin,
    session: SessionDep,
    settings: SettingsDep,
    form: PostedForm,
) -> Response:
    code = form_text(form, "code", limit=5000)
    try:
        if not code:
            raise bad_input("注册码", "请粘贴节点执行 zhuyun node init 时打印的注册码。")
        nodes.approve_code(session, principal, settings, code)
    except Problem as problem:
        return _acted(request, session, settings, problem)
    return redirect("/exchange/nodes?msg=approved")


@router.post("/exchange/nodes/{node_id}/approve", response_class=HTMLResponse)
def approve(
    request: Request, node_id: IdPath, principal: Admin, session: SessionDep, settings: SettingsDep
) -> Response:
    try:
        nodes.approve(session, principal, settings, node_id)
    except Problem as problem:
        return _acted(request, session, settings, problem)
    return redirect("/exchange/nodes?msg=approved")


@router.post("/exchange/nodes/{node_id}/check", response_class=HTMLResponse)
def check(
    request: Request, node_id: IdPath, principal: Admin, session: SessionDep, settings: SettingsDep
) -> Response:
    try:
        nodes.check_node(session, settings, node_id)
    except Problem as problem:
        return _acted(request, session, settings, problem)
    return redirect("/exchange/nodes?msg=checked")


@router.post("/exchange/nodes/{node_id}/revoke", response_class=HTMLResponse)
def revoke(
    request: Request,
    node_id: IdPath,
    principal: Admin,
    session: SessionDep,
    settings: SettingsDep,
    form: PostedForm,
) -> Response:
    reason = form_text(form, "reason")
    try:
        if not reason:
            raise bad_input("吊销理由", "请写明吊销理由（将记入审计台账）。")
        nodes.revoke(session, principal, settings, node_id, reason)
    except Problem as problem:
        return _acted(request, session, settings, problem)
    return redirect("/exchange/nodes?msg=revoked")
