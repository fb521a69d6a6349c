"""JSON API of work orders: thin routes that parse, call the service and render."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Header, Query, Request, Response, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from zhuyun.core.db import utcnow
from zhuyun.core.errors import Forbidden, Unprocessable
from zhuyun.core.masking import mask
from zhuyun.core.paging import Page, PageDep
from zhuyun.governance.models import WorkOrder
from zhuyun.governance.service import categories, intake, photos, queries, sla, workflow
from zhuyun.governance.service.classify import classifier
from zhuyun.governance.workorder_schemas import (
    AssistPublic,
    CategoryChange,
    ClassifyBody,
    Dispatch,
    EscalateBody,
    EscalationPublic,
    EscalationRunPublic,
    EventPublic,
    GridHeat,
    HeatPublic,
    IndicatorPublic,
    LivePoint,
    Note,
    PhotoPublic,
    Rating,
    Reason,
    RegisterBody,
    Result,
    Suggestion,
    Verification,
    WorkOrderCreate,
    WorkOrderDetail,
    WorkOrderPublic,
)
from zhuyun.identity import service as identity
from zhuyun.identity.deps import Allowed, SessionDep, SettingsDep
from zhuyun.identity.permissions import AccountKind, Permission, Principal, Role

router = APIRouter(prefix="/api/governance/workorders", tags=["governance 工单"])

Reporter = Annotated[Principal, Allowed(Permission.WORKORDERS_REPORT)]
Reader = Annotated[Principal, Allowed(Permission.WORKORDERS_READ)]
Handler = Annotated[Principal, Allowed(Permission.WORKORDERS_HANDLE)]
Verifier = Annotated[Principal, Allowed(Permission.WORKORDERS_VERIFY)]
OrderId = Annotated[int, PathParam(ge=1, le=2**31 - 1, description="工单 id")]
TaskId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
PhotoId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", max_length=100, description="幂等键")
]


def may_see_caller(session: Session, principal: Principal, order: WorkOrder) -> bool:
    return order.reporter_id == principal.account_id or workflow.is_command_centre(
        session, principal
    )


def order_public(
    session: Session, principal: Principal, order: WorkOrder, names: dict[int, str] | None = None
) -> WorkOrderPublic:
    names = names if names is not None else identity.unit_names(session, [order.unit_id])
    clear = may_see_caller(session, principal, order)
    category = categories.BY_CODE.get(order.category)
    duplicate_of = None
    if order.duplicate_of_id:
        original = session.get(WorkOrder, order.duplicate_of_id)
        duplicate_of = original.number if original else None
    return WorkOrderPublic(
        id=order.id,
        number=order.number,
        channel=order.channel,
        status=order.status,
        status_label=workflow.STATUS_LABELS_ZH.get(order.status, order.status),
        text=order.text,
        category=order.category,
        category_name=category.name if category else order.category,
        category_source=order.category_source,
        confidence=order.confidence,
        urgency=order.urgency,
        lng=order.lng,
        lat=order.lat,
        address=order.address,
        grid_code=order.grid_code,
        district_code=order.district_code,
        unit_id=order.unit_id,
        unit_name=names.get(order.unit_id) if order.unit_id else None,
        caller_name=order.caller_name if clear else mask("name", order.caller_name),
        caller_phone=order.caller_phone if clear else mask("phone", order.caller_phone),
        duplicate_of=duplicate_of,
        merged_count=order.merged_count,
        created_at=order.created_at,
        registered_at=order.registered_at,
        due_at=order.due_at,
        closed_at=order.closed_at,
        escalation_level=order.escalation_level,
        return_count=order.return_count,
        rework_count=order.rework_count,
        reopen_count=order.reopen_count,
        rating=order.rating,
        token=order.token if order.reporter_id == principal.account_id else None,
    )


def orders_public(
    session: Session, principal: Principal, orders: Sequence[WorkOrder]
) -> list[WorkOrderPublic]:
    names = identity.unit_names(session, [o.unit_id for o in orders])
    return [order_public(session, principal, o, names) for o in orders]


def _photos_by_event(session: Session, order: WorkOrder) -> dict[int | None, list[PhotoPublic]]:
    shown: dict[int | None, list[PhotoPublic]] = {}
    for p in photos.photos_of(session, order):
        shown.setdefault(p.event_id, []).append(
            PhotoPublic(
                id=p.id,
                url=f"/api/governance/workorders/{order.id}/photos/{p.id}",
                media_type=p.media_type,
                width=p.width,
                height=p.height,
            )
        )
    return shown


def order_detail(session: Session, principal: Principal, order: WorkOrder) -> WorkOrderDetail:
    assists = queries.assists(session, order)
    pictures = _photos_by_event(session, order)
    escalations = queries.escalations(session, order)
    names = identity.unit_names(
        session,
        [order.unit_id, *(a.unit_id for a in assists), *(e.unit_id for e in escalations)],
    )
    base = order_public(session, principal, order, names)
    return WorkOrderDetail(
        **base.model_dump(),
        timeline=[
            EventPublic(
                at=e.at,
                activity=e.activity,
                status_from=e.status_from or None,
                status_to=e.status_to,
                status_label=workflow.STATUS_LABELS_ZH.get(e.status_to, e.status_to),
                actor_name=e.actor_name,
                unit_id=e.unit_id,
                note=e.note,
                photos=pictures.get(e.id, []),
            )
            for e in queries.timeline(session, order)
        ],
        assists=[
            AssistPublic(
                id=a.id,
                unit_id=a.unit_id,
                unit_name=names.get(a.unit_id),
                status=a.status,
                note=a.note,
            )
            for a in assists
        ],
        escalations=[
            EscalationPublic(
                level=e.level,
                unit_id=e.unit_id,
                unit_name=names.get(e.unit_id),
                at=e.at,
                overdue_hours=e.overdue_hours,
            )
            for e in escalations
        ],
    )


def channel_for(principal: Principal, asked: str | None) -> str:
    """Citizens and enterprises report through the app; staff choose hotline or patrol."""
    if principal.kind != AccountKind.STAFF:
        if asked not in (None, "app"):
            raise Forbidden(
                "Citizens report through the app channel.",
                "市民只能通过 APP 渠道反映问题。",
                code="channel-not-allowed",
            )
        return "app"
    channel = asked or ("patrol" if principal.has_role(Role.GRID_WORKER) else "hotline")
    if channel not in ("hotline", "patrol", "app"):
        raise Unprocessable(
            "channel is hotline, patrol or app.",
            "渠道须为 hotline、patrol 或 app。",
            code="bad-channel",
        )
    return channel


def draft_of(principal: Principal, body: WorkOrderCreate) -> intake.Draft:
    channel = channel_for(principal, body.channel)
    return intake.Draft(
        channel=channel,
        text=body.text,
        lng=body.lng,
        lat=body.lat,
        address=body.address,
        category=body.category or None,
        urgency=body.urgency or None,
        caller_name=body.caller_name if channel == "hotline" else None,
        caller_phone=body.caller_phone if channel == "hotline" else None,
    )


@router.post(
    "",
    status_code=201,
    response_model=WorkOrderPublic,
    summary="Report a problem / 提交工单（12345、网格巡查、APP）",
)
def submit(
    body: WorkOrderCreate,
    principal: Reporter,
    session: SessionDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> WorkOrderPublic:
    taken = intake.submit(
        session,
        principal.as_actor(),
        draft_of(principal, body),
        reporter_id=principal.account_id,
        idempotency=(f"account:{principal.account_id}", idempotency_key)
        if idempotency_key is not None
        else None,
    )
    if taken.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return order_public(session, principal, taken.order)


@router.post(
    "/classify", response_model=Suggestion, summary="Suggest a category and urgency / 智能分类建议"
)
def classify_text(body: ClassifyBody, principal: Reporter, session: SessionDep) -> Suggestion:
    text = intake._check_text(body.text)
    found = classifier(session).predict_one(text)
    return Suggestion(
        category=found.category,
        category_name=categories.BY_CODE[found.category].name,
        urgency=found.urgency,
        confidence=found.confidence,
    )


@router.get("", response_model=Page[WorkOrderPublic], summary="Work orders I may see / 工单列表")
def list_orders(
    principal: Reporter,
    session: SessionDep,
    page: PageDep,
    status: Annotated[str | None, Query(max_length=12)] = None,
    category: Annotated[str | None, Query(max_length=30)] = None,
    channel: Annotated[str | None, Query(max_length=10)] = None,
    unit_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    grid: Annotated[str | None, Query(pattern=r"^\d{15}$")] = None,
    district: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    overdue: bool = False,
    q: Annotated[str | None, Query(max_length=100)] = None,
    mine: bool = False,
) -> Page[WorkOrderPublic]:
    flt = queries.OrderFilter(
        status, category, channel, unit_id, grid, district, utcnow() if overdue else None, q, mine
    )
    rows, total = queries.list_orders(session, principal, flt, page.offset, page.limit)
    return Page.of(orders_public(session, principal, rows), total, page)


@router.get(
    "/inbox",
    response_model=Page[WorkOrderPublic],
    summary="Orders waiting for my unit / 本单位待办",
)
def inbox(principal: Handler, session: SessionDep, page: PageDep) -> Page[WorkOrderPublic]:
    rows, total = queries.inbox(session, principal, page.offset, page.limit)
    return Page.of(orders_public(session, principal, rows), total, page)


def indicator_rows(session: Session, by: str, since: datetime | None) -> list[IndicatorPublic]:
    rows = queries.indicators(session, by, since)
    names: dict[int, str] = (
        identity.unit_names(session, [int(r.key) for r in rows if r.key is not None])
        if by == "unit"
        else {}
    )
    return [
        IndicatorPublic(
            key=r.key if r.key is not None else "",
            collected=r.collected,
            name=names.get(int(r.key), str(r.key)) if by == "unit" and r.key else str(r.key),
            registration_rate=r.registration_rate,
            on_time_rate=r.on_time_rate,
            closure_rate=r.closure_rate,
            rework_rate=r.rework_rate,
            satisfaction=r.satisfaction,
            satisfied_rate=r.satisfied_rate,
        )
        for r in rows
    ]


@router.get(
    "/indicators",
    response_model=list[IndicatorPublic],
    summary="立案率, 按期处置率, 结案率, 返工率, satisfaction per unit or grid",
)
def indicators(
    principal: Reader,
    session: SessionDep,
    by: Annotated[str, Query(pattern="^(unit|grid)$")] = "unit",
    since: datetime | None = None,
) -> list[IndicatorPublic]:
    return indicator_rows(session, by, since)


Division = Annotated[
    str | None, Query(pattern=r"^\d{6}(\d{3})?$", description="区县（6 位）或街道（9 位）代码")
]


@router.get(
    "/heat",
    response_model=HeatPublic,
    summary="Live orders per grid for the command centre's map / 网格热力",
)
def heat(principal: Reader, session: SessionDep, division: Division = None) -> HeatPublic:
    rows = queries.live_by_grid(session, principal, division, utcnow())
    return HeatPublic(
        division=division,
        grids=[GridHeat(grid_code=c, live=n, overdue=late) for c, n, late in rows],
        live=sum(n for _, n, _ in rows),
        max=max((n for _, n, _ in rows), default=0),
    )


@router.get(
    "/live",
    response_model=Page[LivePoint],
    summary="Live orders with their points, most urgent first / 在办工单点位",
)
def live(
    principal: Reader, session: SessionDep, page: PageDep, division: Division = None
) -> Page[LivePoint]:
    rows, total = queries.live_orders(session, principal, division, page.offset, page.limit)
    now = utcnow()
    points = [
        LivePoint(
            id=o.id,
            number=o.number,
            lng=o.lng or 0.0,
            lat=o.lat or 0.0,
            category=o.category,
            category_name=categories.BY_CODE[o.category].name
            if o.category in categories.BY_CODE
            else o.category,
            urgency=o.urgency,
            status=o.status,
            status_label=workflow.STATUS_LABELS_ZH.get(o.status, o.status),
            grid_code=o.grid_code,
            overdue=bool(o.due_at and o.due_at < now),
            escalation_level=o.escalation_level,
        )
        for o in rows
    ]
    return Page.of(points, total, page)


@router.post(
    "/escalate",
    response_model=EscalationRunPublic,
    summary="Escalate overdue orders now / 运行逾期督办",
)
def escalate(
    body: EscalateBody,
    principal: Annotated[Principal, Allowed(Permission.WORKORDERS_DISPATCH)],
    session: SessionDep,
) -> EscalationRunPublic:
    run = sla.run_escalations(session, body.now or utcnow())
    return EscalationRunPublic(
        checked=run.checked, level_one=run.level_one, level_two=run.level_two
    )


@router.get(
    "/{order_id}",
    response_model=WorkOrderDetail,
    summary="One order with its timeline / 工单详情与流转记录",
)
def get_order(order_id: OrderId, principal: Reporter, session: SessionDep) -> WorkOrderDetail:
    return order_detail(session, principal, workflow.get_order(session, principal, order_id))


def _done(session: Session, principal: Principal, order: WorkOrder) -> WorkOrderDetail:
    session.flush()
    return order_detail(session, principal, order)


@router.post(
    "/{order_id}/register", response_model=WorkOrderDetail, summary="立案 (command centre)"
)
def register(
    order_id: OrderId, body: RegisterBody, principal: Handler, session: SessionDep
) -> WorkOrderDetail:
    order = workflow.get_order(session, principal, order_id)
    workflow._require_centre(session, principal)
    workflow.register(session, principal.as_actor(), order, body.category)
    return _done(session, principal, order)


@router.post(
    "/{order_id}/reject", response_model=WorkOrderDetail, summary="不予立案 (command centre)"
)
def reject(
    order_id: OrderId, body: Reason, principal: Handler, session: SessionDep
) -> WorkOrderDetail:
    order = workflow.get_order(session, principal, order_id)
    workflow.reject(session, principal, order, body.reason)
    return _done(session, principal, order)


@router.post(
    "/{order_id}/dispatch",
    response_model=WorkOrderDetail,
    summary="Redispatch a returned order / 重新派遣 (command centre)",
)
def redispatch(
    order_id: OrderId, body: Dispatch, principal: Handler, session: SessionDep
) -> WorkOrderDetail:
    order = workflow.get_order(session, principal, order_id)
    if body.unit_id is not None:
        identity.get_unit(session, body.unit_id)
    workflow.redispatch(session, principal, order, body.unit_id, body.category)
    return _done(session, principal, order)


@router.post("/{order_id}/accept", response_model=WorkOrderDetail, summary="签收 (the unit)")
def accept(order_id: OrderId, principal: Handler, session: SessionDep) -> WorkOrderDetail:
    order = workflow.get_order(session, principal, order_id)
    workflow.accept(session, principal, order)
    return _done(session, principal, order)


@router.post(
    "/{order_id}/return",
    response_model=WorkOrderDetail,
    summary="Return: not our order / 退回（非本单位职责）",
)
def return_order(
    order_id: OrderId, body: Reason, principal: Handler, session: SessionDep
) -> WorkOrderDetail:
    order = workflow.get_order(session, principal, order_id)
    workflow.return_order(session, principal, order, body.reason, body.category)
    return _done(session, principal, order)


@router.post("/{order_id}/report", response_model=WorkOrderDetail, summary="处置反馈 (the unit)")
def report(
    order_id: OrderId, body: Result, principal: Handler, session: SessionDep
) -> WorkOrderDetail:
    order = workflow.get_order(session, principal, order_id)
    workflow.report_back(session, principal, order, body.result)
    return _done(session, principal, order)


@router.post(
    "/{order_id}/verify",
    response_model=WorkOrderDetail,
    summary="核查: passed closes, failed is rework",
)
def verify(
    order_id: OrderId, body: Verification, principal: Verifier, session: SessionDep
) -> WorkOrderDetail:
    order = workflow.get_order(session, principal, order_id)
    workflow.verify(session, principal, order, body.passed, body.note)
    return _done(session, principal, order)


@router.post(
    "/{order_id}/category",
    response_model=WorkOrderDetail,
    summary="Correct the category / 更正类别（用于训练）",
)
def correct_category(
    order_id: OrderId, body: CategoryChange, principal: Handler, session: SessionDep
) -> WorkOrderDetail:
    order = workflow.get_order(session, principal, order_id)
    workflow.correct_category(session, principal, order, body.category)
    return _done(session, principal, order)


@router.post(
    "/{order_id}/rating",
    response_model=WorkOrderDetail,
    summary="The reporter rates the result / 评价（差评重办）",
)
def rate(
    order_id: OrderId, body: Rating, principal: Reporter, session: SessionDep
) -> WorkOrderDetail:
    order = workflow.get_order(session, principal, order_id)
    workflow.rate(session, principal, order, body.stars, body.comment)
    return _done(session, principal, order)


@router.post(
    "/{order_id}/assists/{task_id}/done",
    response_model=WorkOrderDetail,
    summary="A collaborating organisation finishes its assist task / 协办完成",
)
def finish_assist(
    order_id: OrderId,
    task_id: TaskId,
    body: Note,
    principal: Handler,
    session: SessionDep,
    request: Request,
) -> WorkOrderDetail:
    order = workflow.get_order(session, principal, order_id)
    workflow.finish_assist(session, principal, order, task_id, body.note)
    return _done(session, principal, order)


def read_uploads(files: list[UploadFile]) -> list[tuple[str, bytes]]:
    """The uploads' names and bytes, each read to at most one byte past the limit (in the
    route's worker thread: the parts are spooled files)."""
    return [(f.filename or "", f.file.read(photos.MAX_BYTES + 1)) for f in files if f.filename]


