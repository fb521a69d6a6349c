"""The demo city's tessellation: grids inside their community and district, no overlaps,
a worker for every grid; at city scale about as many grids as Guiyang has."""

from __future__ import annotations

from itertools import combinations

import pytest
from fastapi.testclient import TestClient

from tests.governance.conftest import export, polygons
from zhuyun.core.db import Database
from zhuyun.demo.grids import tessellation
from zhuyun.demo.scale import ScaleName, get_scale
from zhuyun.governance import service
from zhuyun.governance.service.geometry import OVERLAP_DEG2, TOLERANCE_DEG
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import Role


def test_every_demo_grid_lies_within_its_community_and_its_district(
    client: TestClient, admin: dict[str, str]
) -> None:
    shapes = polygons(export(client, admin, regions="true"))
    grids = {code: shape for code, shape in shapes.items() if len(code) == 15}
    assert len(grids) >= 40 * 2
    for code, grid in grids.items():
        assert grid.is_valid, code
        for parent in (code[:12], code[:9], code[:6], "520100"):
            assert shapes[parent].buffer(TOLERANCE_DEG).covers(grid), (code, parent)


def test_the_grids_of_a_district_do_not_overlap(client: TestClient, admin: dict[str, str]) -> None:
    shapes = polygons(export(client, admin))
    by_district: dict[str, list[str]] = {}
    for code in shapes:
        by_district.setdefault(code[:6], []).append(code)
    assert len(by_district) == 10
    for codes in by_district.values():
        for a, b in combinations(codes, 2):
            assert shapes[a].intersection(shapes[b]).area <= OVERLAP_DEG2, (a, b)


def test_the_grids_of_a_community_tile_it(client: TestClient, admin: dict[str, str]) -> None:
    shapes = polygons(export(client, admin, regions="true"))
    communities = {code for code in shapes if len(code) == 15}
    for community in {code[:12] for code in communities}:
        tiles = [shapes[c] for c in communities if c.startswith(community)]
        covered = sum(t.area for t in tiles)
        assert abs(covered - shapes[community].area) <= 1e-9 * max(1.0, len(tiles)), community


def test_every_demo_grid_has_a_worker_who_holds_the_grid_worker_role(
    client: TestClient, admin: dict[str, str], db: Database
) -> None:
    collection = export(client, admin)
    workers = {w for f in collection["features"] for w in f["properties"]["workers"]}
    assert all(f["properties"]["workers"] for f in collection["features"])
    assert "grid.worker" in workers
    with db.session() as session:
        for username in workers:
            account = identity.find_account(session, username)
            assert account is not None
            assert Role.GRID_WORKER.value in {grant.role for grant in account.roles}
            assert len(service.grids_of_worker(session, account.id)) <= 3


def test_the_city_scale_tessellation_has_about_guiyangs_ten_thousand_grids() -> None:
    features = list(tessellation(get_scale(ScaleName.CITY), 7))
    grids = [f for f in features if len(f["properties"]["code"]) == 15]
    assert 9_000 <= len(grids) <= 11_000
    communities = [f for f in features if len(f["properties"]["code"]) == 12]
    assert len(communities) == 1_629
    districts = [f for f in features if len(f["properties"]["code"]) == 6]
    assert len(districts) == 11  # the city's outline and its ten districts


def test_the_same_seed_draws_the_same_grids() -> None:
    first = [f["geometry"] for f in tessellation(get_scale(ScaleName.TEST), 3)]
    again = [f["geometry"] for f in tessellation(get_scale(ScaleName.TEST), 3)]
    assert first == again


def test_demo_district_areas_are_near_guiyangs(client: TestClient, admin: dict[str, str]) -> None:
    collection = export(client, admin, regions="true")
    areas = {
        f["properties"]["code"]: f["properties"]["area_m2"] / 1e6
        for f in collection["features"]
        if f["properties"]["level"] in ("city", "district")
    }
    assert 6_500 <= areas["520100"] <= 9_000  # Guiyang: 8,034 km²
    assert sum(v for k, v in areas.items() if k != "520100") == pytest.approx(
        areas["520100"], rel=1e-3
    )
