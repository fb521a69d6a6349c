"""Work-order pages: the list and the detail with its timeline, the unit's inbox with its
actions (POST forms with CSRF), the grid worker's mobile report form and the indicators.
Thin: the service answers, the templates show."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse

from zhuyun.core.errors import Problem, Unprocessable
from zhuyun.governance.service import categories, intake, photos, queries, workflow
from zhuyun.governance.workorder_api import (
    indicator_rows,
    order_detail,
    orders_public,
)
from zhuyun.identity.deps import Allowed, SessionDep, SettingsDep
from zhuyun.identity.permissions import Permission, Principal
from zhuyun.web.rendering import NavItem, pager, redirect, register_nav, render

router = APIRouter(include_in_schema=False)
register_nav(
    NavItem("工单", "/governance/workorders", "hotline", Permission.WORKORDERS_REPORT, 310)
)
register_nav(NavItem("本单位待办", "/governance/inbox", "check", Permission.WORKORDERS_HANDLE, 311))
register_nav(NavItem("巡查上报", "/governance/report", "map", Permission.WORKORDERS_VERIFY, 312))
register_nav(
    NavItem("工单指标", "/governance/indicators", "chart", Permission.WORKORDERS_READ, 313)
)

Reporter = Annotated[Principal, Allowed(Permission.WORKORDERS_REPORT)]
Reader = Annotated[Principal, Allowed(Permission.WORKORDERS_READ)]
Handler = Annotated[Principal, Allowed(Permission.WORKORDERS_HANDLE)]
ROWS = 20
OrderId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
CATEGORY_CHOICES = [(c.code, c.name) for c in categories.CATEGORIES]


@router.get("/governance/workorders", response_class=HTMLResponse)
def list_page(
    request: Request,
    principal: Reporter,
    session: SessionDep,
    status: Annotated[str, Query(max_length=12)] = "",
    category: Annotated[str, Query(max_length=30)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    flt = queries.OrderFilter(status=status or None, category=category or None, q=q or None)
    rows, total = queries.list_orders(session, principal, flt, offset, ROWS)
    return render(
        request,
        "workorders.html",
        page_title="工单",
        orders=orders_public(session, principal, rows),
        total=total,
        status=status,
        category=category,
        q=q,
        statuses=workflow.STATUS_LABELS_ZH,
        categories=CATEGORY_CHOICES,
        pager=pager(
            "/governance/workorders",
            {"status": status, "category": category, "q": q},
            offset,
            ROWS,
            total,
        ),
    )


@router.get("/governance/inbox", response_class=HTMLResponse)
def inbox_page(
    request: Request,
    principal: Handler,
    session: SessionDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    rows, total = queries.inbox(session, principal, offset, ROWS)
    return render(
        request,
        "workorder_inbox.html",
        page_title="本单位待办",
        orders=orders_public(session, principal, rows),
        total=total,
        pager=pager("/governance/inbox", {}, offset, ROWS, total),
    )


def _actions(session: SessionDep, principal: Principal, order_id: int) -> list[str]:
    order = workflow.get_order(session, principal, order_id)
    centre = workflow.is_command_centre(session, principal)
    mine = centre or (
        principal.can(Permission.WORKORDERS_HANDLE) and order.unit_id == principal.unit_id
    )
    actions: list[str] = []
    if centre and order.status == "collected":
        actions += ["register", "reject"]
    if centre and order.status == "returned":
        actions.append("redispatch")
    if mine and order.status == "dispatched":
        actions.append("accept")
    if mine and order.status in ("dispatched", "handling"):
        actions += ["report", "return"]
    if order.status == "reported" and workflow._may_verify(session, principal, order):
        actions.append("verify")
    if order.status == "closed" and order.reporter_id == principal.account_id:
        actions.append("rate")
    return actions


@router.get("/governance/workorders/{order_id}", response_class=HTMLResponse)
def detail_page(
    request: Request, order_id: OrderId, principal: Reporter, session: SessionDep
) -> HTMLResponse:
    order = workflow.get_order(session, principal, order_id)
    detail = order_detail(session, principal, order)
    return render(
        request,
        "workorder_detail.html",
        page_title=f"工单 {order.number}",
        order=detail,
        actions=_actions(session, principal, order_id),
        may_add_photos=workflow.may_add_photos(session, principal, order),
        categories=CATEGORY_CHOICES,
        urgency_labels=categories.URGENCY_LABELS_ZH,
        channel_labels=intake.CHANNEL_LABELS_ZH,
    )


@router.post("/governance/workorders/{order_id}/act")
def act(
    order_id: OrderId,
    principal: Reporter,
    session: SessionDep,
    action: Annotated[str, Form(max_length=20)],
    text: Annotated[str, Form(max_length=1000)] = "",
    category: Annotated[str, Form(max_length=30)] = "",
    stars: Annotated[int, Form(ge=0, le=5)] = 0,
) -> RedirectResponse:
    order = workflow.get_order(session, principal, order_id)
    if action not in _actions(session, principal, order_id) and action not in (
        "verify_pass",
        "verify_fail",
    ):
        raise Unprocessable("This action is not open.", "当前不能执行该操作。", code="bad-action")
    if action in ("verify_pass", "verify_fail"):
        workflow.verify(session, principal, order, action == "verify_pass", text)
    elif action == "register":
        workflow._require_centre(session, principal)
        workflow.register(session, principal.as_actor(), order, category or None)
    elif action == "reject":
        workflow.reject(session, principal, order, text)
    elif action == "redispatch":
        workflow.redispatch(session, principal, order, None, category or None)
    elif action == "accept":
        workflow.accept(session, principal, order)
    elif action == "report":
        workflow.report_back(session, principal, order, text)
    elif action == "return":
        workflow.return_order(session, principal, order, text, category or None)
    elif action == "rate":
        workflow.rate(session, principal, order, stars, text)
    return redirect(f"/governance/workorders/{order_id}")


@router.post("/governance/workorders/{order_id}/photos")
def add_photos_page(
    order_id: OrderId,
    principal: Reporter,
    session: SessionDep,
    settings: SettingsDep,
    photo: Annotated[list[UploadFile] | None, File()] = None,
) -> RedirectResponse:
    from zhuyun.governance.workorder_api import read_uploads

    order = workflow.get_order(session, principal, order_id)
    if not workflow.may_add_photos(session, principal, order):
        raise Unprocessable(
            "You may not add photos here.", "您不能为该工单上传照片。", code="bad-action"
        )
    uploads = photos.clean_all(read_uploads(photo or []))
    photos.attach(session, settings.data_dir, principal.as_actor(), order, uploads)
    return redirect(f"/governance/workorders/{order_id}")


@router.get("/governance/report", response_class=HTMLResponse)
def report_form(request: Request, principal: Reporter) -> HTMLResponse:
    return render(
        request, "workorder_report.html", page_title="巡查上报", categories=CATEGORY_CHOICES
    )


@router.post("/governance/report", response_model=None)
def report_submit(
    request: Request,
    principal: Reporter,
    session: SessionDep,
    settings: SettingsDep,
    text: Annotated[str, Form(max_length=20_000)] = "",
    lng: Annotated[str, Form(max_length=20)] = "",
    lat: Annotated[str, Form(max_length=20)] = "",
    address: Annotated[str, Form(max_length=300)] = "",
    category: Annotated[str, Form(max_length=30)] = "",
    idempotency_key: Annotated[str, Form(max_length=100)] = "",
    photo: Annotated[list[UploadFile] | None, File()] = None,
) -> HTMLResponse | RedirectResponse:
    from zhuyun.governance.workorder_api import channel_for, read_uploads

    try:
        uploads = photos.clean_all(read_uploads(photo or []))  # checked before anything is stored
        point = (float(lng), float(lat)) if lng and lat else (None, None)
        draft = intake.Draft(
            channel=channel_for(principal, None),
            text=text,
            lng=point[0],
            lat=point[1],
            address=address or None,
            category=category or None,
        )
        taken = intake.submit(
            session,
            principal.as_actor(),
            draft,
            reporter_id=principal.account_id,
            idempotency=(f"account:{principal.account_id}", idempotency_key)
            if idempotency_key
            else None,
        )
        if not taken.replayed:
            photos.attach(
                session, settings.data_dir, principal.as_actor(), taken.order, uploads,
                new_event=False,
            )  # fmt: skip
    except (Problem, ValueError) as problem:
        session.rollback()
        message = problem.message_zh if isinstance(problem, Problem) else "经纬度格式不正确。"
        return render(
            request,
            "workorder_report.html",
            page_title="巡查上报",
            status_code=422,
            categories=CATEGORY_CHOICES,
            flash={"kind": "error", "text": message},
            form={"text": text, "lng": lng, "lat": lat, "address": address, "category": category},
        )
    return redirect(f"/governance/workorders/{taken.order.id}")


@router.get("/governance/indicators", response_class=HTMLResponse)
def indicators_page(
    request: Request,
    principal: Reader,
    session: SessionDep,
    by: Annotated[str, Query(pattern="^(unit|grid)$")] = "unit",
) -> HTMLResponse:
    rows = indicator_rows(session, by, None)
    return render(
        request,
        "workorder_indicators.html",
        page_title="工单指标",
        rows=rows,
        by=by,
        chart=[r.model_dump(mode="json") for r in rows[:15]],
    )
