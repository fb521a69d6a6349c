"""The city's side of publishing up (跨层级): a lower-level platform (a district's) registers
as a node — `zhuyun node init` with its peer node.toml, approved here like any node — and
the resources it published up are imported into this catalog, marked with their origin and
bound to `node://<peer>/catalog`. A query for one is decided by this platform's policy, then
routed to the district, which decides it again under its own and ledgers it there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhuyun.catalog import service as catalog
from zhuyun.core.errors import Conflict, Unprocessable
from zhuyun.core.ledger import Subject, record
from zhuyun.core.settings import Settings
from zhuyun.exchange.connectors import SourceConfig, SourceKind
from zhuyun.exchange.connectors.node import NodeConnector
from zhuyun.exchange.models import PeerResource, Source
from zhuyun.exchange.service import nodes, sources
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import Principal

__all__ = ["import_catalog", "list_peer_resources"]

CATALOG_SOURCE = "catalog"


def _peer_source(
    session: Session, principal: Principal, settings: Settings, node_name: str, unit_id: int
) -> Source:
    location = f"node://{node_name}/{CATALOG_SOURCE}"
    found = session.scalar(select(Source).where(Source.location == location))
    if found is not None:
        return found
    draft = sources.SourceDraft(f"{node_name} 共享目录", SourceKind.NODE, location, {}, None)
    return sources.register_source(
        session, principal, settings.secret_key.get_secret_value(), unit_id, draft
    )


def _draft(entry: dict[str, Any], unit_id: int, origin: str) -> catalog.ResourceDraft:
    try:
        return catalog.ResourceDraft(
            provider_unit_id=unit_id,
            name=str(entry["name"]),
            summary=f"来源：{origin}（下级平台发布的资源 {entry['code']}，数据留在下级平台）。",
            share_type=entry["share_type"],
            share_conditions=entry.get("share_conditions") or "",
            items=[
                catalog.ItemDraft(
                    field=item["field"],
                    name=item["name"],
                    data_type=item["data_type"],
                    share_type=item["share_type"],
                    sensitivity=item["sensitivity"],
                    mask_kind=item.get("mask_kind"),
                )
                for item in entry["items"]
            ],
        )
    except (ValidationError, KeyError, TypeError) as exc:
        raise Unprocessable(
            f"The peer's resource {entry.get('code')} cannot be described here: {exc}"[:500],
            f"下级平台的资源 {entry.get('code')} 无法在本目录中编目。",
            code="peer-resource-invalid",
        ) from None


def import_catalog(
    session: Session, principal: Principal, settings: Settings, node_id: int, unit_id: int
) -> list[PeerResource]:
    """Import what an approved peer platform publishes up into this catalog, as resources of
    `unit_id` (the unit of this platform that stands for the peer's government). Resources
    imported before are left as they are; returns those imported now."""
    node = nodes.get_node(session, node_id)
    if node.status != "approved":
        raise Conflict(f"Node {node.name} is not approved.", f"节点 {node.name} 尚未批准。",
                       code="node-not-approved")  # fmt: skip
    unit = identity.get_unit(session, unit_id)
    kid = nodes.platform_key(settings)[1]
    connector = NodeConnector(
        SourceConfig(SourceKind.NODE, f"node://{node.name}/{CATALOG_SOURCE}",
                     nodes.node_options(node, kid))
    )  # fmt: skip
    try:
        entries = connector.catalog()
    finally:
        connector.close()
    source = _peer_source(session, principal, settings, node.name, unit.id)
    known = set(
        session.scalars(
            select(PeerResource.remote_resource_id).where(PeerResource.node_id == node.id)
        )
    )
    origin = f"{node.unit}（{node.name}）"
    imported = []
    for entry in entries:
        if int(entry["resource_id"]) in known:
            continue
        resource = catalog.create_draft(
            session, principal.as_actor(), _draft(entry, unit.id, origin)
        )
        binding = sources.BindingDraft(source.id, str(entry["table"]), entry.get("key_field"))
        sources.bind_resource(
            session, principal, settings.secret_key.get_secret_value(), resource.id, binding
        )
        catalog.publish(session, principal.as_actor(), resource.id)
        peer = PeerResource(
            resource_id=resource.id,
            node_id=node.id,
            remote_resource_id=int(entry["resource_id"]),
            remote_code=str(entry["code"])[:100],
            origin=origin[:200],
        )
        session.add(peer)
        session.flush()
        record(
            session,
            principal.as_actor(),
            "exchange.peer_resource_imported",
            Subject("resource", resource.id),
            {"node": node.name, "remote_resource_id": peer.remote_resource_id,
             "remote_code": peer.remote_code},
        )  # fmt: skip
        imported.append(peer)
    return imported


def list_peer_resources(
    session: Session, offset: int, limit: int, resource_ids: Sequence[int] | None = None
) -> tuple[list[PeerResource], int]:
    """Resources of this catalog that come from lower-level platforms, with their origin."""
    query = select(PeerResource)
    if resource_ids is not None:
        query = query.where(PeerResource.resource_id.in_(resource_ids))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(PeerResource.id).offset(offset).limit(limit)).all()
    return list(rows), total
