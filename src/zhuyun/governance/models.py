"""Governance tables: the region polygons (city, districts, streets, communities), the grids
that tessellate the communities, who works each grid, and a revision counter that tells every
process when its point-in-grid index is stale.

Geometry is stored as GeoJSON text in WGS-84 (longitude, latitude): the same on SQLite and
PostgreSQL, no PostGIS needed; shapely reads it back (`shapely.from_geojson`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhuyun.core.db import Base, UTCDateTime, utcnow


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
