"""Identity JSON API: sign-in tokens, registration, one's own account, units and accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi import Path as PathParam

from zhuyun.core.masking import mask_id_number
from zhuyun.core.paging import Page, PageDep
from zhuyun.identity import service
from zhuyun.identity.deps import Allowed, Caller, MaybeCaller, SessionDep, SettingsDep
from zhuyun.identity.models import Account
from zhuyun.identity.permissions import AccountKind, Permission, Principal, Role, account_scope
from zhuyun.identity.schemas import (
    AccountPublic,
    AccountUpdate,
    LegalRegistration,
    LoginRequest,
    MePublic,
    PasswordChange,
    PersonRegistration,
    RoleScopePublic,
    StaffCreate,
    TokenCreate,
    TokenIssued,
    TokenPublic,
    UnitCreate,
    UnitPublic,
    UnitUpdate,
)
from zhuyun.identity.service.accounts import is_locked, role_scopes

router = APIRouter(prefix="/api", tags=["identity 身份"])

IdPath = Annotated[int, PathParam(ge=1, le=2_147_483_647)]


def account_public(account: Account, reveal: bool) -> AccountPublic:
    """An account as JSON; a person's resident ID is masked unless it is their own."""
    username = account.username
    if account.kind == AccountKind.PERSON.value and not reveal:
        username = mask_id_number(username)
    return AccountPublic(
        id=account.id,
        kind=account.kind,
        username=username,
        display_name=account.display_name,
        unit_id=account.unit_id,
        unit_name=account.unit.name if account.unit else None,
        roles=[
            RoleScopePublic(role=s.role, unit_id=s.unit_id)
            for s in sorted(role_scopes(account), key=lambda s: (s.role.value, s.unit_id or 0))
        ],
        is_active=account.is_active,
        locked=is_locked(account),
        created_at=account.created_at,
        last_login_at=account.last_login_at,
    )


@router.post(
    "/auth/token",
    status_code=201,
    response_model=TokenIssued,
    summary="Sign in with a password and get an API token / 密码登录获取 API 令牌",
)
def login_for_token(
    body: LoginRequest, session: SessionDep, settings: SettingsDep, _: MaybeCaller
) -> TokenIssued:
    raw, token = service.sign_in_for_token(
        session, settings, body.username, body.password, body.token_name, body.expires_in_days
    )
    return TokenIssued(token=raw, **TokenPublic.model_validate(token).model_dump())


@router.post("/auth/logout", status_code=204, summary="Sign out / 退出登录")
def logout(principal: Caller, session: SessionDep) -> Response:
    service.end_session(session, principal)
    return Response(status_code=204)


@router.post(
    "/auth/register/person",
    status_code=201,
    response_model=AccountPublic,
    summary="Register a natural person / 自然人注册",
)
def register_person(body: PersonRegistration, session: SessionDep, _: MaybeCaller) -> AccountPublic:
    account = service.register_person(session, body.id_number, body.name, body.password, body.phone)
    return account_public(account, reveal=True)


@router.post(
    "/auth/register/legal",
    status_code=201,
    response_model=AccountPublic,
    summary="Register a legal person / 法人注册",
)
def register_legal(body: LegalRegistration, session: SessionDep, _: MaybeCaller) -> AccountPublic:
    account = service.register_legal(
        session, body.credit_code, body.name, body.password, body.phone
    )
    return account_public(account, reveal=True)


@router.get("/me", response_model=MePublic, summary="My account / 我的账号")
def me(principal: Caller, session: SessionDep) -> MePublic:
    account = service.get_account(session, principal.account_id)
    public = account_public(account, reveal=True)
    return MePublic(**public.model_dump(), permissions=sorted(principal.permissions))


@router.post("/me/password", status_code=204, summary="Change my password / 修改密码")
def change_password(body: PasswordChange, principal: Caller, session: SessionDep) -> Response:
    account = service.get_account(session, principal.account_id)
    service.change_password(
        session, principal.as_actor(), account, body.current_password, body.new_password
    )
    return Response(status_code=204)


@router.get("/me/tokens", response_model=list[TokenPublic], summary="My API tokens / 我的令牌")
def my_tokens(principal: Caller, session: SessionDep) -> list[TokenPublic]:
    return [
        TokenPublic.model_validate(t) for t in service.list_tokens(session, principal.account_id)
    ]


@router.post(
    "/me/tokens",
    status_code=201,
    response_model=TokenIssued,
    summary="Issue an API token / 签发 API 令牌",
)
def issue_token(body: TokenCreate, principal: Caller, session: SessionDep) -> TokenIssued:
    account = service.get_account(session, principal.account_id)
    raw, token = service.issue_token(
        session, principal.as_actor(), account, body.name, body.expires_in_days
    )
    return TokenIssued(token=raw, **TokenPublic.model_validate(token).model_dump())


@router.delete("/me/tokens/{token_id}", status_code=204, summary="Revoke an API token / 吊销令牌")
def revoke_token(token_id: IdPath, principal: Caller, session: SessionDep) -> Response:
    service.revoke_token(session, principal.as_actor(), principal.account_id, token_id)
    return Response(status_code=204)


