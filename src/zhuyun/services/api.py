"""The 一网通办 JSON API. Thin: parse → call the service → render.

Items, workflows and units' ratings are public; applying, tracking, paying, uploading and
rating are the applicant's (`services.apply`), acting on cases is a handler's
(`services.handle`) for the cases of their own unit, the figures need `services.dashboard`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Header, Query, Request, Response, UploadFile
from fastapi import Path as PathParam

from zhuyun.core.errors import Forbidden, NotFound
from zhuyun.core.paging import Page, PageDep
from zhuyun.identity import service as identity
from zhuyun.identity.deps import Allowed, Caller, MaybeCaller, SessionDep, SettingsDep
from zhuyun.identity.permissions import Permission, Principal
from zhuyun.services import manage_api, views
from zhuyun.services.models import Case, Rating
from zhuyun.services.schemas import (
    CaseAction,
    CaseCreate,
    CaseDetail,
    CaseMaterialPublic,
    CasePublic,
    FiguresPublic,
    ItemDetail,
    ItemPublic,
    NotificationPublic,
    QueueEntry,
    RatingComment,
    RatingCreate,
    RatingSummary,
    RectificationDone,
    RectificationPublic,
)
from zhuyun.services.service import (
    cases,
    engine,
    items,
    notifications,
    payments,
    ratings,
    stats,
    uploads,
    workflows,
)

router = APIRouter(prefix="/api/services", tags=["services 一网通办"])

Applicant = Annotated[Principal, Allowed(Permission.SERVICES_APPLY)]
Handler = Annotated[Principal, Allowed(Permission.SERVICES_HANDLE)]
Viewer = Annotated[Principal, Allowed(Permission.SERVICES_DASHBOARD)]
CaseNumber = Annotated[str, PathParam(pattern=r"^BJ\d{16}$", description="办件编号")]
ItemCode = Annotated[str, PathParam(min_length=1, max_length=40, description="事项编码")]
UnitId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
IdempotencyKey = Annotated[
    str, Header(alias="Idempotency-Key", min_length=1, max_length=100, description="幂等键")
]


def _secret(settings: SettingsDep) -> str:
    return settings.secret_key.get_secret_value()


@router.get("/items", response_model=Page[ItemPublic])
def list_items(
    session: SessionDep,
    _who: MaybeCaller,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=100, description="关键词")] = None,
    life_event: Annotated[str | None, Query(max_length=20, description="人生事件/企业事件")] = None,
    unit_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    item_type: Annotated[str | None, Query(max_length=20, description="事项类型")] = None,
    immediate: Annotated[bool | None, Query(description="即办件")] = None,
) -> Page[ItemPublic]:
    query = items.ItemQuery(q, life_event, unit_id, item_type, immediate)
    rows, total = items.search_items(session, query, page.offset, page.limit)
    return Page.of(views.items_public(session, rows), total, page)


@router.get("/items/{code}", response_model=ItemDetail)
def get_item(code: ItemCode, session: SessionDep, _who: MaybeCaller) -> ItemDetail:
    return views.item_detail(session, items.get_item(session, code))


@router.get("/workflows/{code}")
def get_workflow(
    code: Annotated[str, PathParam(max_length=40)], session: SessionDep, _who: MaybeCaller
) -> dict[str, object]:
    spec = items.workflow_spec(session, code)
    return {"code": spec.code, "name": spec.name, **workflows.definition_of(spec)}


@router.post("/cases", response_model=CaseDetail, status_code=201)
def submit_case(
    body: CaseCreate,
    response: Response,
    principal: Applicant,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey,
) -> CaseDetail:
    submission = cases.Submission(body.item_code, body.form, body.consent, idempotency_key)
    case, created = cases.submit(session, _secret(settings), principal, submission)
    if not created:
        response.status_code = 200
    return views.case_detail(session, principal, case)


@router.get("/cases/mine", response_model=Page[CasePublic])
def my_cases(
    principal: Applicant,
    session: SessionDep,
    page: PageDep,
    status: Annotated[str | None, Query(max_length=12)] = None,
) -> Page[CasePublic]:
    rows, total = cases.list_mine(
        session, principal, cases.CaseFilter(status=status), page.offset, page.limit
    )
    return Page.of(views.cases_public(session, rows), total, page)


@router.get("/cases/{number}", response_model=CaseDetail)
def get_case(number: CaseNumber, principal: Caller, session: SessionDep) -> CaseDetail:
    return views.case_detail(session, principal, cases.visible_case(session, principal, number))


@router.post("/cases/{number}/actions", response_model=CaseDetail)
def act_on_case(
    number: CaseNumber, body: CaseAction, principal: Handler, session: SessionDep
) -> CaseDetail:
    case = cases.visible_case(session, principal, number)
    engine.act(session, principal, case, engine.Action(body.action, body.opinion, body.branch))
    return views.case_detail(session, principal, case)


@router.post("/cases/{number}/materials/{material_id}", response_model=CaseMaterialPublic)
def upload_material(
    number: CaseNumber,
    material_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)],
    file: Annotated[UploadFile, File(description="PDF, PNG or JPEG, up to 10 MB")],
    request: Request,
    principal: Applicant,
    session: SessionDep,
    settings: SettingsDep,
) -> CaseMaterialPublic:
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
    detail = views.case_detail(session, principal, case)
    return next(m for m in detail.materials if m.material_id == material_id)


@router.post("/cases/{number}/resubmit", response_model=CaseDetail)
def resubmit_case(number: CaseNumber, principal: Applicant, session: SessionDep) -> CaseDetail:
    case = cases.visible_case(session, principal, number)
    engine.resubmit(session, principal, case)
    return views.case_detail(session, principal, case)


@router.post("/cases/{number}/payment", response_model=CaseDetail)
def pay_fee(number: CaseNumber, principal: Applicant, session: SessionDep) -> CaseDetail:
    """Pay the case's fee. SIMULATED: a payment record, no money moves."""
    case = cases.visible_case(session, principal, number)
    payments.pay(session, principal, case)
    return views.case_detail(session, principal, case)


