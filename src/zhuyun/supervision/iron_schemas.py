"""JSON shapes of the 数据铁笼 API: powers, step reports, rules, warnings, scores."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class StepIn(BaseModel):
    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    name: str = Field(min_length=1, max_length=100)
    activity: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$", max_length=100)
    role: str = Field(min_length=1, max_length=50)
    days: int | None = Field(default=None, ge=0, le=365)
    mandatory: bool = True


class BenchmarkIn(BaseModel):
    article: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=500)
    min_amount: float = Field(ge=0, le=1e12)
    max_amount: float = Field(ge=0, le=1e12)


class RiskIn(BaseModel):
    kind: Literal["权力寻租点", "群众关注点"]
    step: str = Field(default="", max_length=64)
    description: str = Field(min_length=1, max_length=500)
    measure: str = Field(default="", max_length=500)


class LinkIn(BaseModel):
    kind: Literal["service_item", "governance_category"]
    code: str = Field(min_length=1, max_length=100)


class PowerIn(BaseModel):
    """A power as a unit lists it; saving a code again replaces the power."""

    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    unit_code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    power_type: Literal[
        "许可", "处罚", "强制", "征收", "给付", "检查", "确认", "裁决", "奖励", "其他"
    ]
    legal_basis: str = Field(min_length=1, max_length=2000)
    responsible: str = Field(min_length=1, max_length=100)
    time_limit_days: int | None = Field(default=None, ge=1, le=365)
    steps: list[StepIn] = Field(min_length=1, max_length=50)
    discretion: list[BenchmarkIn] = Field(default_factory=list, max_length=500)
    risks: list[RiskIn] = Field(default_factory=list, max_length=200)
    links: list[LinkIn] = Field(default_factory=list, max_length=200)


class PowerPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    unit_id: int
    unit_name: str = ""
    name: str
    power_type: str
    legal_basis: str
    responsible: str
    time_limit_days: int | None
    steps: list[dict[str, Any]]
    discretion: list[dict[str, Any]]
    risks: list[dict[str, Any]]
    links: list[LinkIn] = Field(default_factory=list)
    updated_at: datetime


class ImportResult(BaseModel):
    saved: int
    codes: list[str]


class StepReportIn(BaseModel):
    """One step of a power's case, as the unit's system takes it."""

    power_code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    case_ref: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
    step: str = Field(min_length=1, max_length=64)
    amount: float | None = Field(default=None, ge=0, le=1e12)
    article: str | None = Field(default=None, min_length=1, max_length=100)


class StepReportPublic(BaseModel):
    case_id: str
    ledger_seq: int
    step: str
    activity: str


class TemplatePublic(BaseModel):
    code: str
    name_zh: str
    name_en: str
    params: list[dict[str, Any]]


class RuleIn(BaseModel):
    code: str = Field(pattern=r"^[a-z][a-z0-9_.-]{1,63}$")
    template: str = Field(min_length=1, max_length=40)
    name: str = Field(default="", max_length=200)
    unit_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    power_code: str | None = Field(default=None, max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True


class RuleChange(BaseModel):
    params: dict[str, Any] | None = None
    enabled: bool | None = None


class RulePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    template: str
    name: str
    unit_id: int | None
    power_code: str | None
    params: dict[str, Any]
    enabled: bool
    false_positives: int
    updated_at: datetime


class WarningPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    rule_code: str
    template: str
    level: str
    status: str
    escalation: int
    escalated_to: str = ""
    case_id: str | None
    power_code: str | None
    unit_id: int | None
    officer_id: int | None
    ledger_seq: int | None
    message_zh: str
    message_en: str
    details: dict[str, Any]
    raised_at: datetime
    event_at: datetime | None
    explain_by: datetime | None
    explanation: str | None
    feedback: str | None
    closed_at: datetime | None


class TextIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


class VerifyIn(BaseModel):
    accepted: bool
    feedback: str = Field(min_length=1, max_length=2000)


class PassPublic(BaseModel):
    entries: int
    warnings: int
    escalated: int
    watermark: int


class ScorePublic(BaseModel):
    key: int
    name: str
    cases: int
    ended: int
    timeliness: float | None
    conformance: float | None
    warnings: int
    red_warnings: int
    rating: float | None
    score: float | None
