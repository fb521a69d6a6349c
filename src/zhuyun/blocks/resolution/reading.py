"""Reading a resource page by page through the governed gateway, in pages as big as the
caller's grant allows (resolution and analytics both read registers this way).

The policy is asked first with a one-row probe — which reads nothing and is ledgered only
when refused — so a caller learns what would be masked, and the page size its grant allows,
before any row is read. Every page read is then a governed query with its own ledger entry.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from zhuyun.exchange.connectors import Filter
from zhuyun.exchange.service import gateway
from zhuyun.identity.permissions import Principal


@dataclass
class GovernedRead:
    """A read the policy allows: what it masks, and its rows on demand."""

    session: Session
    secret_key: str
    principal: Principal
    resource_id: int
    items: Sequence[str]
    purpose: str
    today: date
    filters: Sequence[Filter] = ()
    masked: list[str] = field(default_factory=list)
    page_rows: int = gateway.MAX_PAGE_ROWS

    def rows(self, limit: int | None = None) -> Iterator[list[Any]]:
        """Up to `limit` rows (all when None), in the source's key order."""
        cursor: str | None = None
        read = 0
        while limit is None or read < limit:
            size = self.page_rows if limit is None else min(self.page_rows, limit - read)
            request = gateway.QueryRequest(
                self.resource_id, self.items, self.purpose, self.filters, limit=size,
                after=cursor,
            )  # fmt: skip
            prepared = gateway.prepare(
                self.session, self.secret_key, self.principal, request, self.today
            )
            page = gateway.run_page(self.session, self.secret_key, prepared)
            yield from page.rows
            read += len(page.rows)
            cursor = page.next_cursor
            if cursor is None or not page.rows:
                return


def open_read(
    session: Session,
    secret_key: str,
    principal: Principal,
    resource_id: int,
    items: Sequence[str],
    purpose: str,
    today: date,
    filters: Sequence[Filter] = (),
) -> GovernedRead:
    """Ask the policy; a refusal is raised (and ledgered by the gateway) before any read."""
    probe = gateway.prepare(
        session,
        secret_key,
        principal,
        gateway.QueryRequest(resource_id, items, purpose, filters, limit=1),
        today,
    )
    return GovernedRead(
        session, secret_key, principal, resource_id, items, purpose, today, filters,
        masked=sorted(probe.decision.masked),
        page_rows=max(1, min(gateway.MAX_PAGE_ROWS, probe.decision.max_rows)),
    )  # fmt: skip
