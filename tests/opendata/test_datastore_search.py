"""datastore_search serves an open dataset's rows from the department's own database, as
CKAN's DataStore does: through the real ckanapi client, compared with the rows read
directly from the source file, under the open policy and in the ledger."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ckanapi
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.helpers import api_token
from zhuyun.core.db import Database
from zhuyun.core.ledger import LedgerEntry
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role

LICENCES = "营业执照电子证照信息"
PENALTIES = "市场监管行政处罚信息"
CONDITIONAL = "市场主体登记信息"


@pytest.fixture
def portal(live_server: str, demo_city: DemoResult) -> ckanapi.RemoteCKAN:
    return ckanapi.RemoteCKAN(live_server, user_agent="zhuyun-tests/1.0")


@pytest.fixture
def source(demo_settings: Settings) -> Iterator[sqlite3.Connection]:
    """The market regulator's own database file, read directly."""
    path = Path(demo_settings.data_dir) / "sources" / "scjg.sqlite"
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    yield connection
    connection.close()


def resource_of(portal: ckanapi.RemoteCKAN, title: str) -> str:
    hits = portal.action.package_search(q=title, rows=20)["results"]
    dataset = next(d for d in hits if d["title"] == title)
    return str(dataset["resources"][0]["id"])


def test_a_dataset_resource_says_its_datastore_is_active(portal: ckanapi.RemoteCKAN) -> None:
    resource = portal.action.resource_show(id=resource_of(portal, LICENCES))
    assert resource["datastore_active"] is True


def test_rows_come_from_the_departments_database_with_ckans_fields(
    portal: ckanapi.RemoteCKAN, source: sqlite3.Connection
) -> None:
    found = portal.action.datastore_search(resource_id=resource_of(portal, LICENCES), limit=5)
    (total,) = source.execute("SELECT count(*) FROM business_licences").fetchone()
    assert found["total"] == total > 5
    assert [f["id"] for f in found["fields"]][:3] == ["_id", "credit_code", "name"]
    assert {"id": "registered_capital_wan", "type": "numeric"}.items() <= {
        **next(f for f in found["fields"] if f["id"] == "registered_capital_wan")
    }.items()
    first = found["records"][0]
    direct = source.execute(
        "SELECT name, address FROM business_licences ORDER BY credit_code LIMIT 1"
    ).fetchone()
    assert (first["_id"], first["name"], first["address"]) == (1, *direct)


def test_filters_q_fields_and_sort_match_the_same_query_on_the_source(
    portal: ckanapi.RemoteCKAN, source: sqlite3.Connection
) -> None:
    resource_id = resource_of(portal, PENALTIES)
    (violation,) = source.execute("SELECT violation FROM market_penalties LIMIT 1").fetchone()
    found = portal.action.datastore_search(
        resource_id=resource_id,
        filters={"violation": violation},
        fields=["decision_no", "fine_amount"],
        sort="fine_amount desc",
        limit=1000,
    )
    want = source.execute(
        "SELECT decision_no, fine_amount FROM market_penalties WHERE violation = ? "
        "ORDER BY fine_amount DESC",
        (violation,),
    ).fetchall()
    assert found["total"] == len(want)
    assert [r["fine_amount"] for r in found["records"]] == [w[1] for w in want]
    assert set(found["records"][0]) == {"_id", "decision_no", "fine_amount"}
    word = violation[:2]
    searched = portal.action.datastore_search(resource_id=resource_id, q=word, limit=1000)
    (matching,) = source.execute(
        "SELECT count(*) FROM market_penalties WHERE instr(decision_no, ?) OR instr(party_name, ?)"
        " OR instr(credit_code, ?) OR instr(violation, ?) OR instr(penalty_type, ?)"
        " OR instr(decided_on, ?) OR instr(authority, ?)",
        (word,) * 7,
    ).fetchone()
    assert searched["total"] == matching == len(searched["records"]) > 0


def test_following_the_next_links_pages_through_every_row_exactly_once(
    live_server: str, portal: ckanapi.RemoteCKAN, source: sqlite3.Connection
) -> None:
    resource_id = resource_of(portal, PENALTIES)
    seen: list[str] = []
    url = f"/api/3/action/datastore_search?resource_id={resource_id}&limit=3"
    with httpx.Client(base_url=live_server) as http:
        while True:
            result = http.get(url).json()["result"]
            if not result["records"]:
                break
            seen.extend(r["decision_no"] for r in result["records"])
            if len(result["records"]) == 3:  # a full page: the next one starts at a cursor
                assert "cursor=" in result["_links"]["next"]
            url = result["_links"]["next"]
    direct = [r[0] for r in source.execute("SELECT decision_no FROM market_penalties")]
    assert sorted(seen) == sorted(direct) and len(seen) == len(set(seen)) >= 5
    by_offset = portal.action.datastore_search(resource_id=resource_id, limit=3, offset=2)
    assert [r["decision_no"] for r in by_offset["records"]] == seen[2:5]
    assert [r["_id"] for r in by_offset["records"]] == [3, 4, 5]


