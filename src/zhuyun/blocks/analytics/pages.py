"""The block-analytics page (块数据分析): a month's indicators per grid, the city's orders by
month with next month's forecast and its backtest, and a map of the grids coloured by their
event rate. Thin: the service answers, the template shows, the script draws."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from zhuyun.blocks.analytics import service
from zhuyun.core.calendar import china_today
from zhuyun.core.divisions import GUIYANG, children_of
from zhuyun.identity.deps import Allowed, SessionDep, SettingsDep
from zhuyun.identity.permissions import Permission, Principal
from zhuyun.web.rendering import NavItem, pager, register_nav, render

router = APIRouter(include_in_schema=False)
register_nav(NavItem("块数据分析", "/blocks/analytics", "chart", Permission.BLOCKS_READ, 520))

Reader = Annotated[Principal, Allowed(Permission.BLOCKS_READ)]
PAGE_ROWS = 20


@router.get("/blocks/analytics", response_class=HTMLResponse)
def analytics_page(
    request: Request,
    principal: Reader,
    session: SessionDep,
    settings: SettingsDep,
    month: Annotated[str, Query(pattern=r"^(\d{4}-(0[1-9]|1[0-2]))?$")] = "",
    district: Annotated[str, Query(pattern=r"^(\d{6})?$")] = "",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    checked = service.check_district(district or None)
    analytics = service.build(
        session,
        settings.secret_key.get_secret_value(),
        principal,
        month=month or None,
        district=checked,
        population_resource_id=service.population_resource(session),
        today=china_today(),
    )
    busiest = sorted(analytics.grids, key=lambda g: (-g.orders, g.code))
    most_populous = sorted(analytics.grids, key=lambda g: (-g.residents, g.code))
    report = analytics.forecast
    geojson_url = "/api/governance/grids.geojson" + (f"?district={checked}" if checked else "")
    chart = {
        "geojson_url": geojson_url,
        "months": analytics.months,
        "orders": analytics.city_orders_by_month,
        "next_month": service.next_month(analytics.month),
        "forecast_total": round(sum(report.next_month.values()), 1) if report.chosen else None,
        "grids": {
            g.code: {"name": g.name, "orders": g.orders, "rate": g.orders_per_1000,
                     "residents": g.residents, "forecast": g.forecast}
            for g in analytics.grids
        },
        "ages": [{"name": g.name, **g.ages} for g in most_populous[:12]],
        "categories": analytics.categories[:10],
    }  # fmt: skip
    return render(
        request,
        "blocks_analytics.html",
        page_title="块数据分析",
        analytics=analytics,
        rows=busiest[offset : offset + PAGE_ROWS],
        districts=children_of(GUIYANG),
        district=checked or "",
        month=analytics.month,
        chosen=report.chosen_backtest,
        chart=chart,
        residents=sum(g.residents for g in analytics.grids),
        pager=pager(
            "/blocks/analytics",
            {"district": checked or "", "month": month},
            offset,
            PAGE_ROWS,
            len(busiest),
        ),
    )
