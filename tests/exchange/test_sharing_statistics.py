"""The public sharing statistics add up to what the ledger says, unit by unit: queries and
exports answered, rows received, refusals — counted in SQL, checked here entry by entry."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from zhuyun.core.db import Database, utcnow
from zhuyun.core.ledger import LedgerEntry
from zhuyun.demo.builder import DemoResult
from zhuyun.exchange.service.access import sharing_statistics


def test_the_statistics_equal_a_count_of_the_ledgers_entries(
    db: Database, demo_city: DemoResult
) -> None:
    since = utcnow() - timedelta(days=3650)
    with db.session() as session:
        stats = {s.unit_id: s for s in sharing_statistics(session, since)}
        entries = session.execute(
            select(LedgerEntry.unit_id, LedgerEntry.activity, LedgerEntry.attrs).where(
                LedgerEntry.activity.like("exchange.%"), LedgerEntry.occurred_at >= since
            )
        ).all()
    queries: Counter[int] = Counter()
    rows: Counter[int] = Counter()
    refused: Counter[int] = Counter()
    for unit, activity, attrs in entries:
        if unit is None:
            continue
        if activity in ("exchange.query", "exchange.exported"):
            queries[unit] += 1
            rows[unit] += int(attrs.get("rows", 0))
        elif activity == "exchange.refused":
            refused[unit] += 1
    assert stats, "the demo city's sharing history has answered queries"
    assert set(stats) == set(queries) | set(refused)
    for unit, found in stats.items():
        assert (found.queries, found.rows, found.refused) == (
            queries[unit],
            rows[unit],
            refused[unit],
        )
    assert sum(rows.values()) > 0