def test_huge_limits_are_capped(portal: ckanapi.RemoteCKAN) -> None:
    found = portal.action.datastore_search(resource_id=resource_of(portal, LICENCES), limit=10**9)
    assert found["limit"] == 1000
    assert len(found["records"]) == min(1000, found["total"])


def test_a_conditionally_open_dataset_needs_a_developer_key(
    portal: ckanapi.RemoteCKAN, db: Database
) -> None:
    resource_id = resource_of(portal, CONDITIONAL)
    with pytest.raises(ckanapi.NotAuthorized) as refused:
        portal.action.datastore_search(resource_id=resource_id)
    assert "开发者密钥" in str(refused.value)
    with db.session() as session:
        entry = session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.activity == "exchange.refused")
            .order_by(LedgerEntry.seq.desc())
            .limit(1)
        ).one()
    assert entry.attrs["rule"] == "key-required"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"fields": ["legal_rep_id_number"]}, "fields"),  # a sensitive item: never opened
        ({"filters": {"no_such_field": "x"}}, "filters"),
        ({"filters": "[1, 2]"}, "filters"),
        ({"sort": "name; DROP TABLE business_licences"}, "sort"),
        ({"limit": "many"}, "limit"),
        ({"q": {"registered_capital_wan": "1"}}, "q"),
    ],
)
def test_bad_parameters_get_ckans_validation_error(
    portal: ckanapi.RemoteCKAN, params: dict[str, Any], field: str
) -> None:
    with pytest.raises(ckanapi.ValidationError) as invalid:
        portal.action.datastore_search(resource_id=resource_of(portal, LICENCES), **params)
    assert field in invalid.value.error_dict


def test_an_unknown_or_closed_resource_is_not_found(portal: ckanapi.RemoteCKAN) -> None:
    for resource_id in ("zy-000000-000000-data", "no-such-thing"):
        with pytest.raises(ckanapi.NotFound):
            portal.action.datastore_search(resource_id=resource_id)


def test_every_answer_is_in_the_ledger_as_the_publics_query(
    portal: ckanapi.RemoteCKAN, db: Database
) -> None:
    portal.action.datastore_search(resource_id=resource_of(portal, LICENCES), limit=3)
    with db.session() as session:
        entry = session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.activity == "exchange.query")
            .order_by(LedgerEntry.seq.desc())
            .limit(1)
        ).one()
    assert entry.actor_name == "public"
    assert entry.attrs["basis"] == "open" and entry.attrs["rows"] == 3
    assert entry.attrs["consumer_unit_id"] is None


def test_a_developer_key_opens_conditionally_open_data_and_the_ledger_names_the_key(
    client: TestClient,
    live_server: str,
    demo_city: DemoResult,
    db: Database,
    source: sqlite3.Connection,
) -> None:
    citizen = api_token(client, demo_city, Role.CITIZEN)
    created = client.post(
        "/api/opendata/keys", json={"name": "企业查询小程序"}, headers=citizen
    ).json()
    keyed = ckanapi.RemoteCKAN(live_server, apikey=created["key"], user_agent="zhuyun-tests/1.0")
    register = resource_of(keyed, CONDITIONAL)
    found = keyed.action.datastore_search(resource_id=register, limit=3)
    (total,) = source.execute("SELECT count(*) FROM enterprises").fetchone()
    assert found["total"] == total and len(found["records"]) == 3
    assert "legal_rep_id_number" not in found["records"][0]  # sensitive: never opened
    counted = keyed.action.datastore_search_sql(sql=f'SELECT count(*) AS n FROM "{register}"')
    assert counted["records"] == [{"n": total}]
    name = register.removesuffix("-data")
    download = httpx.get(
        f"{live_server}/opendata/datasets/{name}/download.csv",
        headers={"X-CKAN-API-Key": created["key"]},
    )
    assert download.status_code == 200
    assert len(download.content.decode("utf-8-sig").splitlines()) == total + 1
    with db.session() as session:
        entry = session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.activity == "exchange.query")
            .order_by(LedgerEntry.seq.desc())
            .limit(1)
        ).one()
    assert entry.actor_name == f"developer-key:{created['id']}"
    assert entry.attrs["basis"] == "open:key"
