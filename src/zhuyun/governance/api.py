"""JSON API of the grids: thin routes that parse, call the service and render."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from zhuyun.core.errors import BadRequest, NotFound, Unprocessable
from zhuyun.core.paging import Page, PageDep
from zhuyun.governance import service
from zhuyun.governance.models import Grid
from zhuyun.governance.schemas import (
    AddressReading,
    GridPublic,
    ImportPublic,
    LocatePublic,
    WorkerPublic,
)
from zhuyun.identity.deps import Allowed, SessionDep, get_database
from zhuyun.identity.permissions import Permission, Principal

router = APIRouter(prefix="/api/governance", tags=["governance 社会治理网格"])

Reader = Annotated[Principal, Allowed(Permission.GRIDS_READ)]
Manager = Annotated[Principal, Allowed(Permission.GRIDS_MANAGE)]
DivisionCode = Annotated[
    str | None,
    Query(
        pattern=r"^\d{6}(\d{3}(\d{3})?)?$",
        description="区县（6 位）、街道（9 位）或社区（12 位）代码 / division code",
    ),
]
GridCode = Annotated[str, PathParam(pattern=r"^\d{15}$", description="网格编码（15 位）")]
MAX_IMPORT_BYTES = 64 * 1024 * 1024


def grid_public(grid: Grid, workers: Sequence[service.WorkerRef]) -> GridPublic:
    return GridPublic(
        code=grid.code,
        name=grid.name,
        community_code=grid.community_code,
        community_name=service.division_name(grid.community_code),
        street_code=grid.street_code,
        street_name=service.division_name(grid.street_code),
        district_code=grid.district_code,
        district_name=service.division_name(grid.district_code),
        centroid=(grid.centroid_lng, grid.centroid_lat),
        area_m2=round(grid.area_m2, 1),
        workers=[WorkerPublic(account_id=w.account_id, username=w.username, name=w.name)
                 for w in workers],
    )  # fmt: skip


def grids_public(session: Session, grids: Sequence[Grid]) -> list[GridPublic]:
    workers = service.workers_by_grid(session, [g.id for g in grids])
    return [grid_public(g, workers[g.id]) for g in grids]


@router.get(
    "/grids",
    response_model=Page[GridPublic],
    summary="Grids of the city or of a district, street or community / 网格列表",
)
def list_grids(
    principal: Reader, session: SessionDep, page: PageDep, division: DivisionCode = None
) -> Page[GridPublic]:
    rows, total = service.list_grids(session, division, page.offset, page.limit)
    return Page.of(grids_public(session, rows), total, page)


@router.get(
    "/grids.geojson",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/geo+json": {}}}},
    summary="The grids as a GeoJSON FeatureCollection / 导出网格 GeoJSON",
)
def export_grids(
    request: Request,
    principal: Reader,
    district: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    street: Annotated[str | None, Query(pattern=r"^\d{9}$")] = None,
    regions: Annotated[
        bool, Query(description="同时导出市、区县、街道、社区的边界 / include region polygons")
    ] = False,
) -> StreamingResponse:
    if district and street and not street.startswith(district):
        raise Unprocessable(
            f"Street {street} is not in district {district}.",
            f"街道 {street} 不属于区县 {district}。",
            code="invalid-division",
        )
    levels = (
        ("city", "district", "street", "community", service.GRID) if regions else (service.GRID,)
    )
    chunks = service.export_chunks(get_database(request), street or district, levels=levels)
    name = f"grids-{street or district or 'city'}.geojson"
    return StreamingResponse(
        chunks,
        media_type="application/geo+json",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@router.get(
    "/grids/locate",
    response_model=LocatePublic,
    summary="The grid of a point or of an address / 点位或地址所属网格",
)
def locate(
    principal: Reader,
    session: SessionDep,
    lng: Annotated[float | None, Query(ge=-180, le=180, description="经度 WGS-84")] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90, description="纬度 WGS-84")] = None,
    address: Annotated[str | None, Query(min_length=2, max_length=200)] = None,
) -> LocatePublic:
    if address is not None and (lng is not None or lat is not None):
        raise BadRequest(
            "Give either lng and lat or an address, not both.",
            "请只提供经纬度或地址之一。",
            code="locate-ambiguous",
        )
    if address is not None:
        found = service.grid_of_address(session, address)
        parsed = found.address
        return LocatePublic(
            grid=grids_public(session, [found.grid])[0],
            by="address",
            approximate=True,
            address=AddressReading(
                district_code=parsed.district.code,
                district_name=parsed.district.name,
                street_code=parsed.street.code,
                street_name=parsed.street.name,
                community_code=parsed.community.code,
                community_name=parsed.community.name,
                rest=parsed.rest,
            ),
            note="The community is read from the address; the grid within it is chosen by the "
            "rest of the address, not by the building's position.",
            note_zh="社区按地址中的区划名称确定；社区内的网格按地址其余部分确定性选取，"
            "并非按建筑物实际位置。",
        )
    if lng is None or lat is None:
        raise BadRequest(
            "Give lng and lat (WGS-84), or an address.",
            "请提供经度 lng 和纬度 lat（WGS-84），或地址 address。",
            code="locate-missing",
        )
    grid = service.grid_of(session, lng, lat)
    if grid is None:
        raise NotFound(
            f"No grid covers ({lng}, {lat}).",
            f"坐标（{lng}, {lat}）处尚未划分网格。",
            code="no-grid-here",
        )
    return LocatePublic(grid=grids_public(session, [grid])[0], by="point", approximate=False)


@router.get(
    "/grids/{code}",
    response_model=GridPublic,
    summary="One grid with its workers / 网格详情",
)
def get_grid(code: GridCode, principal: Reader, session: SessionDep) -> GridPublic:
    return grids_public(session, [service.get_grid(session, code)])[0]


async def _raw_body(request: Request) -> bytes:
    """The posted bytes (read on the event loop; parsed in the route's thread)."""
    body = await request.body()
    if len(body) > MAX_IMPORT_BYTES:
        raise Unprocessable(
            f"The GeoJSON is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MiB; split it.",
            f"GeoJSON 超过 {MAX_IMPORT_BYTES // (1024 * 1024)} MiB，请分批导入。",
            code="too-large",
        )
    return body


def _parse(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unprocessable(
            f"The body is not JSON: {exc}.",
            "请求体不是合法的 JSON。",
            code="invalid-json",
        ) from None


@router.post(
    "/grids/import",
    response_model=ImportPublic,
    summary="Import grids and region polygons (GeoJSON) / 导入网格",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/geo+json": {"schema": {"type": "object"}},
                        "application/json": {"schema": {"type": "object"}}},
        }
    },
)  # fmt: skip
def import_grids(
    principal: Manager, session: SessionDep, body: Annotated[bytes, Depends(_raw_body)]
) -> ImportPublic:
    report = service.import_features(session, principal.as_actor(), _parse(body))
    return ImportPublic(
        revision=report.revision,
        regions=report.regions,
        grids_created=report.grids_created,
        grids_updated=report.grids_updated,
        workers_assigned=report.workers_assigned,
    )
