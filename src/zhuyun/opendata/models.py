"""The open-data portal's own tables: developer keys, usage counts, quality reports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhuyun.core.db import Base, JSONType, UTCDateTime, utcnow


class DeveloperKey(Base):
    """An app developer's API key for the open-data API: `zyk_<prefix>_<secret>`. Only a
    keyed hash (HMAC-SHA256 under the platform's secret key) of the whole key is stored;
    the raw key is shown once, when it is created."""

    __tablename__ = "opendata_developer_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(String(500), default="")
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    rate_per_minute: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class QualityReport(Base):
    """The latest data-quality report of an open dataset (one per catalog resource): a
    Frictionless validation of a bounded sample of its opened items, read from the
    department's own source, with its score (see `opendata.quality` for the formula).
    `status`: checked, no_source (not bound to a source) or unreachable (the source did
    not answer); the score is None unless checked. No cell value is ever stored here."""

    __tablename__ = "opendata_quality_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(Integer, unique=True)
    provider_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    score: Mapped[int | None] = mapped_column(Integer)
    rows_checked: Mapped[int] = mapped_column(Integer, default=0)
    sample_limit: Mapped[int] = mapped_column(Integer)
    dimensions: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    message: Mapped[str] = mapped_column(String(500), default="")
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)


class UsageDay(Base):
    """How often an open dataset was used on one day (Asia/Shanghai): page views, downloads
    and API calls. One row per dataset and day, counted up by one UPSERT per use."""

    __tablename__ = "opendata_usage_days"
    __table_args__ = (
        UniqueConstraint("resource_id", "day", name="uq_opendata_usage_days_resource_day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date, index=True)
    views: Mapped[int] = mapped_column(BigInteger, default=0)
    downloads: Mapped[int] = mapped_column(BigInteger, default=0)
    api_calls: Mapped[int] = mapped_column(BigInteger, default=0)
