"""Which grid a point or an address belongs to.

`grid_of` answers from the process's STRtree index (see `index.py`): a point outside the
city is a 422 that says so; a point in the city that no grid covers (a smaller demo city
has grids only in the communities it built) is None.

`grid_of_address` is an approximation, and says so: the address is read down to its
community by the divisions' names (`addresses.py`), and the grid is chosen among the
community's grids by a stable hash of the rest of the address (road, number, building). The
same address always lands in the same grid of the right community — but without coordinates
it is not necessarily the grid the building stands in. With a geocoder, call `grid_of`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuyun.core.errors import NotFound, Unprocessable
from zhuyun.governance.models import Grid
from zhuyun.governance.service.addresses import AddressProblem, ParsedAddress, parse_address
from zhuyun.governance.service.index import grid_index


class OutsideCity(Unprocessable):
    code = "outside-city"


def _check_point(lng: float, lat: float) -> None:
    if not (math.isfinite(lng) and math.isfinite(lat)) or abs(lng) > 180 or abs(lat) > 90:
        raise Unprocessable(
            f"({lng}, {lat}) is not a WGS-84 longitude and latitude.",
            f"（{lng}, {lat}）不是 WGS-84 经纬度。",
            code="invalid-coordinates",
        )


def grid_of(session: Session, lng: float, lat: float) -> Grid | None:
    """The grid covering the point (WGS-84); None when the city has no grid there."""
    _check_point(lng, lat)
    index = grid_index(session)
    if not index.in_city(lng, lat):
        swapped = index.in_city(lat, lng)
        hint_en = " (longitude and latitude swapped?)" if swapped else ""
        hint_zh = "（经纬度是否颠倒？）" if swapped else ""
        raise OutsideCity(
            f"({lng}, {lat}) lies outside the city{hint_en}.",
            f"坐标（{lng}, {lat}）不在本市范围内{hint_zh}。",
        )
    code = index.locate(lng, lat)
    if code is None:
        return None
    return session.scalar(select(Grid).where(Grid.code == code))


@dataclass(frozen=True)
class AddressGrid:
    """The grid an address was assigned to, with what the address was read as."""

    grid: Grid
    address: ParsedAddress
    approximate: bool = True


def pick(rest: str, count: int) -> int:
    """A stable choice among `count` grids for the rest of an address."""
    digest = hashlib.sha256(rest.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


def grid_of_address(session: Session, text: str) -> AddressGrid:
    """The community an address names, and one of its grids chosen by the rest of the
    address (an approximation: see the module's docstring)."""
    try:
        parsed = parse_address(text)
    except AddressProblem as problem:
        raise Unprocessable(problem.message_en, problem.message_zh, code=problem.code) from None
    codes = session.scalars(
        select(Grid.code).where(Grid.community_code == parsed.community.code).order_by(Grid.code)
    ).all()
    if not codes:
        raise NotFound(
            f"{parsed.community.name} ({parsed.community.code}) has no grids yet.",
            f"{parsed.community.name}（{parsed.community.code}）尚未划分网格。",
            code="no-grids-in-community",
        )
    code = codes[pick(parsed.rest, len(codes))]
    grid = session.scalar(select(Grid).where(Grid.code == code))
    assert grid is not None
    return AddressGrid(grid=grid, address=parsed)


def grid_codes_of(session: Session, points: Sequence[tuple[float, float]]) -> list[str | None]:
    """`grid_of` for many points at once (one index lookup, one call to the tree): each
    point's grid code, None where no grid covers it; a point outside the city is a 422."""
    index = grid_index(session)
    for lng, lat in points:
        _check_point(lng, lat)
    inside = shapely.covers(index.city, shapely.points(np.asarray(points, dtype=float)))
    for (lng, lat), ok in zip(points, inside.tolist(), strict=True):
        if not ok:
            grid_of(session, lng, lat)  # raises OutsideCity with its hint
    return index.locate_many([p[0] for p in points], [p[1] for p in points])
