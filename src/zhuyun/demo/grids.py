"""The demo city's grids: a plausible tessellation of Guiyang, and its grid workers.

No real boundaries ship with the platform, so the demo draws them, deterministically by seed:

1. the city's outline: `CITY_OUTLINE`, a rough polygon of Guiyang's extent drawn for the demo
   (about 8,000 km², as the real city; not a surveyed boundary);
2. districts: the Voronoi cells of the ten district seats (`DISTRICT_SEATS`) clipped to the
   outline;
3. streets inside each district: Voronoi cells of seeds drawn in the district — urban
   streets (街道) near the district's seat, towns and townships (镇, 乡) anywhere in it;
4. communities inside each street, and 2–10 grids inside each community: Voronoi cells of
   seeds drawn evenly (one Lloyd relaxation) in the parent.

Each level is clipped to its parent, so the grids of a community tile it, and every cell is one
piece (a fragment cut off by a bend of the parent joins its neighbour). Streets are drawn for
every street of a district and communities for every community of a built street, so a
community has the same shape at every scale; grids are drawn for the communities the scale
builds — at city scale all 1,629, about 9,800 grids (Guiyang has about 10,000).

Grid workers: one staff account with the grid_worker role per three grids of a community (a
community's last worker may have fewer), named from Faker's zh_CN tables; the demo's
`grid.worker` account works the grids of its own community. Their passwords are never shown —
nobody signs in as them in the demo — so they are hashed with light argon2 parameters to keep
the build fast (argon2id at full strength costs ~0.1–0.3 s an account); a sign-in would rehash
at full strength (identity rehashes outdated parameters).
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import shapely
from faker.providers.person.zh_CN import Provider as ChineseNames
from faker.providers.phone_number.zh_CN import Provider as ChinesePhones
from shapely.geometry import MultiPoint, Point, Polygon, mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from zhuyun.core.divisions import GUIYANG, Division, children_of, guiyang_division
from zhuyun.core.ledger import SYSTEM
from zhuyun.demo.scale import Scale, communities_in_scale, streets_in_scale
from zhuyun.governance import service as governance
from zhuyun.identity import service as identity
from zhuyun.identity.models import OrgUnit
from zhuyun.identity.permissions import Role
from zhuyun.identity.service import StaffDraft

Progress = Callable[[str, int, int], None]
GRIDS_PER_WORKER = 3
MIN_GRIDS, MAX_GRIDS = 2, 10

# District seats (WGS-84 longitude, latitude) from the `cpca` package 0.5.5 (MIT),
# resources/adcodes.csv: the coordinates of each county-level government.
DISTRICT_SEATS: dict[str, tuple[float, float]] = {
    "520102": (106.714374, 26.567944),  # 南明区
    "520103": (106.724494, 26.604688),  # 云岩区
    "520111": (106.670260, 26.409817),  # 花溪区
    "520112": (106.750625, 26.630845),  # 乌当区
    "520113": (106.623007, 26.678561),  # 白云区
    "520115": (106.622453, 26.601450),  # 观山湖区
    "520121": (106.965089, 27.057764),  # 开阳县
    "520122": (106.740407, 27.090479),  # 息烽县
    "520123": (106.592108, 26.838926),  # 修文县
    "520181": (106.470714, 26.556079),  # 清镇市
}

# A rough outline of Guiyang (106°07'–107°17'E, 26°11'–27°22'N), drawn for the demo,
# clockwise from the north of 息烽县.
CITY_OUTLINE: tuple[tuple[float, float], ...] = (
    (106.66, 27.36), (106.80, 27.31), (106.93, 27.27), (107.08, 27.24), (107.20, 27.17),
    (107.28, 27.05), (107.22, 26.94), (107.08, 26.87), (106.99, 26.76), (106.95, 26.66),
    (106.90, 26.56), (106.86, 26.46), (106.80, 26.36), (106.75, 26.24), (106.66, 26.19),
    (106.57, 26.23), (106.50, 26.32), (106.40, 26.38), (106.27, 26.40), (106.14, 26.47),
    (106.12, 26.58), (106.19, 26.68), (106.31, 26.74), (106.40, 26.82), (106.43, 26.93),
    (106.50, 27.02), (106.55, 27.13), (106.58, 27.25),
)  # fmt: skip

_COMMITTEE_SUFFIXES = ("村民委员会", "居民委员会", "村委会", "居委会")


def _rng(seed: int, key: str) -> random.Random:
    return random.Random(f"{seed}:{key}")


def _sample(rng: random.Random, polygon: BaseGeometry, n: int) -> list[tuple[float, float]]:
    """`n` points drawn uniformly inside `polygon`."""
    minx, miny, maxx, maxy = polygon.bounds
    shapely.prepare(polygon)
    points: list[tuple[float, float]] = []
    while len(points) < n:
        xs = [rng.uniform(minx, maxx) for _ in range(4 * n)]
        ys = [rng.uniform(miny, maxy) for _ in range(4 * n)]
        inside = shapely.contains_xy(polygon, xs, ys)
        points.extend((x, y) for x, y, ok in zip(xs, ys, inside, strict=True) if ok)
    return points[:n]


def _near(
    rng: random.Random, polygon: BaseGeometry, centre: tuple[float, float], spread: float
) -> tuple[float, float]:
    """A point inside `polygon` drawn around `centre` (a uniform one if none comes)."""
    for _ in range(200):
        x, y = rng.gauss(centre[0], spread), rng.gauss(centre[1], spread)
        if polygon.contains(Point(x, y)):
            return x, y
    return _sample(rng, polygon, 1)[0]


def _pieces(geometry: BaseGeometry) -> list[Polygon]:
    if isinstance(geometry, Polygon):
        return [geometry] if not geometry.is_empty else []
    return [g for g in getattr(geometry, "geoms", ()) if isinstance(g, Polygon) and not g.is_empty]


def partition(parent: BaseGeometry, seeds: Sequence[tuple[float, float]]) -> list[BaseGeometry]:
    """The Voronoi cells of `seeds` clipped to `parent`, in the seeds' order, each one piece:
    a fragment a bend of the parent cuts off joins the neighbour it shares most border with."""
    if len(seeds) == 1:
        return [parent]
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=parent, ordered=True)
    clipped = [cell.intersection(parent) for cell in cells.geoms]
    main: list[BaseGeometry] = []
    orphans: list[Polygon] = []
    for piece in clipped:
        parts = sorted(_pieces(piece), key=lambda p: p.area, reverse=True)
        main.append(parts[0] if parts else Polygon())
        orphans.extend(parts[1:])
    for orphan in orphans:
        shared = [orphan.boundary.intersection(m.boundary).length for m in main]
        best = max(range(len(main)), key=shared.__getitem__)
        main[best] = main[best].union(orphan)
    return main


def _relaxed(parent: BaseGeometry, seeds: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """One Lloyd step: each seed moves to its cell's centre (evenly sized cells)."""
    cells = partition(parent, seeds)
    moved = []
    for cell, seed in zip(cells, seeds, strict=True):
        if cell.is_empty:
            moved.append(seed)
            continue
        centre = cell.centroid if cell.contains(cell.centroid) else cell.representative_point()
        moved.append((centre.x, centre.y))
    return moved if len(set(moved)) == len(moved) else seeds