@router.get("/units", response_model=Page[UnitPublic], summary="Org units / 组织机构")
def list_units(
    principal: Annotated[Principal, Allowed(Permission.UNITS_READ)],
    session: SessionDep,
    page: PageDep,
    kind: Annotated[service.UnitKind | None, Query()] = None,
    parent_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[UnitPublic]:
    rows, total = service.list_units(
        session,
        kind=kind.value if kind else None,
        parent_id=parent_id,
        query=q,
        offset=page.offset,
        limit=page.limit,
    )
    return Page.of([UnitPublic.model_validate(u) for u in rows], total, page)


@router.get("/units/{unit_id}", response_model=UnitPublic, summary="One org unit / 单位详情")
def get_unit(
    unit_id: IdPath,
    principal: Annotated[Principal, Allowed(Permission.UNITS_READ)],
    session: SessionDep,
) -> UnitPublic:
    return UnitPublic.model_validate(service.get_unit(session, unit_id))


@router.post(
    "/units", status_code=201, response_model=UnitPublic, summary="Create an org unit / 新建单位"
)
def create_unit(
    body: UnitCreate,
    principal: Annotated[Principal, Allowed(Permission.UNITS_MANAGE)],
    session: SessionDep,
) -> UnitPublic:
    unit = service.create_unit(
        session, principal.as_actor(), service.UnitDraft(**body.model_dump())
    )
    return UnitPublic.model_validate(unit)


@router.patch(
    "/units/{unit_id}", response_model=UnitPublic, summary="Update an org unit / 修改单位"
)
def update_unit(
    unit_id: IdPath,
    body: UnitUpdate,
    principal: Annotated[Principal, Allowed(Permission.UNITS_MANAGE)],
    session: SessionDep,
) -> UnitPublic:
    unit = service.rename_unit(session, principal.as_actor(), unit_id, body.name, body.is_active)
    return UnitPublic.model_validate(unit)


@router.get("/accounts", response_model=Page[AccountPublic], summary="Accounts / 账号")
def list_accounts(
    principal: Annotated[Principal, Allowed(Permission.ACCOUNTS_READ)],
    session: SessionDep,
    page: PageDep,
    kind: Annotated[AccountKind | None, Query()] = None,
    unit_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[AccountPublic]:
    rows, total = service.list_accounts(
        session,
        kind=kind.value if kind else None,
        unit_id=account_scope(principal, unit_id),
        query=q,
        offset=page.offset,
        limit=page.limit,
    )
    return Page.of(
        [account_public(a, reveal=a.id == principal.account_id) for a in rows], total, page
    )


@router.get(
    "/accounts/{account_id}", response_model=AccountPublic, summary="One account / 账号详情"
)
def get_account(
    account_id: IdPath,
    principal: Annotated[Principal, Allowed(Permission.ACCOUNTS_READ)],
    session: SessionDep,
) -> AccountPublic:
    account = service.get_account(session, account_id)
    account_scope(principal, account.unit_id if account.unit_id else -1)
    return account_public(account, reveal=account.id == principal.account_id)


@router.post(
    "/accounts",
    status_code=201,
    response_model=AccountPublic,
    summary="Create a staff account / 新建工作人员账号",
)
def create_staff(
    body: StaffCreate,
    principal: Annotated[Principal, Allowed(Permission.ACCOUNTS_MANAGE)],
    session: SessionDep,
) -> AccountPublic:
    draft = service.StaffDraft(
        username=body.username,
        display_name=body.display_name,
        unit_id=body.unit_id,
        password=body.password,
        phone=body.phone,
        roles=tuple((r.role, r.unit_id) for r in body.roles),
    )
    account = service.create_staff(session, principal.as_actor(), draft)
    return account_public(account, reveal=False)


@router.patch(
    "/accounts/{account_id}",
    response_model=AccountPublic,
    summary="Activate, deactivate or unlock an account / 启用、停用或解锁账号",
)
def update_account(
    account_id: IdPath,
    body: AccountUpdate,
    principal: Annotated[Principal, Allowed(Permission.ACCOUNTS_MANAGE)],
    session: SessionDep,
) -> AccountPublic:
    account = service.get_account(session, account_id)
    if body.is_active is not None:
        service.set_active(session, principal.as_actor(), account, body.is_active)
    if body.unlock:
        service.unlock(session, principal.as_actor(), account)
    return account_public(account, reveal=False)


@router.post(
    "/accounts/{account_id}/roles", response_model=AccountPublic, summary="Grant a role / 授予角色"
)
def grant_role(
    account_id: IdPath,
    body: RoleScopePublic,
    principal: Annotated[Principal, Allowed(Permission.ACCOUNTS_MANAGE)],
    session: SessionDep,
) -> AccountPublic:
    account = service.get_account(session, account_id)
    service.grant_role(session, principal.as_actor(), account, body.role, body.unit_id)
    return account_public(account, reveal=False)


@router.delete(
    "/accounts/{account_id}/roles", response_model=AccountPublic, summary="Revoke a role / 收回角色"
)
def revoke_role(
    account_id: IdPath,
    principal: Annotated[Principal, Allowed(Permission.ACCOUNTS_MANAGE)],
    session: SessionDep,
    role: Annotated[Role, Query()],
    unit_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> AccountPublic:
    account = service.get_account(session, account_id)
    service.revoke_role(session, principal.as_actor(), account, role, unit_id)
    return account_public(account, reveal=False)
