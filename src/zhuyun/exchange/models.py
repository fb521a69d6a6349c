"""Exchange tables: where each department's data lives (sources and bindings), and who may
read what (applications, grants), plus objections to wrong records and the index that lets a
person see who read records about them.

The platform stores how to reach a source, never a copy of its data. Catalog resources are
referred to by id only: the catalog owns its tables and is reached through its service.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhuyun.core.db import Base, JSONType, UTCDateTime, utcnow


class Source(Base):
    """A department's own store: a database, a file or an HTTP API, reached where it is."""

    __tablename__ = "exchange_sources"
    __table_args__ = (UniqueConstraint("unit_id", "name", name="uq_exchange_sources_unit_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    location: Mapped[str] = mapped_column(String(500))
    options: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    secret_sealed: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="unknown")
    status_message: Mapped[str | None] = mapped_column(String(500))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Binding(Base):
    """Which source table answers a catalog resource, and the columns the policy needs."""

    __tablename__ = "exchange_bindings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(Integer, unique=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("exchange_sources.id"), index=True)
    table_name: Mapped[str] = mapped_column(String(200))
    # the indexed column of point lookups (e.g. id_number)
    key_field: Mapped[str | None] = mapped_column(String(100))
    # the column holding the resident ID of the person a row is about ("who read my data")
    subject_field: Mapped[str | None] = mapped_column(String(100))
    # the column holding a division code: a district's units see their district's rows only
    division_field: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Application(Base):
    """A consumer unit's request for a conditionally shared resource (有条件共享)."""

    __tablename__ = "exchange_applications"
    __table_args__ = (
        UniqueConstraint("applicant_id", "idempotency_key", name="uq_exchange_applications_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(Integer, index=True)
    provider_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    consumer_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    items: Mapped[list[str]] = mapped_column(JSONType)
    purpose: Mapped[str] = mapped_column(String(500))
    basis: Mapped[str] = mapped_column(String(1000))
    valid_until: Mapped[date] = mapped_column(Date)
    expected_daily_rows: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    decision_reason: Mapped[str | None] = mapped_column(String(1000))


class Grant(Base):
    """Permission for one consumer unit to read some items of one resource, for one purpose,
    until a date, within row limits; revocation takes effect on the next query."""

    __tablename__ = "exchange_grants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("exchange_applications.id"))
    resource_id: Mapped[int] = mapped_column(Integer, index=True)
    consumer_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    items: Mapped[list[str]] = mapped_column(JSONType)
    clear_items: Mapped[list[str]] = mapped_column(JSONType, default=list)
    purpose: Mapped[str] = mapped_column(String(500))
    valid_until: Mapped[date] = mapped_column(Date)
    max_rows_per_query: Mapped[int] = mapped_column(Integer)
    max_rows_per_day: Mapped[int] = mapped_column(BigInteger)
    city_wide: Mapped[bool] = mapped_column(Boolean, default=False)
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    revoke_reason: Mapped[str | None] = mapped_column(String(500))


class GrantUsage(Base):
    """Rows a grant returned per day, for its daily limit."""

    __tablename__ = "exchange_grant_usage"
    __table_args__ = (UniqueConstraint("grant_id", "day", name="uq_exchange_grant_usage_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("exchange_grants.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    rows: Mapped[int] = mapped_column(BigInteger, default=0)


class Objection(Base):
    """A consumer's flag on a record it believes wrong (疑义); the provider must answer it."""

    __tablename__ = "exchange_objections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(Integer, index=True)
    provider_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    consumer_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    raised_by: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    record_key: Mapped[str] = mapped_column(String(200))
    field: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(20), index=True)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_on: Mapped[date] = mapped_column(Date)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    resolution: Mapped[str | None] = mapped_column(String(1000))


class AccessSubject(Base):
    """One person a governed query returned records about: a keyed hash of their resident
    ID (never the number itself) and the ledger entry of the query."""

    __tablename__ = "exchange_access_subjects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_hash: Mapped[str] = mapped_column(String(64), index=True)
    ledger_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    resource_id: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ExchangeNode(Base):
    """A department node (前置机): where it answers, the public key it signs with, and
    whether the platform trusts it (pending → approved → revoked). Never a credential of
    the department's sources: the node keeps those."""

    __tablename__ = "exchange_nodes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    unit: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))
    public_key: Mapped[str] = mapped_column(String(100))
    key_id: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    # SHA-256 of the registration code's one-time secret: a code is approved once
    registration_digest: Mapped[str] = mapped_column(String(64), unique=True)
    version: Mapped[str | None] = mapped_column(String(40))
    health_ok: Mapped[bool | None] = mapped_column(Boolean)
    health_message: Mapped[str | None] = mapped_column(String(500))
    latency_ms: Mapped[float | None] = mapped_column(Float)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ChangeTracking(Base):
    """How changes of a resource are found, declared by its provider: a column that grows
    with every change (`updated_at`: a modification time, the binding's key breaking ties)
    or a key that grows with every new row (`key`: an append-only table's primary key)."""

    __tablename__ = "exchange_change_tracking"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(Integer, unique=True)
    field: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    declared_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Subscription(Base):
    """A consumer unit's standing order for the changes of one resource, read under the same
    policy as a query: pushed to its webhook or pulled. `watermark` is the sealed position
    after the last change read (a keyset cursor that may hold a key the consumer sees
    masked); `next_seq` numbers the next delivery."""

    __tablename__ = "exchange_subscriptions"
    __table_args__ = (
        UniqueConstraint("created_by", "idempotency_key", name="uq_exchange_subscriptions_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(Integer, index=True)
    consumer_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    items: Mapped[list[str]] = mapped_column(JSONType)
    purpose: Mapped[str] = mapped_column(String(500))
    mode: Mapped[str] = mapped_column(String(10))  # webhook | pull
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    secret_sealed: Mapped[str | None] = mapped_column(Text)  # the webhook's HMAC key
    batch_rows: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), index=True)  # active|suspended|cancelled
    status_reason: Mapped[str | None] = mapped_column(String(500))
    watermark: Mapped[str | None] = mapped_column(Text)
    next_seq: Mapped[int] = mapped_column(Integer, default=1)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Delivery(Base):
    """One batch of changes for a subscription, under an id the receiver deduplicates by.
    Its rows (already masked) are kept sealed until they are acknowledged, so a retry sends
    exactly what the first attempt sent; then they are dropped."""

    __tablename__ = "exchange_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "seq", name="uq_exchange_deliveries_seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("exchange_subscriptions.id"))
    seq: Mapped[int] = mapped_column(Integer)
    delivery_id: Mapped[str] = mapped_column(String(36), unique=True)
    rows: Mapped[int] = mapped_column(Integer)
    payload_sealed: Mapped[str | None] = mapped_column(Text)
    watermark_before: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)  # pending|delivered|withdrawn
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    query_seq: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class UpwardExport(Base):
    """A resource this (district) platform publishes up to the platform above it: listed in
    the answer to its `catalog` call and readable by it under this platform's own policy."""

    __tablename__ = "exchange_upward_exports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(Integer, unique=True)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PeerResource(Base):
    """A catalog resource of this (city) platform that stands for a resource a lower-level
    platform published up: where it comes from, so the catalog can say so and queries are
    routed there (its binding's source is the peer, of kind node)."""

    __tablename__ = "exchange_peer_resources"
    __table_args__ = (
        UniqueConstraint("node_id", "remote_resource_id", name="uq_exchange_peer_resources_remote"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(Integer, unique=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("exchange_nodes.id"), index=True)
    remote_resource_id: Mapped[int] = mapped_column(Integer)
    remote_code: Mapped[str] = mapped_column(String(100))
    origin: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
