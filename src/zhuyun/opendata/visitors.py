"""Who is using the open-data portal: anyone (by client address), or an app developer by
the API key CKAN clients send (`Authorization: <key>` or `X-CKAN-API-Key`).

The portal is public, so its guard admits everyone; what a visitor may read depends on the
dataset's open type (conditionally open data needs a developer key)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from zhuyun.identity.deps import mark_guard


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


def open_visitor(request: Request) -> OpenVisitor:
    """The visitor of a portal request (a public guard: anyone may come in)."""
    client = request.client.host if request.client else "?"
    return OpenVisitor(client=client)


Visitor = Annotated[OpenVisitor, Depends(mark_guard(open_visitor, "public"))]
