"""JSON API of the catalog: thin routes that parse, call the service and render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, Field
from rdflib import Graph

from zhuyun.catalog import dcat, service
from zhuyun.catalog.classification import classification_tree
from zhuyun.catalog.facets import facet_counts
from zhuyun.catalog.schemas import (
    ChangePublic,
    ResourceBody,
    ResourceDraft,
    ResourcePublic,
    ResourceSummary,
    ResourceUpdate,
    SearchPage,
    VersionDetail,
    VersionPublic,
    Vocabularies,
)
from zhuyun.catalog.vocab import (
    BaseLibrary,
    OpenType,
    ResourceStatus,
    ShareType,
    vocabularies,
)
from zhuyun.core.paging import Page, PageDep
from zhuyun.identity import service as identity
from zhuyun.identity.deps import Allowed, MaybeCaller, SessionDep
from zhuyun.identity.permissions import Permission, Principal

router = APIRouter(prefix="/api/catalog", tags=["catalog 资源目录"])

IdPath = Annotated[int, PathParam(ge=1, le=2_147_483_647)]
Reader = Annotated[Principal, Allowed(Permission.CATALOG_READ)]
Manager = Annotated[Principal, Allowed(Permission.CATALOG_MANAGE)]
UnitQuery = Annotated[int | None, Query(ge=1, le=2_147_483_647)]
SearchText = Annotated[str, Query(max_length=100, description="检索词 / search words")]
ClassCode = Annotated[str | None, Query(pattern=r"^[1-3]$", description="类")]
DCAT_PAGE_MAX = 1000


class RetireRequest(BaseModel):
    reason: str = Field(default="", max_length=500)


@router.get(
    "/vocabularies",
    response_model=Vocabularies,
    summary="Vocabularies and classification / 代码表与分类",
)
def get_vocabularies(principal: Reader) -> Vocabularies:
    return Vocabularies(vocabularies=vocabularies(), classification=classification_tree())


@router.get(
    "/resources",
    response_model=SearchPage,
    summary="Search the published catalog / 检索资源目录",
)
def search_resources(
    principal: Reader,
    session: SessionDep,
    page: PageDep,
    q: SearchText = "",
    share_type: Annotated[ShareType | None, Query()] = None,
    open_type: Annotated[OpenType | None, Query()] = None,
    base_library: Annotated[BaseLibrary | None, Query()] = None,
    provider_unit_id: UnitQuery = None,
    class_code: ClassCode = None,
) -> SearchPage:
    facets = service.Facets(
        share_type=share_type.value if share_type else None,
        open_type=open_type.value if open_type else None,
        base_library=base_library.value if base_library else None,
        provider_unit_id=provider_unit_id,
        class_code=class_code,
    )
    result = service.search(session, q, facets, page.offset, page.limit)
    return SearchPage(
        data=[service.summary_of_hit(hit) for hit in result.hits],
        count=result.total,
        offset=page.offset,
        limit=page.limit,
        facets=facet_counts(result),
    )


@router.get(
    "/worklist",
    response_model=Page[ResourceSummary],
    summary="Resources of the units I catalogue, in any status / 本单位编目工作台",
)
def worklist(
    principal: Manager,
    session: SessionDep,
    page: PageDep,
    provider_unit_id: UnitQuery = None,
    status: Annotated[ResourceStatus | None, Query()] = None,
    stale: Annotated[bool | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[ResourceSummary]:
    unit_id = provider_unit_id if provider_unit_id is not None else service.home_unit(principal)
    if unit_id is not None:
        service.ensure_may_manage(session, principal, unit_id, "list")
    rows, total = service.list_resources(
        session,
        provider_unit_id=unit_id,
        status=status,
        stale=stale,
        query=q,
        offset=page.offset,
        limit=page.limit,
    )
    names = identity.unit_names(session, (r.provider_unit_id for r in rows))
    return Page.of(
        [service.summary_of_resource(r, names[r.provider_unit_id]) for r in rows], total, page
    )


@router.post(
    "/resources",
    status_code=201,
    response_model=ResourcePublic,
    summary="Draft a resource / 新建资源草稿",
)
def create_resource(body: ResourceDraft, principal: Manager, session: SessionDep) -> ResourcePublic:
    service.ensure_may_manage(session, principal, body.provider_unit_id, "draft")
    resource = service.create_draft(session, principal.as_actor(), body)
    return service.resource_public(session, principal, resource.id)


@router.get(
    "/resources/{resource_id}",
    response_model=ResourcePublic,
    summary="One resource with its info items / 资源详情",
)
def get_resource(resource_id: IdPath, principal: Reader, session: SessionDep) -> ResourcePublic:
    return service.resource_public(session, principal, resource_id)


def _managed(session: SessionDep, principal: Principal, resource_id: int, action: str) -> None:
    resource = service.get_resource(session, resource_id)
    service.ensure_may_manage(session, principal, resource.provider_unit_id, action, resource_id)


@router.patch(
    "/resources/{resource_id}",
    response_model=ResourcePublic,
    summary="Change a resource's working copy / 修改资源（草稿）",
)
def update_resource(
    resource_id: IdPath, body: ResourceUpdate, principal: Manager, session: SessionDep
) -> ResourcePublic:
    _managed(session, principal, resource_id, "update")
    service.update_draft(session, principal.as_actor(), resource_id, body)
    return service.resource_public(session, principal, resource_id)


@router.post(
    "/resources/{resource_id}/publish",
    response_model=ResourcePublic,
    summary="Publish the working copy as a new version / 发布",
)
def publish_resource(
    resource_id: IdPath, principal: Manager, session: SessionDep
) -> ResourcePublic:
    _managed(session, principal, resource_id, "publish")
    service.publish(session, principal.as_actor(), resource_id)
    return service.resource_public(session, principal, resource_id)


@router.post(
    "/resources/{resource_id}/retire",
    response_model=ResourcePublic,
    summary="Retire a resource / 撤销资源",
)
def retire_resource(
    resource_id: IdPath,
    principal: Manager,
    session: SessionDep,
    body: RetireRequest | None = None,
) -> ResourcePublic:
    _managed(session, principal, resource_id, "retire")
    service.retire(session, principal.as_actor(), resource_id, body.reason if body else "")
    return service.resource_public(session, principal, resource_id)


def _version_public(row: service.ResourceVersion) -> VersionPublic:
    return VersionPublic(
        version=row.version,
        is_current=row.is_current,
        published_at=row.published_at,
        published_by=row.published_by,
        changes=[ChangePublic.model_validate(c) for c in row.changes],
    )


@router.get(
    "/resources/{resource_id}/versions",
    response_model=Page[VersionPublic],
    summary="Published versions and what changed / 版本与变更",
)
def list_versions(
    resource_id: IdPath, principal: Reader, session: SessionDep, page: PageDep
) -> Page[VersionPublic]:
    service.ensure_visible(session, principal, resource_id)
    rows, total = service.list_versions(session, resource_id, page.offset, page.limit)
    return Page.of([_version_public(r) for r in rows], total, page)


@router.get(
    "/resources/{resource_id}/versions/{version}",
    response_model=VersionDetail,
    summary="One published version as it was / 历史版本",
)
def get_version(
    resource_id: IdPath,
    version: Annotated[int, PathParam(ge=1, le=1_000_000)],
    principal: Reader,
    session: SessionDep,
) -> VersionDetail:
    service.ensure_visible(session, principal, resource_id)
    row = service.get_version(session, resource_id, version)
    return VersionDetail(
        **_version_public(row).model_dump(), resource=ResourceBody.model_validate(row.snapshot)
    )


def _dcat(
    request: Request,
    principal: Principal | None,
    session: SessionDep,
    offset: int,
    limit: int,
    suffix: str,
) -> Graph:
    staff = principal is not None and principal.can(Permission.CATALOG_READ)
    rows, total = service.current_versions(
        session,
        open_types=None if staff else dcat.PUBLIC_OPEN_TYPES,
        offset=offset,
        limit=limit,
    )
    base = str(request.base_url).rstrip("/")
    path = f"{base}/api/catalog/dcat.{suffix}"

    def link(start: int) -> str:
        return f"{path}?offset={start}&limit={limit}"

    cities, _ = identity.list_units(session, kind="city", limit=1)
    city = cities[0].name if cities else ""
    return dcat.catalog_graph(
        base,
        f"{city}政务信息资源目录",
        rows,
        service.first_published(session, [r.resource_id for r in rows]),
        dcat.Audience(staff=staff),
        dcat.PageLinks(
            this=link(offset),
            total=total,
            next=link(offset + limit) if offset + limit < total else None,
            prev=link(max(0, offset - limit)) if offset > 0 else None,
        ),
    )


DcatOffset = Annotated[int, Query(ge=0, le=10_000_000)]
DcatLimit = Annotated[int, Query(ge=1, le=DCAT_PAGE_MAX)]


@router.get(
    "/dcat.ttl",
    response_class=Response,
    responses={200: {"content": {"text/turtle": {}}}},
    summary="The published catalog as DCAT (Turtle) / DCAT 目录（Turtle）",
)
def dcat_turtle(
    request: Request,
    principal: MaybeCaller,
    session: SessionDep,
    offset: DcatOffset = 0,
    limit: DcatLimit = DCAT_PAGE_MAX,
) -> Response:
    graph = _dcat(request, principal, session, offset, limit, "ttl")
    return Response(dcat.to_turtle(graph), media_type="text/turtle; charset=utf-8")


@router.get(
    "/dcat.jsonld",
    response_class=Response,
    responses={200: {"content": {"application/ld+json": {}}}},
    summary="The published catalog as DCAT (JSON-LD) / DCAT 目录（JSON-LD）",
)
def dcat_jsonld(
    request: Request,
    principal: MaybeCaller,
    session: SessionDep,
    offset: DcatOffset = 0,
    limit: DcatLimit = DCAT_PAGE_MAX,
) -> Response:
    graph = _dcat(request, principal, session, offset, limit, "jsonld")
    return Response(dcat.to_jsonld(graph), media_type="application/ld+json")
