"""JSON API of the hierarchy (跨层级): a district platform's data admins publish resources up;
the city platform's admin imports what a district published, marked with its origin."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from zhuyun.core.paging import Page, PageDep
from zhuyun.exchange.models import PeerResource, UpwardExport
from zhuyun.exchange.service import peers, upward
from zhuyun.identity.deps import Allowed, SessionDep, SettingsDep
from zhuyun.identity.permissions import Permission, Principal

router = APIRouter(prefix="/api/exchange", tags=["exchange 共享交换"])

IdPath = Annotated[int, PathParam(ge=1, le=2_147_483_647)]
Managing = Annotated[Principal, Allowed(Permission.SOURCES_MANAGE)]
NodesAdmin = Annotated[Principal, Allowed(Permission.NODES_MANAGE)]
Reader = Annotated[Principal, Allowed(Permission.CATALOG_READ)]


class UpwardPublic(BaseModel):
    resource_id: int
    published_at: datetime


class ImportIn(BaseModel):
    unit_id: int = Field(
        ge=1, le=2_147_483_647, description="The unit standing for the peer / 对应的本级单位"
    )


class PeerResourcePublic(BaseModel):
    resource_id: int
    node_id: int
    remote_resource_id: int
    remote_code: str
    origin: str
    imported_at: datetime


def _upward(export: UpwardExport) -> UpwardPublic:
    return UpwardPublic(resource_id=export.resource_id, published_at=export.published_at)


def _peer(row: PeerResource) -> PeerResourcePublic:
    return PeerResourcePublic.model_validate(row, from_attributes=True)


@router.put(
    "/upward/{resource_id}",
    response_model=UpwardPublic,
    summary="Publish a resource up to the upper platform / 向上级平台发布资源",
)
def publish_up(resource_id: IdPath, principal: Managing, session: SessionDep) -> UpwardPublic:
    return _upward(upward.publish_up(session, principal, resource_id))


@router.delete(
    "/upward/{resource_id}",
    status_code=204,
    summary="Stop publishing a resource up / 撤回向上级平台发布",
)
def withdraw_up(resource_id: IdPath, principal: Managing, session: SessionDep) -> Response:
    upward.withdraw_up(session, principal, resource_id)
    return Response(status_code=204)


@router.get(
    "/upward",
    response_model=Page[UpwardPublic],
    summary="Resources published up / 已向上级平台发布的资源",
)
def list_upward(_: Reader, session: SessionDep, page: PageDep) -> Page[UpwardPublic]:
    rows, total = upward.list_exports(session, page.offset, page.limit)
    return Page.of([_upward(r) for r in rows], total, page)


@router.post(
    "/nodes/{node_id}/import-catalog",
    response_model=list[PeerResourcePublic],
    summary="Import what a lower-level platform published up / 汇聚下级平台目录",
)
def import_catalog(
    node_id: IdPath, body: ImportIn, principal: NodesAdmin, session: SessionDep,
    settings: SettingsDep,
) -> list[PeerResourcePublic]:  # fmt: skip
    imported = peers.import_catalog(session, principal, settings, node_id, body.unit_id)
    return [_peer(r) for r in imported]


@router.get(
    "/peer-resources",
    response_model=Page[PeerResourcePublic],
    summary="Catalog resources from lower-level platforms / 来自下级平台的资源",
)
def list_peer_resources(_: Reader, session: SessionDep, page: PageDep) -> Page[PeerResourcePublic]:
    rows, total = peers.list_peer_resources(session, page.offset, page.limit)
    return Page.of([_peer(r) for r in rows], total, page)
