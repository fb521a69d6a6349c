"""Identity pages: sign in and out, one's own profile and tokens, the unit tree, accounts."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response

from zhuyun.core.csrf import CSRF_COOKIE
from zhuyun.core.errors import Problem
from zhuyun.core.paging import PageDep
from zhuyun.identity import service
from zhuyun.identity.api import account_public
from zhuyun.identity.deps import (
    SESSION_COOKIE,
    Allowed,
    Caller,
    CsrfSubmission,
    MaybeCaller,
    SessionDep,
    SettingsDep,
    verify_csrf,
)
from zhuyun.identity.permissions import (
    ACCOUNT_KIND_LABELS_ZH,
    PERMISSION_LABELS_ZH,
    ROLE_LABELS_ZH,
    AccountKind,
    Permission,
    Principal,
    account_scope,
)
from zhuyun.identity.service.units import UNIT_KIND_LABELS_ZH, UnitKind, count_children
from zhuyun.web.rendering import (
    NavItem,
    local_time,
    pager,
    redirect,
    register_nav,
    render,
    templates,
)

router = APIRouter(include_in_schema=False)
templates.env.globals["role_labels"] = {role.value: label for role, label in ROLE_LABELS_ZH.items()}
templates.env.globals["permission_labels"] = {
    permission.value: label for permission, label in PERMISSION_LABELS_ZH.items()
}

register_nav(NavItem("组织机构", "/units", "units", Permission.UNITS_READ, 800))
register_nav(NavItem("账号管理", "/accounts", "accounts", Permission.ACCOUNTS_READ, 810))
register_nav(NavItem("个人中心", "/me", "profile", Permission.SELF, 990))

IdPath = Annotated[int, PathParam(ge=1, le=2_147_483_647)]

NOTICES = {
    "expired": "登录已过期，请重新登录。",
    "required": "请先登录。",
    "logged-out": "您已安全退出。",
}
FLASHES = {
    "token-revoked": {"kind": "success", "text": "令牌已吊销。"},
    "password-changed": {"kind": "success", "text": "密码已修改。"},
    "unlocked": {"kind": "success", "text": "账号已解锁。"},
}


def _safe_next(target: str | None) -> str:
    """Only local paths: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request,
    _: MaybeCaller,
    next: Annotated[str | None, Query(max_length=500)] = None,
    notice: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    return render(
        request,
        "login.html",
        page_title="登录",
        error=None,
        notice=NOTICES.get(notice or ""),
        username="",
        next=_safe_next(next),
    )


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _: MaybeCaller,
    submitted_csrf: CsrfSubmission,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    def again(message: str, status: int) -> HTMLResponse:
        return render(
            request,
            "login.html",
            page_title="登录",
            status_code=status,
            error=message,
            notice=None,
            username=username,
            next=_safe_next(next),
        )

    try:
        verify_csrf(request, session, submitted_csrf)
        if not username.strip() or not password:
            return again("请输入账号和密码。", 422)
        account = service.authenticate(session, settings, username, password, "web")
    except Problem as problem:
        return again(problem.message_zh, problem.status)
    raw, _web_session = service.start_session(
        session, settings, account, request.headers.get("user-agent")
    )
    response = redirect(_safe_next(next))
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
        max_age=int(settings.session_hours * 3600),
    )
    response.set_cookie(
        CSRF_COOKIE,
        secrets.token_urlsafe(24),
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/",
    )
    return response


