"""Pydantic models of the entity-resolution JSON API."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

Text = Annotated[str, Field(max_length=300)]
ShortText = Annotated[str, Field(max_length=40)]


class PersonIn(BaseModel):
    """A person record as a department holds it; any field but the name may be missing."""

    name: Annotated[str, Field(min_length=1, max_length=40)]
    id_number: ShortText | None = None
    birth_date: ShortText | None = Field(None, description="YYYY-MM-DD as written")
    sex: Annotated[str, Field(max_length=4)] | None = None
    address: Text | None = None


class EnterpriseIn(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    credit_code: ShortText | None = None
    address: Text | None = None


class PeopleComparison(BaseModel):
    left: PersonIn
    right: PersonIn


class EnterpriseComparison(BaseModel):
    left: EnterpriseIn
    right: EnterpriseIn


class PartPublic(BaseModel):
    field: str
    level: str
    weight: float
    reason: str


class ScorePublic(BaseModel):
    """A score and why: `same_key` when both records carry the same valid key (then no
    fuzzy score is needed), `different_keys` when both carry different valid keys."""

    is_match: bool
    decided_by: str  # "same-key", "different-keys" or "score"
    score: float | None
    threshold: float
    explanation: str
    parts: list[PartPublic]


class MatchExample(BaseModel):
    left: str
    right: str
    left_name: str
    right_name: str
    score: float
    explanation: str
    parts: list[PartPublic]


class DemoQualityPublic(BaseModel):
    """Quality of people resolution on a demo set made from a population resource."""

    people: int
    records: int
    seed: int
    error_rate: float
    duplicate_share: float
    true_pairs: int
    linked_pairs: int
    correct_pairs: int
    precision: float
    recall: float
    f1: float
    recall_by_error: dict[str, float]
    error_labels: dict[str, str]
    clusters: int
    keyless_records: int
    pairs_compared: int
    rejected_merges: int
    seconds: float
    records_per_second: float
    examples: list[MatchExample]
