"""Signing in: password login with lockout, browser sessions, API tokens, logout.

Failures must reach the ledger even though the request fails, so the functions that refuse
commit their ledger entry before raising.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from zhuyun.core.db import utcnow
from zhuyun.core.errors import NotFound, TooManyRequests, Unauthorized, Unprocessable
from zhuyun.core.ledger import Actor, Subject, record
from zhuyun.core.settings import Settings
from zhuyun.identity.models import Account, ApiToken, RoleGrant, WebSession
from zhuyun.identity.permissions import IMPLICIT_ROLE, AccountKind, Principal, Role, RoleScope
from zhuyun.identity.service.accounts import (
    burn_password_check,
    find_account,
    hash_password,
    is_locked,
    password_needs_rehash,
    principal_for,
    verify_password,
)

ANONYMOUS = Actor(id=None, name="anonymous")
TOKEN_PREFIX = "zy"
_TOKEN_LAST_USED_RESOLUTION = timedelta(minutes=5)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def record_refusal(
    session: Session,
    activity: str,
    subject: Subject,
    attrs: dict[str, object],
    actor: Actor = ANONYMOUS,
) -> None:
    """Ledger a refused attempt in its own committed transaction, whatever the request did."""
    session.rollback()
    record(session, actor, activity, subject, attrs)
    session.commit()


def _wrong_credentials() -> Unauthorized:
    return Unauthorized(
        "Wrong username or password.", "用户名或密码错误。", code="wrong-credentials"
    )


def authenticate(
    session: Session, settings: Settings, username: str, password: str, channel: str
) -> Account:
    """Check a password; count failures, lock after too many; every outcome is in the ledger."""
    username = username.strip()
    if len(username) == 18:
        username = username.upper()  # resident IDs end in X, credit codes are upper case
    account = find_account(session, username)
    if account is None or not account.is_active:
        burn_password_check(password)
        record_refusal(
            session,
            "auth.login_failed",
            Subject("login", username[:64]),
            {"reason": "unknown_user" if account is None else "inactive", "channel": channel},
        )
        raise _wrong_credentials()
    actor = Actor(id=account.id, name=account.display_name, unit_id=account.unit_id)
    if is_locked(account):
        record_refusal(
            session,
            "auth.login_refused",
            Subject("account", account.id),
            {"reason": "locked", "channel": channel},
            actor,
        )
        raise _locked(account, settings)
    if not verify_password(account.password_hash, password):
        account.failed_logins = (account.failed_logins or 0) + 1
        attrs: dict[str, object] = {
            "reason": "wrong_password",
            "channel": channel,
            "failed_logins": account.failed_logins,
        }
        record(session, actor, "auth.login_failed", Subject("account", account.id), attrs)
        if account.failed_logins >= settings.lockout_threshold:
            account.locked_until = utcnow() + timedelta(minutes=settings.lockout_minutes)
            record(
                session,
                actor,
                "auth.account_locked",
                Subject("account", account.id),
                {"until": account.locked_until.isoformat(), "after": account.failed_logins},
            )
        session.commit()
        if is_locked(account):
            raise _locked(account, settings)
        raise _wrong_credentials()
    if password_needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    account.failed_logins = 0
    account.locked_until = None
    account.last_login_at = utcnow()
    return account


def _locked(account: Account, settings: Settings) -> TooManyRequests:
    minutes = int(settings.lockout_minutes)
    return TooManyRequests(
        f"Too many failed sign-ins: the account is locked for {minutes} minutes.",
        f"登录失败次数过多，账号已锁定 {minutes} 分钟。",
        code="account-locked",
        headers={"Retry-After": str(int(settings.lockout_minutes * 60))},
    )


def start_session(
    session: Session, settings: Settings, account: Account, user_agent: str | None
) -> tuple[str, WebSession]:
    """A fresh browser session (a new id at every sign-in, so no fixation)."""
    raw = secrets.token_urlsafe(32)
    web_session = WebSession(
        id=_digest(raw),
        account_id=account.id,
        expires_at=utcnow() + timedelta(hours=settings.session_hours),
        user_agent=(user_agent or "")[:300],
    )
    session.add(web_session)
    session.flush()
    record(
        session,
        principal_for(account).as_actor(),
        "auth.login",
        Subject("account", account.id),
        {"channel": "web"},
    )
    return raw, web_session


def resolve_session(session: Session, raw: str) -> Principal | None:
    web_session = session.get(WebSession, _digest(raw))
    if web_session is None or web_session.revoked_at is not None:
        return None
    if web_session.expires_at <= utcnow():
        return None
    account = session.get(Account, web_session.account_id)
    if account is None or not account.is_active:
        return None
    return principal_for(account, via="session", session_id=web_session.id)


def session_state(session: Session, raw: str) -> str:
    """Why a cookie did not resolve: 'unknown', 'revoked' or 'expired' (for the ledger)."""
    web_session = session.get(WebSession, _digest(raw))
    if web_session is None:
        return "unknown"
    if web_session.revoked_at is not None:
        return "revoked"
    return "expired"


def end_session(session: Session, principal: Principal) -> None:
    if principal.session_id is not None:
        web_session = session.get(WebSession, principal.session_id)
        if web_session is not None and web_session.revoked_at is None:
            web_session.revoked_at = utcnow()
    elif principal.token_id is not None:
        token = session.get(ApiToken, principal.token_id)
        if token is not None and token.revoked_at is None:
            token.revoked_at = utcnow()
    record(
        session,
        principal.as_actor(),
        "auth.logout",
        Subject("account", principal.account_id),
        {"channel": principal.via},
    )


def issue_token(
    session: Session, actor: Actor, account: Account, name: str, expires_in_days: int | None
) -> tuple[str, ApiToken]:
    """A bearer token; the raw value is returned once and never stored."""
    if not name.strip():
        raise Unprocessable("A token needs a name.", "令牌须有名称。", code="invalid-token-name")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    raw = f"{TOKEN_PREFIX}_{prefix}_{secret}"
    expires_at = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
    token = ApiToken(
        account_id=account.id,
        name=name.strip()[:100],
        prefix=prefix,
        secret_hash=_digest(secret),
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    record(
        session,
        actor,
        "token.issued",
        Subject("account", account.id),
        {
            "token_id": token.id,
            "name": token.name,
            "prefix": prefix,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return raw, token


def sign_in_for_token(
    session: Session,
    settings: Settings,
    username: str,
    password: str,
    token_name: str,
    expires_in_days: int | None,
) -> tuple[str, ApiToken]:
    """Password sign-in for machines: the answer is a bearer token instead of a cookie."""
    account = authenticate(session, settings, username, password, "api")
    actor = principal_for(account).as_actor()
    record(session, actor, "auth.login", Subject("account", account.id), {"channel": "api"})
    return issue_token(session, actor, account, token_name, expires_in_days)


_TOKEN_QUERY = (
    select(
        ApiToken.id,
        ApiToken.secret_hash,
        ApiToken.revoked_at,
        ApiToken.expires_at,
        ApiToken.last_used_at,
        Account.id,
        Account.username,
        Account.display_name,
        Account.kind,
        Account.unit_id,
        Account.is_active,
        RoleGrant.role,
        RoleGrant.unit_id,
    )
    .select_from(ApiToken)
    .outerjoin(Account, Account.id == ApiToken.account_id)
    .outerjoin(RoleGrant, RoleGrant.account_id == Account.id)
    .where(ApiToken.prefix == bindparam("prefix"))
)


def resolve_token(session: Session, raw: str) -> tuple[Principal | None, str]:
    """The principal behind a bearer token, or None and the reason it was refused.

    One round trip: the token, its account and the account's roles in one statement, read
    afresh on every request, so a revoked or expired token or a deactivated account is
    refused at once. `last_used_at` is written at most once per resolution window."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None, "malformed"
    # On the session's connection, not through the ORM: plain columns need none of its
    # entity machinery, and the statement is built once per process.
    rows = session.connection().execute(_TOKEN_QUERY, {"prefix": parts[1]}).all()
    if not rows or not hmac.compare_digest(rows[0][1], _digest(parts[2])):
        return None, "forged"
    first: Any = rows[0]
    token_id, _, revoked_at, expires_at, last_used_at = first[:5]
    account_id, username, display_name, kind, unit_id, is_active = first[5:11]
    if revoked_at is not None:
        return None, "revoked"
    now = utcnow()
    if expires_at is not None and expires_at <= now:
        return None, "expired"
    if account_id is None or not is_active:
        return None, "inactive"
    if last_used_at is None or now - last_used_at > _TOKEN_LAST_USED_RESOLUTION:
        session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    scopes = {RoleScope(Role(row[11]), row[12]) for row in rows if row[11] is not None}
    implicit = IMPLICIT_ROLE[AccountKind(kind)]
    if implicit is not None:
        scopes.add(RoleScope(implicit, None))
    principal = Principal(
        account_id=account_id,
        username=username,
        display_name=display_name,
        kind=AccountKind(kind),
        unit_id=unit_id,
        roles=frozenset(scopes),
        via="token",
        token_id=token_id,
    )
    return principal, "ok"


def list_tokens(session: Session, account_id: int) -> Sequence[ApiToken]:
    return session.scalars(
        select(ApiToken).where(ApiToken.account_id == account_id).order_by(ApiToken.id.desc())
    ).all()


def revoke_token(session: Session, actor: Actor, account_id: int, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or token.account_id != account_id:
        raise NotFound(
            f"Token {token_id} does not exist.", f"令牌 {token_id} 不存在。", code="token-not-found"
        )
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record(
            session,
            actor,
            "token.revoked",
            Subject("account", account_id),
            {"token_id": token.id, "prefix": token.prefix},
        )
    return token