@router.post("/logout")
def logout(principal: Caller, session: SessionDep) -> Response:
    service.end_session(session, principal)
    response = redirect("/login?notice=logged-out")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _profile(
    request: Request,
    principal: Principal,
    session: SessionDep,
    new_token: str | None = None,
    flash: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    account = service.get_account(session, principal.account_id)
    public = account_public(account, reveal=True)
    unit_path = []
    if account.unit is not None:
        unit_path = [
            {"name": u.name, "href": f"/units/{u.id}"}
            for u in service.unit_path(session, account.unit)
        ]
    tokens = [
        {
            "id": t.id,
            "name": t.name,
            "prefix": t.prefix,
            "created_at": local_time(t.created_at),
            "expires_at": local_time(t.expires_at),
            "last_used_at": local_time(t.last_used_at) or None,
            "revoked": t.revoked_at is not None,
        }
        for t in service.list_tokens(session, principal.account_id)
    ]
    view = public.model_dump()
    view["created_at"] = local_time(public.created_at)
    view["last_login_at"] = local_time(public.last_login_at) or None
    return render(
        request,
        "profile.html",
        page_title="个人中心",
        flash=flash,
        status_code=status_code,
        account=view,
        unit_path=unit_path,
        kind_label=ACCOUNT_KIND_LABELS_ZH[AccountKind(account.kind)],
        permissions=sorted(principal.permissions),
        tokens=tokens,
        new_token=new_token,
    )


@router.get("/me", response_class=HTMLResponse)
def profile(
    request: Request,
    principal: Caller,
    session: SessionDep,
    msg: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    return _profile(request, principal, session, flash=FLASHES.get(msg or ""))


@router.post("/me/tokens", response_class=HTMLResponse)
def issue_token(
    request: Request,
    principal: Caller,
    session: SessionDep,
    name: Annotated[str, Form(max_length=100)] = "",
    expires_in_days: Annotated[int, Form(ge=1, le=365)] = 90,
) -> HTMLResponse:
    account = service.get_account(session, principal.account_id)
    try:
        raw, _token = service.issue_token(
            session, principal.as_actor(), account, name, expires_in_days
        )
    except Problem as problem:
        return _profile(
            request,
            principal,
            session,
            status_code=problem.status,
            flash={"kind": "error", "text": problem.message_zh},
        )
    return _profile(request, principal, session, new_token=raw)


@router.post("/me/tokens/{token_id}/revoke")
def revoke_token(token_id: IdPath, principal: Caller, session: SessionDep) -> Response:
    service.revoke_token(session, principal.as_actor(), principal.account_id, token_id)
    return redirect("/me?msg=token-revoked")


@router.post("/me/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    principal: Caller,
    session: SessionDep,
    current_password: Annotated[str, Form(max_length=256)] = "",
    new_password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    account = service.get_account(session, principal.account_id)
    try:
        service.change_password(
            session, principal.as_actor(), account, current_password, new_password
        )
    except Problem as problem:
        return _profile(
            request,
            principal,
            session,
            status_code=problem.status,
            flash={"kind": "error", "text": problem.message_zh},
        )
    return redirect("/me?msg=password-changed")


def _units_page(
    request: Request,
    session: SessionDep,
    unit_id: int | None,
    kind: str | None,
    q: str | None,
    offset: int,
    limit: int,
) -> HTMLResponse:
    unit = service.get_unit(session, unit_id) if unit_id is not None else None
    if unit is None and not kind and not q:
        kind = UnitKind.CITY.value
    rows, total = service.list_units(
        session, kind=kind, parent_id=unit.id if unit else None, query=q, offset=offset, limit=limit
    )
    counts = count_children(session, [u.id for u in rows])
    path = [{"name": "全部", "href": "/units"}]
    if unit is not None:
        path += [
            {"name": u.name, "href": f"/units/{u.id}"} for u in service.unit_path(session, unit)
        ]
    base = f"/units/{unit.id}" if unit else "/units"
    return render(
        request,
        "units.html",
        page_title="组织机构",
        unit=None
        if unit is None
        else {
            "id": unit.id,
            "name": unit.name,
            "code": unit.code,
            "kind_label": UNIT_KIND_LABELS_ZH[UnitKind(unit.kind)],
            "division_code": unit.division_code,
            "credit_code": unit.credit_code,
        },
        path=path,
        children=[
            {
                "id": u.id,
                "name": u.name,
                "code": u.code,
                "kind_label": UNIT_KIND_LABELS_ZH[UnitKind(u.kind)],
                "children_count": counts.get(u.id, 0),
                "href": f"/units/{u.id}",
            }
            for u in rows
        ],
        kinds=[
            {"value": k.value, "label": label, "active": k.value == kind}
            for k, label in UNIT_KIND_LABELS_ZH.items()
        ],
        q=q or "",
        pager=pager(base, {"kind": kind, "q": q}, offset, limit, total),
    )


@router.get("/units", response_class=HTMLResponse)
def units(
    request: Request,
    principal: Annotated[Principal, Allowed(Permission.UNITS_READ)],
    session: SessionDep,
    page: PageDep,
    kind: Annotated[UnitKind | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> HTMLResponse:
    return _units_page(
        request, session, None, kind.value if kind else None, q, page.offset, page.limit
    )


@router.get("/units/{unit_id}", response_class=HTMLResponse)
def unit_detail(
    request: Request,
    unit_id: IdPath,
    principal: Annotated[Principal, Allowed(Permission.UNITS_READ)],
    session: SessionDep,
    page: PageDep,
    kind: Annotated[UnitKind | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> HTMLResponse:
    return _units_page(
        request, session, unit_id, kind.value if kind else None, q, page.offset, page.limit
    )


@router.get("/accounts", response_class=HTMLResponse)
def accounts(
    request: Request,
    principal: Annotated[Principal, Allowed(Permission.ACCOUNTS_READ)],
    session: SessionDep,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
    msg: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    rows, total = service.list_accounts(
        session,
        unit_id=account_scope(principal, None),
        query=q,
        offset=page.offset,
        limit=page.limit,
    )
    views = []
    for account in rows:
        public = account_public(account, reveal=account.id == principal.account_id)
        views.append(
            {
                "id": public.id,
                "display_name": public.display_name,
                "username": public.username,
                "kind_label": ACCOUNT_KIND_LABELS_ZH[AccountKind(public.kind)],
                "unit_name": public.unit_name or "",
                "roles_text": "、".join(sorted({ROLE_LABELS_ZH[r.role] for r in public.roles})),
                "is_active": public.is_active,
                "locked": public.locked,
            }
        )
    return render(
        request,
        "accounts.html",
        page_title="账号管理",
        flash=FLASHES.get(msg or ""),
        accounts=views,
        q=q or "",
        can_manage=principal.can(Permission.ACCOUNTS_MANAGE),
        pager=pager("/accounts", {"q": q}, page.offset, page.limit, total),
    )


@router.post("/accounts/{account_id}/unlock")
def unlock_account(
    account_id: IdPath,
    principal: Annotated[Principal, Allowed(Permission.ACCOUNTS_MANAGE)],
    session: SessionDep,
) -> Response:
    service.unlock(session, principal.as_actor(), service.get_account(session, account_id))
    return redirect("/accounts?msg=unlocked")
