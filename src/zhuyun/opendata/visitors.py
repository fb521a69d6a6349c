"""Who is using the open-data portal: anyone (by client address), or an app developer by
the API key CKAN clients send (`Authorization: <key>` or `X-CKAN-API-Key`).

The portal is public, so its guard admits everyone; what a visitor may read depends on the
dataset's open type (conditionally open data needs a developer key)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from zhuyun.core.errors import Forbidden
from zhuyun.identity.deps import SessionDep, mark_guard
from zhuyun.opendata.keys import resolve_key
from zhuyun.opendata.rate_limits import limiter_for, too_many


@dataclass(frozen=True)
class OpenVisitor:
    """A portal visitor: the client address, and the developer key when one was sent."""

    client: str
    key_id: int | None = None
    key_owner_id: int | None = None  # the account that registered the key

    @property
    def has_key(self) -> bool:
        return self.key_id is not None

    @property
    def label(self) -> str:
        """How the ledger names the visitor: a key, never the key itself."""
        return f"developer-key:{self.key_id}" if self.key_id is not None else "public"


def sent_key(request: Request) -> str | None:
    """The developer key a request carries: `X-CKAN-API-Key: <key>`, or `Authorization: <key>`
    as CKAN clients send it. `Authorization: Bearer …` is a staff token, not a developer key,
    and so is any other `<scheme> <credentials>`: those are ignored here."""
    named = request.headers.get("x-ckan-api-key", "").strip()
    if named:
        return named
    authorization = request.headers.get("authorization", "").strip()
    if authorization and " " not in authorization:
        return authorization
    return None


def open_visitor(request: Request, session: SessionDep) -> OpenVisitor:
    """The visitor of a portal request (a public guard: anyone may come in), counted against
    its rate limit: its developer key's, or its address's when it sends none.

    Synchronous on purpose (it reads the key from the database): FastAPI runs it in the
    thread pool. An unknown or revoked key is refused (403); too many requests get a 429
    with `Retry-After`."""
    client = request.client.host if request.client else "?"
    settings = request.app.state.settings
    limiter = limiter_for(request.app)
    raw = sent_key(request)
    if raw is None:
        verdict = limiter.hit(settings.opendata_anonymous_rate, "address", client)
        if not verdict.allowed:
            raise too_many(verdict, "address")
        return OpenVisitor(client=client)
    key, reason = resolve_key(session, settings.secret_key.get_secret_value(), raw)
    if key is None:
        revoked = reason == "revoked"
        raise Forbidden(
            "The developer key has been revoked."
            if revoked
            else "The developer key is not valid (unknown, or its account is inactive).",
            "该开发者密钥已被吊销。" if revoked else "开发者密钥无效（不存在或所属账号已停用）。",
            code="invalid-api-key",
        )
    verdict = limiter.hit(key.rate_per_minute, "key", str(key.id))
    if not verdict.allowed:
        raise too_many(verdict, "key")
    return OpenVisitor(client=client, key_id=key.id, key_owner_id=key.account_id)


Visitor = Annotated[OpenVisitor, Depends(mark_guard(open_visitor, "public"))]
