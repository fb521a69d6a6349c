"""一网通办 pages: the citizen and enterprise portal, the staff workbench, the dashboard.
Thin: the service answers, the templates show; forms post with CSRF and redirect."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse

from zhuyun.core.errors import Problem
from zhuyun.identity import service as identity
from zhuyun.identity.deps import Allowed, Caller, MaybeCaller, SessionDep, SettingsDep
from zhuyun.identity.permissions import Permission, Principal
from zhuyun.services import views
from zhuyun.services.service import (
    cases,
    engine,
    items,
    notifications,
    payments,
    ratings,
    stats,
    uploads,
)
from zhuyun.web.rendering import NavItem, PostedForm, pager, redirect, register_nav, render

router = APIRouter(include_in_schema=False)
register_nav(NavItem("办事服务", "/services", "services", Permission.SERVICES_APPLY, 300))
register_nav(NavItem("我的办件", "/services/mine", "profile", Permission.SERVICES_APPLY, 301))
register_nav(NavItem("办件工作台", "/services/workbench", "check", Permission.SERVICES_HANDLE, 302))
register_nav(
    NavItem("政务服务指标", "/services/dashboard", "chart", Permission.SERVICES_DASHBOARD, 303)
)

Applicant = Annotated[Principal, Allowed(Permission.SERVICES_APPLY)]
Handler = Annotated[Principal, Allowed(Permission.SERVICES_HANDLE)]
Viewer = Annotated[Principal, Allowed(Permission.SERVICES_DASHBOARD)]
CaseNumber = Annotated[str, PathParam(pattern=r"^BJ\d{16}$")]
ItemCode = Annotated[str, PathParam(min_length=1, max_length=40)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
ROWS = 20


@router.get("/services", response_class=HTMLResponse)
def portal(
    request: Request,
    session: SessionDep,
    _who: MaybeCaller,
    q: Annotated[str, Query(max_length=100)] = "",
    life_event: Annotated[str, Query(max_length=20)] = "",
    offset: Offset = 0,
) -> HTMLResponse:
    query = items.ItemQuery(q=q or None, life_event=life_event or None)
    rows, total = items.search_items(session, query, offset, ROWS)
    return render(
        request,
        "services_portal.html",
        page_title="办事服务",
        items=views.items_public(session, rows),
        total=total,
        q=q,
        life_event=life_event,
        life_events=items.LIFE_EVENTS,
        pager=pager("/services", {"q": q, "life_event": life_event}, offset, ROWS, total),
    )


@router.get("/services/items/{code}", response_class=HTMLResponse)
def item_page(
    request: Request, code: ItemCode, session: SessionDep, who: MaybeCaller
) -> HTMLResponse:
    item = views.item_detail(session, items.get_item(session, code))
    may_apply = who is not None and who.can(Permission.SERVICES_APPLY)
    return render(
        request,
        "services_item.html",
        page_title=item.name,
        item=item,
        may_apply=may_apply and who is not None and who.kind.value in item.applicant_kinds,
        idempotency_key=uuid.uuid4().hex,
        error=None,
        values={},
    )


@router.post("/services/items/{code}/apply", response_model=None)
def apply(
    request: Request,
    code: ItemCode,
    principal: Applicant,
    session: SessionDep,
    settings: SettingsDep,
    form: PostedForm,
) -> HTMLResponse | RedirectResponse:
    item = items.get_item(session, code)
    names = {f["name"] for f in item.form_fields}
    values = {k: str(v)[:500] for k, v in form.items() if k in names and isinstance(v, str)}
    key = str(form.get("idempotency_key") or "")[:100]
    submission = cases.Submission(code, values, form.get("consent") == "yes", key)
    try:
        case, _ = cases.submit(
            session, settings.secret_key.get_secret_value(), principal, submission
        )
    except Problem as problem:
        session.rollback()
        return render(
            request,
            "services_item.html",
            page_title=item.name,
            status_code=problem.status,
            item=views.item_detail(session, items.get_item(session, code)),
            may_apply=True,
            idempotency_key=key or uuid.uuid4().hex,
            error=problem.message_zh,
            values=values,
        )
    return redirect(f"/services/cases/{case.number}")


@router.get("/services/mine", response_class=HTMLResponse)
def my_cases(
    request: Request, principal: Applicant, session: SessionDep, offset: Offset = 0
) -> HTMLResponse:
    rows, total = cases.list_mine(session, principal, cases.CaseFilter(), offset, ROWS)
    messages, _ = notifications.inbox(session, principal, False, 0, 10)
    return render(
        request,
        "services_mine.html",
        page_title="我的办件",
        cases=views.cases_public(session, rows),
        messages=messages,
        pager=pager("/services/mine", {}, offset, ROWS, total),
    )


@router.get("/services/cases/{number}", response_class=HTMLResponse)
def case_page(
    request: Request, number: CaseNumber, principal: Caller, session: SessionDep
) -> HTMLResponse:
    case = cases.visible_case(session, principal, number)
    detail = views.case_detail(session, principal, case)
    return render(
        request,
        "services_case.html",
        page_title=f"办件 {number}",
        case=detail,
        is_applicant=case.applicant_id == principal.account_id,
        material_status=cases.MATERIAL_STATUS_ZH,
    )


@router.post("/services/cases/{number}/act")
def act(
    number: CaseNumber,
    principal: Handler,
    session: SessionDep,
    action: Annotated[str, Form(max_length=30)],
    opinion: Annotated[str, Form(max_length=1000)] = "",
    branch: Annotated[str, Form(max_length=40)] = "",
) -> RedirectResponse:
    case = cases.visible_case(session, principal, number)
    engine.act(session, principal, case, engine.Action(action, opinion, branch or None))
    return redirect(f"/services/cases/{number}")


@router.post("/services/cases/{number}/materials/{material_id}")
def upload_page(
    number: CaseNumber,
    material_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)],
    principal: Applicant,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File()],
) -> RedirectResponse:
    case = cases.visible_case(session, principal, number)
    content = file.file.read(uploads.MAX_UPLOAD_BYTES + 1)
    uploads.upload(
        session,
        uploads.uploads_dir(settings),
        principal,
        case,
        material_id,
        file.filename or "",
        file.content_type,
        content,
    )
    return redirect(f"/services/cases/{number}")


@router.post("/services/cases/{number}/pay")
def pay_page(number: CaseNumber, principal: Applicant, session: SessionDep) -> RedirectResponse:
    payments.pay(session, principal, cases.visible_case(session, principal, number))
    return redirect(f"/services/cases/{number}")


@router.post("/services/cases/{number}/resubmit")
def resubmit_page(
    number: CaseNumber, principal: Applicant, session: SessionDep
) -> RedirectResponse:
    engine.resubmit(session, principal, cases.visible_case(session, principal, number))
    return redirect(f"/services/cases/{number}")


@router.post("/services/cases/{number}/refetch")
def refetch_page(
    number: CaseNumber, principal: Caller, session: SessionDep, settings: SettingsDep
) -> RedirectResponse:
    case = cases.visible_case(session, principal, number)
    payments.refetch(session, settings.secret_key.get_secret_value(), principal, case)
    return redirect(f"/services/cases/{number}")


@router.post("/services/cases/{number}/rate")
def rate_page(
    number: CaseNumber,
    principal: Applicant,
    session: SessionDep,
    score: Annotated[int, Form(ge=1, le=5)],
    comment: Annotated[str, Form(max_length=500)] = "",
) -> RedirectResponse:
    case = cases.visible_case(session, principal, number)
    ratings.rate(session, principal, case, score, comment)
    return redirect(f"/services/cases/{number}")


@router.get("/services/workbench", response_class=HTMLResponse)
def workbench(
    request: Request,
    principal: Handler,
    session: SessionDep,
    overdue: Annotated[bool, Query()] = False,
    offset: Offset = 0,
) -> HTMLResponse:
    rows, total = cases.queue(session, principal, overdue, offset, ROWS)
    names = identity.unit_names(session, [c.unit_id for _, c in rows])
    entries = [(t, views.case_public(session, c, names)) for t, c in rows]
    open_rectifications, _ = ratings.rectifications(session, principal, "open", 0, ROWS)
    messages, _ = notifications.inbox(session, principal, True, 0, 10)
    return render(
        request,
        "services_workbench.html",
        page_title="办件工作台",
        entries=entries,
        overdue=overdue,
        rectifications=open_rectifications,
        messages=messages,
        pager=pager(
            "/services/workbench", {"overdue": "true" if overdue else None}, offset, ROWS, total
        ),
    )


@router.post("/services/rectifications/{rectification_id}")
def rectify_page(
    rectification_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)],
    principal: Handler,
    session: SessionDep,
    measures: Annotated[str, Form(max_length=1000)],
    callback: Annotated[str, Form(max_length=1000)],
) -> RedirectResponse:
    ratings.rectify(session, principal, rectification_id, measures, callback)
    return redirect("/services/workbench")


@router.get("/services/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, principal: Viewer, session: SessionDep) -> HTMLResponse:
    unit_id = None if cases.is_city_wide(principal) else principal.unit_id
    figures = stats.figures(session, unit_id)
    units = stats.per_unit(session) if unit_id is None else []
    names = identity.unit_names(session, [u for u, *_ in units] + ([unit_id] if unit_id else []))
    chart: dict[str, Any] = {
        "rates": [
            ["全程网办率", figures.full_online_rate],
            ["材料减免率", figures.case_reduction_rate],
            ["即办件比例", figures.immediate_rate],
            ["超期率", figures.overdue_rate],
        ],
        "ratings": [figures.rating_distribution.get(s, 0) for s in range(1, 6)],
        "handling": [figures.average_working_days, figures.average_promised_days],
    }
    return render(
        request,
        "services_dashboard.html",
        page_title="政务服务指标",
        figures=figures,
        scope=names.get(unit_id, "") if unit_id else "全市",
        units=[(names.get(u, str(u)), n, c, o) for u, n, c, o in units],
        chart=chart,
    )


@router.get("/services/ratings", response_class=HTMLResponse)
def ratings_page(request: Request, session: SessionDep, _who: MaybeCaller) -> HTMLResponse:
    summaries = ratings.unit_ratings(session, None)
    assert isinstance(summaries, list)
    names = identity.unit_names(session, [s.unit_id for s in summaries])
    return render(
        request,
        "services_ratings.html",
        page_title="好差评",
        summaries=[(names.get(s.unit_id, ""), s) for s in summaries],
    )
