"""What every connector promises, asked of every kind of source with the same people table:
SQLite, PostgreSQL, MariaDB, CSV, Parquet, XLSX and an HTTP JSON API."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tests.exchange.conftest import COLUMNS, PEOPLE, normalise, rows_of
from zhuyun.exchange.connectors import (
    BadFilter,
    Connector,
    DataType,
    Filter,
    SelectSpec,
    UnknownColumn,
    UnknownTable,
)


def expected(
    columns: list[str], where: Any = lambda row: True, key: Any = None, limit: int | None = None
) -> list[tuple[Any, ...]]:
    rows = [dict(zip(COLUMNS, row, strict=True)) for row in PEOPLE]
    chosen = [r for r in rows if where(r)]
    if key is not None:
        chosen.sort(key=key)
    return [tuple(normalise(r[c]) for c in columns) for r in chosen][:limit]


def test_tables_and_columns_are_introspected_with_normalised_types(
    people_source: Connector,
) -> None:
    assert "people" in people_source.tables()
    columns = {c.name: c for c in people_source.columns("people")}
    assert list(columns) == COLUMNS
    assert columns["id"].data_type is DataType.INTEGER
    assert columns["id"].is_key
    assert columns["id_number"].data_type is DataType.STRING
    assert columns["name"].data_type is DataType.STRING
    assert columns["born"].data_type is DataType.DATE
    assert columns["income"].data_type is DataType.DECIMAL
    assert all(c.native_type for c in columns.values())


def test_health_reports_a_reachable_source(people_source: Connector) -> None:
    report = people_source.health()
    assert report.ok, report.message
    assert report.latency_ms >= 0
    assert "连接正常" in report.message and "reachable" in report.message


def test_projection_filters_order_and_limit_are_applied(people_source: Connector) -> None:
    spec = SelectSpec(
        "people",
        ["name", "id", "born"],
        [Filter("district", "eq", "南明区"), Filter("id", "range", low=20, high=200)],
        order_by=[("id", True)],
        limit=7,
    )
    got = rows_of(people_source.select(spec, batch_size=3))
    want = expected(
        ["name", "id", "born"],
        lambda r: r["district"] == "南明区" and 20 <= r["id"] <= 200,
        key=lambda r: -r["id"],
        limit=7,
    )
    assert got == want
    assert isinstance(got[0][2], date)


@pytest.mark.parametrize(
    ("flt", "where"),
    [
        (Filter("id_number", "eq", PEOPLE[10][1]), lambda r: r["id_number"] == PEOPLE[10][1]),
        (Filter("id", "in", [3, 5, 8, 999]), lambda r: r["id"] in (3, 5, 8)),
        (Filter("district", "in", []), lambda r: False),
        (
            Filter("born", "range", low="1990-01-01", high=date(1995, 12, 31)),
            lambda r: date(1990, 1, 1) <= r["born"] <= date(1995, 12, 31),
        ),
        (
            Filter("income", "range", low=Decimal("9000.5")),
            lambda r: r["income"] >= Decimal("9000.5"),
        ),
        (Filter("income", "range", high=100), lambda r: r["income"] <= 100),
        (Filter("name", "prefix", "居民1"), lambda r: r["name"].startswith("居民1")),
        (Filter("district", "is_null", True), lambda r: r["district"] is None),
        (Filter("district", "is_null", False), lambda r: r["district"] is not None),
        (Filter("id", "eq", "42"), lambda r: r["id"] == 42),
    ],
    ids=[
        "eq",
        "in",
        "in-empty",
        "range-dates",
        "range-low",
        "range-high",
        "prefix",
        "is-null",
        "is-not-null",
        "eq-numeric-text",
    ],
)
def test_each_filter_operator_selects_what_it_says(
    people_source: Connector, flt: Filter, where: Any
) -> None:
    spec = SelectSpec("people", ["id", "name"], [flt], order_by=[("id", False)])
    assert rows_of(people_source.select(spec)) == expected(
        ["id", "name"], where, key=lambda r: r["id"]
    )


@pytest.mark.parametrize(
    ("prefix", "names"),
    [("a_", ["a_b"]), ("a%", ["a%b"]), ("100%_", ["100%_真实"]), ("a\\", ["a\\b"]), ("a", None)],
)
def test_a_prefix_filter_with_sql_wildcards_matches_literally(
    people_source: Connector, prefix: str, names: list[str] | None
) -> None:
    spec = SelectSpec("people", ["name"], [Filter("name", "prefix", prefix)], [("name", False)])
    got = sorted(row[0] for row in rows_of(people_source.select(spec)))
    assert got == (names or sorted(["a_b", "a%b", "ab", "a\\b"]))


@pytest.mark.parametrize(
    "value", ["x' OR '1'='1", "Robert'); DROP TABLE people;--", '"; SELECT 1; --']
)
def test_a_value_that_looks_like_sql_is_just_a_value(people_source: Connector, value: str) -> None:
    spec = SelectSpec("people", ["name"], [Filter("name", "eq", value)])
    assert rows_of(people_source.select(spec)) == [(value,)]
    everyone = SelectSpec("people", ["id"])
    assert len(rows_of(people_source.select(everyone))) == len(PEOPLE)


@pytest.mark.parametrize(
    "name", ['id" FROM people; --', "id; DROP TABLE people", "*", "name, id_number"]
)
def test_a_name_that_looks_like_sql_is_an_unknown_column(
    people_source: Connector, name: str
) -> None:
    with pytest.raises(UnknownColumn) as caught:
        people_source.select(SelectSpec("people", ["id", name]))
    assert caught.value.status == 409 and caught.value.code == "source-schema-changed"
    with pytest.raises(UnknownColumn):
        people_source.select(SelectSpec("people", ["id"], [Filter(name, "eq", "1")]))
    with pytest.raises(UnknownColumn):
        people_source.select(SelectSpec("people", ["id"], order_by=[(name, False)]))


def test_an_unknown_table_is_reported_as_a_schema_change(people_source: Connector) -> None:
    for table in ("nobody", "people; DROP TABLE people", "../people"):
        with pytest.raises(UnknownTable) as caught:
            people_source.select(SelectSpec(table, ["id"]))
        assert caught.value.code == "source-schema-changed"
        assert "source-schema-changed" in caught.value.body()["type"]


@pytest.mark.parametrize(
    ("order", "page"),
    [
        ([("id", False)], 17),
        ([("id", True)], 23),
        ([("district", False), ("id", False)], 19),
        ([("born", True), ("id", True)], 31),
    ],
    ids=["id-asc", "id-desc", "district-id", "born-id-desc"],
)
def test_keyset_pages_cover_every_row_exactly_once(
    people_source: Connector, order: list[tuple[str, bool]], page: int
) -> None:
    names = [name for name, _ in order]
    columns = list(dict.fromkeys([*names, "id"]))
    filters = [Filter(n, "is_null", False) for n in names]  # keyset paging needs non-null keys
    seen: list[int] = []
    after = None
    for _ in range(100):
        spec = SelectSpec("people", columns, filters, order, limit=page, after=after)
        rows = [row for batch in people_source.select(spec, batch_size=5) for row in batch]
        if not rows:
            break
        assert len(rows) <= page
        seen.extend(row[columns.index("id")] for row in rows)
        after = [rows[-1][columns.index(name)] for name in names]
    records = [dict(zip(COLUMNS, r, strict=True)) for r in PEOPLE]
    everyone = [r["id"] for r in records if all(r[n] is not None for n in names)]
    assert len(seen) == len(set(seen))
    assert sorted(seen) == sorted(everyone)


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        (SelectSpec("people", ["id"], [Filter("id", "like", "1")]), "operator"),  # type: ignore[arg-type]
        (SelectSpec("people", ["id"], [Filter("id", "eq", "abc")]), "does not fit"),
        (SelectSpec("people", ["id"], [Filter("id", "eq", None)]), "is_null"),
        (SelectSpec("people", ["id"], [Filter("born", "eq", "yesterday")]), "does not fit"),
        (SelectSpec("people", ["id"], [Filter("id", "range", low=9, high=3)]), "low bound"),
        (SelectSpec("people", ["id"], [Filter("id", "range")]), "bound"),
        (SelectSpec("people", ["id"], [Filter("id", "in", list(range(1001)))]), "1000"),
        (SelectSpec("people", ["id"], [Filter("id", "in", "123")]), "list"),
        (SelectSpec("people", ["id"], [Filter("id", "prefix", "1")]), "text columns"),
        (SelectSpec("people", ["id"], [Filter("name", "is_null", "yes")]), "true or false"),
        (SelectSpec("people", ["id"], [Filter("name", "eq", "a\x00b")]), "does not fit"),
        (SelectSpec("people", ["id"], order_by=[("id", False), ("name", True)]), "direction"),
        (SelectSpec("people", ["id"], order_by=[("id", False)], after=[1, 2]), "cursor"),
        (SelectSpec("people", ["id"], after=[1]), "cursor"),
        (SelectSpec("people", ["id"], limit=-1), "limit"),
        (SelectSpec("people", []), "at least one"),
        (SelectSpec("people", ["id", "id"]), "twice"),
    ],
)
def test_bad_filters_are_refused_with_422_before_reaching_the_source(
    people_source: Connector, spec: SelectSpec, fragment: str
) -> None:
    with pytest.raises(BadFilter) as caught:
        people_source.select(spec)
    assert caught.value.status == 422 and caught.value.code == "bad-filter"
    assert fragment in caught.value.message_en
    assert caught.value.message_zh


def test_lookup_finds_rows_by_key(people_source: Connector) -> None:
    person = PEOPLE[41]
    got = people_source.lookup("people", ["name", "district"], "id_number", person[1])
    assert got == [(person[2], person[3])]
    assert people_source.lookup("people", ["name"], "id", 100000) == []
    with pytest.raises(BadFilter):
        people_source.lookup("people", ["name"], "id", "not a number")
    with pytest.raises(UnknownColumn):
        people_source.lookup("people", ["name", "salary"], "id", 1)


def test_select_streams_batches_of_the_asked_size(people_source: Connector) -> None:
    stream = people_source.select(
        SelectSpec("people", ["id"], order_by=[("id", False)]), batch_size=50
    )
    sizes = [len(batch) for batch in stream]
    assert sizes == [50, 50, 50, 50, 40]


def test_a_stream_closed_early_releases_the_source(people_source: Connector) -> None:
    for _ in range(30):  # more than the pool holds: each closed stream gives its connection back
        stream = people_source.select(SelectSpec("people", ["id"]), batch_size=10)
        next(stream)
        stream.close()
    assert len(rows_of(people_source.select(SelectSpec("people", ["id"])))) == len(PEOPLE)


def test_offset_pages_skip_rows_after_ordering(people_source: Connector) -> None:
    spec = SelectSpec(
        "people",
        ["id", "name"],
        [Filter("district", "eq", "南明区")],
        order_by=[("id", False)],
        limit=5,
        offset=4,
    )
    want = expected(["id", "name"], lambda r: r["district"] == "南明区", key=lambda r: r["id"])
    assert rows_of(people_source.select(spec)) == want[4:9]


def test_count_counts_the_rows_the_filters_match(people_source: Connector) -> None:
    spec = SelectSpec(
        "people", ["name"], [Filter("district", "eq", "南明区")], order_by=[("id", False)], limit=3
    )
    assert people_source.count(spec) == len(expected(["id"], lambda r: r["district"] == "南明区"))
    assert people_source.count(SelectSpec("people", ["id"])) == len(PEOPLE)


@pytest.mark.parametrize("offset", [-1, 10**9, "5"])
def test_an_offset_out_of_range_is_refused(people_source: Connector, offset: Any) -> None:
    with pytest.raises(BadFilter):
        people_source.select(SelectSpec("people", ["id"], limit=1, offset=offset))


def test_contains_and_any_filters_match_text_anywhere_in_any_column(
    people_source: Connector,
) -> None:
    needle = PEOPLE[3][2][1:]  # the given name of the fourth person
    spec = SelectSpec(
        "people",
        ["id"],
        [Filter("any", "any", [Filter("name", "contains", needle), Filter("id", "eq", 1)])],
        order_by=[("id", False)],
    )
    want = expected(["id"], lambda r: needle in r["name"] or r["id"] == 1, key=lambda r: r["id"])
    assert rows_of(people_source.select(spec)) == want
    assert people_source.count(spec) == len(want)
    literal = SelectSpec(
        "people", ["id"], [Filter("name", "contains", "%_")], order_by=[("id", False)]
    )
    want = expected(["id"], lambda r: "%_" in r["name"], key=lambda r: r["id"])
    assert rows_of(people_source.select(literal)) == want and 0 < len(want) < len(PEOPLE)
