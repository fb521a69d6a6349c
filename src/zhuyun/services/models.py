"""The services module's own tables (service items, workflows, cases, ratings).

A service item (政务服务事项) names its materials and the workflow it follows; a case is one
application for an item, worked through the workflow's steps as tasks (several open at once
on parallel branches); each material of a case is fetched through the exchange, taken from
the certificate library or uploaded; a rating may open a rectification task.
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
from sqlalchemy.orm import Mapped, mapped_column

from zhuyun.core.db import Base, JSONType, UTCDateTime, utcnow


class Workflow(Base):
    """A workflow declared as data: its steps (see `service.workflows.WorkflowSpec`)."""

    __tablename__ = "services_workflows"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ServiceItem(Base):
    """A government service item (政务服务事项) as the implementation list publishes it."""

    __tablename__ = "services_items"
    __table_args__ = (
        UniqueConstraint("created_by", "idempotency_key", name="uq_services_items_idempotency"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    item_type: Mapped[str] = mapped_column(String(20), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    joint: Mapped[bool] = mapped_column(Boolean, default=False)
    legal_basis: Mapped[str] = mapped_column(Text)
    conditions: Mapped[str] = mapped_column(Text)
    life_events: Mapped[list[str]] = mapped_column(JSONType, default=list)
    life_event_tags: Mapped[str] = mapped_column(String(300), default="||")
    applicant_kinds: Mapped[list[str]] = mapped_column(JSONType, default=list)
    statutory_days: Mapped[int] = mapped_column(Integer)
    promised_days: Mapped[int] = mapped_column(Integer)
    fee_fen: Mapped[int] = mapped_column(Integer, default=0)
    fee_basis: Mapped[str | None] = mapped_column(String(300))
    online_depth: Mapped[str] = mapped_column(String(20))
    visits: Mapped[int] = mapped_column(Integer, default=0)
    immediate: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    workflow_code: Mapped[str] = mapped_column(ForeignKey("services_workflows.code"))
    power_code: Mapped[str | None] = mapped_column(String(60), index=True)
    certificate_kind: Mapped[str | None] = mapped_column(String(20))
    form_fields: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # managed through the API: each update is a new version; a withdrawn item takes no new
    # applications while its running cases go on
    version: Mapped[int] = mapped_column(Integer, default=1)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(Integer)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))


class ItemMaterial(Base):
    """A material an item requires: how the platform obtains it (shared data, an
    e-certificate, or an upload) and, for the first two, which resource and info items."""

    __tablename__ = "services_item_materials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("services_items.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12))
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    resource_id: Mapped[int | None] = mapped_column(Integer)
    key_field: Mapped[str | None] = mapped_column(String(100))
    key_source: Mapped[str | None] = mapped_column(String(100))
    info_items: Mapped[list[str]] = mapped_column(JSONType, default=list)
    fixed_filters: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    note: Mapped[str | None] = mapped_column(String(300))


class Case(Base):
    """One application for a service item (办件); its number is its case id in the ledger."""

    __tablename__ = "services_cases"
    __table_args__ = (
        UniqueConstraint("applicant_id", "idempotency_key", name="uq_services_cases_idempotency"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("services_items.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    applicant_name: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    form: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(12), index=True)
    step: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[str | None] = mapped_column(String(16))
    result_text: Mapped[str | None] = mapped_column(String(1000))
    certificate_ref: Mapped[str | None] = mapped_column(String(100))
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    complete_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    paused_on: Mapped[date | None] = mapped_column(Date)
    paused_days: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_late: Mapped[bool | None] = mapped_column(Boolean)
    fee_fen: Mapped[int] = mapped_column(Integer, default=0)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    payment_ref: Mapped[str | None] = mapped_column(String(40))
    materials_total: Mapped[int] = mapped_column(Integer, default=0)
    materials_spared: Mapped[int] = mapped_column(Integer, default=0)


class CaseTask(Base):
    """A step of a case open for a unit (one per branch of a parallel step)."""

    __tablename__ = "services_case_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("services_cases.id", ondelete="CASCADE"), index=True
    )
    step: Mapped[str] = mapped_column(String(40))
    branch: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str | None] = mapped_column(String(30))
    opinion: Mapped[str | None] = mapped_column(String(1000))


class CaseMaterial(Base):
    """A material of one case: fetched through the exchange, uploaded, or still missing."""

    __tablename__ = "services_case_materials"
    __table_args__ = (
        UniqueConstraint("case_id", "material_id", name="uq_services_case_materials_material"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("services_cases.id", ondelete="CASCADE"), index=True
    )
    material_id: Mapped[int] = mapped_column(ForeignKey("services_item_materials.id"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12))
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(12))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    query_seq: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(String(300))
    file_name: Mapped[str | None] = mapped_column(String(200))
    content_type: Mapped[str | None] = mapped_column(String(60))
    size: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Rating(Base):
    """好差评: the applicant's rating of a finished case."""

    __tablename__ = "services_ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("services_cases.id"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Rectification(Base):
    """A poor rating's rectification task: the unit answers by a deadline, then calls back."""

    __tablename__ = "services_rectifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("services_ratings.id"), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("services_cases.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    measures: Mapped[str | None] = mapped_column(String(1000))
    callback: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Notification(Base):
    """An in-app message to an applicant (account) or to a unit's handlers (unit)."""

    __tablename__ = "services_notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("services_cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
