"""Pydantic models of the 一网通办 JSON API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

FormValue = Annotated[str, StringConstraints(max_length=500)] | int | float


class MaterialSpec(BaseModel):
    id: int
    position: int
    name: str
    kind: str
    kind_label: str
    required: bool
    resource_id: int | None
    info_items: list[str]
    note: str | None


class ItemPublic(BaseModel):
    code: str
    name: str
    item_type: str
    unit_id: int
    unit_name: str | None
    joint: bool
    statutory_days: int
    promised_days: int
    fee_yuan: float
    online_depth: str
    visits: int
    immediate: bool
    life_events: list[str]
    applicant_kinds: list[str]
    materials_total: int
    materials_spared: int
    power_code: str | None


class ItemDetail(ItemPublic):
    legal_basis: str
    conditions: str
    fee_basis: str | None
    workflow_code: str
    workflow: dict[str, Any]
    certificate_kind: str | None
    form_fields: list[dict[str, Any]]
    materials: list[MaterialSpec]


class CaseCreate(BaseModel):
    item_code: str = Field(min_length=1, max_length=40)
    form: dict[Annotated[str, StringConstraints(max_length=60)], FormValue | None] = Field(
        default_factory=dict, max_length=40
    )
    consent: bool = Field(
        description="The applicant agrees that the platform fetches their materials from the "
        "departments for this case / 同意平台为本次办件共享获取本人材料"
    )


class CaseAction(BaseModel):
    action: str = Field(pattern="^(accept|request_correction|refuse|approve|reject|issue|deliver)$")
    opinion: str = Field(default="", max_length=1000)
    branch: str | None = Field(default=None, max_length=40)


class RatingCreate(BaseModel):
    score: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=500)


class RectificationDone(BaseModel):
    measures: str = Field(min_length=2, max_length=1000)
    callback: str = Field(min_length=2, max_length=1000)


class CaseMaterialPublic(BaseModel):
    material_id: int
    name: str
    kind: str
    required: bool
    status: str
    status_label: str
    message: str | None
    data: dict[str, Any]
    query_seq: int | None
    file_name: str | None
    content_type: str | None
    size: int | None


class TaskPublic(BaseModel):
    id: int
    step: str
    branch: str | None
    name: str
    unit_id: int
    unit_name: str | None
    status: str
    due_on: date
    done_at: datetime | None
    action: str | None
    opinion: str | None


class HistoryEntry(BaseModel):
    seq: int
    at: datetime
    activity: str
    actor_name: str
    unit_id: int | None


class CasePublic(BaseModel):
    number: str
    item_code: str
    item_name: str
    unit_id: int
    unit_name: str | None
    applicant_name: str
    status: str
    status_label: str
    step: str | None
    outcome: str | None
    outcome_label: str | None
    submitted_at: datetime
    due_on: date | None
    working_days_left: int | None
    overdue: bool
    fee_yuan: float
    paid: bool
    materials_total: int
    materials_spared: int
    closed_at: datetime | None


class CaseDetail(CasePublic):
    form: dict[str, Any]
    result_text: str | None
    certificate_number: str | None
    payment_ref: str | None
    paused_days: int
    materials: list[CaseMaterialPublic]
    tasks: list[TaskPublic]
    actions: list[dict[str, Any]]
    history: list[HistoryEntry]
    rating: int | None


class QueueEntry(BaseModel):
    task_id: int
    task_name: str
    branch: str | None
    task_due_on: date
    case: CasePublic


class RatingSummary(BaseModel):
    unit_id: int
    unit_name: str | None
    count: int
    average: float | None
    distribution: dict[int, int]


class RatingComment(BaseModel):
    score: int
    comment: str | None
    created_at: datetime


class RectificationPublic(BaseModel):
    id: int
    case_number: str
    unit_id: int
    status: str
    due_on: date
    score: int
    comment: str | None
    measures: str | None
    callback: str | None


class FiguresPublic(BaseModel):
    unit_id: int | None
    items: int
    full_online_rate: float | None
    immediate_rate: float | None
    item_reduction_rate: float | None
    materials_required: int
    materials_spared: int
    case_reduction_rate: float | None
    cases: int
    open_cases: int
    closed_cases: int
    overdue_cases: int
    overdue_rate: float | None
    average_working_days: float | None
    average_promised_days: float | None
    rating_count: int
    rating_average: float | None
    rating_distribution: dict[int, int]


class NotificationPublic(BaseModel):
    id: int
    case_number: str
    kind: str
    text: str
    created_at: datetime
    read: bool
