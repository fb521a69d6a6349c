"""JSON API of the exchange: sources, bindings, the governed query gateway, applications and
grants, objections, "who read my data" and the public sharing statistics."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse

from zhuyun.catalog import service as catalog
from zhuyun.core.calendar import china_today
from zhuyun.core.db import utcnow
from zhuyun.core.errors import Forbidden
from zhuyun.core.ledger import SYSTEM, LedgerQuery, list_entries
from zhuyun.core.paging import Page, PageDep
from zhuyun.exchange.connectors import Filter
from zhuyun.exchange.formats import FILE_EXTENSIONS, MEDIA_TYPES, OutputFormat, export_stream
from zhuyun.exchange.models import Source
from zhuyun.exchange.schemas import (
    AccessLogEntry,
    AccessPublic,
    ApplicationCreate,
    ApplicationPublic,
    ApprovalIn,
    BindingCreate,
    BindingPublic,
    ColumnPublic,
    DraftCreated,
    DraftFromTable,
    GrantPublic,
    HealthPublic,
    ObjectionCreate,
    ObjectionPublic,
    ObjectionResolve,
    QueryIn,
    QueryOut,
    ReasonIn,
    SourceCreate,
    SourcePublic,
    UnitSharingPublic,
)
from zhuyun.exchange.service import access, applications, gateway, sources
from zhuyun.identity import service as identity
from zhuyun.identity.deps import (
    Allowed,
    Caller,
    MaybeCaller,
    SessionDep,
    SettingsDep,
    get_database,
)
from zhuyun.identity.permissions import AccountKind, Permission, Principal, Role

router = APIRouter(prefix="/api/exchange", tags=["exchange 共享交换"])

IdPath = Annotated[int, PathParam(ge=1, le=2_147_483_647)]
TablePath = Annotated[str, PathParam(min_length=1, max_length=200)]
Managing = Annotated[Principal, Allowed(Permission.SOURCES_MANAGE)]
Querying = Annotated[Principal, Allowed(Permission.EXCHANGE_QUERY)]
Applying = Annotated[Principal, Allowed(Permission.EXCHANGE_APPLY)]
Reviewing = Annotated[Principal, Allowed(Permission.EXCHANGE_REVIEW)]


def _source_public(source: Source) -> SourcePublic:
    return SourcePublic(
        id=source.id,
        unit_id=source.unit_id,
        name=source.name,
        kind=source.kind,
        location=source.location,
        options=source.options,
        has_secret=source.secret_sealed is not None,
        status=source.status,
        status_message=source.status_message,
        checked_at=source.checked_at,
        created_at=source.created_at,
    )


def _key(settings: SettingsDep) -> str:
    return settings.secret_key.get_secret_value()


# -- sources and bindings -----------------------------------------------------------------


@router.get("/sources", response_model=Page[SourcePublic], summary="Sources / 数据源")
def list_sources(
    principal: Managing,
    session: SessionDep,
    page: PageDep,
    unit_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> Page[SourcePublic]:
    if not principal.has_role(Role.PLATFORM_ADMIN):
        if unit_id is not None and unit_id != principal.unit_id:
            raise Forbidden(
                "You may only see your own unit's sources.", "您只能查看本单位的数据源。"
            )
        unit_id = principal.unit_id
    rows, total = sources.list_sources(session, unit_id, page.offset, page.limit)
    return Page.of([_source_public(s) for s in rows], total, page)


@router.post(
    "/sources",
    response_model=SourcePublic,
    status_code=201,
    summary="Register a source / 登记数据源",
)
def register_source(
    body: SourceCreate, principal: Managing, session: SessionDep, settings: SettingsDep
) -> SourcePublic:
    unit_id = body.unit_id or principal.unit_id
    if unit_id is None:
        raise Forbidden("Name the unit the source belongs to.", "请指定数据源所属单位。")
    draft = sources.SourceDraft(body.name, body.kind, body.location, body.options, body.secret)
    source = sources.register_source(
        session,
        principal,
        _key(settings),
        unit_id,
        draft,
        source_hosts=settings.source_host_list,
        source_dirs=settings.source_dir_list,
    )
    return _source_public(source)


@router.get("/sources/{source_id}", response_model=SourcePublic, summary="A source / 数据源详情")
def get_source(source_id: IdPath, principal: Managing, session: SessionDep) -> SourcePublic:
    source = sources.get_source(session, source_id)
    sources.ensure_unit_admin(session, principal, source.unit_id, "source.read")
    return _source_public(source)


@router.post(
    "/sources/{source_id}/check", response_model=HealthPublic, summary="Check a source / 连通性检测"
)
def check_source(
    source_id: IdPath, principal: Managing, session: SessionDep, settings: SettingsDep
) -> HealthPublic:
    report = sources.check_source(session, principal, _key(settings), source_id)
    return HealthPublic(ok=report.ok, latency_ms=report.latency_ms, message=report.message)


@router.get("/sources/{source_id}/tables", response_model=list[str], summary="Tables / 表")
def source_tables(
    source_id: IdPath, principal: Managing, session: SessionDep, settings: SettingsDep
) -> list[str]:
    return sources.source_tables(session, principal, _key(settings), source_id)


@router.get(
    "/sources/{source_id}/tables/{table}/columns",
    response_model=list[ColumnPublic],
    summary="Columns of a table / 表结构",
)
def source_columns(
    source_id: IdPath,
    table: TablePath,
    principal: Managing,
    session: SessionDep,
    settings: SettingsDep,
) -> list[ColumnPublic]:
    columns = sources.source_columns(session, principal, _key(settings), source_id, table)
    return [
        ColumnPublic(
            name=c.name,
            data_type=c.data_type.value,
            native_type=c.native_type,
            nullable=c.nullable,
            is_key=c.is_key,
            indexed=c.indexed,
        )
        for c in columns
    ]


@router.post(
    "/sources/{source_id}/drafts",
    response_model=DraftCreated,
    status_code=201,
    summary="Draft a catalog resource from a table / 从数据表生成目录草稿",
)
def draft_from_table(
    source_id: IdPath,
    body: DraftFromTable,
    principal: Managing,
    session: SessionDep,
    settings: SettingsDep,
) -> DraftCreated:
    draft = sources.BindingDraft(
        source_id, body.table_name, body.key_field, body.subject_field, body.division_field
    )
    resource_id, binding = sources.draft_resource(
        session, principal, _key(settings), draft, body.name, body.summary
    )
    return DraftCreated(resource_id=resource_id, binding=BindingPublic.model_validate(binding))


@router.put(
    "/resources/{resource_id}/binding",
    response_model=BindingPublic,
    summary="Bind a resource to a source table / 资源挂接数据源",
)
def bind_resource(
    resource_id: IdPath,
    body: BindingCreate,
    principal: Managing,
    session: SessionDep,
    settings: SettingsDep,
) -> BindingPublic:
    draft = sources.BindingDraft(
        body.source_id, body.table_name, body.key_field, body.subject_field, body.division_field
    )
    binding = sources.bind_resource(session, principal, _key(settings), resource_id, draft)
    return BindingPublic.model_validate(binding)


@router.post(
    "/resources/{resource_id}/schema-check",
    response_model=list[str],
    summary="Compare a resource with its table / 检查资源与数据表是否一致",
)
def schema_check(
    resource_id: IdPath, principal: Managing, session: SessionDep, settings: SettingsDep
) -> list[str]:
    binding = sources.binding_for(session, resource_id)
    if binding is not None:
        source = sources.get_source(session, binding.source_id)
        sources.ensure_unit_admin(session, principal, source.unit_id, "resource.schema_check")
    return sources.check_schema(session, principal, _key(settings), resource_id)


# -- the gateway --------------------------------------------------------------------------


def _request(body: QueryIn) -> gateway.QueryRequest:
    return gateway.QueryRequest(
        resource_id=body.resource_id,
        items=body.items,
        purpose=body.purpose,
        filters=[Filter(f.field, f.op, f.value, f.low, f.high) for f in body.filters],
        order_by=[(o.field, o.desc) for o in body.order_by],
        limit=body.limit,
        after=body.after,
        format=body.format,
    )


@router.post(
    "/query",
    response_model=QueryOut,
    summary="Governed query / 受控数据调用",
    responses={200: {"content": {MEDIA_TYPES[f]: {} for f in OutputFormat}}},
)
def query(
    body: QueryIn,
    principal: Querying,
    session: SessionDep,
    settings: SettingsDep,
    http_request: Request,
) -> Response | QueryOut:
    request = _request(body)
    prepared = gateway.prepare(session, _key(settings), principal, request, china_today())
    if request.format == OutputFormat.JSON:
        page = gateway.run_page(session, _key(settings), prepared)
        return QueryOut(resource_id=body.resource_id, **page.__dict__)
    started = gateway.open_export(session, prepared)
    session.commit()  # the stream outlives this request's unit of work
    batches = gateway.stream_export(get_database(http_request), _key(settings), prepared, started)
    columns = list(request.items)
    extension = FILE_EXTENSIONS[request.format]
    return StreamingResponse(
        export_stream(request.format, columns, prepared.data_types, batches),
        media_type=MEDIA_TYPES[request.format],
        headers={
            "Content-Disposition": (
                f'attachment; filename="resource-{body.resource_id}.{extension}"'
            ),
            "X-Zhuyun-Basis": prepared.decision.basis,
            "X-Zhuyun-Masked": ",".join(sorted(prepared.decision.masked)),
        },
    )


# -- applications and grants --------------------------------------------------------------


@router.post(
    "/applications",
    response_model=ApplicationPublic,
    status_code=201,
    summary="Apply for a conditional resource / 提交共享申请",
)
def apply(
    body: ApplicationCreate,
    principal: Applying,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: Annotated[
        str,
        Header(
            min_length=8,
            max_length=100,
            description="A key of your own: the same key submits once / 幂等键，重复提交只受理一次",
        ),
    ],
) -> ApplicationPublic:
    draft = applications.ApplicationDraft(
        resource_id=body.resource_id,
        items=body.items,
        purpose=body.purpose,
        basis=body.basis,
        valid_until=body.valid_until,
        expected_daily_rows=body.expected_daily_rows,
        idempotency_key=idempotency_key,
    )
    application, created = applications.apply(
        session, principal, draft, china_today(), settings.review_working_days
    )
    if not created:
        response.status_code = 200
    return ApplicationPublic.model_validate(application)


@router.get(
    "/applications",
    response_model=Page[ApplicationPublic],
    summary="Applications to or from my unit / 共享申请",
)
def list_applications(
    principal: Applying,
    session: SessionDep,
    page: PageDep,
    box: Annotated[str, Query(pattern="^(inbox|outbox|escalated|all)$")] = "all",
    status: Annotated[str | None, Query(pattern="^(pending|approved|rejected|withdrawn)$")] = None,
) -> Page[ApplicationPublic]:
    applications.escalate_overdue(session, SYSTEM, china_today())
    rows, total = applications.list_applications(
        session, principal, applications.ApplicationQuery(box, status), page.offset, page.limit
    )
    return Page.of([ApplicationPublic.model_validate(a) for a in rows], total, page)


@router.get(
    "/applications/{application_id}",
    response_model=ApplicationPublic,
    summary="An application / 申请详情",
)
def get_application(
    application_id: IdPath, principal: Applying, session: SessionDep
) -> ApplicationPublic:
    application = applications.get_application(session, application_id)
    if not applications.can_see_application(principal, application):
        raise Forbidden("This application is not your unit's.", "该申请不属于本单位。")
    return ApplicationPublic.model_validate(application)


@router.post(
    "/applications/{application_id}/approve",
    response_model=GrantPublic,
    summary="Approve, issuing a grant / 批准并授权",
)
def approve(
    application_id: IdPath, body: ApprovalIn, principal: Reviewing, session: SessionDep
) -> GrantPublic:
    approval = applications.Approval(
        items=body.items,
        valid_until=body.valid_until,
        clear_items=body.clear_items,
        max_rows_per_query=body.max_rows_per_query,
        max_rows_per_day=body.max_rows_per_day,
        city_wide=body.city_wide,
        note=body.note,
    )
    grant = applications.approve(session, principal, application_id, approval)
    return GrantPublic.model_validate(grant)


@router.post(
    "/applications/{application_id}/reject",
    response_model=ApplicationPublic,
    summary="Reject with a reason / 驳回",
)
def reject(
    application_id: IdPath, body: ReasonIn, principal: Reviewing, session: SessionDep
) -> ApplicationPublic:
    application = applications.reject(session, principal, application_id, body.reason)
    return ApplicationPublic.model_validate(application)


@router.post(
    "/applications/{application_id}/withdraw",
    response_model=ApplicationPublic,
    summary="Withdraw my application / 撤回申请",
)
def withdraw(application_id: IdPath, principal: Applying, session: SessionDep) -> ApplicationPublic:
    return ApplicationPublic.model_validate(
        applications.withdraw(session, principal, application_id)
    )


@router.post(
    "/applications/escalate",
    response_model=list[ApplicationPublic],
    summary="Escalate overdue applications now / 立即上报超期申请",
)
def escalate(
    principal: Annotated[Principal, Allowed(Permission.EXCHANGE_COORDINATE)], session: SessionDep
) -> list[ApplicationPublic]:
    escalated = applications.escalate_overdue(session, principal.as_actor(), china_today())
    return [ApplicationPublic.model_validate(a) for a in escalated]


@router.get("/grants", response_model=Page[GrantPublic], summary="Grants / 共享授权")
def list_grants(
    principal: Querying,
    session: SessionDep,
    page: PageDep,
    resource_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> Page[GrantPublic]:
    rows, total = applications.list_grants(session, principal, resource_id, page.offset, page.limit)
    return Page.of([GrantPublic.model_validate(g) for g in rows], total, page)


@router.post(
    "/grants/{grant_id}/revoke", response_model=GrantPublic, summary="Revoke a grant / 撤销授权"
)
def revoke(
    grant_id: IdPath, body: ReasonIn, principal: Reviewing, session: SessionDep
) -> GrantPublic:
    return GrantPublic.model_validate(
        applications.revoke_grant(session, principal, grant_id, body.reason)
    )


# -- objections ---------------------------------------------------------------------------


@router.post(
    "/objections",
    response_model=ObjectionPublic,
    status_code=201,
    summary="Flag a wrong record / 提出数据疑义",
)
def raise_objection(
    body: ObjectionCreate, principal: Querying, session: SessionDep
) -> ObjectionPublic:
    draft = applications.ObjectionDraft(
        body.resource_id, body.record_key, body.field, body.description
    )
    return ObjectionPublic.model_validate(
        applications.raise_objection(session, principal, draft, china_today())
    )


@router.get("/objections", response_model=Page[ObjectionPublic], summary="Objections / 数据疑义")
def list_objections(
    principal: Querying, session: SessionDep, page: PageDep
) -> Page[ObjectionPublic]:
    rows, total = applications.list_objections(session, principal, page.offset, page.limit)
    return Page.of([ObjectionPublic.model_validate(o) for o in rows], total, page)


@router.post(
    "/objections/{objection_id}/resolve",
    response_model=ObjectionPublic,
    summary="Answer an objection / 答复数据疑义",
)
def resolve_objection(
    objection_id: IdPath, body: ObjectionResolve, principal: Reviewing, session: SessionDep
) -> ObjectionPublic:
    objection = applications.resolve_objection(
        session, principal, objection_id, body.accepted, body.resolution
    )
    return ObjectionPublic.model_validate(objection)


# -- who read what ------------------------------------------------------------------------


@router.get(
    "/resources/{resource_id}/access-log",
    response_model=Page[AccessLogEntry],
    summary="Every read of a resource / 资源访问日志",
)
def access_log(
    resource_id: IdPath,
    principal: Annotated[Principal, Allowed(Permission.CATALOG_READ)],
    session: SessionDep,
    page: PageDep,
) -> Page[AccessLogEntry]:
    provider = catalog.published_view(session, resource_id).provider_unit_id
    auditor = principal.can(Permission.EXCHANGE_AUDIT)
    if not (auditor or principal.has_role(Role.DATA_ADMIN, provider)):
        raise Forbidden(
            "Only the provider's data admins and auditors read a resource's access log.",
            "只有资源提供单位的数据管理员和审计人员可以查看访问日志。",
        )
    rows, total = list_entries(
        session,
        LedgerQuery(activity="exchange.", case_id=f"resource:{resource_id}"),
        page.offset,
        page.limit,
    )
    return Page(
        data=[
            AccessLogEntry(
                seq=e.seq,
                occurred_at=e.occurred_at,
                activity=e.activity,
                actor_name=e.actor_name,
                unit_id=e.unit_id,
                attrs=e.attrs,
            )
            for e in rows
        ],
        count=total,
        offset=page.offset,
        limit=page.limit,
    )


@router.get(
    "/my-access",
    response_model=Page[AccessPublic],
    summary="Who read my data / 谁查看了我的数据",
)
def my_access(
    principal: Caller, session: SessionDep, settings: SettingsDep, page: PageDep
) -> Page[AccessPublic]:
    if principal.kind != AccountKind.PERSON:
        raise Forbidden(
            "Only a natural person's account has data about them to look up.",
            "只有自然人账号可以查询谁查看了本人的数据。",
        )
    records, total = access.accesses_to(
        session, _key(settings), principal.username, page.offset, page.limit
    )
    names = identity.unit_names(session, (r.unit_id for r in records))
    resources = {r.resource_id: catalog.get_resource(session, r.resource_id).name for r in records}
    return Page(
        data=[
            AccessPublic(
                seq=r.seq,
                occurred_at=r.occurred_at,
                activity=r.activity,
                resource_id=r.resource_id,
                resource_name=resources[r.resource_id],
                unit_id=r.unit_id,
                unit_name=names.get(r.unit_id or 0, ""),
                purpose=r.purpose,
                items=r.items,
            )
            for r in records
        ],
        count=total,
        offset=page.offset,
        limit=page.limit,
    )


@router.get(
    "/statistics",
    response_model=list[UnitSharingPublic],
    summary="Sharing statistics per unit, last 30 days / 各单位共享统计",
)
def statistics(session: SessionDep, _: MaybeCaller) -> list[UnitSharingPublic]:
    stats = access.sharing_statistics(session, utcnow() - timedelta(days=30))
    names = identity.unit_names(session, (s.unit_id for s in stats))
    return [
        UnitSharingPublic(
            unit_id=s.unit_id,
            unit_name=names.get(s.unit_id, ""),
            queries=s.queries,
            rows=s.rows,
            refused=s.refused,
        )
        for s in stats
    ]
