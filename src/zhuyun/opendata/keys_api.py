"""Developer keys over JSON, for scripts: list, create (the key is in the answer, once),
revoke. Any signed-in account manages its own keys; a platform admin sees and revokes all."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import Path as PathParam

from zhuyun.core.errors import Forbidden
from zhuyun.core.paging import Page, PageDep
from zhuyun.identity.deps import Caller, SessionDep, SettingsDep
from zhuyun.identity.permissions import Role
from zhuyun.opendata import keys
from zhuyun.opendata.schemas import DeveloperKeyCreate, DeveloperKeyIssued, DeveloperKeyPublic

router = APIRouter(prefix="/api/opendata", tags=["open data 开放数据 (developer keys)"])

IdPath = Annotated[int, PathParam(ge=1, le=2_147_483_647)]


@router.get(
    "/keys", response_model=Page[DeveloperKeyPublic], summary="My developer keys / 我的开发者密钥"
)
def list_keys(
    principal: Caller,
    session: SessionDep,
    page: PageDep,
    all_accounts: Annotated[
        bool, Query(description="Every account's keys (platform admin) / 全部账号的密钥")
    ] = False,
) -> Page[DeveloperKeyPublic]:
    if all_accounts and not principal.has_role(Role.PLATFORM_ADMIN):
        raise Forbidden(
            "Only a platform admin sees every account's keys.",
            "只有平台管理员可查看全部账号的密钥。",
        )
    owner = None if all_accounts else principal.account_id
    rows, total = keys.list_keys(session, owner, page.offset, page.limit)
    return Page.of([DeveloperKeyPublic.model_validate(k) for k in rows], total, page)


@router.post(
    "/keys",
    status_code=201,
    response_model=DeveloperKeyIssued,
    summary="Create a developer key / 申请开发者密钥",
)
def create_key(
    body: DeveloperKeyCreate, principal: Caller, session: SessionDep, settings: SettingsDep
) -> DeveloperKeyIssued:
    raw, key = keys.create_key(
        session, settings, principal, body.name, body.purpose, body.rate_per_minute
    )
    return DeveloperKeyIssued(key=raw, **DeveloperKeyPublic.model_validate(key).model_dump())


@router.post(
    "/keys/{key_id}/revoke",
    response_model=DeveloperKeyPublic,
    summary="Revoke a developer key (idempotent) / 吊销开发者密钥",
)
def revoke_key(key_id: IdPath, principal: Caller, session: SessionDep) -> DeveloperKeyPublic:
    return DeveloperKeyPublic.model_validate(keys.revoke_key(session, principal, key_id))
