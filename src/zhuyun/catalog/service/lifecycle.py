"""Publishing, retiring and marking resources stale; every published version is kept."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhuyun.catalog import search
from zhuyun.catalog.diff import diff
from zhuyun.catalog.models import Resource, ResourceVersion
from zhuyun.catalog.service.common import get_resource, invalid, not_found, subject
from zhuyun.catalog.service.rules import completeness_issues, consistency_issues
from zhuyun.catalog.service.snapshots import draft_of, working_snapshot
from zhuyun.catalog.vocab import ResourceStatus
from zhuyun.core.db import utcnow
from zhuyun.core.errors import Conflict, NotFound, Unprocessable
from zhuyun.core.ledger import Actor, record
from zhuyun.identity.service import get_unit

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _retired() -> Conflict:
    return Conflict(
        "The resource is retired; it can no longer be changed or published.",
        "该资源已撤销，不能再修改或发布。",
        code="retired",
    )


def latest_version(session: Session, resource_id: int) -> ResourceVersion | None:
    """The newest published version, current or (for a retired resource) not."""
    return session.scalar(
        select(ResourceVersion)
        .where(ResourceVersion.resource_id == resource_id)
        .order_by(ResourceVersion.version.desc())
        .limit(1)
    )


def publish(session: Session, actor: Actor, resource_id: int) -> Resource:
    """Publish the working copy as the next version: checked complete, snapshotted with what
    changed since the last version, indexed for search. Clears a stale mark."""
    resource = get_resource(session, resource_id)
    if resource.status == ResourceStatus.RETIRED.value:
        raise _retired()
    if resource.version > 0 and not resource.has_unpublished_changes and not resource.stale:
        raise Conflict(
            "Nothing to publish: the working copy is the published version.",
            "没有需要发布的修改：当前内容即为已发布版本。",
            code="nothing-to-publish",
        )
    draft = draft_of(resource)
    issues = [*consistency_issues(session, draft, resource.code), *completeness_issues(draft)]
    if issues:
        raise invalid(issues, code="incomplete-resource")
    provider = get_unit(session, resource.provider_unit_id)
    snapshot = working_snapshot(resource, provider.name)
    previous = latest_version(session, resource.id)
    changes = diff(previous.snapshot, snapshot) if previous else []
    if previous is not None:
        previous.is_current = False
    now = utcnow()
    number = resource.version + 1
    session.add(
        ResourceVersion(
            resource_id=resource.id,
            version=number,
            is_current=True,
            code=resource.code,
            name=resource.name,
            provider_unit_id=resource.provider_unit_id,
            provider_name=provider.name,
            class_code=resource.class_code,
            share_type=resource.share_type,
            open_type=resource.open_type,
            base_library=resource.base_library,
            item_count=len(resource.items),
            published_at=now,
            published_by=actor.name,
            snapshot=snapshot,
            changes=changes,
        )
    )
    was_stale = resource.stale
    resource.version = number
    resource.status = ResourceStatus.PUBLISHED.value
    resource.has_unpublished_changes = False
    resource.publish_date = now.astimezone(SHANGHAI).date()  # 发布日期, local
    resource.stale, resource.stale_reason, resource.stale_since = False, "", None
    resource.updated_at = now
    session.flush()
    terms = search.index_version(session, resource.id, snapshot)
    record(
        session,
        actor,
        "catalog.published",
        subject(resource.id),
        {
            "code": resource.code,
            "version": number,
            "items": len(resource.items),
            "share_type": resource.share_type,
            "open_type": resource.open_type,
            "changed": [c["field"] for c in changes][:50],
            "stale_cleared": was_stale,
            "terms": terms,
        },
    )
    return resource


def retire(session: Session, actor: Actor, resource_id: int, reason: str = "") -> Resource:
    """Withdraw a resource from the catalog for good; its versions stay readable."""
    resource = get_resource(session, resource_id)
    if resource.status == ResourceStatus.RETIRED.value:
        raise _retired()
    current = latest_version(session, resource.id)
    if current is not None:
        current.is_current = False
    resource.status = ResourceStatus.RETIRED.value
    resource.retired_at = resource.updated_at = utcnow()
    search.drop_index(session, resource.id)
    record(
        session,
        actor,
        "catalog.retired",
        subject(resource.id),
        {"code": resource.code, "version": resource.version, "reason": reason.strip()[:500]},
    )
    return resource


def mark_stale(session: Session, actor: Actor, resource_id: int, reason: str) -> Resource:
    """Flag a resource whose source no longer matches its items (set by the exchange) or
    whose provider's functions changed; it stays published until its provider acts."""
    reason = reason.strip()
    if not reason or len(reason) > 1000:
        raise Unprocessable(
            "Say in at most 1,000 characters why the resource is out of date.",
            "请用不超过 1000 字说明资源过期的原因。",
            code="invalid-stale-reason",
        )
    resource = get_resource(session, resource_id)
    if resource.stale and resource.stale_reason == reason:
        return resource
    resource.stale, resource.stale_reason, resource.stale_since = True, reason, utcnow()
    record(session, actor, "catalog.marked_stale", subject(resource.id), {"reason": reason})
    return resource


def clear_stale(session: Session, actor: Actor, resource_id: int) -> Resource:
    """Lift the stale mark (e.g. the source matches again)."""
    resource = get_resource(session, resource_id)
    if not resource.stale:
        return resource
    reason = resource.stale_reason
    resource.stale, resource.stale_reason, resource.stale_since = False, "", None
    record(session, actor, "catalog.stale_cleared", subject(resource.id), {"reason": reason})
    return resource


def list_versions(
    session: Session, resource_id: int, offset: int = 0, limit: int = 50
) -> tuple[Sequence[ResourceVersion], int]:
    """A resource's published versions, newest first."""
    where = ResourceVersion.resource_id == resource_id
    total = session.scalar(select(func.count()).select_from(ResourceVersion).where(where)) or 0
    rows = session.scalars(
        select(ResourceVersion)
        .where(where)
        .order_by(ResourceVersion.version.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return rows, total


def get_version(session: Session, resource_id: int, version: int) -> ResourceVersion:
    row = session.scalar(
        select(ResourceVersion).where(
            ResourceVersion.resource_id == resource_id, ResourceVersion.version == version
        )
    )
    if row is None:
        if session.get(Resource, resource_id) is None:
            raise not_found(resource_id)
        raise NotFound(
            f"Resource {resource_id} has no version {version}.",
            f"资源 {resource_id} 没有第 {version} 版。",
            code="version-not-found",
        )
    return row
