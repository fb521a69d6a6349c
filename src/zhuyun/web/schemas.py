"""Pydantic models of the shell's JSON API: dashboard, ledger, working-day calendar."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


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


# ---------------------------------------------------------------- the working-day calendar


class CalendarDaySet(BaseModel):
    """`PUT /api/calendar/days/{day}`: what the day is. The service checks both fields and
    answers a wrong value with a message in Chinese and English."""

    kind: str = Field(
        max_length=20,
        description="holiday (放假) or workday (调休上班, a make-up working day)",
        json_schema_extra={"enum": ["holiday", "workday"]},
    )
    name: str = Field(
        max_length=200,
        description="The holiday, e.g. 春节; at most 40 characters / 节日名称，最多 40 字",
    )


class CalendarDayPublic(BaseModel):
    day: date
    kind: str
    kind_label: str
    name: str
    set_by_id: int | None
    set_by_name: str
    set_at: datetime


class YearConfirm(BaseModel):
    basis: str | None = Field(
        default=None,
        max_length=400,
        description="The notice the schedule comes from / 依据，如国务院办公厅通知文号",
    )


class YearStatusPublic(BaseModel):
    year: int
    known_to_package: bool = Field(description="chinese-calendar carries the year / 内置")
    admin_confirmed: bool = Field(description="an admin confirmed the table / 管理员已确认")
    confirmed: bool = Field(description="deadlines through the year are exact / 已确认")
    holidays: int = Field(description="holidays an admin entered / 管理员录入的放假日数")
    workdays: int = Field(description="make-up workdays an admin entered / 调休上班日数")
    basis: str | None
    confirmed_by_name: str | None
    confirmed_at: datetime | None
    status_label: str


class YearsPublic(BaseModel):
    data: list[YearStatusPublic]
    count: int


class DeadlinePublic(BaseModel):
    start: date
    working_days: int
    deadline: date
    confirmed: bool = Field(description="every year counted is confirmed / 所涉年份均已确认")
    unconfirmed_years: list[int]
    warning: str | None
    warning_zh: str | None
