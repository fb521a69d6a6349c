"""The command centre's map (指挥中心): the grids drawn from their GeoJSON, heat-coloured by
their live orders (ECharts visualMap), the live orders as points (overdue ones red), and the
busiest grids beside it. Thin: the service answers, the template and its script show."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from zhuyun.core.db import utcnow
from zhuyun.core.divisions import GUIYANG, children_of, guiyang_division
from zhuyun.core.errors import Unprocessable
from zhuyun.governance import service
from zhuyun.governance.pages import MAP_LIMIT
from zhuyun.governance.service import queries
from zhuyun.identity.deps import Allowed, SessionDep
from zhuyun.identity.permissions import Permission, Principal
from zhuyun.web.rendering import NavItem, register_nav, render

router = APIRouter(include_in_schema=False)
register_nav(NavItem("指挥中心", "/governance/command", "map", Permission.WORKORDERS_READ, 309))

Reader = Annotated[Principal, Allowed(Permission.WORKORDERS_READ)]


@router.get("/governance/command", response_class=HTMLResponse)
def command_page(
    request: Request,
    principal: Reader,
    session: SessionDep,
    district: Annotated[str, Query(max_length=6)] = "",
) -> HTMLResponse:
    districts = children_of(GUIYANG)
    if district and district not in {d.code for d in districts}:
        raise Unprocessable(
            f"{district} is not a district of the city.",
            f"{district} 不是本市的区（县）。",
            code="invalid-division",
        )
    scope = district or None
    note = ""
    if scope is None and service.count_grids(session, None) > MAP_LIMIT:
        scope = next(
            (d.code for d in districts if service.count_grids(session, d.code)), districts[0].code
        )
        note = f"网格较多，地图先显示{guiyang_division(scope).name}；请选择区县查看其他区域。"
    rows = queries.live_by_grid(session, principal, scope, utcnow())
    busiest = sorted(rows, key=lambda r: (-r[1], r[0]))[:10]
    suffix = f"?district={scope}" if scope else ""
    return render(
        request,
        "command_map.html",
        page_title="指挥中心",
        districts=districts,
        district=district,
        note=note,
        live=sum(n for _, n, _ in rows),
        overdue=sum(late for _, _, late in rows),
        busiest=[
            {"code": c, "live": n, "overdue": late, "name": service.division_name(c[:12])}
            for c, n, late in busiest
        ],
        map_data={
            "geojson_url": f"/api/governance/grids.geojson{suffix}",
            "heat_url": "/api/governance/workorders/heat" + (f"?division={scope}" if scope else ""),
            "live_url": "/api/governance/workorders/live"
            + (f"?division={scope}&" if scope else "?"),
        },
    )
