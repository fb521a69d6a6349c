"""The 块数据 JSON API's shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field


class JobCreate(BaseModel):
    definition: Annotated[
        str,
        Field(
            min_length=2,
            max_length=64_000,
            description="作业定义（YAML 或 JSON 文本）/ the job declared in YAML or JSON",
        ),
    ]


class ProfileTablePublic(BaseModel):
    output: str
    run_id: int
    rows: int
    completed_at: datetime


class JobPublic(BaseModel):
    id: int
    name: str
    entity: str
    purpose: str
    owner_unit_id: int
    created_at: datetime
    definition: dict[str, Any]
    profile_tables: list[ProfileTablePublic]


class RunCreate(BaseModel):
    engine: Literal["duckdb", "spark"] | None = Field(
        default=None, description="默认取设置 ZHUYUN_BLOCKS_ENGINE / the settings' engine"
    )
    mode: Literal["full", "incremental"] = "full"


class SourceProgress(BaseModel):
    alias: str
    resource_id: int | None = None
    resource: str | None = None
    rows: int = 0
    total: int | None = None
    delta: bool = False
    done: bool = False
    watermark: str | None = None


class RunPublic(BaseModel):
    id: int
    job_id: int
    engine: str
    mode: str
    status: str
    resumable: bool
    base_run_id: int | None
    fraction_done: float
    sources: list[SourceProgress]
    output_rows: int | None
    error_code: str | None
    error: str | None
    error_zh: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class FactPublic(BaseModel):
    item: str
    label: str
    value: str | None
    masked: bool


class SourceFactsPublic(BaseModel):
    alias: str
    resource_id: int
    resource_name: str
    provider: str
    rows: int
    updated_at: str | None
    read_at: str | None
    visible: bool
    facts: list[FactPublic]
    hidden_reason: str | None
    hidden_reason_zh: str | None


class ProfilePublic(BaseModel):
    job_id: int
    job_name: str
    entity: str
    output: str
    key: str
    run_id: int
    completed_at: datetime
    sources: list[SourceFactsPublic]
