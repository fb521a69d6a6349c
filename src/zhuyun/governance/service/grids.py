"""Grids and region polygons: GeoJSON import and export, hierarchy queries, grid workers.

An import is all or nothing: every feature is checked first — a polygon that is valid, inside
the city and inside its parent division, a known division code, grids that do not overlap
each other or the grids already stored, grid workers who hold the grid_worker role — and any
problem is a 422 that lists them and changes nothing. Then regions and grids are upserted by
code, the revision counter is bumped (every process's point-in-grid index sees it) and one
ledger entry records the import, all in the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from zhuyun.core.db import Database, utcnow
from zhuyun.core.divisions import GUIYANG, Division, DivisionLevel, guiyang_division
from zhuyun.core.errors import NotFound, Unprocessable
from zhuyun.core.ledger import Actor, Subject, record
from zhuyun.governance.models import Grid, GridWorker, Region
from zhuyun.governance.service.geometry import (
    OVERLAP_DEG2,
    GeometryError,
    area_m2,
    bounds_box,
    covered_by,
    from_geojson,
    read_polygon,
    to_geojson,
)
from zhuyun.governance.service.index import bump_revision, grid_index
from zhuyun.identity import service as identity
from zhuyun.identity.models import Account
from zhuyun.identity.permissions import AccountKind, Role

MAX_FEATURES = 50_000
MAX_ERRORS = 50
GRID = "grid"
_CHUNK = 500


# -- reading what is stored ------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerRef:
    """A grid worker as other modules see one: the account and the name to show."""

    account_id: int
    username: str
    name: str


def division_name(code: str) -> str:
    try:
        return guiyang_division(code).name
    except KeyError:
        return ""


def level_of(code: str) -> str:
    """`city`, `district`, `street`, `community` or `grid` by the code's shape."""
    if code == GUIYANG:
        return DivisionLevel.CITY.value
    return {6: "district", 9: "street", 12: "community", 15: GRID}.get(len(code), "")


def find_grid(session: Session, code: str) -> Grid | None:
    return session.scalar(select(Grid).where(Grid.code == code))


def get_grid(session: Session, code: str) -> Grid:
    grid = find_grid(session, code)
    if grid is None:
        raise NotFound(
            f"Grid {code} does not exist.", f"网格 {code} 不存在。", code="grid-not-found"
        )
    return grid


def _division_filter(division_code: str | None) -> list[Any]:
    if not division_code or division_code == GUIYANG:
        return []
    column = {6: Grid.district_code, 9: Grid.street_code, 12: Grid.community_code}.get(
        len(division_code)
    )
    if column is None:
        raise Unprocessable(
            f"{division_code} is not a district, street or community code (6, 9 or 12 digits).",
            f"{division_code} 不是区县、街道或社区代码（6、9 或 12 位）。",
            code="invalid-division",
        )
    return [column == division_code]


def list_grids(
    session: Session, division_code: str | None = None, offset: int = 0, limit: int = 50
) -> tuple[Sequence[Grid], int]:
    """The grids of a district, street or community (all with None), in code order."""
    conditions = _division_filter(division_code)
    total = session.scalar(select(func.count()).select_from(Grid).where(*conditions)) or 0
    rows = session.scalars(
        select(Grid).where(*conditions).order_by(Grid.code).offset(offset).limit(limit)
    ).all()
    return rows, total


def grids_of(
    session: Session, division_code: str, offset: int = 0, limit: int = 200
) -> Sequence[Grid]:
    """The grids of a community, street or district, in code order (one page)."""
    return list_grids(session, division_code, offset, limit)[0]


def count_grids(session: Session, division_code: str | None = None) -> int:
    return list_grids(session, division_code, 0, 1)[1]


def grids_of_worker(session: Session, account_id: int) -> Sequence[Grid]:
    """The grids a worker is assigned to, in code order."""
    return session.scalars(
        select(Grid)
        .join(GridWorker, GridWorker.grid_id == Grid.id)
        .where(GridWorker.account_id == account_id)
        .order_by(Grid.code)
    ).all()


