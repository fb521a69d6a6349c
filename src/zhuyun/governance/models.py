"""Governance tables: the region polygons (city, districts, streets, communities), the grids
that tessellate the communities, who works each grid, and a revision counter that tells every
process when its point-in-grid index is stale.

Geometry is stored as GeoJSON text in WGS-84 (longitude, latitude): the same on SQLite and
PostgreSQL, no PostGIS needed; shapely reads it back (`shapely.from_geojson`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhuyun.core.db import Base, JSONType, UTCDateTime, utcnow


class Region(Base):
    """The polygon of a division: the city's outline, a district, a street or a community."""

    __tablename__ = "governance_regions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    level: Mapped[str] = mapped_column(String(10), index=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_code: Mapped[str] = mapped_column(String(12), index=True)
    geometry: Mapped[str] = mapped_column(Text)
    centroid_lng: Mapped[float] = mapped_column(Float)
    centroid_lat: Mapped[float] = mapped_column(Float)
    area_m2: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Grid(Base):
    """A grid (网格): the smallest unit of grid governance, inside one community.

    Its code is the community's 12-digit code and a 3-digit sequence."""

    __tablename__ = "governance_grids"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(15), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    community_code: Mapped[str] = mapped_column(String(12), index=True)
    street_code: Mapped[str] = mapped_column(String(9), index=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    geometry: Mapped[str] = mapped_column(Text)
    centroid_lng: Mapped[float] = mapped_column(Float)
    centroid_lat: Mapped[float] = mapped_column(Float)
    area_m2: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GridWorker(Base):
    """A grid worker (网格员: a staff account holding the grid_worker role) assigned to a grid."""

    __tablename__ = "governance_grid_workers"
    __table_args__ = (
        UniqueConstraint("grid_id", "account_id", name="uq_governance_grid_workers_assignment"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_id: Mapped[int] = mapped_column(
        ForeignKey("governance_grids.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GridsRevision(Base):
    """One row: bumped in the same transaction as any change of grids or regions, so every
    process rebuilds its point-in-grid index when (and only when) the grids changed."""

    __tablename__ = "governance_grids_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- work orders (事件/工单): GB/T 30428 collect → register → dispatch → handle → report back
# → verify → close → evaluate; see docs/governance.md


class WorkOrder(Base):
    """A work order from any channel (12345 hotline, grid patrol, citizen app, Open311)."""

    __tablename__ = "governance_workorders"
    __table_args__ = (
        UniqueConstraint(
            "idempotency_scope", "idempotency_key", name="uq_governance_workorders_idempotency"
        ),
        Index("ix_governance_workorders_dedupe", "category", "grid_code", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(10), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    caller_name: Mapped[str | None] = mapped_column(String(100))
    caller_phone: Mapped[str | None] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(30), index=True)
    category_source: Mapped[str] = mapped_column(String(12))
    confidence: Mapped[float | None] = mapped_column(Float)
    urgency: Mapped[str] = mapped_column(String(10))
    lng: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300))
    grid_code: Mapped[str | None] = mapped_column(String(15), index=True)
    street_code: Mapped[str | None] = mapped_column(String(9))
    district_code: Mapped[str | None] = mapped_column(String(6), index=True)
    status: Mapped[str] = mapped_column(String(12), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("governance_workorders.id"), index=True
    )
    merged_count: Mapped[int] = mapped_column(Integer, default=0)
    service_code: Mapped[str | None] = mapped_column(String(30))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    photos: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    idempotency_scope: Mapped[str | None] = mapped_column(String(40))
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    closed_late: Mapped[bool | None] = mapped_column()
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(String(500))


class WorkOrderEvent(Base):
    """One step of an order's timeline: its status before and after, who, when, a note."""

    __tablename__ = "governance_workorder_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("governance_workorders.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    activity: Mapped[str] = mapped_column(String(40))
    status_from: Mapped[str | None] = mapped_column(String(12))
    status_to: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(1000))


class AssistTask(Base):
    """A collaborating organisation (协同单位) asked to assist with an order."""

    __tablename__ = "governance_assist_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("governance_workorders.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Escalation(Base):
    """An overdue order escalated: level 1 to its unit's leaders, 2 to the command centre."""

    __tablename__ = "governance_escalations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("governance_workorders.id", ondelete="CASCADE"), index=True
    )
    level: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    overdue_hours: Mapped[float] = mapped_column(Float)


class DutyRule(Base):
    """The duty matrix (责任清单): category × jurisdiction (the city `520100`, a district or
    a street code) → the responsible unit; the most specific rule wins."""

    __tablename__ = "governance_duty_rules"
    __table_args__ = (
        UniqueConstraint("category", "division_code", name="uq_governance_duty_rules_cell"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(30))
    division_code: Mapped[str] = mapped_column(String(12))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    assist_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))


class CategoryCorrection(Base):
    """A handler corrected an order's category: the classifier trains on it."""

    __tablename__ = "governance_category_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("governance_workorders.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    old_category: Mapped[str] = mapped_column(String(30))
    new_category: Mapped[str] = mapped_column(String(30))
    account_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Open311Key(Base):
    """An Open311 api_key: `o311_<prefix>_<secret>`, stored as an HMAC under the secret key."""

    __tablename__ = "governance_open311_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WorkOrderPhoto(Base):
    """A photo of an order (a grid worker's patrol report, a unit's report back): checked as an
    image, re-encoded without EXIF, stored on disk under the data dir by its SHA-256."""

    __tablename__ = "governance_workorder_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("governance_workorders.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("governance_workorder_events.id", ondelete="SET NULL")
    )
    sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(20))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- the supply-demand board (社群通): community needs and offers, matched by category and
# distance; see service/board.py


class BoardPost(Base):
    """A need (需求) of a community or resident, or an offer (服务) of a volunteer, an
    enterprise or a collaborating organisation, at a place and for a time window."""

    __tablename__ = "governance_board_posts"
    __table_args__ = (
        UniqueConstraint(
            "idempotency_scope", "idempotency_key", name="uq_governance_board_posts_idempotency"
        ),
        Index("ix_governance_board_posts_open", "kind", "category", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(6))
    category: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    poster_type: Mapped[str] = mapped_column(String(12))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    lng: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300))
    grid_code: Mapped[str | None] = mapped_column(String(15))
    district_code: Mapped[str | None] = mapped_column(String(6), index=True)
    radius_m: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    matched_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10))
    idempotency_scope: Mapped[str | None] = mapped_column(String(40))
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BoardMatch(Base):
    """A need matched with an offer: proposed by one side, confirmed by both."""

    __tablename__ = "governance_board_matches"
    __table_args__ = (
        UniqueConstraint("need_id", "offer_id", name="uq_governance_board_matches_pair"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    need_id: Mapped[int] = mapped_column(
        ForeignKey("governance_board_posts.id", ondelete="CASCADE"), index=True
    )
    offer_id: Mapped[int] = mapped_column(
        ForeignKey("governance_board_posts.id", ondelete="CASCADE"), index=True
    )
    distance_m: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(10))
    proposed_by: Mapped[int | None] = mapped_column(Integer)
    need_confirmed_by: Mapped[int | None] = mapped_column(Integer)
    offer_confirmed_by: Mapped[int | None] = mapped_column(Integer)
    need_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    offer_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
