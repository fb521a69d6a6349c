"""The supervision API's JSON shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EventLogPublic(BaseModel):
    """An imported event log."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    source_format: str
    filename: str
    sha256: str
    imported_by: int | None
    imported_at: datetime
    cases: int
    events: int
    activities: int
    first_event_at: datetime | None
    last_event_at: datetime | None


class DfgActivity(BaseModel):
    name: str
    count: int


class DfgEdgePublic(BaseModel):
    source: str
    target: str
    count: int
    mean_seconds: float
    median_seconds: float
    min_seconds: float
    max_seconds: float


class DfgPublic(BaseModel):
    """A directly-follows graph: activities with their event counts, edges with counts and
    the time between the two events (seconds), start and end activities with counts."""

    log: str
    cases: int
    events: int
    activities: list[DfgActivity]
    edges: list[DfgEdgePublic]
    start_activities: dict[str, int]
    end_activities: dict[str, int]


class VariantPublic(BaseModel):
    activities: list[str]
    count: int
    share: float
    example_case: str


class VariantsPage(BaseModel):
    log: str
    cases: int
    data: list[VariantPublic]
    count: int
    offset: int
    limit: int


class ConformanceRequest(BaseModel):
    """A normative model as a Petri net (see docs/supervision.md for its shape)."""

    model: dict[str, Any] = Field(
        description="places, transitions, arcs, initial_marking, final_marking"
    )
    limit: int = Field(default=50, ge=0, le=1000, description="variants listed in the answer")


class DeviationPublic(BaseModel):
    position: int
    activity: str
    kind: str
    missing: int


class VariantConformance(BaseModel):
    activities: list[str]
    count: int
    fitness: float
    is_fit: bool
    missing: int
    consumed: int
    remaining: int
    produced: int
    deviations: list[DeviationPublic]


class ConformancePublic(BaseModel):
    """Token-based replay of every case; variants listed least fitting first."""

    log: str
    log_fitness: float
    average_trace_fitness: float
    percentage_fit_cases: float
    cases: int
    fit_cases: int
    missing: int
    consumed: int
    remaining: int
    produced: int
    unknown_activities: list[str]
    variants: list[VariantConformance]
    variant_count: int
