"""Pydantic models of the supply-demand board's JSON API (社群通)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class BoardPostCreate(BaseModel):
    kind: str = Field(max_length=6, description="need（需求）或 offer（服务）")
    category: str = Field(
        max_length=20, description="类别代码，见 GET /api/governance/board/categories"
    )
    title: str = Field(max_length=200)
    text: str = Field(max_length=20_000, description="说明（最多 2,000 字）")
    starts_at: datetime
    ends_at: datetime
    lng: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    address: str | None = Field(None, max_length=300)
    radius_m: int = Field(3_000, ge=0, le=1_000_000, description="服务半径（米，100–50,000）")
    capacity: int = Field(1, ge=0, le=1_000_000, description="服务可对接的需求数")
    contact_name: str | None = Field(None, max_length=100)
    contact_phone: str | None = Field(None, max_length=30)


class BoardPostPublic(BaseModel):
    id: int
    kind: str
    kind_label: str
    category: str
    category_name: str
    title: str
    text: str
    poster_type: str
    poster_type_label: str
    unit_name: str | None
    contact_name: str | None
    contact_phone: str | None
    lng: float
    lat: float
    address: str | None
    grid_code: str | None
    district_code: str | None
    radius_m: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    matched_count: int
    status: str
    status_label: str
    mine: bool
    created_at: datetime


class CandidatePublic(BaseModel):
    post: BoardPostPublic
    distance_m: float


class MatchCreate(BaseModel):
    need_id: int = Field(ge=1, le=2**31 - 1)
    offer_id: int = Field(ge=1, le=2**31 - 1)


class MatchDecline(BaseModel):
    reason: str = Field("", max_length=500)


class MatchPublic(BaseModel):
    id: int
    need_id: int
    offer_id: int
    need_title: str
    offer_title: str
    category: str
    distance_m: float
    status: str
    status_label: str
    need_confirmed: bool
    offer_confirmed: bool
    created_at: datetime
    closed_at: datetime | None


class CategoryPublic(BaseModel):
    code: str
    name: str