@router.post(
    "/{order_id}/photos",
    response_model=WorkOrderDetail,
    summary="Add photos (JPEG, PNG, WebP; EXIF removed) / 上传照片",
)
def add_photos(
    order_id: OrderId,
    principal: Reporter,
    session: SessionDep,
    settings: SettingsDep,
    files: Annotated[list[UploadFile], File(description="照片（最多 6 张，每张 ≤ 10 MB）")],
) -> WorkOrderDetail:
    uploads = photos.clean_all(read_uploads(files))
    if not uploads:
        raise Unprocessable("Choose at least one photo.", "请选择照片。", code="no-photos")
    order = workflow.get_order(session, principal, order_id)
    if not workflow.may_add_photos(session, principal, order):
        raise Forbidden(
            "Only the reporter, the assigned unit, the grid's workers or the command centre "
            "may add photos.",
            "只有反映人、责任单位、所在网格的网格员或指挥中心可以上传照片。",
            code="not-allowed",
        )
    photos.attach(session, settings.data_dir, principal.as_actor(), order, uploads)
    return _done(session, principal, order)


@router.get(
    "/{order_id}/photos/{photo_id}",
    response_class=FileResponse,
    summary="A photo of an order / 工单照片",
)
def get_photo(
    order_id: OrderId,
    photo_id: PhotoId,
    principal: Reporter,
    session: SessionDep,
    settings: SettingsDep,
) -> FileResponse:
    order = workflow.get_order(session, principal, order_id)
    photo = photos.get_photo(session, order, photo_id)
    return FileResponse(
        photos.path_of(settings.data_dir, photo),
        media_type=photo.media_type,
        headers={"Cache-Control": "private, max-age=3600"},
    )
