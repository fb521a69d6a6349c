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
    version: int = 1
    withdrawn_at: datetime | None = None


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


# managing items and workflows (services.manage)

Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Name40 = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class MaterialWrite(BaseModel):
    name: Text200
    kind: str = Field(pattern="^(shared|certificate|upload)$")
    resource_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    key_field: str | None = Field(default=None, max_length=100)
    key_source: str | None = Field(default=None, max_length=100)
    info_items: list[Annotated[str, StringConstraints(max_length=100)]] = Field(
        default_factory=list, max_length=40
    )
    fixed_filters: dict[
        Annotated[str, StringConstraints(max_length=60)],
        Annotated[str, StringConstraints(max_length=100)],
    ] = Field(default_factory=dict, max_length=5)
    required: bool = True
    note: str | None = Field(default=None, max_length=300)


class FormFieldWrite(BaseModel):
    name: Name40
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    required: bool = True
    prefill: (
        tuple[Annotated[int, Field(ge=1, le=30)], Annotated[str, Field(max_length=100)]] | None
    ) = None


class ItemWrite(BaseModel):
    """A service item as its unit publishes it (the whole item: an update replaces it)."""

    code: str = Field(max_length=40, description="事项编码, e.g. 520100-RSJ-GG-0001")
    name: Text200
    item_type: str = Field(max_length=20, description="行政许可, 行政给付, 公共服务 …")
    unit_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="implementing unit; default one's own"
    )
    legal_basis: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
    ]
    conditions: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
    ]
    statutory_days: int = Field(ge=1, le=365, description="法定时限（工作日）")
    promised_days: int = Field(ge=0, le=365, description="承诺时限（工作日）, ≤ statutory")
    online_depth: str = Field(max_length=20, description="全程网办, 最多跑一次, 跑两次以上")
    workflow_code: str = Field(min_length=1, max_length=40)
    materials: list[MaterialWrite] = Field(default_factory=list, max_length=30)
    life_events: list[Annotated[str, StringConstraints(max_length=20)]] = Field(
        default_factory=list, max_length=12
    )
    applicant_kinds: list[str] = Field(default=["person"], min_length=1, max_length=2)
    fee_fen: int = Field(default=0, ge=0, le=10**9)
    fee_basis: str | None = Field(default=None, max_length=300)
    immediate: bool = False
    joint: bool = False
    power_code: str | None = Field(default=None, max_length=60)
    certificate_kind: str | None = Field(default=None, max_length=20)
    form_fields: list[FormFieldWrite] = Field(default_factory=list, max_length=40)


class ItemWithdraw(BaseModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=500)]


class BranchWrite(BaseModel):
    code: Name40
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    unit: str = Field(default="lead", min_length=1, max_length=40)


class StepWrite(BaseModel):
    code: Name40
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    kind: str = Field(pattern="^(accept|review|decide|issue|deliver)$")
    days: int = Field(ge=0, le=365, description="环节时限（工作日）")
    unit: str = Field(default="lead", min_length=1, max_length=40)
    branches: list[BranchWrite] | None = Field(default=None, max_length=20)


class WorkflowWrite(BaseModel):
    code: Name40
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    steps: list[StepWrite] = Field(min_length=1, max_length=20)