def city_outline() -> Polygon:
    return Polygon(CITY_OUTLINE)


def district_polygons() -> dict[str, BaseGeometry]:
    codes = sorted(DISTRICT_SEATS)
    cells = partition(city_outline(), [DISTRICT_SEATS[c] for c in codes])
    return dict(zip(codes, cells, strict=True))


def street_polygons(
    seed: int, district: Division, polygon: BaseGeometry
) -> dict[str, BaseGeometry]:
    """Every street of the district: urban streets near the seat, towns anywhere."""
    streets = children_of(district.code)
    rng = _rng(seed, district.code)
    seat = DISTRICT_SEATS[district.code]
    size = math.sqrt(polygon.area)
    seeds = [
        _near(rng, polygon, seat, size * 0.12)
        if street.name.endswith("街道")
        else _sample(rng, polygon, 1)[0]
        for street in streets
    ]
    cells = partition(polygon, seeds)
    return {s.code: c for s, c in zip(streets, cells, strict=True)}


def _even_cells(rng: random.Random, polygon: BaseGeometry, n: int) -> list[BaseGeometry]:
    seeds = _relaxed(polygon, _sample(rng, polygon, n)) if n > 1 else _sample(rng, polygon, 1)
    return partition(polygon, seeds)


def community_polygons(
    seed: int, street: Division, polygon: BaseGeometry
) -> dict[str, BaseGeometry]:
    communities = children_of(street.code)
    if not communities:
        return {}
    cells = _even_cells(_rng(seed, street.code), polygon, len(communities))
    return {c.code: cell for c, cell in zip(communities, cells, strict=True)}


def short_name(community_name: str) -> str:
    for suffix in _COMMITTEE_SUFFIXES:
        if community_name.endswith(suffix) and len(community_name) > len(suffix) + 1:
            return community_name[: -len(suffix)]
    return community_name


