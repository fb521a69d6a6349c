"""Catalog tables: resources (the working copy a data admin edits), their info items, every
published version as a snapshot, and the search terms of what is published.

What the rest of the platform sees of a resource is its latest published version
(`catalog_versions.is_current`): editing a published resource changes only the working copy
until it is published again, so the gateway never serves half-edited metadata.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from zhuyun.core.db import Base, JSONType, UTCDateTime, utcnow


class Resource(Base):
    """A data resource (政务信息资源) as its provider is editing it, with its lifecycle."""

    __tablename__ = "catalog_resources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    class_code: Mapped[str] = mapped_column(String(1), index=True)
    item_code: Mapped[str] = mapped_column(String(2))
    catalogue_code: Mapped[str] = mapped_column(String(3))
    detail_code: Mapped[str] = mapped_column(String(6), default="")
    sequence_code: Mapped[str] = mapped_column(String(9))
    name: Mapped[str] = mapped_column(String(200), index=True)
    provider_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    provider_code: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(String(20))
    share_type: Mapped[str] = mapped_column(String(20))
    share_conditions: Mapped[str] = mapped_column(Text, default="")
    share_method: Mapped[str] = mapped_column(String(20))
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    open_type: Mapped[str] = mapped_column(String(20))
    open_conditions: Mapped[str] = mapped_column(Text, default="")
    update_cycle: Mapped[str] = mapped_column(String(20))
    base_library: Mapped[str | None] = mapped_column(String(20))
    themes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    related_codes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(10), index=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    has_unpublished_changes: Mapped[bool] = mapped_column(Boolean, default=True)
    publish_date: Mapped[date | None] = mapped_column(Date)
    stale: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    stale_reason: Mapped[str] = mapped_column(Text, default="")
    stale_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    items: Mapped[list[InfoItem]] = relationship(
        back_populates="resource",
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="InfoItem.position",
    )


class InfoItem(Base):
    """One info item (信息项) of a resource's working copy: a column of its source."""

    __tablename__ = "catalog_items"
    __table_args__ = (UniqueConstraint("resource_id", "field", name="uq_catalog_items_field"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_resources.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    data_type: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text, default="")
    share_type: Mapped[str] = mapped_column(String(20))
    sensitivity: Mapped[str] = mapped_column(String(10))
    mask_kind: Mapped[str | None] = mapped_column(String(20))

    resource: Mapped[Resource] = relationship(back_populates="items")


class ResourceVersion(Base):
    """A published version, kept for good: its full snapshot, what changed, and — for the
    current one — the columns search and facets filter on."""

    __tablename__ = "catalog_versions"
    __table_args__ = (
        UniqueConstraint("resource_id", "version", name="uq_catalog_versions_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_resources.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    provider_unit_id: Mapped[int] = mapped_column(Integer, index=True)
    provider_name: Mapped[str] = mapped_column(String(200))
    class_code: Mapped[str] = mapped_column(String(1), index=True)
    share_type: Mapped[str] = mapped_column(String(20), index=True)
    open_type: Mapped[str] = mapped_column(String(20), index=True)
    base_library: Mapped[str | None] = mapped_column(String(20), index=True)
    item_count: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_by: Mapped[str] = mapped_column(String(200))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONType)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)


class SearchTerm(Base):
    """A jieba token of a published resource's text, weighted by where it occurs."""

    __tablename__ = "catalog_terms"

    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_resources.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    weight: Mapped[int] = mapped_column(Integer)
