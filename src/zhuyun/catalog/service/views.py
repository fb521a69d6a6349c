"""Reading the catalog: the published view the gateway works from, a resource as its reader
may see it, lists of working copies for their providers, and the current versions."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import ColumnElement, Engine, Integer, Select, bindparam, func, or_, select, true
from sqlalchemy.orm import Session

from zhuyun.catalog.models import Resource, ResourceVersion
from zhuyun.catalog.schemas import ResourceBody, ResourcePublic, ResourceSummary
from zhuyun.catalog.search import SearchHit
from zhuyun.catalog.service.common import get_resource, may_manage, not_found
from zhuyun.catalog.service.lifecycle import SHANGHAI, latest_version
from zhuyun.catalog.service.snapshots import working_snapshot
from zhuyun.catalog.vocab import (
    DataType,
    OpenType,
    ResourceStatus,
    Sensitivity,
    ShareType,
)
from zhuyun.core.errors import NotFound
from zhuyun.core.masking import MaskKind
from zhuyun.identity.permissions import Principal
from zhuyun.identity.service import get_unit


@dataclass(frozen=True)
class ItemView:
    """An info item as published: what the gateway checks a query's items against."""

    field: str
    name: str
    data_type: DataType
    share_type: ShareType
    sensitivity: Sensitivity
    mask_kind: MaskKind | None


@dataclass(frozen=True)
class PublishedResource:
    """A resource's latest published version, read-only. `status` is the resource's own
    (published, or retired after publication); `stale` says its source no longer matches."""

    id: int
    code: str
    name: str
    provider_unit_id: int
    share_type: ShareType
    open_type: OpenType
    status: ResourceStatus
    version: int
    items: Mapping[str, ItemView]
    stale: bool = False
    stale_reason: str = ""
    share_conditions: str = ""
    legal_basis: str = ""
    related_codes: tuple[str, ...] = field(default_factory=tuple)


def _not_published(resource_id: int) -> NotFound:
    return NotFound(
        f"Catalog resource {resource_id} has not been published.",
        f"目录资源 {resource_id} 尚未发布。",
        code="resource-not-published",
    )


@dataclass(frozen=True)
class _Body:
    """What a published version says, parsed once: a version's snapshot never changes."""

    code: str
    name: str
    provider_unit_id: int
    share_type: ShareType
    open_type: OpenType
    items: Mapping[str, ItemView]
    share_conditions: str
    legal_basis: str
    related_codes: tuple[str, ...]


_BODY_CACHE_SIZE = 4096
_bodies_lock = threading.Lock()
# Per engine (so two databases in one process never share an entry), keyed by the version
# row itself: (resource id, version row id, version number, published at).
_bodies: weakref.WeakKeyDictionary[Engine, OrderedDict[tuple[Any, ...], _Body]] = (
    weakref.WeakKeyDictionary()
)


def _parse_body(snapshot: Mapping[str, Any]) -> _Body:
    body = ResourceBody.model_validate(snapshot)
    items = {
        item.field: ItemView(
            field=item.field,
            name=item.name,
            data_type=DataType(item.data_type),
            share_type=ShareType(item.share_type),
            sensitivity=Sensitivity(item.sensitivity),
            mask_kind=MaskKind(item.mask_kind) if item.mask_kind else None,
        )
        for item in body.items
    }
    return _Body(
        code=body.code,
        name=body.name,
        provider_unit_id=body.provider_unit_id,
        share_type=ShareType(body.share_type),
        open_type=OpenType(body.open_type),
        items=MappingProxyType(items),
        share_conditions=body.share_conditions,
        legal_basis=body.legal_basis,
        related_codes=tuple(body.related_codes),
    )


def _cached_body(session: Session, key: tuple[Any, ...]) -> _Body:
    engine = session.get_bind().engine
    with _bodies_lock:
        cache = _bodies.get(engine)
        body = cache.get(key) if cache is not None else None
        if body is not None:
            cache.move_to_end(key)  # type: ignore[union-attr]
            return body
    snapshot = session.scalar(select(ResourceVersion.snapshot).where(ResourceVersion.id == key[1]))
    assert snapshot is not None
    body = _parse_body(snapshot)
    with _bodies_lock:
        cache = _bodies.setdefault(engine, OrderedDict())
        cache[key] = body
        while len(cache) > _BODY_CACHE_SIZE:
            cache.popitem(last=False)
    return body


def _published_row_statement() -> Select[Any]:
    """The resource's own state and its latest version, for any resource: built once (the
    statement is the same for every call; only its parameter changes)."""
    wanted = bindparam("resource_id", type_=Integer)
    latest = (
        select(ResourceVersion.id, ResourceVersion.version, ResourceVersion.published_at)
        .where(ResourceVersion.resource_id == wanted)
        .order_by(ResourceVersion.version.desc())
        .limit(1)
        .subquery()
    )
    return (
        select(
            Resource.id,
            Resource.status,
            Resource.stale,
            Resource.stale_reason,
            latest.c.id,
            latest.c.version,
            latest.c.published_at,
        )
        .outerjoin(latest, true())
        .where(Resource.id == wanted)
    )


_PUBLISHED_ROW = _published_row_statement()


def published_view(session: Session, resource_id: int) -> PublishedResource:
    """The latest published version of a resource; 404 when it was never published.

    One query per call: the resource's own state (status, stale mark) and which version is
    the latest are always read; the version's snapshot, which never changes once
    published, is parsed once per process and version."""
    row = session.connection().execute(_PUBLISHED_ROW, {"resource_id": resource_id}).first()
    if row is None:
        raise not_found(resource_id)
    rid, status, stale, stale_reason, version_id, version, published_at = row
    if version_id is None:
        raise _not_published(resource_id)
    body = _cached_body(session, (rid, version_id, version, published_at))
    return PublishedResource(
        id=rid,
        code=body.code,
        name=body.name,
        provider_unit_id=body.provider_unit_id,
        share_type=body.share_type,
        open_type=body.open_type,
        status=ResourceStatus(status),
        version=version,
        items=body.items,
        stale=bool(stale),
        stale_reason=stale_reason,
        share_conditions=body.share_conditions,
        legal_basis=body.legal_basis,
        related_codes=body.related_codes,
    )