def grid_polygons(seed: int, community: Division, polygon: BaseGeometry) -> list[BaseGeometry]:
    rng = _rng(seed, community.code)
    count = rng.randint(MIN_GRIDS, MAX_GRIDS)
    return _even_cells(rng, polygon, count)


def _feature(code: str, name: str, geometry: BaseGeometry, **extra: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, **extra},
        "geometry": mapping(geometry),
    }


def tessellation(scale: Scale, seed: int) -> Iterator[dict[str, Any]]:
    """GeoJSON features of the city, its districts, streets, the communities of the streets
    the scale builds, and the grids of the communities it builds (without workers)."""
    city = guiyang_division(GUIYANG)
    yield _feature(city.code, city.name, city_outline())
    for code, district_polygon in district_polygons().items():
        district = guiyang_division(code)
        yield _feature(code, district.name, district_polygon)
        streets = street_polygons(seed, district, district_polygon)
        for street_code, street_polygon in streets.items():
            yield _feature(street_code, guiyang_division(street_code).name, street_polygon)
        for street in streets_in_scale(scale, code):
            communities = community_polygons(seed, street, streets[street.code])
            for community_code, community_polygon in communities.items():
                yield _feature(
                    community_code, guiyang_division(community_code).name, community_polygon
                )
            for community in communities_in_scale(scale, street.code):
                cells = grid_polygons(seed, community, communities[community.code])
                for n, cell in enumerate(cells, start=1):
                    yield _feature(
                        f"{community.code}{n:03d}", f"{short_name(community.name)}第{n}网格", cell
                    )


class _Names:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        surnames = ChineseNames.last_names
        self.surnames = list(surnames)
        self.weights = list(itertools.accumulate(surnames.values()))
        self.given = list(ChineseNames.first_names_female) + list(ChineseNames.first_names_male)
        self.prefixes = [str(p) for p in ChinesePhones.phonenumber_prefixes]

    def name(self) -> str:
        return self.rng.choices(self.surnames, cum_weights=self.weights)[0] + self.rng.choice(
            self.given
        )

    def phone(self) -> str:
        return self.rng.choice(self.prefixes) + f"{self.rng.randrange(10**8):08d}"


def _assign_workers(
    session: Session,
    features: list[dict[str, Any]],
    units: dict[str, OrgUnit],
    seed: int,
    report: Progress,
) -> None:
    """Grid workers: one per three grids of a community; `grid.worker` in its own community."""
    names = _Names(random.Random(seed * 4099))
    by_community: dict[str, list[dict[str, Any]]] = {}
    for feature in features:
        code = feature["properties"]["code"]
        if len(code) == 15:
            by_community.setdefault(code[:12], []).append(feature)
    demo_worker = identity.find_account(session, "grid.worker")
    demo_unit = demo_worker.unit.code if demo_worker and demo_worker.unit else None
    step = "网格员 grid workers"
    total = len(by_community)
    # workers get no password (they cannot sign in until an admin sets one): hashing ten
    # thousand passwords at full strength would take the demo minutes
    for done, (community_code, grids) in enumerate(sorted(by_community.items()), start=1):
        unit = units[community_code]
        for start in range(0, len(grids), GRIDS_PER_WORKER):
            team = grids[start : start + GRIDS_PER_WORKER]
            if start == 0 and demo_worker is not None and demo_unit == community_code:
                username = demo_worker.username
            else:
                username = f"gw.{community_code}.{start // GRIDS_PER_WORKER + 1}"
                identity.create_staff(
                    session,
                    SYSTEM,
                    StaffDraft(
                        username=username,
                        display_name=names.name(),
                        unit_id=unit.id,
                        password=None,
                        roles=((Role.GRID_WORKER, unit.id),),
                        phone=names.phone(),
                    ),
                )
            for feature in team:
                feature["properties"]["workers"] = [username]
        if done % 100 == 0 or done == total:
            report(step, done, total)


def build_grids(
    session: Session, scale: Scale, seed: int, units: dict[str, OrgUnit], report: Progress
) -> governance.ImportReport:
    """Draw the city's grids, create their workers and import both through the governance
    service (the same checks as any GeoJSON import)."""
    step = "网格 grids"
    report(step, 0, 1)
    features = list(tessellation(scale, seed))
    _assign_workers(session, features, units, seed, report)
    result = governance.import_features(
        session, SYSTEM, {"type": "FeatureCollection", "features": features}
    )
    report(step, 1, 1)
    return result
