"""Block analytics per grid and month: population structure, work-order and demand rates,
and next month's forecast — read through the services that own the data.

- Grids come from the governance service (`list_grids`).
- Work orders come from the governance service's `list_orders`, which scopes them to what
  the viewer may see: a case handler's figures cover the orders of their unit, the command
  centre's and a supervisor's the whole city. Merged duplicates are not counted.
- People come from a population resource read through the exchange gateway with the viewer's
  rights and a purpose (ledgered; refused without a grant). Each person is placed in a grid
  the way the governance service places an address: its community, then one of the
  community's grids chosen by the rest of the address.

Indicators of a grid and month: residents, by sex and by the census age bands 0–14, 15–59,
60+; orders; orders per 1,000 residents (事件率); residents' own requests — hotline, app and
Open311, not patrol findings — per 1,000 residents (服务需求); the share of the month's orders
closed.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from zhuyun.blocks.analytics.forecast import ForecastReport, forecast_next_month
from zhuyun.blocks.resolution.normalise import parse_day
from zhuyun.blocks.resolution.reading import open_read
from zhuyun.catalog import service as catalog
from zhuyun.core.calendar import CHINA_TIME
from zhuyun.core.divisions import GUIYANG, children_of
from zhuyun.core.errors import Problem, Unprocessable
from zhuyun.exchange.connectors import Filter
from zhuyun.governance import service as governance
from zhuyun.governance.service.locate import pick
from zhuyun.governance.service.queries import OrderFilter, list_orders
from zhuyun.identity.permissions import Principal

POPULATION_NAME = "人口基础信息"
POPULATION_ITEMS = ("address", "sex", "birth_date", "domicile_division_code")
PURPOSE = "块数据分析：按网格统计人口结构、事件率与服务需求"
DEMAND_CHANNELS = frozenset({"hotline", "app", "open311"})
CLOSED = frozenset({"closed", "evaluated"})
AGE_BANDS = ("0-14", "15-59", "60+")
MAX_GRIDS = 3_000
PAGE = 500
HISTORY_MONTHS = 24


def month_of(moment: datetime) -> str:
    """The month (YYYY-MM) of a stored UTC time, in China time."""
    return moment.astimezone(CHINA_TIME).strftime("%Y-%m")


def months_until(last: str, count: int) -> list[str]:
    """`count` months ending with `last`, oldest first."""
    year, month = int(last[:4]), int(last[5:7])
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def age_band(birth: date, on: date) -> str:
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return AGE_BANDS[0] if age < 15 else AGE_BANDS[1] if age < 60 else AGE_BANDS[2]


@dataclass
class Population:
    """Residents per grid by sex and age band, or why they could not be read."""

    by_grid: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    read: int = 0
    unplaced: int = 0  # addresses outside the grids shown
    masked: list[str] = field(default_factory=list)
    refused: str | None = None  # the gateway's message when the viewer may not read them

    def total(self, grid: str) -> int:
        return self.by_grid[grid]["total"] if grid in self.by_grid else 0


@dataclass(frozen=True)
class GridIndicators:
    code: str
    name: str
    community: str
    district: str
    residents: int
    male: int
    female: int
    ages: dict[str, int]
    orders: int
    orders_per_1000: float | None
    demand: int
    demand_per_1000: float | None
    closed_share: float | None
    forecast: float | None


@dataclass(frozen=True)
class Analytics:
    month: str
    months: list[str]
    district: str | None
    grids: list[GridIndicators]
    city_orders_by_month: list[int]
    categories: list[tuple[str, int]]
    population: Population
    forecast: ForecastReport
    orders_seen: int


def check_district(code: str | None) -> str | None:
    """A district code of the city, or None for the whole city; 422 otherwise."""
    if not code:
        return None
    if code not in {d.code for d in children_of(GUIYANG)}:
        raise Unprocessable(
            f"{code} is not a district of the city.",
            f"{code} 不是本市的区（市、县）。",
            code="invalid-division",
        )
    return code


def population_resource(session: Session) -> int | None:
    """The published population register (人口基础信息) of the catalog, if any."""
    hits = catalog.search(session, POPULATION_NAME, catalog.Facets(), 0, 10).hits
    return next((h.version.resource_id for h in hits if h.version.name == POPULATION_NAME), None)


def _grids(session: Session, district: str | None) -> list[Any]:
    rows, _total = governance.list_grids(session, district, 0, MAX_GRIDS)
    return list(rows)


#: Aggregates (counts per grid, no personal data) of recent reads, so a page viewed again
#: within the TTL does not read a city's register once more; keyed by everything that
#: decides the answer: the viewer's unit (the gateway's policy), resource, scope, day, grids.
POPULATION_TTL_S = 600.0
_CACHE_SIZE = 64
_population_cache: dict[tuple[Any, ...], tuple[float, Population]] = {}
_cache_lock = threading.Lock()


def read_population(
    session: Session,
    secret_key: str,
    principal: Principal,
    resource_id: int | None,
    grids: Sequence[Any],
    district: str | None,
    on: date,
    today: date,
) -> Population:
    """Residents of the grids by sex and age band; a refusal is kept, not raised, so the
    work-order indicators still show (and nothing read before it is counted)."""
    if resource_id is None:
        return Population(refused="目录中没有人口基础信息资源。")
    key = (
        session.get_bind().engine.url.render_as_string(hide_password=True),
        principal.unit_id, resource_id, district, on, today,
        governance.current_revision(session), len(grids),
    )  # fmt: skip
    now = time.monotonic()
    with _cache_lock:
        cached = _population_cache.get(key)
    if cached is not None and now - cached[0] < POPULATION_TTL_S:
        return cached[1]
    population = _count_population(
        session, secret_key, principal, resource_id, grids, district, on, today
    )
    if population.refused is None:
        with _cache_lock:
            if len(_population_cache) >= _CACHE_SIZE:
                _population_cache.clear()
            _population_cache[key] = (now, population)
    return population


def _count_population(
    session: Session,
    secret_key: str,
    principal: Principal,
    resource_id: int,
    grids: Sequence[Any],
    district: str | None,
    on: date,
    today: date,
) -> Population:
    population = Population()
    by_community: dict[str, list[str]] = defaultdict(list)
    for grid in grids:
        by_community[grid.community_code].append(grid.code)
    filters = [Filter("domicile_division_code", "prefix", district)] if district else []
    try:
        read = open_read(
            session, secret_key, principal, resource_id, POPULATION_ITEMS, PURPOSE, today, filters
        )
        population.masked = read.masked
        for address, sex, birth_text, _division in read.rows():
            population.read += 1
            grid_code = _grid_of(str(address or ""), by_community)
            if grid_code is None:
                population.unplaced += 1
                continue
            counts = population.by_grid[grid_code]
            counts["total"] += 1
            counts[sex if sex in ("男", "女") else "?"] += 1
            birth = parse_day(str(birth_text or ""))
            counts[age_band(birth, on) if birth else "?"] += 1
    except Problem as problem:
        return Population(refused=problem.message_zh)
    return population


def _grid_of(address: str, by_community: dict[str, list[str]]) -> str | None:
    try:
        parsed = governance.parse_address(address)
    except governance.AddressProblem:
        return None
    codes = by_community.get(parsed.community.code)
    return codes[pick(parsed.rest, len(codes))] if codes else None


def _orders(session: Session, principal: Principal, district: str | None) -> Iterator[Any]:
    offset = 0
    while True:
        rows, total = list_orders(
            session, principal, OrderFilter(district_code=district or None), offset, PAGE
        )
        yield from rows
        offset += len(rows)
        if not rows or offset >= total:
            return


def build(
    session: Session,
    secret_key: str,
    principal: Principal,
    *,
    month: str | None,
    district: str | None,
    population_resource_id: int | None,
    today: date,
) -> Analytics:
    """Every grid's indicators for `month` (default: the current month), with the forecast
    of next month judged on the months before."""
    last = month or today.strftime("%Y-%m")
    months = months_until(last, HISTORY_MONTHS)
    position = {m: i for i, m in enumerate(months)}
    grids = _grids(session, district)
    known = {g.code for g in grids}
    counts: dict[str, list[int]] = {g.code: [0] * len(months) for g in grids}
    demand: Counter[str] = Counter()
    closed: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    city = [0] * len(months)
    seen = 0
    for order in _orders(session, principal, district):
        if order.status == "merged" or order.grid_code not in known:
            continue
        at = position.get(month_of(order.created_at))
        if at is None:
            continue
        seen += 1
        counts[order.grid_code][at] += 1
        city[at] += 1
        if at == len(months) - 1:
            demand[order.grid_code] += order.channel in DEMAND_CHANNELS
            closed[order.grid_code] += order.status in CLOSED
            categories[order.category] += 1
    first = next((i for i, n in enumerate(city) if n), len(months) - 1)
    history = {code: series[first:] for code, series in counts.items()}
    report = forecast_next_month(history)
    month_end = date(int(last[:4]), int(last[5:7]), 1)
    population = read_population(
        session, secret_key, principal, population_resource_id, grids, district, month_end,
        today,
    )  # fmt: skip
    return Analytics(
        month=last,
        months=months[first:],
        district=district,
        grids=[_indicators(g, counts, demand, closed, population, report) for g in grids],
        city_orders_by_month=city[first:],
        categories=categories.most_common(),
        population=population,
        forecast=report,
        orders_seen=seen,
    )


def _per_1000(part: int, residents: int) -> float | None:
    return round(part * 1000 / residents, 2) if residents else None


def _indicators(
    grid: Any,
    counts: dict[str, list[int]],
    demand: Counter[str],
    closed: Counter[str],
    population: Population,
    report: ForecastReport,
) -> GridIndicators:
    people = population.by_grid.get(grid.code, Counter())
    residents = people["total"]
    orders = counts[grid.code][-1]
    return GridIndicators(
        code=grid.code,
        name=grid.name,
        community=governance.division_name(grid.community_code),
        district=governance.division_name(grid.district_code),
        residents=residents,
        male=people["男"],
        female=people["女"],
        ages={band: people[band] for band in AGE_BANDS},
        orders=orders,
        orders_per_1000=_per_1000(orders, residents),
        demand=demand[grid.code],
        demand_per_1000=_per_1000(demand[grid.code], residents),
        closed_share=round(closed[grid.code] / orders, 4) if orders else None,
        forecast=report.next_month.get(grid.code),
    )
