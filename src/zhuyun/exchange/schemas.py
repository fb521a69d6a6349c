"""Pydantic models of the exchange's JSON API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from zhuyun.exchange.connectors import SourceKind
from zhuyun.exchange.formats import OutputFormat


class SourceCreate(BaseModel):
    unit_id: int | None = Field(
        default=None, ge=1, le=2_147_483_647, description="Owner unit; default your own / 所属单位"
    )
    name: str = Field(min_length=1, max_length=100)
    kind: SourceKind
    location: str = Field(
        min_length=1,
        max_length=500,
        description="Database URL without password, file path or base URL / 连接串、文件路径或地址",
    )
    options: dict[str, Any] = Field(default_factory=dict, max_length=20)
    secret: str | None = Field(
        default=None, max_length=500, description="Password or token; stored sealed, never shown"
    )


class SourcePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    unit_id: int
    name: str
    kind: str
    location: str
    options: dict[str, Any]
    has_secret: bool
    status: str
    status_message: str | None
    checked_at: datetime | None
    created_at: datetime


class HealthPublic(BaseModel):
    ok: bool
    latency_ms: float
    message: str


class ColumnPublic(BaseModel):
    name: str
    data_type: str
    native_type: str
    nullable: bool
    is_key: bool
    indexed: bool


class BindingFields(BaseModel):
    table_name: str = Field(min_length=1, max_length=200)
    key_field: str | None = Field(default=None, max_length=100)
    subject_field: str | None = Field(default=None, max_length=100)
    division_field: str | None = Field(default=None, max_length=100)


class BindingCreate(BindingFields):
    source_id: int = Field(ge=1, le=2_147_483_647)


class DraftFromTable(BindingFields):
    name: str = Field(min_length=1, max_length=200, description="Resource name / 资源名称")
    summary: str = Field(default="", max_length=2000)


class BindingPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    resource_id: int
    source_id: int
    table_name: str
    key_field: str | None
    subject_field: str | None
    division_field: str | None


class DraftCreated(BaseModel):
    resource_id: int
    binding: BindingPublic


class FilterIn(BaseModel):
    field: str = Field(min_length=1, max_length=100)
    op: Literal["eq", "in", "range", "prefix", "is_null"]
    value: Any = None
    low: Any = None
    high: Any = None


class OrderIn(BaseModel):
    field: str = Field(min_length=1, max_length=100)
    desc: bool = False


class QueryIn(BaseModel):
    resource_id: int = Field(ge=1, le=2_147_483_647)
    items: list[str] = Field(min_length=1, max_length=200)
    purpose: str = Field(max_length=500, description="Why you read it / 调用用途（必填）")
    filters: list[FilterIn] = Field(default_factory=list, max_length=20)
    order_by: list[OrderIn] = Field(default_factory=list, max_length=4)
    limit: int | None = Field(
        default=None, ge=1, description="Rows; default 100 or the grant's limit / 返回行数"
    )
    after: str | None = Field(default=None, max_length=2000, description="Cursor / 分页游标")
    format: OutputFormat = OutputFormat.JSON


class QueryOut(BaseModel):
    resource_id: int
    items: list[str]
    rows: list[list[Any]]
    next_cursor: str | None
    masked: dict[str, str]
    basis: str
    grant_id: int | None
    ledger_seq: int


class ApplicationCreate(BaseModel):
    resource_id: int = Field(ge=1, le=2_147_483_647)
    items: list[str] = Field(min_length=1, max_length=200)
    purpose: str = Field(min_length=2, max_length=500)
    basis: str = Field(min_length=2, max_length=1000, description="Legal or business basis / 依据")
    valid_until: date
    expected_daily_rows: int = Field(ge=1, le=100_000_000)


class ApplicationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    resource_id: int
    provider_unit_id: int
    consumer_unit_id: int
    applicant_id: int
    items: list[str]
    purpose: str
    basis: str
    valid_until: date
    expected_daily_rows: int
    status: str
    submitted_at: datetime
    due_on: date
    escalated_at: datetime | None
    decided_at: datetime | None
    decision_reason: str | None


class ApprovalIn(BaseModel):
    items: list[str] | None = Field(default=None, max_length=200)
    valid_until: date | None = None
    clear_items: list[str] = Field(default_factory=list, max_length=200)
    max_rows_per_query: int = Field(default=1_000, ge=1, le=100_000_000)
    max_rows_per_day: int = Field(default=100_000, ge=1, le=1_000_000_000)
    city_wide: bool = False
    note: str = Field(default="", max_length=1000)


class ReasonIn(BaseModel):
    reason: str = Field(min_length=2, max_length=1000)


class GrantPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    application_id: int | None
    resource_id: int
    consumer_unit_id: int
    items: list[str]
    clear_items: list[str]
    purpose: str
    valid_until: date
    max_rows_per_query: int
    max_rows_per_day: int
    city_wide: bool
    granted_at: datetime
    revoked_at: datetime | None
    revoke_reason: str | None


class ObjectionCreate(BaseModel):
    resource_id: int = Field(ge=1, le=2_147_483_647)
    record_key: str = Field(min_length=1, max_length=200)
    field: str | None = Field(default=None, max_length=100)
    description: str = Field(min_length=2, max_length=1000)


class ObjectionResolve(BaseModel):
    accepted: bool
    resolution: str = Field(min_length=2, max_length=1000)


class ObjectionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    resource_id: int
    provider_unit_id: int
    consumer_unit_id: int
    record_key: str
    field: str | None
    description: str
    status: str
    raised_at: datetime
    due_on: date
    resolved_at: datetime | None
    resolution: str | None


class AccessPublic(BaseModel):
    seq: int
    occurred_at: datetime
    activity: str
    resource_id: int
    resource_name: str
    unit_id: int | None
    unit_name: str
    purpose: str
    items: list[str]


class UnitSharingPublic(BaseModel):
    unit_id: int
    unit_name: str
    queries: int
    rows: int
    refused: int


class AccessLogEntry(BaseModel):
    seq: int
    occurred_at: datetime
    activity: str
    actor_name: str
    unit_id: int | None
    attrs: dict[str, Any]