@router.post("/cases/{number}/refetch", response_model=CaseDetail)
def refetch_materials(
    number: CaseNumber, principal: Caller, session: SessionDep, settings: SettingsDep
) -> CaseDetail:
    case = cases.visible_case(session, principal, number)
    payments.refetch(session, _secret(settings), principal, case)
    case = cases.visible_case(session, principal, number)
    return views.case_detail(session, principal, case)


@router.post("/cases/{number}/rating", status_code=201, response_model=RatingComment)
def rate_case(
    number: CaseNumber, body: RatingCreate, principal: Applicant, session: SessionDep
) -> RatingComment:
    case = cases.visible_case(session, principal, number)
    rating = ratings.rate(session, principal, case, body.score, body.comment)
    return RatingComment(score=rating.score, comment=rating.comment, created_at=rating.created_at)


def _queue(
    principal: Principal, session: SessionDep, page: PageDep, overdue: bool
) -> Page[QueueEntry]:
    rows, total = cases.queue(session, principal, overdue, page.offset, page.limit)
    names = identity.unit_names(session, [c.unit_id for _, c in rows])
    return Page.of(
        [
            QueueEntry(
                task_id=t.id,
                task_name=t.name,
                branch=t.branch,
                task_due_on=t.due_on,
                case=views.case_public(session, c, names),
            )
            for t, c in rows
        ],
        total,
        page,
    )


@router.get("/workbench", response_model=Page[QueueEntry])
def workbench(principal: Handler, session: SessionDep, page: PageDep) -> Page[QueueEntry]:
    """The unit's open tasks, most urgent first."""
    return _queue(principal, session, page, overdue=False)


@router.get("/overdue", response_model=Page[QueueEntry])
def overdue_cases(principal: Viewer, session: SessionDep, page: PageDep) -> Page[QueueEntry]:
    """The unit's overdue cases, for its leaders (the whole city for supervisors)."""
    return _queue(principal, session, page, overdue=True)


@router.get("/unit-cases", response_model=Page[CasePublic])
def unit_cases(
    principal: Handler,
    session: SessionDep,
    page: PageDep,
    status: Annotated[str | None, Query(max_length=12)] = None,
) -> Page[CasePublic]:
    rows, total = cases.unit_cases(
        session, principal, cases.CaseFilter(status=status), page.offset, page.limit
    )
    return Page.of(views.cases_public(session, rows), total, page)


