"""共享申请 and 共享授权: the inbox, outbox and escalations, deciding, the apply form, grants."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhuyun.catalog import service as catalog
from zhuyun.catalog.vocab import ShareType
from zhuyun.core.calendar import WorkingCalendar, china_today
from zhuyun.core.errors import Forbidden, Problem
from zhuyun.core.holidays import load_calendar
from zhuyun.core.ledger import SYSTEM
from zhuyun.core.paging import PageDep
from zhuyun.exchange.models import Application, Grant
from zhuyun.exchange.pages.common import (
    MASKED,
    MAX_ID,
    Applying,
    IdPath,
    Message,
    OptionalId,
    Querying,
    ResourceNames,
    Reviewing,
    error_flash,
    flash_for,
    form_date,
    form_int,
    form_list,
    form_text,
    item_choices,
    queryable_resources,
)
from zhuyun.exchange.service import applications
from zhuyun.exchange.service.applications import Status
from zhuyun.identity import service as identity
from zhuyun.identity.deps import SessionDep, SettingsDep
from zhuyun.identity.permissions import Permission, Principal, Role
from zhuyun.web.rendering import (
    PostedForm,
    local_time,
    pager,
    redirect,
    render,
)

router = APIRouter(include_in_schema=False)


def _may_decide(principal: Principal, application: Application) -> bool:
    return principal.can(Permission.EXCHANGE_COORDINATE) or (
        principal.can(Permission.EXCHANGE_REVIEW)
        and principal.has_role(Role.DATA_ADMIN, application.provider_unit_id)
    )


def _due(application: Application, today: date, calendar: WorkingCalendar) -> dict[str, Any]:
    """The review deadline in working days: how many are left, or how late it is."""
    if application.status != Status.PENDING:
        return {"on": application.due_on, "left": None, "late": 0}
    if application.due_on < today:
        return {"on": application.due_on, "left": None,
                "late": calendar.working_days_between(application.due_on, today)}  # fmt: skip
    left = calendar.working_days_between(today, application.due_on)
    return {"on": application.due_on, "left": left, "late": 0}


def _application_view(
    calendar: WorkingCalendar,
    application: Application,
    names: dict[int, str],
    resources: ResourceNames,
    today: date,
) -> dict[str, Any]:
    return {
        "a": application,
        "resource": resources.name(application.resource_id),
        "consumer": names.get(application.consumer_unit_id, ""),
        "provider": names.get(application.provider_unit_id, ""),
        "items": resources.items(application.resource_id, application.items),
        "due": _due(application, today, calendar),
        "submitted": local_time(application.submitted_at, "%Y-%m-%d %H:%M"),
        "decided": local_time(application.decided_at, "%Y-%m-%d %H:%M"),
    }


@router.get("/exchange/applications", response_class=HTMLResponse)
def applications_page(
    request: Request,
    principal: Applying,
    session: SessionDep,
    page: PageDep,
    box: Annotated[str, Query(pattern="^(inbox|outbox|escalated)$")] = "inbox",
    status: Annotated[str | None, Query(pattern="^(pending|approved|rejected|withdrawn)$")] = None,
) -> HTMLResponse:
    today = china_today()
    applications.escalate_overdue(session, SYSTEM, today)
    query = applications.ApplicationQuery(box, status)
    rows, total = applications.list_applications(session, principal, query, page.offset, page.limit)
    coordinator = principal.can(Permission.EXCHANGE_COORDINATE)
    tabs = ["inbox", "outbox"] + (["escalated"] if coordinator else [])
    pending = {
        tab: applications.list_applications(
            session, principal, applications.ApplicationQuery(tab, Status.PENDING), 0, 1
        )[1]
        for tab in tabs
    }
    names = identity.unit_names(
        session, [a.consumer_unit_id for a in rows] + [a.provider_unit_id for a in rows]
    )
    resources = ResourceNames(session)
    calendar = load_calendar(session)
    return render(
        request,
        "exchange_applications.html",
        page_title="共享申请",
        box=box,
        status=status or "",
        tabs=tabs,
        pending=pending,
        rows=[_application_view(calendar, a, names, resources, today) for a in rows],
        pager=pager(
            "/exchange/applications", {"box": box, "status": status}, page.offset, page.limit, total
        ),
    )


def _approval_defaults(application: Application) -> dict[str, Any]:
    return {
        "items": list(application.items),
        "clear_items": [],
        "valid_until": application.valid_until.isoformat(),
        "max_rows_per_query": "1000",
        "max_rows_per_day": "100000",
        "city_wide": False,
        "note": "",
        "reason": "",
    }


def _application_page(
    request: Request,
    session: Session,
    principal: Principal,
    application_id: int,
    flash: dict[str, str] | None = None,
    status_code: int = 200,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    application = applications.get_application(session, application_id)
    if not applications.can_see_application(principal, application):
        raise Forbidden("This application is not your unit's.", "该申请不属于本单位。")
    resources = ResourceNames(session)
    names = identity.unit_names(
        session, [application.consumer_unit_id, application.provider_unit_id]
    )
    view = resources.view(application.resource_id)
    sensitive = {f for f, i in (view.items.items() if view else ()) if i.sensitivity in MASKED}
    grant = session.scalar(select(Grant).where(Grant.application_id == application.id))
    pending = application.status == Status.PENDING
    return render(
        request,
        "exchange_application.html",
        page_title=f"共享申请 #{application.id}",
        flash=flash,
        status_code=status_code,
        v=_application_view(load_calendar(session), application, names, resources, china_today()),
        applicant=identity.get_account(session, application.applicant_id).display_name,
        sensitive=sensitive,
        grant=grant,
        grant_items=resources.items(grant.resource_id, grant.items) if grant else [],
        grant_clear=resources.items(grant.resource_id, grant.clear_items) if grant else [],
        may_decide=pending and _may_decide(principal, application),
        may_withdraw=pending and application.applicant_id == principal.account_id,
        form=form or _approval_defaults(application),
    )


@router.get("/exchange/applications/{application_id}", response_class=HTMLResponse)
def application_detail(
    request: Request,
    application_id: IdPath,
    principal: Applying,
    session: SessionDep,
    msg: Message = None,
) -> HTMLResponse:
    return _application_page(request, session, principal, application_id, flash_for(msg))


@router.post("/exchange/applications/{application_id}/approve", response_class=HTMLResponse)
def approve_application(
    request: Request,
    application_id: IdPath,
    principal: Reviewing,
    session: SessionDep,
    form: PostedForm,
) -> Response:
    values: dict[str, Any] = {
        "items": form_list(form, "items"),
        "clear_items": form_list(form, "clear_items"),
        "valid_until": form_text(form, "valid_until", 20),
        "max_rows_per_query": form_text(form, "max_rows_per_query", 20),
        "max_rows_per_day": form_text(form, "max_rows_per_day", 20),
        "city_wide": form.get("city_wide") == "on",
        "note": form_text(form, "note", 1000),
        "reason": "",
    }
    try:
        approval = applications.Approval(
            items=values["items"],
            valid_until=form_date(form, "valid_until", "授权有效期"),
            clear_items=values["clear_items"],
            max_rows_per_query=form_int(
                form, "max_rows_per_query", "单次调用行数上限", 1, 100_000_000
            ),
            max_rows_per_day=form_int(form, "max_rows_per_day", "每日行数上限", 1, 1_000_000_000),
            city_wide=values["city_wide"],
            note=values["note"],
        )
        applications.approve(session, principal, application_id, approval)
    except Problem as problem:
        session.rollback()
        return _application_page(
            request,
            session,
            principal,
            application_id,
            error_flash(problem),
            problem.status,
            values,
        )
    return redirect(f"/exchange/applications/{application_id}?msg=approved")


@router.post("/exchange/applications/{application_id}/reject", response_class=HTMLResponse)
def reject_application(
    request: Request,
    application_id: IdPath,
    principal: Reviewing,
    session: SessionDep,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        applications.reject(session, principal, application_id, reason)
    except Problem as problem:
        session.rollback()
        application = applications.get_application(session, application_id)
        form = {**_approval_defaults(application), "reason": reason}
        return _application_page(
            request, session, principal, application_id, error_flash(problem), problem.status, form
        )
    return redirect(f"/exchange/applications/{application_id}?msg=rejected")


@router.post("/exchange/applications/{application_id}/withdraw", response_class=HTMLResponse)
def withdraw_application(
    request: Request, application_id: IdPath, principal: Applying, session: SessionDep
) -> Response:
    try:
        applications.withdraw(session, principal, application_id)
    except Problem as problem:
        session.rollback()
        return _application_page(
            request, session, principal, application_id, error_flash(problem), problem.status
        )
    return redirect(f"/exchange/applications/{application_id}?msg=withdrawn")


def _apply_page(
    request: Request,
    session: Session,
    principal: Principal,
    resource_id: int | None,
    form: dict[str, Any] | None = None,
    flash: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = catalog.published_view(session, resource_id) if resource_id else None
    own = bool(view and view.provider_unit_id == principal.unit_id)
    if flash is None and view is not None:
        if own:
            flash = {"kind": "info", "text": "本单位即为该资源的提供方，可直接调用，无需申请。"}
        elif view.share_type == ShareType.NONE:
            flash = {"kind": "warning", "text": f"“{view.name}”为不予共享资源，不能申请。"}
        elif view.share_type == ShareType.UNCONDITIONAL:
            flash = {
                "kind": "info",
                "text": "无条件共享的信息项可直接调用，只有标为“有条件共享”的信息项需要申请。",
            }
    default_until = china_today() + timedelta(days=365)
    return render(
        request,
        "exchange_apply.html",
        page_title="申请共享",
        flash=flash,
        status_code=status_code,
        resource=view,
        provider=identity.unit_names(session, [view.provider_unit_id]).get(
            view.provider_unit_id, ""
        )
        if view
        else "",
        items=item_choices(view, own=False) if view else [],
        can_apply=bool(view and not own and view.share_type != ShareType.NONE),
        choices=[] if view else queryable_resources(session),
        form=form
        or {
            "items": [],
            "purpose": "",
            "basis": "",
            "valid_until": default_until.isoformat(),
            "expected_daily_rows": "1000",
            # generated with the form: submitting it twice submits one application
            "idempotency_key": secrets.token_urlsafe(18),
        },
    )


@router.get("/exchange/apply", response_class=HTMLResponse)
def apply_form(
    request: Request, principal: Applying, session: SessionDep, resource_id: OptionalId = None
) -> HTMLResponse:
    return _apply_page(request, session, principal, resource_id)


@router.post("/exchange/apply", response_class=HTMLResponse)
def apply_submit(
    request: Request,
    principal: Applying,
    session: SessionDep,
    settings: SettingsDep,
    form: PostedForm,
) -> Response:
    values: dict[str, Any] = {
        "items": form_list(form, "items"),
        "purpose": form_text(form, "purpose", 500),
        "basis": form_text(form, "basis", 1000),
        "valid_until": form_text(form, "valid_until", 20),
        "expected_daily_rows": form_text(form, "expected_daily_rows", 20),
        "idempotency_key": form_text(form, "idempotency_key", 100) or secrets.token_urlsafe(18),
    }
    resource_id = form_int(form, "resource_id", "申请的资源", 1, MAX_ID)
    try:
        draft = applications.ApplicationDraft(
            resource_id=resource_id,
            items=values["items"],
            purpose=values["purpose"],
            basis=values["basis"],
            valid_until=form_date(form, "valid_until", "有效期"),
            expected_daily_rows=form_int(
                form, "expected_daily_rows", "预计日调用量", 1, 100_000_000
            ),
            idempotency_key=values["idempotency_key"],
        )
        today, days = china_today(), settings.review_working_days
        try:
            application, created = applications.apply(session, principal, draft, today, days)
        except IntegrityError:  # the same form, submitted twice at the same moment
            session.rollback()
            application, created = applications.apply(session, principal, draft, today, days)
    except Problem as problem:
        session.rollback()
        return _apply_page(
            request, session, principal, resource_id, values, error_flash(problem), problem.status
        )
    done = "submitted" if created else "duplicate"
    return redirect(f"/exchange/applications/{application.id}?msg={done}")


# -- 共享授权: grants ---------------------------------------------------------------------


def _grants_page(
    request: Request,
    session: Session,
    principal: Principal,
    resource_id: int | None,
    offset: int,
    limit: int,
    flash: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    rows, total = applications.list_grants(session, principal, resource_id, offset, limit)
    resources = ResourceNames(session)
    today = china_today()
    coordinator = principal.can(Permission.EXCHANGE_COORDINATE)
    views: list[dict[str, Any]] = []
    for grant in rows:
        view = resources.view(grant.resource_id)
        provider = view.provider_unit_id if view else 0
        state = (
            "revoked" if grant.revoked_at else "expired" if grant.valid_until < today else "active"
        )
        views.append(
            {
                "g": grant,
                "resource": resources.name(grant.resource_id),
                "provider_id": provider,
                "items": resources.items(grant.resource_id, grant.items),
                "clear_names": resources.items(grant.resource_id, grant.clear_items),
                "state": state,
                "received": grant.consumer_unit_id == principal.unit_id,
                "granted": local_time(grant.granted_at, "%Y-%m-%d"),
                "revoked": local_time(grant.revoked_at, "%Y-%m-%d %H:%M"),
                "may_revoke": state != "revoked"
                and (
                    coordinator
                    or (
                        principal.can(Permission.EXCHANGE_REVIEW)
                        and principal.has_role(Role.DATA_ADMIN, provider)
                    )
                ),
            }
        )
    names = identity.unit_names(
        session, [g.consumer_unit_id for g in rows] + [v["provider_id"] for v in views]
    )
    return render(
        request,
        "exchange_grants.html",
        page_title="共享授权",
        flash=flash,
        status_code=status_code,
        rows=views,
        names=names,
        resource_id=resource_id,
        resource_name=resources.name(resource_id) if resource_id else "",
        pager=pager(
            "/exchange/grants", {"resource_id": str(resource_id or "")}, offset, limit, total
        ),
    )


@router.get("/exchange/grants", response_class=HTMLResponse)
def grants_page(
    request: Request,
    principal: Querying,
    session: SessionDep,
    page: PageDep,
    resource_id: OptionalId = None,
    msg: Message = None,
) -> HTMLResponse:
    return _grants_page(
        request, session, principal, resource_id, page.offset, page.limit, flash_for(msg)
    )


@router.post("/exchange/grants/{grant_id}/revoke", response_class=HTMLResponse)
def revoke_grant(
    request: Request,
    grant_id: IdPath,
    principal: Reviewing,
    session: SessionDep,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        applications.revoke_grant(session, principal, grant_id, reason)
    except Problem as problem:
        session.rollback()
        return _grants_page(
            request, session, principal, None, 0, 50, error_flash(problem), problem.status
        )
    return redirect("/exchange/grants?msg=revoked")


# -- 数据调用: the query console ------------------------------------------------------------
