"""How the changes of a resource are found, as its provider declares them.

A subscription reads "what changed since the watermark" as a keyset page of the resource's
own table: ordered by a column that grows with every change. Two kinds:

- `updated_at`: a modification time set on every insert and update; the binding's key breaks
  ties between rows changed at the same instant, so the watermark is (time, key). An updated
  row comes again as a new change. (A writer whose transaction commits with a time earlier
  than a watermark already passed is not seen: stamp the time at commit, or use `key`.)
- `key`: a key that only grows (an append-only table's sequence); only new rows are changes.

The column is compared in the source's own type: store times in one format.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuyun.core.db import utcnow
from zhuyun.core.errors import NotFound, Unprocessable
from zhuyun.core.ledger import Subject, record
from zhuyun.exchange.models import Binding, ChangeTracking
from zhuyun.exchange.service import sources
from zhuyun.exchange.service.connections import connector_for
from zhuyun.identity.permissions import Principal

__all__ = ["TrackingKind", "declare", "order_of", "tracking_for"]


class TrackingKind(StrEnum):
    UPDATED_AT = "updated_at"
    KEY = "key"


def tracking_for(session: Session, resource_id: int) -> ChangeTracking | None:
    return session.scalar(select(ChangeTracking).where(ChangeTracking.resource_id == resource_id))


def order_of(tracking: ChangeTracking, binding: Binding) -> list[tuple[str, bool]]:
    """The keyset order that walks the changes oldest first."""
    key = binding.key_field
    if tracking.kind == TrackingKind.UPDATED_AT and key and key != tracking.field:
        return [(tracking.field, False), (key, False)]
    return [(tracking.field, False)]


def declare(
    session: Session,
    principal: Principal,
    secret_key: str,
    resource_id: int,
    field: str,
    kind: TrackingKind,
) -> ChangeTracking:
    """Declare (or change) how a bound resource's changes are found; only the provider's
    data admins may. The column must exist in the bound table."""
    binding = sources.binding_for(session, resource_id)
    if binding is None:
        raise NotFound(
            f"Resource {resource_id} is not bound to a source.",
            f"资源 {resource_id} 尚未挂接数据源。",
            code="resource-not-bound",
        )
    source = sources.get_source(session, binding.source_id)
    sources.ensure_unit_admin(session, principal, source.unit_id, "resource.track_changes")
    if kind == TrackingKind.UPDATED_AT and not binding.key_field:
        raise Unprocessable(
            "An updated-at column needs the binding's key to break ties: bind a key first.",
            "按更新时间追踪变更须有挂接主键来区分同一时刻的变更：请先在挂接中指定主键。",
            code="bad-tracking",
        )
    columns = {c.name for c in connector_for(source, secret_key).columns(binding.table_name)}
    if field not in columns:
        raise Unprocessable(
            f"The table {binding.table_name} has no column {field}.",
            f"数据表 {binding.table_name} 没有字段 {field}。",
            code="bad-tracking",
        )
    tracking = tracking_for(session, resource_id)
    if tracking is None:
        tracking = ChangeTracking(resource_id=resource_id)
        session.add(tracking)
    tracking.field = field
    tracking.kind = kind.value
    tracking.declared_by = principal.account_ref
    tracking.declared_at = utcnow()
    session.flush()
    record(
        session,
        principal.as_actor(),
        "exchange.changes_tracked",
        Subject("resource", resource_id),
        {"field": field, "kind": kind.value},
    )
    return tracking