class _Workers:
    """Resolves account ids to workers through the identity service, once per account."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.known: dict[int, WorkerRef] = {}

    def ref(self, account_id: int) -> WorkerRef:
        if account_id not in self.known:
            account = identity.get_account(self.session, account_id)
            self.known[account_id] = WorkerRef(account.id, account.username, account.display_name)
        return self.known[account_id]

    def of_grids(self, grid_ids: Iterable[int]) -> dict[int, list[WorkerRef]]:
        ids = list(grid_ids)
        found: dict[int, list[WorkerRef]] = {grid_id: [] for grid_id in ids}
        for start in range(0, len(ids), _CHUNK):
            rows = self.session.execute(
                select(GridWorker.grid_id, GridWorker.account_id)
                .where(GridWorker.grid_id.in_(ids[start : start + _CHUNK]))
                .order_by(GridWorker.grid_id, GridWorker.account_id)
            ).all()
            for grid_id, account_id in rows:
                found[grid_id].append(self.ref(account_id))
        return found


def workers_by_grid(session: Session, grid_ids: Iterable[int]) -> dict[int, list[WorkerRef]]:
    return _Workers(session).of_grids(grid_ids)


def workers_of(session: Session, grid: Grid) -> list[WorkerRef]:
    """The grid workers of one grid."""
    return workers_by_grid(session, [grid.id])[grid.id]


def get_region(session: Session, code: str) -> Region | None:
    return session.scalar(select(Region).where(Region.code == code))


# -- export ---------------------------------------------------------------------------------


def grid_feature(grid: Grid, workers: list[WorkerRef]) -> dict[str, Any]:
    """A grid as a GeoJSON Feature; the import reads it back unchanged."""
    return {
        "type": "Feature",
        "id": grid.code,
        "properties": {
            "code": grid.code,
            "name": grid.name,
            "level": GRID,
            "community_code": grid.community_code,
            "community_name": division_name(grid.community_code),
            "street_code": grid.street_code,
            "street_name": division_name(grid.street_code),
            "district_code": grid.district_code,
            "district_name": division_name(grid.district_code),
            "area_m2": round(grid.area_m2, 1),
            "centroid": [grid.centroid_lng, grid.centroid_lat],
            "workers": [w.username for w in workers],
            "worker_names": [w.name for w in workers],
        },
        "geometry": json.loads(grid.geometry),
    }


def region_feature(region: Region) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": region.code,
        "properties": {
            "code": region.code,
            "name": region.name,
            "level": region.level,
            "parent_code": region.parent_code,
            "area_m2": round(region.area_m2, 1),
            "centroid": [region.centroid_lng, region.centroid_lat],
        },
        "geometry": json.loads(region.geometry),
    }


def export_chunks(
    database: Database,
    division_code: str | None = None,
    *,
    levels: Sequence[str] = (GRID,),
) -> Iterator[bytes]:
    """A FeatureCollection of the grids (and, when asked, the regions of `levels`) of a
    division, streamed a few hundred features at a time."""
    conditions = _division_filter(division_code)
    yield b'{"type": "FeatureCollection", "features": ['
    first = True

    def emit(feature: dict[str, Any]) -> bytes:
        nonlocal first
        text = json.dumps(feature, ensure_ascii=False, separators=(",", ":"))
        prefix = "" if first else ","
        first = False
        return (prefix + text).encode()

    region_levels = [level for level in levels if level != GRID]
    if region_levels:
        with database.session() as session:
            regions = session.scalars(
                select(Region).where(Region.level.in_(region_levels)).order_by(Region.code)
            ).all()
            for region in regions:
                if not division_code or region.code.startswith(division_code):
                    yield emit(region_feature(region))
    if GRID in levels:
        last = ""
        while True:
            with database.session() as session:
                rows = session.scalars(
                    select(Grid)
                    .where(*conditions, Grid.code > last)
                    .order_by(Grid.code)
                    .limit(_CHUNK)
                ).all()
                workers = workers_by_grid(session, [g.id for g in rows])
                chunk = b"".join(emit(grid_feature(g, workers[g.id])) for g in rows)
            if not rows:
                break
            last = rows[-1].code
            yield chunk
    yield b"]}"


# -- import ---------------------------------------------------------------------------------


@dataclass
class _Feature:
    index: int
    code: str
    level: str
    name: str
    polygon: BaseGeometry
    workers: list[str] | None = None


@dataclass
class ImportReport:
    revision: int = 0
    regions: int = 0
    grids_created: int = 0
    grids_updated: int = 0
    workers_assigned: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


class _Errors:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, index: int | None, en: str, zh: str, kind: str) -> None:
        if len(self.items) < MAX_ERRORS:
            where = ["features", str(index)] if index is not None else ["body"]
            self.items.append({"location": where, "message": en, "message_zh": zh, "type": kind})

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        first = self.items[0]
        where = ".".join(first["location"])
        raise Unprocessable(
            f"The GeoJSON has {len(self.items)} problem(s); nothing was imported. "
            f"First, at {where}: {first['message']}",
            f"GeoJSON 有 {len(self.items)} 处问题，未导入任何内容。"
            f"首个问题（{where}）：{first['message_zh']}",
            code="invalid-geojson",
            errors=self.items,
        )


def _known_division(code: str, level: str) -> Division | None:
    try:
        division = guiyang_division(code)
    except KeyError:
        return None
    return division if division.level.value == level else None


def _read_feature(index: int, raw: Any, errors: _Errors) -> _Feature | None:
    if not isinstance(raw, dict) or raw.get("type") != "Feature":
        errors.add(index, "not a GeoJSON Feature", "不是 GeoJSON 要素（Feature）", "not-a-feature")
        return None
    properties = raw.get("properties")
    if not isinstance(properties, dict):
        errors.add(index, "the feature has no properties", "要素缺少 properties", "no-properties")
        return None
    code = properties.get("code")
    if not isinstance(code, str) or not code.isdigit():
        errors.add(
            index,
            "properties.code must be a division code (6, 9 or 12 digits) or a grid code "
            "(a community's 12 digits and a 3-digit sequence)",
            "properties.code 须为行政区划代码（6、9、12 位）或网格编码（社区代码加 3 位顺序号）",
            "missing-code",
        )
        return None
    level = level_of(code)
    stated = properties.get("level")
    if stated is not None and stated != level:
        errors.add(
            index,
            f"level {stated!r} does not match code {code} ({level or 'unknown'})",
            f"层级 {stated!r} 与代码 {code} 不符",
            "level-mismatch",
        )
        return None
    division_code = code[:12] if level == GRID else code
    division_level = DivisionLevel.COMMUNITY.value if level == GRID else level
    division = _known_division(division_code, division_level) if level else None
    if division is None or (level == GRID and code.endswith("000")):
        errors.add(
            index,
            f"code {code} is not a division of Guiyang"
            + (" (a grid's community must be known)" if level == GRID else ""),
            f"代码 {code} 不是贵阳市的行政区划"
            + ("（网格所属社区须已知）" if level == GRID else ""),
            "unknown-code",
        )
        return None
    try:
        polygon = read_polygon(raw.get("geometry"))
    except GeometryError as problem:
        errors.add(
            index, f"{code}: {problem.message_en}", f"{code}：{problem.message_zh}", problem.code
        )
        return None
    name = properties.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip() or len(name) > 100):
        errors.add(index, "name must be 1-100 characters", "名称须为 1–100 个字符", "invalid-name")
        return None
    if not name:
        name = division.name if level != GRID else f"{division.name}第{int(code[12:])}网格"
    workers = properties.get("workers")
    if workers is not None and (
        level != GRID
        or not isinstance(workers, list)
        or not all(isinstance(w, str) and w for w in workers)
        or len(workers) > 50
    ):
        errors.add(
            index,
            "workers must be a list of usernames (grids only)",
            "workers 须为网格员账号列表（仅网格可填）",
            "invalid-workers",
        )
        return None
    return _Feature(index, code, level, name.strip(), polygon, workers)


def _features(collection: Any, errors: _Errors) -> list[_Feature]:
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        errors.add(
            None,
            "the body must be a GeoJSON FeatureCollection",
            "请求体须为 GeoJSON FeatureCollection",
            "not-a-feature-collection",
        )
        return []
    raw_features = collection.get("features")
    if not isinstance(raw_features, list) or not raw_features:
        errors.add(
            None, "features must be a non-empty list", "features 须为非空列表", "no-features"
        )
        return []
    if len(raw_features) > MAX_FEATURES:
        errors.add(
            None,
            f"at most {MAX_FEATURES} features per import",
            f"每次最多导入 {MAX_FEATURES} 个要素",
            "too-many-features",
        )
        return []
    features: list[_Feature] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_features):
        feature = _read_feature(index, raw, errors)
        if feature is None:
            continue
        if feature.code in seen:
            errors.add(
                index,
                f"code {feature.code} appears twice (also feature {seen[feature.code]})",
                f"代码 {feature.code} 重复（另见第 {seen[feature.code]} 个要素）",
                "duplicate-code",
            )
            continue
        seen[feature.code] = index
        features.append(feature)
    return features


def _ancestors(code: str, level: str) -> list[str]:
    chain = {
        GRID: [code[:12], code[:9], code[:6]],
        "community": [code[:9], code[:6]],
        "street": [code[:6]],
        "district": [],
    }.get(level, [])
    return chain


def _check_places(session: Session, features: list[_Feature], errors: _Errors) -> None:
    """Each polygon inside the city and inside the nearest parent division with a polygon."""
    incoming = {f.code: f.polygon for f in features if f.level != GRID}
    wanted = {a for f in features for a in _ancestors(f.code, f.level)} | {GUIYANG}
    wanted -= set(incoming)
    stored: dict[str, BaseGeometry] = {}
    codes = sorted(wanted)
    for start in range(0, len(codes), _CHUNK):
        for code, text in session.execute(
            select(Region.code, Region.geometry).where(
                Region.code.in_(codes[start : start + _CHUNK])
            )
        ):
            stored[code] = from_geojson(text)
    polygons = {**stored, **incoming}
    city = polygons.get(GUIYANG) or bounds_box()
    for geometry in polygons.values():
        shapely.prepare(geometry)
    for feature in features:
        if feature.level == "city":
            continue
        if not covered_by(feature.polygon, city):
            lng, lat = feature.polygon.representative_point().coords[0]
            errors.add(
                feature.index,
                f"{feature.code} lies outside the city (near {lng:.5f}, {lat:.5f})",
                f"{feature.code} 超出本市范围（约在 {lng:.5f}, {lat:.5f}）",
                "outside-city",
            )
            continue
        parent = next((a for a in _ancestors(feature.code, feature.level) if a in polygons), None)
        if parent is not None and not covered_by(feature.polygon, polygons[parent]):
            errors.add(
                feature.index,
                f"{feature.code} is not inside its {level_of(parent)} {parent}",
                f"{feature.code} 不在其上级区划 {parent}（{division_name(parent)}）范围内",
                "outside-parent",
            )


def _overlapping(a: BaseGeometry, b: BaseGeometry) -> bool:
    return bool(a.intersection(b).area > OVERLAP_DEG2)


def _check_overlaps(session: Session, grids: list[_Feature], errors: _Errors) -> None:
    """Grids of the import must not overlap each other or the stored grids they do not
    replace (touching along a border is fine)."""
    if not grids:
        return
    polygons = np.array([g.polygon for g in grids], dtype=object)
    tree = STRtree(polygons)
    reported = 0
    for predicate in ("overlaps", "contains"):
        left, right = tree.query(polygons, predicate=predicate)
        for i, j in zip(left.tolist(), right.tolist(), strict=True):
            if i == j or (predicate == "overlaps" and i > j):
                continue
            if _overlapping(grids[i].polygon, grids[j].polygon) and reported < MAX_ERRORS:
                reported += 1
                errors.add(
                    grids[j].index,
                    f"grid {grids[j].code} overlaps grid {grids[i].code}",
                    f"网格 {grids[j].code} 与网格 {grids[i].code} 重叠",
                    "grids-overlap",
                )
    index = grid_index(session)
    if not len(index):
        return
    replaced = {g.code for g in grids}
    for predicate in ("overlaps", "contains", "within"):
        left, right = index.tree.query(polygons, predicate=predicate)
        for i, j in zip(left.tolist(), right.tolist(), strict=True):
            other = index.codes[j]
            if other in replaced:
                continue
            if _overlapping(grids[i].polygon, index.polygons[j]):
                errors.add(
                    grids[i].index,
                    f"grid {grids[i].code} overlaps the stored grid {other}",
                    f"网格 {grids[i].code} 与已有网格 {other} 重叠",
                    "grids-overlap",
                )


def _check_workers(session: Session, grids: list[_Feature], errors: _Errors) -> dict[str, int]:
    usernames = sorted({w for g in grids for w in g.workers or ()})
    accounts: dict[str, int] = {}
    for username in usernames:
        account: Account | None = identity.find_account(session, username)
        if (
            account is not None
            and account.kind == AccountKind.STAFF.value
            and account.is_active
            and any(grant.role == Role.GRID_WORKER.value for grant in account.roles)
        ):
            accounts[username] = account.id
    for grid in grids:
        for username in grid.workers or ():
            if username not in accounts:
                errors.add(
                    grid.index,
                    f"{username} is not an active staff account with the grid_worker role",
                    f"{username} 不是具有网格员角色的在用工作人员账号",
                    "unknown-worker",
                )
    return accounts


def _centroid(polygon: BaseGeometry) -> tuple[float, float]:
    point = polygon.centroid if polygon.covers(polygon.centroid) else polygon.representative_point()
    return round(point.x, 6), round(point.y, 6)


def _apply_regions(session: Session, regions: list[_Feature]) -> None:
    codes = [f.code for f in regions]
    existing = {r.code: r for r in _rows_by_code(session, Region, codes)}
    now = utcnow()
    for feature in regions:
        region = existing.get(feature.code)
        if region is None:
            region = Region(code=feature.code)
            session.add(region)
        lng, lat = _centroid(feature.polygon)
        region.level = feature.level
        region.name = feature.name
        region.parent_code = "520000" if feature.code == GUIYANG else _parent_code(feature.code)
        region.geometry = to_geojson(feature.polygon)
        region.centroid_lng, region.centroid_lat = lng, lat
        region.area_m2 = area_m2(feature.polygon)
        region.updated_at = now


def _parent_code(code: str) -> str:
    return {6: GUIYANG, 9: code[:6], 12: code[:9], 15: code[:12]}[len(code)]


def _rows_by_code(session: Session, model: Any, codes: list[str]) -> list[Any]:
    rows: list[Any] = []
    for start in range(0, len(codes), _CHUNK):
        rows.extend(
            session.scalars(select(model).where(model.code.in_(codes[start : start + _CHUNK])))
        )
    return rows


def _apply_grids(
    session: Session, grids: list[_Feature], accounts: dict[str, int], report: ImportReport
) -> None:
    existing = {g.code: g for g in _rows_by_code(session, Grid, [f.code for f in grids])}
    now = utcnow()
    saved: list[tuple[Grid, _Feature]] = []
    for feature in grids:
        grid = existing.get(feature.code)
        if grid is None:
            grid = Grid(code=feature.code, created_at=now)
            session.add(grid)
            report.grids_created += 1
        else:
            report.grids_updated += 1
        lng, lat = _centroid(feature.polygon)
        grid.name = feature.name
        grid.community_code = feature.code[:12]
        grid.street_code = feature.code[:9]
        grid.district_code = feature.code[:6]
        grid.geometry = to_geojson(feature.polygon)
        grid.centroid_lng, grid.centroid_lat = lng, lat
        grid.area_m2 = area_m2(feature.polygon)
        grid.updated_at = now
        saved.append((grid, feature))
    session.flush()
    with_workers = [(g, f) for g, f in saved if f.workers is not None]
    ids = [g.id for g, _ in with_workers]
    for start in range(0, len(ids), _CHUNK):
        session.execute(
            delete(GridWorker).where(GridWorker.grid_id.in_(ids[start : start + _CHUNK]))
        )
    assignments = [
        {"grid_id": grid.id, "account_id": accounts[username], "assigned_at": now}
        for grid, feature in with_workers
        for username in dict.fromkeys(feature.workers or ())
    ]
    if assignments:
        session.execute(insert(GridWorker), assignments)
    report.workers_assigned = len(assignments)


def import_features(session: Session, actor: Actor, collection: Any) -> ImportReport:
    """Check a GeoJSON FeatureCollection of regions and grids, then store it (all or
    nothing); Unprocessable with every problem found otherwise."""
    errors = _Errors()
    features = _features(collection, errors)
    errors.raise_if_any()
    _check_places(session, features, errors)
    grids = [f for f in features if f.level == GRID]
    _check_overlaps(session, grids, errors)
    accounts = _check_workers(session, grids, errors)
    errors.raise_if_any()
    report = ImportReport()
    regions = [f for f in features if f.level != GRID]
    _apply_regions(session, regions)
    report.regions = len(regions)
    _apply_grids(session, grids, accounts, report)
    report.revision = bump_revision(session)
    districts = sorted({f.code[:6] for f in features if f.code != GUIYANG})
    record(
        session,
        actor,
        "grids.imported",
        Subject("grids", f"r{report.revision}"),
        {
            "regions": report.regions,
            "grids_created": report.grids_created,
            "grids_updated": report.grids_updated,
            "workers_assigned": report.workers_assigned,
            "districts": districts[:20],
        },
        case_id="grids:import",
    )
    return report
