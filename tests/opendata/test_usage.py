"""Usage counts: every view, download and API call of an open dataset is one atomic UPSERT,
so counts add up under concurrent requests, and read back per dataset, per unit, by day and
as a ranking."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest

from zhuyun.core.db import Database
from zhuyun.opendata import usage
from zhuyun.opendata.usage import UsageTotals

DAY = date(2026, 11, 2)


def _use(db: Database, resource_id: int, kind: usage.UsageKind, times: int = 1, **kw: date) -> None:
    for _ in range(times):
        with db.session() as session:
            usage.record_use(session, resource_id, kind, **kw)


def test_each_use_adds_one_to_its_kind_on_its_day(fresh_database: Database) -> None:
    _use(fresh_database, 7, "view", 3, day=DAY)
    _use(fresh_database, 7, "download", day=DAY)
    _use(fresh_database, 7, "api", 2, day=DAY - timedelta(days=1))
    with fresh_database.session() as session:
        assert usage.totals_of(session, 7) == UsageTotals(views=3, downloads=1, api_calls=2)
        assert usage.totals_of(session, 8) == UsageTotals()
        series = usage.daily_series(session, [7], days=3, today=DAY)
    assert [(d.day, d.views, d.downloads, d.api_calls) for d in series] == [
        (DAY - timedelta(days=2), 0, 0, 0),
        (DAY - timedelta(days=1), 0, 0, 2),
        (DAY, 3, 1, 0),
    ]


def test_uses_counted_by_many_threads_at_once_all_add_up(fresh_database: Database) -> None:
    threads, per_thread = 8, 25
    start = threading.Barrier(threads)
    failures: list[BaseException] = []

    def work(index: int) -> None:
        kinds: tuple[usage.UsageKind, ...] = ("view", "download", "api")
        try:
            start.wait()
            for n in range(per_thread):
                with fresh_database.session() as session:
                    usage.record_use(session, 1 + index % 2, kinds[n % 3])
        except BaseException as error:  # reported below
            failures.append(error)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    with fresh_database.session() as session:
        totals = usage.totals_by_dataset(session)
    assert sum(t.total for t in totals.values()) == threads * per_thread
    assert totals[1].total == totals[2].total == threads // 2 * per_thread
    assert totals[1].views == threads // 2 * 9  # n = 0, 3, … 24 of each thread


def test_a_count_of_several_uses_is_added_at_once(fresh_database: Database) -> None:
    with fresh_database.session() as session:
        usage.record_use(session, 3, "download", count=5, day=DAY)
        usage.record_use(session, 3, "download", day=DAY)
    with fresh_database.session() as session:
        assert usage.totals_of(session, 3).downloads == 6


def test_an_unknown_kind_or_a_count_below_one_is_refused(fresh_database: Database) -> None:
    with fresh_database.session() as session:
        with pytest.raises(ValueError, match="unknown usage kind"):
            usage.record_use(session, 1, "like")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="at least 1"):
            usage.record_use(session, 1, "view", count=0)


def test_the_most_used_datasets_rank_by_all_their_uses_and_unused_ones_are_left_out(
    fresh_database: Database,
) -> None:
    _use(fresh_database, 10, "view", 2)
    _use(fresh_database, 11, "api", 5)
    _use(fresh_database, 12, "download", 3)
    _use(fresh_database, 99, "view", 50)  # not among the datasets asked about
    with fresh_database.session() as session:
        ranked = usage.most_used(session, [10, 11, 12, 13], limit=10)
        top = usage.most_used(session, [10, 11, 12, 13], limit=1)
    assert [rid for rid, _ in ranked] == [11, 12, 10]
    assert [rid for rid, _ in top] == [11]


def test_unit_totals_add_up_their_datasets_only(fresh_database: Database) -> None:
    _use(fresh_database, 20, "view", 2)
    _use(fresh_database, 21, "download", 1)
    _use(fresh_database, 22, "api", 4)
    _use(fresh_database, 23, "view", 7)  # a dataset no longer open: not counted
    with fresh_database.session() as session:
        units = usage.totals_by_unit(session, {20: 1, 21: 1, 22: 2})
    assert units == {
        1: UsageTotals(views=2, downloads=1, api_calls=0),
        2: UsageTotals(views=0, downloads=0, api_calls=4),
    }


def test_a_daily_series_ends_today_and_covers_days_without_use(fresh_database: Database) -> None:
    with fresh_database.session() as session:
        series = usage.daily_series(session, [1], days=30)
        assert usage.daily_series(session, [], days=2, today=DAY)[-1].day == DAY
    assert len(series) == 30
    assert series[-1].day == usage.today_local()
    assert all(d.views == d.downloads == d.api_calls == 0 for d in series)
