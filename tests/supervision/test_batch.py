"""The batch evaluation on DuckDB finds what the online evaluator finds: the same cases run
both ways give the same warnings (by rule, case and key), and over the demo city's ledger the
batch adds no second warning for what the watcher already raised."""

from __future__ import annotations

from datetime import UTC

import duckdb

from tests.supervision.rules_kit import Kit, kit
from zhuyun.core.calendar import default_calendar
from zhuyun.core.db import Database
from zhuyun.supervision.rules.batch import EVENT_SCHEMA, evaluate, power_specs, run_over_ledger
from zhuyun.supervision.rules.engine import RuleBook
from zhuyun.supervision.rules.replay import ReplayEntry

# history-free rules: the online and batch evaluators must agree exactly on these
EXACT = {"step_order", "time_limit", "discretion_range", "segregation", "out_of_hours"}


def _cases(k: Kit) -> list[ReplayEntry]:
    e = k.entry
    return [
        *k.case(
            "ok",
            ("register", "2025-03-12 09:30"),
            ("review", "2025-03-13 10:00"),
            ("decide", "2025-03-14 11:00"),
            ("close", "2025-03-17 15:00"),
        ),
        *k.case("skip", ("register", "2025-03-12 09:30"), ("decide", "2025-03-12 10:00")),
        *k.case(
            "again",
            ("register", "2025-03-12 09:30"),
            ("review", "2025-03-12 10:00"),
            ("review", "2025-03-12 11:00"),
        ),
        *k.case(
            "back",
            ("register", "2025-03-12 09:30"),
            ("review", "2025-03-12 10:00"),
            ("decide", "2025-03-12 11:00"),
            ("inspect", "2025-03-12 15:00"),
        ),
        *k.case("late", ("register", "2025-09-30 10:00"), ("review", "2025-10-11 09:00")),
        *k.case("holiday-ok", ("register", "2025-09-30 10:00"), ("review", "2025-10-10 17:00")),
        e("fine", "register", "2025-03-12 09:30"),
        e("fine", "review", "2025-03-12 10:00"),
        e("fine", "decide", "2025-03-12 11:00", amount=8000, article="第十条"),
        e("same", "register", "2025-03-12 09:30"),
        e("same", "review", "2025-03-12 10:00"),
        e("same", "decide", "2025-03-12 11:00", actor=902),
        e("night", "register", "2025-03-12 22:15"),
        e("weekend", "register", "2025-03-15 10:00"),
        e("makeup", "register", "2025-09-28 10:00"),
    ]


def _batch(k: Kit, entries: list[ReplayEntry]) -> set[tuple[str, str, str]]:
    con = duckdb.connect()
    con.execute(f"CREATE TEMP TABLE events ({EVENT_SCHEMA})")
    rows = [
        (
            n,
            e.occurred_at.astimezone(UTC).replace(tzinfo=None),
            e.case_id,
            e.activity,
            e.actor_id,
            e.unit_id,
            k.power,
            e.attrs.get("amount"),
            e.attrs.get("article"),
            False,
            "",
        )
        for n, e in enumerate(entries, start=1)
    ]
    con.executemany(f"INSERT INTO events VALUES ({', '.join('?' * 11)})", rows)
    book = RuleBook(k.session)
    specs = [s for s in power_specs(book) if s.code == k.power]
    found = evaluate(con, specs, default_calendar()).fetchall()
    return {(t, case, key) for t, _level, key, case, *_ in found if t in EXACT}


def test_batch_and_online_find_the_same_warnings(db: Database) -> None:
    with kit(db) as k:
        entries = sorted(_cases(k), key=lambda e: e.occurred_at)
        for n, entry in enumerate(entries, start=1):
            entry.seq = n  # as the ledger numbers them
        online = {(f.rule.template, f.case_id or "", f.key) for f in k.run(*entries)}
        online = {o for o in online if o[0] in EXACT}
        assert {t for t, _, _ in online} == EXACT  # every exact rule fired at least once
        assert _batch(k, entries) == online


def test_the_batch_over_the_demo_ledger_raises_nothing_twice(db: Database) -> None:
    with db.session() as session:
        first = run_over_ledger(session)
    assert first["events"] > 1000 and first["findings"] > 0
    with db.session() as session:
        again = run_over_ledger(session)
    assert again["raised"] == 0 and again["findings"] == first["findings"]
