"""Developer keys of the open-data API: self-service, shown once, revocable, each with its own
rate limit.

Any signed-in account (citizen, enterprise or staff) registers keys for its apps. A key is
`zyk_<prefix>_<secret>`; the platform stores only the prefix (to name the key) and a keyed
hash of the whole key (HMAC-SHA256 under `ZHUYUN_SECRET_KEY`: fast enough to check on every
request, and useless to whoever reads the table without the secret). Changing the secret key
therefore retires every developer key. Creating and revoking keys are ledgered; the key and
its hash never are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from zhuyun.core import api_keys
from zhuyun.core.db import utcnow
from zhuyun.core.errors import NotFound, Unprocessable
from zhuyun.core.ledger import Subject, record
from zhuyun.core.settings import Settings
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import Principal, Role
from zhuyun.opendata.models import DeveloperKey

KEY_PREFIX = "zyk"
MAX_ACTIVE_KEYS = 20  # per account: keys are cheap, but each brings its own rate
LAST_USED_RESOLUTION = timedelta(minutes=1)  # `last_used_at` is written at most this often


def key_hash(secret_key: str, raw: str) -> str:
    """The stored form of a key: HMAC-SHA256 under the platform's secret key."""
    return api_keys.key_digest(secret_key, raw)


def looks_like_key(raw: str) -> bool:
    return api_keys.looks_like_key(KEY_PREFIX, raw)


def create_key(
    session: Session,
    settings: Settings,
    owner: Principal,
    name: str,
    purpose: str = "",
    rate_per_minute: int | None = None,
) -> tuple[str, DeveloperKey]:
    """A new key of `owner`'s; the raw key is returned once and never stored."""
    name = name.strip()
    if not name:
        raise Unprocessable("A key needs a name.", "密钥须有名称（应用名称）。", code="invalid-key")
    rate = settings.opendata_key_rate if rate_per_minute is None else rate_per_minute
    if not 1 <= rate <= settings.opendata_key_max_rate:
        top = settings.opendata_key_max_rate
        raise Unprocessable(
            f"A key's rate is 1 to {top} requests per minute.",
            f"密钥的调用频率须在每分钟 1 至 {top} 次之间。",
            code="invalid-key-rate",
        )
    active = session.scalar(
        select(func.count())
        .select_from(DeveloperKey)
        .where(DeveloperKey.account_id == owner.account_id, DeveloperKey.revoked_at.is_(None))
    )
    if (active or 0) >= MAX_ACTIVE_KEYS:
        raise Unprocessable(
            f"An account holds at most {MAX_ACTIVE_KEYS} active keys; revoke one first.",
            f"每个账号最多持有 {MAX_ACTIVE_KEYS} 个有效密钥，请先吊销不用的密钥。",
            code="too-many-keys",
        )
    minted = api_keys.mint_key(KEY_PREFIX, settings.secret_key.get_secret_value())
    raw, prefix = minted.raw, minted.prefix
    key = DeveloperKey(
        account_id=owner.account_id,
        name=name[:100],
        purpose=purpose.strip()[:500],
        prefix=prefix,
        key_hash=minted.digest,
        rate_per_minute=rate,
        created_at=utcnow(),
    )
    session.add(key)
    session.flush()
    record(
        session,
        owner.as_actor(),
        "opendata.key_created",
        Subject("developer_key", key.id),
        {"key_id": key.id, "owner_id": owner.account_id, "name": key.name, "prefix": prefix,
         "rate_per_minute": rate},
    )  # fmt: skip
    return raw, key


def list_keys(
    session: Session, account_id: int | None, offset: int = 0, limit: int = 50
) -> tuple[Sequence[DeveloperKey], int]:
    """Keys of one account (or of every account, for an admin's `account_id=None`), newest
    first, one page of them and how many there are."""
    query = select(DeveloperKey)
    counted = select(func.count()).select_from(DeveloperKey)
    if account_id is not None:
        query = query.where(DeveloperKey.account_id == account_id)
        counted = counted.where(DeveloperKey.account_id == account_id)
    rows = session.scalars(query.order_by(DeveloperKey.id.desc()).offset(offset).limit(limit))
    return rows.all(), session.scalar(counted) or 0


def _not_found(key_id: int) -> NotFound:
    return NotFound(
        f"Developer key {key_id} does not exist.",
        f"开发者密钥 {key_id} 不存在。",
        code="key-not-found",
    )


def get_key(session: Session, principal: Principal, key_id: int) -> DeveloperKey:
    """One of the caller's keys (any key, for a platform admin); someone else's key does not
    exist for the caller."""
    key = session.get(DeveloperKey, key_id)
    if key is None or (
        key.account_id != principal.account_id and not principal.has_role(Role.PLATFORM_ADMIN)
    ):
        raise _not_found(key_id)
    return key


def revoke_key(session: Session, principal: Principal, key_id: int) -> DeveloperKey:
    """Revoke a key at once: by its owner or a platform admin. Revoking a revoked key changes
    nothing (and records nothing)."""
    key = get_key(session, principal, key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        record(
            session,
            principal.as_actor(),
            "opendata.key_revoked",
            Subject("developer_key", key.id),
            {"key_id": key.id, "owner_id": key.account_id, "prefix": key.prefix,
             "by_owner": key.account_id == principal.account_id},
        )  # fmt: skip
    return key


@dataclass(frozen=True)
class ResolvedKey:
    """A key that may be used: its id, its owner and its rate."""

    id: int
    account_id: int
    rate_per_minute: int


_KEY_QUERY = select(
    DeveloperKey.id,
    DeveloperKey.account_id,
    DeveloperKey.rate_per_minute,
    DeveloperKey.revoked_at,
    DeveloperKey.last_used_at,
).where(DeveloperKey.key_hash == bindparam("key_hash"))


def resolve_key(session: Session, secret_key: str, raw: str) -> tuple[ResolvedKey | None, str]:
    """The key behind a raw key, or None and why not ('unknown', 'revoked', 'inactive').

    Read afresh on every request, so a revoked key is refused at once; `last_used_at` is
    written at most once a minute per key."""
    if not looks_like_key(raw):
        return None, "unknown"
    row = session.connection().execute(_KEY_QUERY, {"key_hash": key_hash(secret_key, raw)}).first()
    if row is None:
        return None, "unknown"
    key_id, account_id, rate, revoked_at, last_used_at = row
    if revoked_at is not None:
        return None, "revoked"
    try:
        owner = identity.get_account(session, account_id)
    except NotFound:
        return None, "inactive"
    if not owner.is_active:
        return None, "inactive"
    now = utcnow()
    if last_used_at is None or now - last_used_at > LAST_USED_RESOLUTION:
        session.execute(
            update(DeveloperKey).where(DeveloperKey.id == key_id).values(last_used_at=now)
        )
    return ResolvedKey(id=key_id, account_id=account_id, rate_per_minute=rate), "ok"
