"""Pydantic models of the dashboard and ledger JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class LedgerEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    occurred_at: datetime
    case_id: str
    activity: str
    actor_id: int | None
    actor_name: str
    unit_id: int | None
    role: str | None
    subject_type: str
    subject_id: str
    attrs: dict[str, Any]
    algorithm: str
    prev_hash: str
    hash: str


class VerifyResult(BaseModel):
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    broken_seq: int | None
    problem_en: str | None
    problem_zh: str | None
    algorithms: list[str]


class DashboardPublic(BaseModel):
    city_name: str
    figures: list[dict[str, Any]]
    charts: dict[str, list[dict[str, Any]]]


class Health(BaseModel):
    status: str
    version: str
    database: str
