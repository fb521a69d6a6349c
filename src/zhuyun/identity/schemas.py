"""Pydantic models of the identity JSON API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from zhuyun.identity.permissions import Role
from zhuyun.identity.service.units import UnitKind


class LoginRequest(BaseModel):
    username: str = Field(
        min_length=1,
        max_length=64,
        description="Username, resident ID or credit code / 用户名、身份证号或信用代码",
    )
    password: str = Field(min_length=1, max_length=256)
    token_name: str = Field(default="api", min_length=1, max_length=100)
    expires_in_days: int | None = Field(default=30, ge=1, le=365)


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    expires_in_days: int | None = Field(default=90, ge=1, le=365)


class TokenPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenIssued(TokenPublic):
    token: str = Field(description="Shown once; store it now / 仅显示一次，请立即保存")


class RoleScopePublic(BaseModel):
    role: Role
    unit_id: int | None


class AccountPublic(BaseModel):
    id: int
    kind: str
    username: str
    display_name: str
    unit_id: int | None
    unit_name: str | None
    roles: list[RoleScopePublic]
    is_active: bool
    locked: bool
    created_at: datetime
    last_login_at: datetime | None


class MePublic(AccountPublic):
    permissions: list[str]


class StaffCreate(BaseModel):
    username: str = Field(min_length=3, max_length=32)
    display_name: str = Field(min_length=1, max_length=200)
    unit_id: int = Field(ge=1, le=2_147_483_647)
    password: str = Field(min_length=8, max_length=256)
    roles: list[RoleScopePublic] = Field(default_factory=list, max_length=20)
    phone: str | None = Field(default=None, pattern=r"^1\d{10}$")


class PersonRegistration(BaseModel):
    id_number: str = Field(min_length=18, max_length=18, description="居民身份证号码")
    name: str = Field(min_length=1, max_length=50)
    password: str = Field(min_length=8, max_length=256)
    phone: str | None = Field(default=None, pattern=r"^1\d{10}$")


class LegalRegistration(BaseModel):
    credit_code: str = Field(min_length=18, max_length=18, description="统一社会信用代码")
    name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=8, max_length=256)
    phone: str | None = Field(default=None, pattern=r"^1\d{10}$")


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=8, max_length=256)


class AccountUpdate(BaseModel):
    is_active: bool | None = None
    unlock: bool = False


class UnitPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    kind: UnitKind
    parent_id: int | None
    division_code: str
    credit_code: str | None
    category: str | None
    is_active: bool


class UnitCreate(BaseModel):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=200)
    kind: UnitKind
    parent_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    division_code: str | None = Field(default=None, pattern=r"^\d{6}(\d{3}(\d{3})?)?$")
    credit_code: str | None = Field(default=None, min_length=18, max_length=18)
    category: str | None = Field(default=None, max_length=40)


class UnitUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    is_active: bool | None = None
