"""The block-analytics JSON API: grids' indicators for a month and next month's forecast.
Thin: parse → call the service → render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from zhuyun.blocks.analytics import service
from zhuyun.blocks.analytics.schemas import (
    BacktestPublic,
    ForecastPublic,
    GridAnalyticsPage,
    GridIndicatorsPublic,
    PopulationPublic,
)
from zhuyun.core.calendar import china_today
from zhuyun.core.paging import PageDep
from zhuyun.identity.deps import Allowed, SessionDep, SettingsDep
from zhuyun.identity.permissions import Permission, Principal

router = APIRouter(prefix="/api/blocks/analytics", tags=["blocks 块数据"])

Reader = Annotated[Principal, Allowed(Permission.BLOCKS_READ)]
Month = Annotated[
    str | None,
    Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM（默认本月）"),
]
District = Annotated[
    str | None, Query(pattern=r"^\d{6}$", description="区（市、县）代码，如 520102")
]
ResourceId = Annotated[
    int | None, Query(ge=1, le=2**31 - 1, description="人口资源 id（默认：人口基础信息）")
]


def _forecast(analytics: service.Analytics) -> ForecastPublic:
    report = analytics.forecast
    return ForecastPublic(
        history_months=report.months,
        holdout_months=report.holdout,
        chosen=report.chosen,
        backtests=[BacktestPublic(**b.__dict__) for b in report.backtests],
        next_month=service.next_month(analytics.month),
        city_total=round(sum(report.next_month.values()), 1) if report.chosen else None,
    )


@router.get(
    "/grids",
    response_model=GridAnalyticsPage,
    summary="Indicators per grid for a month / 网格分月指标与下月工单预测",
)
def grid_indicators(
    principal: Reader,
    session: SessionDep,
    settings: SettingsDep,
    page: PageDep,
    month: Month = None,
    district: District = None,
    population_resource_id: ResourceId = None,
) -> GridAnalyticsPage:
    district = service.check_district(district)
    analytics = service.build(
        session,
        settings.secret_key.get_secret_value(),
        principal,
        month=month,
        district=district,
        population_resource_id=population_resource_id or service.population_resource(session),
        today=china_today(),
    )
    population = analytics.population
    rows = analytics.grids[page.offset : page.offset + page.limit]
    return GridAnalyticsPage(
        data=[GridIndicatorsPublic(**g.__dict__) for g in rows],
        count=len(analytics.grids),
        offset=page.offset,
        limit=page.limit,
        month=analytics.month,
        months=analytics.months,
        city_orders_by_month=analytics.city_orders_by_month,
        orders_seen=analytics.orders_seen,
        population=PopulationPublic(
            read=population.read,
            unplaced=population.unplaced,
            masked=population.masked,
            refused=population.refused,
        ),
        forecast=_forecast(analytics),
    )
