"""JSON API of department nodes (前置机): the platform admin registers, approves, checks and
revokes nodes; a node announces a new key signed by its current one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from zhuyun.core.paging import Page, PageDep
from zhuyun.exchange.models import ExchangeNode
from zhuyun.exchange.service import nodes
from zhuyun.identity.deps import Allowed, MaybeCaller, SessionDep, SettingsDep
from zhuyun.identity.permissions import Permission, Principal

router = APIRouter(prefix="/api/exchange/nodes", tags=["exchange 共享交换"])

IdPath = Annotated[int, PathParam(ge=1, le=2_147_483_647)]
Admin = Annotated[Principal, Allowed(Permission.NODES_MANAGE)]


class NodePublic(BaseModel):
    id: int
    name: str
    unit: str
    url: str
    public_key: str
    key_id: str
    status: str
    version: str | None
    health_ok: bool | None
    health_message: str | None
    latency_ms: float | None
    checked_at: datetime | None
    created_at: datetime
    approved_at: datetime | None
    revoked_at: datetime | None


class NodeApproved(BaseModel):
    node: NodePublic
    platform_key_id: str
    platform_public_key: str
    trust_command: str


class CodeIn(BaseModel):
    code: str = Field(min_length=10, max_length=4096)


class RevokeIn(BaseModel):
    reason: str = Field(min_length=2, max_length=500)


def node_public(node: ExchangeNode) -> NodePublic:
    return NodePublic.model_validate(node, from_attributes=True)


def approved(node: ExchangeNode, settings: SettingsDep) -> NodeApproved:
    kid, public = nodes.platform_public(settings)
    return NodeApproved(
        node=node_public(node),
        platform_key_id=kid,
        platform_public_key=public,
        trust_command=f"zhuyun node trust --config node.toml {public}",
    )


@router.get("")
def list_nodes(principal: Admin, session: SessionDep, page: PageDep) -> Page[NodePublic]:
    rows, total = nodes.list_nodes(session, page.offset, page.limit)
    return Page[NodePublic](
        data=[node_public(n) for n in rows], count=total, offset=page.offset, limit=page.limit
    )


@router.post("/register", status_code=201)
def register_node(body: CodeIn, caller: MaybeCaller, session: SessionDep) -> NodePublic:
    """A node's registration code (from `zhuyun node init`): the node waits for approval."""
    return node_public(nodes.register(session, body.code, caller))


@router.post("/approve")
def approve_code(
    body: CodeIn, principal: Admin, session: SessionDep, settings: SettingsDep
) -> NodeApproved:
    """Register and approve a node by its code in one step; answers the platform's key."""
    return approved(nodes.approve_code(session, principal, settings, body.code), settings)


@router.post("/rotate")
def rotate_key(
    body: CodeIn, caller: MaybeCaller, session: SessionDep, settings: SettingsDep
) -> NodeApproved:
    """A node's new key, announced signed by its current key: approved at once."""
    return approved(nodes.rotate(session, settings, body.code), settings)


@router.post("/{node_id}/approve")
def approve_node(
    node_id: IdPath, principal: Admin, session: SessionDep, settings: SettingsDep
) -> NodeApproved:
    return approved(nodes.approve(session, principal, settings, node_id), settings)


@router.post("/{node_id}/revoke")
def revoke_node(
    node_id: IdPath, body: RevokeIn, principal: Admin, session: SessionDep, settings: SettingsDep
) -> NodePublic:
    return node_public(nodes.revoke(session, principal, settings, node_id, body.reason))


@router.post("/{node_id}/check")
def check_node(
    node_id: IdPath, principal: Admin, session: SessionDep, settings: SettingsDep
) -> NodePublic:
    """Ask the node for its health now: status, version and latency are remembered."""
    return node_public(nodes.check_node(session, settings, node_id))
