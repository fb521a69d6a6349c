"""Accounts: natural persons by resident ID, legal persons by credit code, staff of a unit.

Passwords are hashed with argon2id (argon2-cffi); nothing else about them is ever stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from zhuyun.core.db import utcnow
from zhuyun.core.errors import Conflict, NotFound, Unprocessable
from zhuyun.core.ids import InvalidIdentifier, parse_credit_code, parse_resident_id
from zhuyun.core.ledger import Actor, Subject, record
from zhuyun.identity.models import Account, OrgUnit, RoleGrant
from zhuyun.identity.permissions import (
    IMPLICIT_ROLE,
    STAFF_ROLES,
    AccountKind,
    Principal,
    Role,
    RoleScope,
)

_hasher = PasswordHasher()
_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{2,31}$")
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


_DUMMY_HASH = hash_password("zhuyun-timing-equaliser")


def burn_password_check(password: str) -> None:
    """Spend the time of a real check so an unknown user answers as slowly as a known one."""
    verify_password(_DUMMY_HASH, password)


def check_password_strength(password: str) -> None:
    if (
        len(password) < MIN_PASSWORD_LENGTH
        or not re.search(r"[A-Za-z]", password)
        or not re.search(r"\d", password)
    ):
        raise Unprocessable(
            f"The password needs at least {MIN_PASSWORD_LENGTH} characters, "
            "with letters and digits.",
            f"密码至少 {MIN_PASSWORD_LENGTH} 位，且须同时包含字母和数字。",
            code="weak-password",
        )


def _identifier_problem(exc: InvalidIdentifier, code: str) -> Unprocessable:
    return Unprocessable(exc.message_en, exc.message_zh, code=code)


def _ensure_free(session: Session, username: str) -> None:
    if session.scalar(select(Account.id).where(Account.username == username)) is not None:
        raise Conflict(
            f"An account {username} already exists.",
            f"账号 {username} 已存在。",
            code="account-exists",
        )


@dataclass(frozen=True)
class StaffDraft:
    username: str
    display_name: str
    unit_id: int
    password: str | None  # None: no password yet — the account cannot sign in until one is set
    roles: tuple[tuple[Role, int | None], ...] = ()
    phone: str | None = None


# A password hash no password verifies against: an account created without a password.
NO_PASSWORD = "!no-password"


def create_staff(session: Session, actor: Actor, draft: StaffDraft) -> Account:
    """A staff account in a unit, with its roles; recorded in the ledger."""
    if not _USERNAME.match(draft.username):
        raise Unprocessable(
            "A staff username is 3–32 letters, digits, '.', '_' or '-', starting with a letter.",
            "工作人员用户名为 3–32 位字母、数字或 . _ -，且以字母开头。",
            code="invalid-username",
        )
    if not draft.display_name.strip():
        raise Unprocessable("A name is required.", "姓名不能为空。", code="invalid-name")
    if session.get(OrgUnit, draft.unit_id) is None:
        raise NotFound(
            f"Unit {draft.unit_id} does not exist.",
            f"单位 {draft.unit_id} 不存在。",
            code="unit-not-found",
        )
    if draft.password is not None:
        check_password_strength(draft.password)
    _ensure_free(session, draft.username)
    account = Account(
        kind=AccountKind.STAFF.value,
        username=draft.username,
        display_name=draft.display_name.strip(),
        unit_id=draft.unit_id,
        phone=draft.phone,
        password_hash=NO_PASSWORD if draft.password is None else hash_password(draft.password),
        is_active=True,
        failed_logins=0,
    )
    session.add(account)
    session.flush()
    record(
        session,
        actor,
        "account.created",
        Subject("account", account.id),
        {"kind": account.kind, "username": account.username, "unit_id": draft.unit_id},
    )
    for role, unit_id in draft.roles:
        grant_role(session, actor, account, role, unit_id)
    return account


def _register_self(
    session: Session,
    kind: AccountKind,
    username: str,
    name: str,
    password: str,
    phone: str | None,
    name_required_zh: str,
) -> Account:
    """A citizen's or an enterprise's own registration: its identifier is its login name."""
    if not name.strip():
        raise Unprocessable("A name is required.", name_required_zh, code="invalid-name")
    check_password_strength(password)
    _ensure_free(session, username)
    account = Account(
        kind=kind.value,
        username=username,
        display_name=name.strip(),
        id_number=username if kind == AccountKind.PERSON else None,
        credit_code=username if kind == AccountKind.LEGAL else None,
        phone=phone,
        password_hash=hash_password(password),
        is_active=True,
        failed_logins=0,
    )
    session.add(account)
    session.flush()
    role = IMPLICIT_ROLE[kind]
    record(
        session,
        Actor(id=account.id, name=account.display_name, role=role.value if role else None),
        "account.registered",
        Subject("account", account.id),
        {"kind": account.kind},
    )
    return account


def register_person(
    session: Session, id_number: str, name: str, password: str, phone: str | None = None
) -> Account:
    """Self-registration of a natural person; the resident ID is the login name."""
    try:
        resident = parse_resident_id(id_number.strip())
    except InvalidIdentifier as exc:
        raise _identifier_problem(exc, "invalid-id-number") from exc
    return _register_self(
        session, AccountKind.PERSON, resident.number, name, password, phone, "姓名不能为空。"
    )


def register_legal(
    session: Session, credit_code: str, name: str, password: str, phone: str | None = None
) -> Account:
    """Self-registration of a legal person; the unified social credit code is the login name."""
    try:
        code = parse_credit_code(credit_code.strip()).code
    except InvalidIdentifier as exc:
        raise _identifier_problem(exc, "invalid-credit-code") from exc
    return _register_self(session, AccountKind.LEGAL, code, name, password, phone, "名称不能为空。")


def grant_role(
    session: Session, actor: Actor, account: Account, role: Role, unit_id: int | None
) -> RoleGrant:
    if account.kind != AccountKind.STAFF.value or role not in STAFF_ROLES:
        raise Unprocessable(
            f"Role {role} can only be granted to staff.",
            f"角色 {role} 只能授予工作人员。",
            code="invalid-role",
        )
    if unit_id is not None and session.get(OrgUnit, unit_id) is None:
        raise NotFound(
            f"Unit {unit_id} does not exist.", f"单位 {unit_id} 不存在。", code="unit-not-found"
        )
    for existing in account.roles:
        if existing.role == role.value and existing.unit_id == unit_id:
            return existing
    grant = RoleGrant(role=role.value, unit_id=unit_id)
    account.roles.append(grant)
    session.flush()
    record(
        session,
        actor,
        "account.role_granted",
        Subject("account", account.id),
        {"role": role.value, "unit_id": unit_id},
    )
    return grant


def revoke_role(
    session: Session, actor: Actor, account: Account, role: Role, unit_id: int | None
) -> None:
    for existing in list(account.roles):
        if existing.role == role.value and existing.unit_id == unit_id:
            account.roles.remove(existing)
            session.flush()
            record(
                session,
                actor,
                "account.role_revoked",
                Subject("account", account.id),
                {"role": role.value, "unit_id": unit_id},
            )
            return
    raise NotFound(
        "The account does not hold that role.", "该账号没有此角色。", code="role-not-held"
    )


def set_active(session: Session, actor: Actor, account: Account, active: bool) -> None:
    if account.is_active != active:
        account.is_active = active
        record(
            session,
            actor,
            "account.activated" if active else "account.deactivated",
            Subject("account", account.id),
        )


def unlock(session: Session, actor: Actor, account: Account) -> None:
    account.failed_logins = 0
    account.locked_until = None
    record(session, actor, "account.unlocked", Subject("account", account.id))


def change_password(
    session: Session, actor: Actor, account: Account, current: str, new: str
) -> None:
    if not verify_password(account.password_hash, current):
        raise Unprocessable(
            "The current password is wrong.", "当前密码错误。", code="wrong-password"
        )
    check_password_strength(new)
    account.password_hash = hash_password(new)
    record(session, actor, "account.password_changed", Subject("account", account.id))


def get_account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(
            f"Account {account_id} does not exist.",
            f"账号 {account_id} 不存在。",
            code="account-not-found",
        )
    return account


def find_account(session: Session, username: str) -> Account | None:
    return session.scalar(select(Account).where(Account.username == username))


def list_accounts(
    session: Session,
    *,
    kind: str | None = None,
    unit_id: int | None = None,
    query: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[Sequence[Account], int]:
    conditions = []
    if kind:
        conditions.append(Account.kind == kind)
    if unit_id is not None:
        conditions.append(Account.unit_id == unit_id)
    if query:
        # Names and staff usernames match by fragment; a resident ID or credit code only as a
        # whole, so the search cannot be used to guess a masked number piece by piece.
        text = query.strip()
        conditions.append(
            or_(
                Account.display_name.contains(text, autoescape=True),
                and_(
                    Account.kind == AccountKind.STAFF.value,
                    Account.username.contains(text, autoescape=True),
                ),
                Account.username == text.upper(),
            )
        )
    total = session.scalar(select(func.count()).select_from(Account).where(*conditions)) or 0
    rows = session.scalars(
        select(Account).where(*conditions).order_by(Account.id).offset(offset).limit(limit)
    ).all()
    return rows, total


def count_accounts_by_kind(session: Session) -> dict[str, int]:
    rows = session.execute(select(Account.kind, func.count()).group_by(Account.kind)).all()
    return {kind: count for kind, count in rows}


def role_scopes(account: Account) -> frozenset[RoleScope]:
    scopes = {RoleScope(Role(grant.role), grant.unit_id) for grant in account.roles}
    implicit = IMPLICIT_ROLE[AccountKind(account.kind)]
    if implicit is not None:
        scopes.add(RoleScope(implicit, None))
    return frozenset(scopes)


def principal_for(
    account: Account,
    via: str = "session",
    session_id: str | None = None,
    token_id: int | None = None,
) -> Principal:
    return Principal(
        account_id=account.id,
        username=account.username,
        display_name=account.display_name,
        kind=AccountKind(account.kind),
        unit_id=account.unit_id,
        roles=role_scopes(account),
        via=via,
        session_id=session_id,
        token_id=token_id,
    )


def is_locked(account: Account) -> bool:
    return account.locked_until is not None and account.locked_until > utcnow()


def roles_of(accounts: Iterable[Account]) -> dict[int, list[str]]:
    return {a.id: sorted(g.role for g in a.roles) for a in accounts}
