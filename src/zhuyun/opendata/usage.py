"""How much the open datasets are used: page views, downloads and API calls per dataset and
day, and the sums the portal's pages and charts show (per dataset, per unit, by day, the
most used).

Counting is one UPSERT per use, atomic in SQL (on SQLite and PostgreSQL alike), so
concurrent requests never lose a count and a count never costs a read. Days are Asia/Shanghai
days, as people read them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from zhuyun.core.db import counter_upsert, utcnow
from zhuyun.opendata.models import UsageDay

SHANGHAI = ZoneInfo("Asia/Shanghai")
UsageKind = Literal["view", "download", "api"]
USAGE_KINDS: tuple[str, ...] = get_args(UsageKind)
USAGE_LABELS_ZH = {"view": "浏览", "download": "下载", "api": "接口调用"}
_COLUMNS = {"view": "views", "download": "downloads", "api": "api_calls"}
MAX_SERIES_DAYS = 366
_UPSERTS = {
    dialect: counter_upsert(
        UsageDay,
        ("resource_id", "day"),
        ("views", "downloads", "api_calls"),
        dialect,
    )
    for dialect in ("postgresql", "sqlite")
}


def today_local(now: datetime | None = None) -> date:
    """Today in Asia/Shanghai: the day a use is counted on."""
    return (now or utcnow()).astimezone(SHANGHAI).date()


def record_use(
    session: Session, resource_id: int, kind: UsageKind, *, count: int = 1, day: date | None = None
) -> None:
    """Count `count` uses of kind `kind` of the open dataset `resource_id` (the catalog
    resource id, i.e. the CKAN package id) on `day` (default: today, Asia/Shanghai).

    kind: "view" — its portal page was shown; "download" — its data was downloaded (any
    format); "api" — an API call answered with its data (e.g. `datastore_search`).

    One UPSERT, atomic in SQL: safe under concurrent requests, on SQLite and PostgreSQL. It
    runs in the caller's transaction and commits with it; no ledger entry (uses are counts,
    not changes of state). Raises ValueError for an unknown kind or a count below 1.
    """
    if kind not in _COLUMNS:
        raise ValueError(f"unknown usage kind {kind!r}: one of {', '.join(USAGE_KINDS)}")
    if count < 1:
        raise ValueError("count must be at least 1")
    values = {"views": 0, "downloads": 0, "api_calls": 0, _COLUMNS[kind]: count}
    session.connection().execute(
        _UPSERTS[session.get_bind().dialect.name],
        {"resource_id": resource_id, "day": day or today_local(), **values},
    )


@dataclass(frozen=True)
class UsageTotals:
    views: int = 0
    downloads: int = 0
    api_calls: int = 0

    @property
    def total(self) -> int:
        return self.views + self.downloads + self.api_calls

    def __add__(self, other: UsageTotals) -> UsageTotals:
        return UsageTotals(
            self.views + other.views,
            self.downloads + other.downloads,
            self.api_calls + other.api_calls,
        )


@dataclass(frozen=True)
class DayUsage:
    day: date
    views: int
    downloads: int
    api_calls: int


def _conditions(
    resource_ids: Collection[int] | None, since: date | None, until: date | None
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if resource_ids is not None:
        conditions.append(UsageDay.resource_id.in_(list(resource_ids)))
    if since is not None:
        conditions.append(UsageDay.day >= since)
    if until is not None:
        conditions.append(UsageDay.day <= until)
    return conditions


def totals_by_dataset(
    session: Session,
    resource_ids: Collection[int] | None = None,
    *,
    since: date | None = None,
    until: date | None = None,
) -> dict[int, UsageTotals]:
    """Each dataset's views, downloads and API calls (all time, or within the days given);
    datasets never used are absent."""
    if resource_ids is not None and not resource_ids:
        return {}
    rows = session.execute(
        select(
            UsageDay.resource_id,
            func.sum(UsageDay.views),
            func.sum(UsageDay.downloads),
            func.sum(UsageDay.api_calls),
        )
        .where(*_conditions(resource_ids, since, until))
        .group_by(UsageDay.resource_id)
    ).all()
    return {rid: UsageTotals(int(v or 0), int(d or 0), int(a or 0)) for rid, v, d, a in rows}


def totals_of(session: Session, resource_id: int) -> UsageTotals:
    """One dataset's totals, all time."""
    return totals_by_dataset(session, [resource_id]).get(resource_id, UsageTotals())


def totals_by_unit(
    session: Session, unit_of: Mapping[int, int], *, since: date | None = None
) -> dict[int, UsageTotals]:
    """Totals per provider unit; `unit_of` maps each open dataset (resource id) to its unit,
    so only the datasets the portal shows count."""
    found: dict[int, UsageTotals] = {}
    for rid, totals in totals_by_dataset(session, list(unit_of), since=since).items():
        unit = unit_of[rid]
        found[unit] = found.get(unit, UsageTotals()) + totals
    return found


def daily_series(
    session: Session,
    resource_ids: Collection[int] | None = None,
    *,
    days: int = 30,
    today: date | None = None,
) -> list[DayUsage]:
    """The last `days` days (oldest first, today last) of views, downloads and API calls,
    summed over the datasets given (None: all); days without any use count 0."""
    days = max(1, min(days, MAX_SERIES_DAYS))
    last = today or today_local()
    first = last - timedelta(days=days - 1)
    by_day: dict[date, DayUsage] = {}
    if resource_ids is None or resource_ids:
        rows = session.execute(
            select(
                UsageDay.day,
                func.sum(UsageDay.views),
                func.sum(UsageDay.downloads),
                func.sum(UsageDay.api_calls),
            )
            .where(*_conditions(resource_ids, first, last))
            .group_by(UsageDay.day)
        ).all()
        by_day = {d: DayUsage(d, int(v or 0), int(dl or 0), int(a or 0)) for d, v, dl, a in rows}
    series = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        series.append(by_day.get(day, DayUsage(day, 0, 0, 0)))
    return series


def most_used(
    session: Session, resource_ids: Iterable[int], limit: int = 10, *, since: date | None = None
) -> list[tuple[int, UsageTotals]]:
    """The most used of the given datasets (views + downloads + API calls), busiest first;
    unused datasets are left out. Ties go to the lower id, so the order is stable."""
    totals = totals_by_dataset(session, list(resource_ids), since=since)
    ranked = sorted(totals.items(), key=lambda pair: (-pair[1].total, pair[0]))
    return [(rid, t) for rid, t in ranked if t.total > 0][: max(0, limit)]


def series_json(series: Iterable[DayUsage]) -> list[dict[str, object]]:
    """A series as the pages' chart scripts read it."""
    return [
        {"day": d.day.isoformat(), "views": d.views, "downloads": d.downloads, "api": d.api_calls}
        for d in series
    ]
