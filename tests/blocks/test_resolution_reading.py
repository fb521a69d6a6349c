"""Reading a register through the gateway in pages as big as the caller's grant allows."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from zhuyun.blocks.resolution.reading import open_read
from zhuyun.core.db import Database
from zhuyun.core.ledger import LedgerEntry
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import DemoResult
from zhuyun.demo.sharing import CHECK_PURPOSE
from zhuyun.exchange.models import Binding
from zhuyun.exchange.service.policy import Refused
from zhuyun.identity import service as identity

ITEMS = ["id_number", "name", "sex", "birth_date"]


def _queries(session) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(
        select(func.count())
        .select_from(LedgerEntry)
        .where(LedgerEntry.activity == "exchange.query")
    )


def test_a_grant_of_100_rows_per_query_is_read_in_pages_of_100(
    db: Database, demo_settings: Settings, demo_city: DemoResult
) -> None:
    secret = demo_settings.secret_key.get_secret_value()
    with db.session() as session:
        people = session.scalar(select(Binding.resource_id).where(Binding.table_name == "people"))
        bureau = identity.principal_for(identity.find_account(session, "dsj.data"))
        before = _queries(session)
        read = open_read(session, secret, bureau, people, ITEMS, CHECK_PURPOSE, date.today())
        assert read.page_rows == 100  # the demo grant's rows per query
        assert read.masked == ["birth_date", "id_number"]  # the grant clears name and sex only
        assert _queries(session) == before  # the probe reads nothing
        rows = list(read.rows(limit=250))
        assert len(rows) == 250 and all("*" in r[0] for r in rows)
        assert _queries(session) == before + 3  # three governed pages, each ledgered
        session.rollback()


def test_a_read_without_a_grant_is_refused_before_any_row(
    db: Database, demo_settings: Settings, demo_city: DemoResult
) -> None:
    secret = demo_settings.secret_key.get_secret_value()
    with db.session() as session:
        people = session.scalar(select(Binding.resource_id).where(Binding.table_name == "people"))
        market = identity.principal_for(identity.find_account(session, "scjg.data"))
        with pytest.raises(Refused):
            open_read(session, secret, market, people, ITEMS, "企业开办核验", date.today())
        session.rollback()
