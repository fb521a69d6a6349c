"""The point-in-grid index: every grid's polygon in a shapely STRtree, built once per process
and database and rebuilt when the grids change (the revision counter, read with one primary-key
lookup per call, says when).

A point on the border of two grids belongs to the one with the smaller code, so the answer
never depends on the order of the tree: the brute-force loop over the polygons
(`locate_brute_force`, the benchmark's peer) answers the same.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from zhuyun.core.db import utcnow
from zhuyun.core.divisions import GUIYANG
from zhuyun.governance.models import Grid, GridsRevision, Region
from zhuyun.governance.service.geometry import bounds_box, from_geojson

_REVISION_ROW = 1
_BUILD_BATCH = 2_000


@dataclass(frozen=True)
class GridIndex:
    """Grids in code order, their polygons and the tree over them, with the city's outline."""

    revision: int
    codes: tuple[str, ...]
    polygons: np.ndarray  # of shapely geometries, in the order of `codes`
    tree: STRtree
    city: BaseGeometry
    city_outline_known: bool

    def __len__(self) -> int:
        return len(self.codes)

    def in_city(self, lng: float, lat: float) -> bool:
        return bool(self.city.covers(Point(lng, lat)))

    def locate(self, lng: float, lat: float) -> str | None:
        """The code of the grid covering the point (the smaller code on a shared border)."""
        hits = self.tree.query(Point(lng, lat), predicate="intersects")
        return self.codes[int(hits.min())] if len(hits) else None

    def locate_many(self, lngs: Sequence[float], lats: Sequence[float]) -> list[str | None]:
        """`locate` for many points in one call to the tree (vectorised)."""
        points = shapely.points(np.asarray(lngs, dtype=float), np.asarray(lats, dtype=float))
        found: list[str | None] = [None] * len(points)
        point_ids, grid_ids = self.tree.query(points, predicate="intersects")
        best: dict[int, int] = {}
        for p, g in zip(point_ids.tolist(), grid_ids.tolist(), strict=True):
            if p not in best or g < best[p]:
                best[p] = g
        for p, g in best.items():
            found[p] = self.codes[g]
        return found

    def locate_brute_force(self, lng: float, lat: float) -> str | None:
        """The same answer by testing every polygon in turn: the peer the tree is measured
        against, and the tests' oracle."""
        point = Point(lng, lat)
        for code, polygon in zip(self.codes, self.polygons, strict=True):
            if polygon.covers(point):
                return code
        return None


_cache: dict[str, GridIndex] = {}
_lock = threading.Lock()


def current_revision(session: Session) -> int:
    revision = session.scalar(
        select(GridsRevision.revision).where(GridsRevision.id == _REVISION_ROW)
    )
    return int(revision or 0)


def bump_revision(session: Session) -> int:
    """Mark the grids changed, in the caller's transaction; returns the new revision."""
    now = utcnow()
    result = session.execute(
        update(GridsRevision)
        .where(GridsRevision.id == _REVISION_ROW)
        .values(revision=GridsRevision.revision + 1, changed_at=now)
        .returning(GridsRevision.revision)
    ).scalar()
    if result is None:
        session.add(GridsRevision(id=_REVISION_ROW, revision=1, changed_at=now))
        session.flush()
        return 1
    return int(result)


def _key(session: Session) -> str:
    return session.get_bind().engine.url.render_as_string(hide_password=True)


def build_index(session: Session, revision: int) -> GridIndex:
    """Read every grid's polygon (in batches) and the city's outline into a fresh index."""
    codes: list[str] = []
    texts: list[str] = []
    rows = session.execute(
        select(Grid.code, Grid.geometry).order_by(Grid.code).execution_options(yield_per=2_000)
    )
    for partition in rows.partitions(_BUILD_BATCH):
        for code, text in partition:
            codes.append(code)
            texts.append(text)
    polygons = shapely.from_geojson(np.asarray(texts, dtype=object)) if texts else np.empty(0)
    outline = session.scalar(select(Region.geometry).where(Region.code == GUIYANG))
    city = from_geojson(outline) if outline else bounds_box()
    shapely.prepare(city)
    return GridIndex(
        revision=revision,
        codes=tuple(codes),
        polygons=polygons,
        tree=STRtree(polygons),
        city=city,
        city_outline_known=outline is not None,
    )


def grid_index(session: Session) -> GridIndex:
    """This process's index of the session's database, rebuilt if the grids changed."""
    revision = current_revision(session)
    key = _key(session)
    cached = _cache.get(key)
    if cached is not None and cached.revision == revision:
        return cached
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached.revision == revision:
            return cached
        index = build_index(session, revision)
        _cache[key] = index
        return index
