"""Geometry of grids and regions: reading GeoJSON, checking it, measuring it.

Coordinates are WGS-84 longitude/latitude (GeoJSON's order). Areas are in square metres on a
local equal-area approximation (an equirectangular projection at the polygon's own latitude,
the sphere's radius 6,371,008.8 m): within a fraction of a percent of the geodesic area for
polygons the size of a district, no projection library needed.
"""

from __future__ import annotations

import json
import math
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

EARTH_RADIUS_M = 6_371_008.8
# How far (degrees, ~1 m) a polygon may poke out of its parent or the city and still count
# as inside: coordinates rounded by another GIS (to 6 or 7 decimals) stay inside.
TOLERANCE_DEG = 1e-5
# Two grids overlap when they share more than this (square degrees, ~1 m²).
OVERLAP_DEG2 = 1e-10
# Guiyang lies within 106°07'–107°17'E, 26°11'–27°22'N: the city when no outline is stored.
GUIYANG_BOUNDS = (106.0, 26.1, 107.4, 27.45)


class GeometryError(ValueError):
    """A geometry that cannot be a grid or region; carries both languages."""

    def __init__(self, message_en: str, message_zh: str, code: str = "invalid-geometry") -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh
        self.code = code


def _check_coordinates(value: Any, depth: int = 0) -> None:
    """Rings of [lng, lat] pairs, every number finite and on the globe."""
    if depth > 4 or not isinstance(value, list | tuple):
        raise GeometryError(
            "coordinates must be nested lists of [longitude, latitude] pairs",
            "coordinates 须为 [经度, 纬度] 数对的嵌套列表",
        )
    if value and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        if len(value) < 2:
            raise GeometryError("a position needs longitude and latitude", "坐标须含经度和纬度")
        lng, lat = float(value[0]), float(value[1])
        if not (math.isfinite(lng) and math.isfinite(lat)) or abs(lng) > 180 or abs(lat) > 90:
            raise GeometryError(
                f"position {value[:2]} is not a longitude/latitude in WGS-84",
                f"坐标 {value[:2]} 不是 WGS-84 经纬度",
                code="invalid-coordinates",
            )
        return
    for item in value:
        _check_coordinates(item, depth + 1)


def read_polygon(geometry: Any) -> BaseGeometry:
    """A valid, non-empty Polygon or MultiPolygon from a GeoJSON geometry object."""
    if not isinstance(geometry, dict):
        raise GeometryError("the feature has no geometry", "要素缺少 geometry")
    kind = geometry.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        raise GeometryError(
            f"geometry type {kind!r} is not Polygon or MultiPolygon",
            f"几何类型 {kind!r} 不是 Polygon 或 MultiPolygon",
            code="not-a-polygon",
        )
    _check_coordinates(geometry.get("coordinates"))
    try:
        polygon = shape(geometry)
    except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.GEOSException):
        raise GeometryError(
            "the polygon's rings are malformed (each ring needs at least 4 positions)",
            "多边形的环不完整（每个环至少 4 个坐标点）",
        ) from None
    if polygon.is_empty:
        raise GeometryError("the polygon is empty", "多边形为空", code="empty-geometry")
    if not polygon.is_valid:
        reason = explain_validity(polygon)
        raise GeometryError(
            f"the polygon is not valid: {reason}",
            f"多边形无效（自相交或环方向错误等）：{reason}",
        )
    if polygon.area <= 0:
        raise GeometryError("the polygon has no area", "多边形面积为零", code="empty-geometry")
    return polygon


def area_m2(geometry: BaseGeometry) -> float:
    """The area in square metres (equirectangular at the polygon's mean latitude)."""
    if geometry.is_empty:
        return 0.0
    lat0 = math.radians(geometry.centroid.y)
    k = (math.pi / 180) * EARTH_RADIUS_M
    return float(geometry.area * k * k * math.cos(lat0))


def to_geojson(geometry: BaseGeometry) -> str:
    """GeoJSON text of a geometry, coordinates at full precision (shared borders of
    neighbours stay shared)."""
    return shapely.to_geojson(geometry)


def from_geojson(text: str) -> BaseGeometry:
    geometry: BaseGeometry = shapely.from_geojson(text)
    return geometry


def geometry_object(text: str) -> dict[str, Any]:
    """The stored GeoJSON text as an object, for a FeatureCollection."""
    value: dict[str, Any] = json.loads(text)
    return value


def bounds_box() -> BaseGeometry:
    return shapely.box(*GUIYANG_BOUNDS)


def covered_by(inner: BaseGeometry, outer: BaseGeometry) -> bool:
    """`inner` lies within `outer`, give or take the rounding of a shared border."""
    if outer.covers(inner):
        return True
    return bool(inner.difference(outer).area <= OVERLAP_DEG2) or bool(
        outer.buffer(TOLERANCE_DEG).covers(inner)
    )


# Short distances (a street, a district) on the WGS-84 ellipsoid near the city's latitude:
# metres per degree of latitude, and of longitude at a latitude.
METRES_PER_DEG_LAT = 110_540.0


def metres_per_deg_lng(lat: float) -> float:
    return 111_320.0 * math.cos(math.radians(lat))


def metres_between(a_lng: float, a_lat: float, b_lng: float, b_lat: float) -> float:
    """The distance of two nearby points (equirectangular; within 1% up to ~100 km)."""
    dx = (a_lng - b_lng) * metres_per_deg_lng((a_lat + b_lat) / 2)
    return math.hypot(dx, (a_lat - b_lat) * METRES_PER_DEG_LAT)
