"""Pydantic models of the work-order JSON API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class WorkOrderCreate(BaseModel):
    text: str = Field(max_length=20_000, description="问题描述（最多 2,000 字）")
    channel: str | None = Field(None, description="hotline、patrol、app（市民只能 app）")
    lng: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    address: str | None = Field(None, max_length=300)
    category: str | None = Field(None, max_length=30, description="事项类别代码；缺省由分类器判断")
    urgency: str | None = Field(None, max_length=10)
    caller_name: str | None = Field(None, max_length=100)
    caller_phone: str | None = Field(None, max_length=30)


class Reason(BaseModel):
    reason: str = Field(max_length=500)
    category: str | None = Field(None, max_length=30)


class Result(BaseModel):
    result: str = Field(max_length=1000)


class Verification(BaseModel):
    passed: bool
    note: str = Field("", max_length=500)


class CategoryChange(BaseModel):
    category: str = Field(max_length=30)


class Dispatch(BaseModel):
    unit_id: int | None = Field(None, ge=1, le=2**31 - 1)
    category: str | None = Field(None, max_length=30)


class RegisterBody(BaseModel):
    category: str | None = Field(None, max_length=30)


class Rating(BaseModel):
    stars: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=500)


class Note(BaseModel):
    note: str = Field(max_length=500)


class ClassifyBody(BaseModel):
    text: str = Field(max_length=20_000)


class Suggestion(BaseModel):
    category: str
    category_name: str
    urgency: str
    confidence: float


class PhotoPublic(BaseModel):
    id: int
    url: str
    media_type: str
    width: int
    height: int


class EventPublic(BaseModel):
    at: datetime
    activity: str
    status_from: str | None
    status_to: str
    status_label: str
    actor_name: str
    unit_id: int | None
    note: str | None
    photos: list[PhotoPublic] = []


class AssistPublic(BaseModel):
    id: int
    unit_id: int
    unit_name: str | None
    status: str
    note: str | None


class EscalationPublic(BaseModel):
    level: int
    unit_id: int
    unit_name: str | None
    at: datetime
    overdue_hours: float


class WorkOrderPublic(BaseModel):
    id: int
    number: str
    channel: str
    status: str
    status_label: str
    text: str
    category: str
    category_name: str
    category_source: str
    confidence: float | None
    urgency: str
    lng: float | None
    lat: float | None
    address: str | None
    grid_code: str | None
    district_code: str | None
    unit_id: int | None
    unit_name: str | None
    caller_name: str | None
    caller_phone: str | None
    duplicate_of: str | None
    merged_count: int
    created_at: datetime
    registered_at: datetime | None
    due_at: datetime | None
    closed_at: datetime | None
    escalation_level: int
    return_count: int
    rework_count: int
    reopen_count: int
    rating: int | None
    token: str | None = None


class WorkOrderDetail(WorkOrderPublic):
    timeline: list[EventPublic]
    assists: list[AssistPublic]
    escalations: list[EscalationPublic]


class EscalationRunPublic(BaseModel):
    checked: int
    level_one: int
    level_two: int


class IndicatorPublic(BaseModel):
    key: str | int
    name: str
    collected: int
    registration_rate: float | None
    on_time_rate: float | None
    closure_rate: float | None
    rework_rate: float | None
    satisfaction: float | None
    satisfied_rate: float | None


class EscalateBody(BaseModel):
    now: datetime | None = None


class Open311KeyCreate(BaseModel):
    name: str = Field(max_length=100)


class Open311KeyPublic(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    key: str | None = None


class GridHeat(BaseModel):
    grid_code: str
    live: int
    overdue: int


class HeatPublic(BaseModel):
    """Live orders per grid: one row per grid that has any (bounded by the grids' count)."""

    division: str | None
    grids: list[GridHeat]
    live: int
    max: int


class LivePoint(BaseModel):
    id: int
    number: str
    lng: float
    lat: float
    category: str
    category_name: str
    urgency: str
    status: str
    status_label: str
    grid_code: str | None
    overdue: bool
    escalation_level: int
