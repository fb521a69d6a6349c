"""datastore_search_sql answers a read-only SELECT over open datasets — aggregates and joins
a filter cannot express — with the same numbers as the department's own database, and
refuses anything else: writes, several statements, closed data, functions reading files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import ckanapi
import pytest
from sqlalchemy import func, select

from zhuyun.core.db import Database
from zhuyun.core.ledger import LedgerEntry
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import DemoResult


@pytest.fixture
def portal(live_server: str, demo_city: DemoResult) -> ckanapi.RemoteCKAN:
    return ckanapi.RemoteCKAN(live_server, user_agent="zhuyun-tests/1.0")


def resource(portal: ckanapi.RemoteCKAN, title: str) -> str:
    hits = portal.action.package_search(q=title, rows=20)["results"]
    return str(next(d for d in hits if d["title"] == title)["resources"][0]["id"])


@pytest.fixture
def source(demo_settings: Settings) -> sqlite3.Connection:
    path = Path(demo_settings.data_dir) / "sources" / "scjg.sqlite"
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def test_an_aggregate_gives_the_sources_own_numbers(
    portal: ckanapi.RemoteCKAN, source: sqlite3.Connection, db: Database
) -> None:
    penalties = resource(portal, "市场监管行政处罚信息")
    with db.session() as session:
        before = session.scalar(
            select(func.count()).where(LedgerEntry.activity == "exchange.exported")
        )
    answer = portal.action.datastore_search_sql(
        sql=f'SELECT penalty_type, count(*) AS n, sum(fine_amount) AS fines FROM "{penalties}" '
        "GROUP BY penalty_type ORDER BY penalty_type"
    )
    want = source.execute(
        "SELECT penalty_type, count(*), sum(fine_amount) FROM market_penalties "
        "GROUP BY penalty_type ORDER BY penalty_type"
    ).fetchall()
    assert [(r["penalty_type"], r["n"], r["fines"]) for r in answer["records"]] == want
    assert [f["id"] for f in answer["fields"]] == ["penalty_type", "n", "fines"]
    assert answer["records_truncated"] is False
    with db.session() as session:  # the read went through the gateway and is in the ledger
        after = session.scalar(
            select(func.count()).where(LedgerEntry.activity == "exchange.exported")
        )
    assert after == (before or 0) + 1


def test_a_join_of_two_open_datasets_works(
    portal: ckanapi.RemoteCKAN, source: sqlite3.Connection
) -> None:
    licences, penalties = (
        resource(portal, "营业执照电子证照信息"),
        resource(portal, "市场监管行政处罚信息"),
    )
    answer = portal.action.datastore_search_sql(
        sql=f'SELECT p.decision_no, l.entity_type FROM "{penalties}" p '
        f'JOIN "{licences}" l ON l.credit_code = p.credit_code ORDER BY p.decision_no'
    )
    want = source.execute(
        "SELECT p.decision_no, l.entity_type FROM market_penalties p "
        "JOIN business_licences l ON l.credit_code = p.credit_code ORDER BY p.decision_no"
    ).fetchall()
    assert [(r["decision_no"], r["entity_type"]) for r in answer["records"]] == want


def test_answers_are_capped_and_say_so(portal: ckanapi.RemoteCKAN) -> None:
    licences = resource(portal, "营业执照电子证照信息")
    answer = portal.action.datastore_search_sql(
        sql=f'SELECT a.credit_code FROM "{licences}" a CROSS JOIN "{licences}" b'
    )
    assert len(answer["records"]) == 1000 and answer["records_truncated"] is True


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT read_text('/etc/passwd')",
        "SELECT * FROM '/etc/passwd'",
        "SELECT 1; SELECT 2",
        'DELETE FROM "{licences}"',
        'DROP TABLE "{licences}"',
        "COPY (SELECT 1) TO '/tmp/x.csv'",
        'SELECT * INTO stolen FROM "{licences}"',
        "SELECT * FROM information_schema.tables",
        'SELECT * FROM "{closed}"',
        'SELECT legal_rep_id_number FROM "{licences}"',
        "SELECT current_setting('threads')",
        "SELEC nonsense",
        "",
    ],
)
def test_anything_but_a_select_over_open_data_is_refused(
    portal: ckanapi.RemoteCKAN, sql: str
) -> None:
    licences = resource(portal, "营业执照电子证照信息")
    closed = "zy-101001-000001-data"  # the population register: never opened
    with pytest.raises(ckanapi.ValidationError) as refused:
        portal.action.datastore_search_sql(sql=sql.format(licences=licences, closed=closed))
    assert "sql" in refused.value.error_dict


def test_a_conditionally_open_dataset_needs_a_key_here_too(portal: ckanapi.RemoteCKAN) -> None:
    register = resource(portal, "市场主体登记信息")
    with pytest.raises(ckanapi.NotAuthorized):
        portal.action.datastore_search_sql(sql=f'SELECT count(*) FROM "{register}"')