def resource_public(
    session: Session, principal: Principal | None, resource_id: int
) -> ResourcePublic:
    """A resource as `principal` may see it: its managers get the working copy, everyone
    else the latest published version (a never-published draft does not exist for them)."""
    resource = get_resource(session, resource_id)
    lifecycle = {
        "id": resource.id,
        "status": resource.status,
        "version": resource.version,
        "has_unpublished_changes": resource.has_unpublished_changes,
        "publish_date": resource.publish_date,
        "stale": resource.stale,
        "stale_reason": resource.stale_reason,
        "stale_since": resource.stale_since,
        "updated_at": resource.updated_at,
    }
    if may_manage(principal, resource.provider_unit_id):
        provider = get_unit(session, resource.provider_unit_id).name
        body = working_snapshot(resource, provider)
        return ResourcePublic.model_validate({**body, **lifecycle, "view": "working"})
    version = latest_version(session, resource_id)
    if version is None:
        raise NotFound(
            f"Catalog resource {resource_id} does not exist.",
            f"目录资源 {resource_id} 不存在。",
            code="resource-not-found",
        )
    return ResourcePublic.model_validate({**version.snapshot, **lifecycle, "view": "published"})


def list_resources(
    session: Session,
    *,
    provider_unit_id: int | None = None,
    status: ResourceStatus | None = None,
    stale: bool | None = None,
    query: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[Sequence[Resource], int]:
    """Working copies, for their providers' worklist: by unit, status, stale mark, or a
    fragment of the name or code."""
    conditions: list[ColumnElement[bool]] = []
    if provider_unit_id is not None:
        conditions.append(Resource.provider_unit_id == provider_unit_id)
    if status is not None:
        conditions.append(Resource.status == status.value)
    if stale is not None:
        conditions.append(Resource.stale.is_(stale))
    if query:
        conditions.append(
            or_(
                Resource.name.contains(query, autoescape=True),
                Resource.code.startswith(query, autoescape=True),
            )
        )
    total = session.scalar(select(func.count()).select_from(Resource).where(*conditions)) or 0
    rows = session.scalars(
        select(Resource)
        .where(*conditions)
        .order_by(Resource.updated_at.desc(), Resource.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return rows, total


def current_versions(
    session: Session,
    *,
    open_types: Sequence[OpenType] | None = None,
    offset: int = 0,
    limit: int = 500,
) -> tuple[Sequence[ResourceVersion], int]:
    """The published catalog as it stands (no retired resources), in code order."""
    conditions: list[ColumnElement[bool]] = [ResourceVersion.is_current.is_(True)]
    if open_types is not None:
        conditions.append(ResourceVersion.open_type.in_([t.value for t in open_types]))
    total = (
        session.scalar(select(func.count()).select_from(ResourceVersion).where(*conditions)) or 0
    )
    rows = session.scalars(
        select(ResourceVersion)
        .where(*conditions)
        .order_by(ResourceVersion.code)
        .offset(offset)
        .limit(limit)
    ).all()
    return rows, total


def count_by_status(session: Session) -> dict[str, int]:
    """How many resources are in each status, for dashboards."""
    rows = session.execute(select(Resource.status, func.count()).group_by(Resource.status)).all()
    return {status: n for status, n in rows}


def first_published(session: Session, resource_ids: Sequence[int]) -> dict[int, datetime]:
    """When each resource was first published (its version 1)."""
    if not resource_ids:
        return {}
    rows = session.execute(
        select(ResourceVersion.resource_id, func.min(ResourceVersion.published_at))
        .where(ResourceVersion.resource_id.in_(resource_ids))
        .group_by(ResourceVersion.resource_id)
    ).all()
    return {resource_id: moment for resource_id, moment in rows}


def ensure_visible(session: Session, principal: Principal | None, resource_id: int) -> Resource:
    """The resource, if `principal` may know it exists: published once, or theirs to manage."""
    resource = get_resource(session, resource_id)
    if resource.version == 0 and not may_manage(principal, resource.provider_unit_id):
        raise not_found(resource_id)
    return resource


def summary_of_resource(resource: Resource, provider_name: str) -> ResourceSummary:
    """A working copy as a list row."""
    return ResourceSummary(
        id=resource.id,
        code=resource.code,
        name=resource.name,
        provider_unit_id=resource.provider_unit_id,
        provider_name=provider_name,
        class_code=resource.class_code,
        share_type=resource.share_type,
        open_type=resource.open_type,
        base_library=resource.base_library,
        item_count=len(resource.items),
        status=resource.status,
        version=resource.version,
        stale=resource.stale,
        publish_date=resource.publish_date,
    )


def summary_of_hit(hit: SearchHit) -> ResourceSummary:
    """A search hit (a current published version) as a list row."""
    v = hit.version
    return ResourceSummary(
        id=v.resource_id,
        code=v.code,
        name=v.name,
        provider_unit_id=v.provider_unit_id,
        provider_name=v.provider_name,
        class_code=v.class_code,
        share_type=v.share_type,
        open_type=v.open_type,
        base_library=v.base_library,
        item_count=v.item_count,
        status=ResourceStatus.PUBLISHED.value,
        version=v.version,
        stale=hit.stale,
        publish_date=v.published_at.astimezone(SHANGHAI).date(),
    )
