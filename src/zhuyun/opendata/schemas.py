"""Pydantic models of the open-data portal's own JSON API (its CKAN API answers in CKAN's
shapes instead): developer keys."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class DeveloperKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="App name / 应用名称")
    purpose: str = Field(default="", max_length=500, description="What the app does / 用途说明")
    rate_per_minute: int | None = Field(
        default=None,
        ge=1,
        le=1_000_000,
        description="Requests per minute (the platform's default when left out; at most "
        "ZHUYUN_OPENDATA_KEY_MAX_RATE) / 每分钟调用上限",
    )


class DeveloperKeyPublic(BaseModel):
    """A key as its owner sees it: never the key itself, nor its hash."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    name: str
    purpose: str
    prefix: str = Field(description="Names the key: zyk_<prefix>_… / 密钥前缀")
    rate_per_minute: int
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class DeveloperKeyIssued(DeveloperKeyPublic):
    key: str = Field(description="Shown once; store it now / 仅显示一次，请立即保存")