def _rectification_public(session: SessionDep, task: ratings.Rectification) -> RectificationPublic:
    case = session.get(Case, task.case_id)
    rating = session.get(Rating, task.rating_id)
    assert case is not None and rating is not None
    return RectificationPublic(
        id=task.id,
        case_number=case.number,
        unit_id=task.unit_id,
        status=task.status,
        due_on=task.due_on,
        score=rating.score,
        comment=rating.comment,
        measures=task.measures,
        callback=task.callback,
    )


@router.get("/rectifications", response_model=Page[RectificationPublic])
def list_rectifications(
    principal: Handler,
    session: SessionDep,
    page: PageDep,
    status: Annotated[str | None, Query(pattern="^(open|done)$")] = None,
) -> Page[RectificationPublic]:
    rows, total = ratings.rectifications(session, principal, status, page.offset, page.limit)
    return Page.of([_rectification_public(session, r) for r in rows], total, page)


@router.post("/rectifications/{rectification_id}", response_model=RectificationPublic)
def complete_rectification(
    rectification_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)],
    body: RectificationDone,
    principal: Handler,
    session: SessionDep,
) -> RectificationPublic:
    task = ratings.rectify(session, principal, rectification_id, body.measures, body.callback)
    return _rectification_public(session, task)


@router.get("/stats", response_model=FiguresPublic)
def figures(
    principal: Viewer,
    session: SessionDep,
    unit_id: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="单位；缺省为全市")
    ] = None,
) -> FiguresPublic:
    """全程网办率, 材料减免率, 即办件比例, handling time, overdue rate, ratings: the city's
    for supervisors and admins, a unit's own for its staff."""
    if not cases.is_city_wide(principal) and unit_id != principal.unit_id:
        if unit_id is not None:
            raise Forbidden("You may see your own unit's figures.", "您只能查看本单位的指标。")
        unit_id = principal.unit_id
    return FiguresPublic(**stats.figures(session, unit_id).__dict__)


@router.get("/ratings", response_model=Page[RatingSummary])
def unit_ratings(session: SessionDep, _who: MaybeCaller, page: PageDep) -> Page[RatingSummary]:
    """Public: every unit's ratings (count, average, 1–5 distribution)."""
    summaries = ratings.unit_ratings(session, None)
    assert isinstance(summaries, list)
    chosen = summaries[page.offset : page.offset + page.limit]
    names = identity.unit_names(session, [s.unit_id for s in chosen])
    return Page.of(
        [RatingSummary(unit_name=names.get(s.unit_id), **s.__dict__) for s in chosen],
        len(summaries),
        page,
    )


@router.get("/ratings/{unit_id}/comments", response_model=Page[RatingComment])
def unit_comments(
    unit_id: UnitId, session: SessionDep, _who: MaybeCaller, page: PageDep
) -> Page[RatingComment]:
    """Public: a unit's ratings with their comments, newest first (never who gave them)."""
    rows, total = ratings.recent_comments(session, unit_id, page.offset, page.limit)
    return Page.of(
        [RatingComment(score=r.score, comment=r.comment, created_at=r.created_at) for r in rows],
        total,
        page,
    )


@router.get("/notifications", response_model=Page[NotificationPublic])
def my_notifications(
    principal: Caller,
    session: SessionDep,
    page: PageDep,
    unread: Annotated[bool, Query(description="只看未读")] = False,
) -> Page[NotificationPublic]:
    """One's own messages (an applicant's) and one's unit's (a handler's), newest first."""
    rows, total = notifications.inbox(session, principal, unread, page.offset, page.limit)
    return Page.of(
        [
            NotificationPublic(
                id=n.id,
                case_number=number,
                kind=n.kind,
                text=n.text,
                created_at=n.created_at,
                read=n.read_at is not None,
            )
            for n, number in rows
        ],
        total,
        page,
    )


@router.post("/notifications/{notification_id}/read", status_code=204)
def read_notification(
    notification_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)],
    principal: Caller,
    session: SessionDep,
) -> Response:
    if not notifications.mark_read(session, principal, notification_id):
        raise NotFound(
            "No such unread message of yours.", "没有这条未读消息。", code="notification-not-found"
        )
    return Response(status_code=204)


router.include_router(manage_api.router)
