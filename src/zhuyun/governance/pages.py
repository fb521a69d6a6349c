"""The grids page: a map of the grids drawn from the GeoJSON export, coloured by district,
and the list of grids with their workers. Thin: the service answers, the template shows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from zhuyun.core.divisions import GUIYANG, children_of, guiyang_division
from zhuyun.core.errors import Unprocessable
from zhuyun.governance import service
from zhuyun.identity.deps import Allowed, SessionDep
from zhuyun.identity.permissions import Permission, Principal
from zhuyun.web.rendering import NavItem, pager, register_nav, render

router = APIRouter(include_in_schema=False)
register_nav(NavItem("网格管理", "/governance/grids", "grid", Permission.GRIDS_READ, 300))

Reader = Annotated[Principal, Allowed(Permission.GRIDS_READ)]
PAGE_ROWS = 20
# The map draws at most this many grids at once; a bigger city starts with one district.
MAP_LIMIT = 3_000
DISTRICT_COLOURS = (
    "#1f5fa8", "#0e8a8a", "#f0a43a", "#7a5cc8", "#e2725b",
    "#3fb1c9", "#5b8ff9", "#8aa1bd", "#c0548b", "#6a9a3a",
)  # fmt: skip


@router.get("/governance/grids", response_class=HTMLResponse)
def grids_page(
    request: Request,
    principal: Reader,
    session: SessionDep,
    district: Annotated[str, Query(max_length=6)] = "",
    street: Annotated[str, Query(max_length=9)] = "",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    districts = children_of(GUIYANG)
    codes = {d.code for d in districts}
    if district and district not in codes:
        raise Unprocessable(
            f"{district} is not a district of the city.",
            f"{district} 不是本市的区（县）。",
            code="invalid-division",
        )
    streets = children_of(district) if district else ()
    if street and street not in {s.code for s in streets}:
        street = ""
    scope = street or district or None
    rows, total = service.list_grids(session, scope, offset, PAGE_ROWS)
    workers = service.workers_by_grid(session, [g.id for g in rows])
    colours = {d.code: DISTRICT_COLOURS[i % len(DISTRICT_COLOURS)] for i, d in enumerate(districts)}
    map_scope = scope
    map_note = ""
    if map_scope is None and total > MAP_LIMIT:
        map_scope = next(
            (d.code for d in districts if service.count_grids(session, d.code)), districts[0].code
        )
        shown = guiyang_division(map_scope).name
        map_note = f"全市共 {total:,} 个网格，地图先显示{shown}；请选择区县查看其他区域。"
    geojson_url = "/api/governance/grids.geojson" + (
        f"?street={map_scope}" if map_scope and len(map_scope) == 9
        else f"?district={map_scope}" if map_scope else ""
    )  # fmt: skip
    return render(
        request,
        "governance_grids.html",
        page_title="网格管理",
        districts=[{"code": d.code, "name": d.name, "colour": colours[d.code]} for d in districts],
        streets=streets,
        district=district,
        street=street,
        grids=[
            {
                "grid": g,
                "community": service.division_name(g.community_code),
                "street": service.division_name(g.street_code),
                "district": service.division_name(g.district_code),
                "colour": colours.get(g.district_code, "#8aa1bd"),
                "workers": workers[g.id],
            }
            for g in rows
        ],
        total=total,
        map_note=map_note,
        map_data={
            "geojson_url": geojson_url,
            "colours": colours,
            "names": {d.code: d.name for d in districts},
        },
        pager=pager(
            "/governance/grids", {"district": district, "street": street}, offset, PAGE_ROWS, total
        ),
    )
