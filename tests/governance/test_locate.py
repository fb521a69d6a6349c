"""Point-in-grid: the STRtree index answers as a loop over every polygon does; points
outside the city are a clear 422, points in the city without a grid a 404."""

from __future__ import annotations

import random

import shapely
from fastapi.testclient import TestClient

from tests.governance.conftest import export
from zhuyun.core.db import Database
from zhuyun.core.ledger import SYSTEM
from zhuyun.governance import service


def test_point_in_grid_agrees_with_the_brute_force_loop_on_random_points(db: Database) -> None:
    rng = random.Random(11)
    with db.session() as session:
        index = service.grid_index(session)
        assert len(index) > 0
        minx, miny, maxx, maxy = shapely.total_bounds(index.polygons)
        # half the points inside a grid's bounding box, half anywhere in the grids' extent
        points = []
        for i in range(3_000):
            if i % 2:
                box = index.polygons[rng.randrange(len(index))].bounds
                points.append((rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3])))
            else:
                points.append((rng.uniform(minx, maxx), rng.uniform(miny, maxy)))
        expected = [index.locate_brute_force(x, y) for x, y in points]
        assert [index.locate(x, y) for x, y in points] == expected
        assert index.locate_many([x for x, _ in points], [y for _, y in points]) == expected
        assert sum(code is not None for code in expected) > 1_000


def test_a_point_on_a_shared_border_belongs_to_the_smaller_code(db: Database) -> None:
    with db.session() as session:
        index = service.grid_index(session)
        first = index.polygons[0]
        neighbours = [j for j in index.tree.query(first, predicate="touches").tolist() if j]
        assert neighbours
        second = index.polygons[min(neighbours)]
        border = first.boundary.intersection(second.boundary)
        point = shapely.line_interpolate_point(shapely.line_merge(border), 0.5, normalized=True)
        if point.is_empty:  # a border of one point
            point = shapely.get_point(shapely.get_parts(border)[0], 0)
        assert first.covers(point) and second.covers(point)
        assert index.locate(point.x, point.y) == index.codes[0]
        assert index.locate_brute_force(point.x, point.y) == index.codes[0]


def test_the_api_locates_a_grid_by_its_centroid(client: TestClient, admin: dict[str, str]) -> None:
    grid = client.get("/api/governance/grids", headers=admin, params={"limit": 1}).json()
    first = grid["data"][0]
    lng, lat = first["centroid"]
    found = client.get(
        "/api/governance/grids/locate", headers=admin, params={"lng": lng, "lat": lat}
    )
    assert found.status_code == 200
    body = found.json()
    assert body["grid"]["code"] == first["code"] and body["by"] == "point"
    assert body["approximate"] is False and body["grid"]["workers"]


def test_coordinates_outside_the_city_are_a_clear_422(
    client: TestClient, admin: dict[str, str]
) -> None:
    for lng, lat in ((116.397, 39.909), (106.3, 27.3), (0.0, 0.0), (107.35, 26.2)):
        response = client.get(
            "/api/governance/grids/locate", headers=admin, params={"lng": lng, "lat": lat}
        )
        assert response.status_code == 422, (lng, lat)
        problem = response.json()
        assert problem["code"] == "outside-city"
        assert "不在本市范围内" in problem["detail_zh"] and "outside the city" in problem["detail"]
    swapped = client.get(
        "/api/governance/grids/locate", headers=admin, params={"lng": 26.57, "lat": 106.71}
    )
    assert swapped.status_code == 422
    for params in ({"lng": 106.7}, {}, {"lng": "east", "lat": 26.5}):
        assert client.get(
            "/api/governance/grids/locate", headers=admin, params=params
        ).status_code in (400, 422)


def test_a_point_in_the_city_without_a_grid_is_a_404(
    client: TestClient, admin: dict[str, str]
) -> None:
    # the test city builds grids in two streets per district: 开阳县's far east has none
    response = client.get(
        "/api/governance/grids/locate", headers=admin, params={"lng": 107.2, "lat": 27.1}
    )
    assert response.status_code == 404
    assert response.json()["code"] == "no-grid-here"


def test_the_index_is_rebuilt_when_the_grids_change(
    client: TestClient, admin: dict[str, str], db: Database
) -> None:
    with db.session() as session:
        before = service.grid_index(session)
    collection = export(client, admin, street=before.codes[-1][:9])
    with db.session() as session:
        assert service.grid_index(session) is before
        service.import_features(session, SYSTEM, collection)
    with db.session() as session:
        after = service.grid_index(session)
    assert after is not before and after.revision == before.revision + 1
    assert after.codes == before.codes
