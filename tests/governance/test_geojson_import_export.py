"""Grids go out and come back as GeoJSON; bad GeoJSON is a clear 422 that changes nothing."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.governance.conftest import export
from zhuyun.core.db import Database
from zhuyun.core.ledger import SYSTEM
from zhuyun.governance import service


def _imports(client: TestClient, admin: dict[str, str]) -> int:
    ledger = client.get(
        "/api/ledger", params={"case_id": "grids:import", "limit": 1}, headers=admin
    )
    assert ledger.status_code == 200
    count: int = ledger.json()["count"]
    return count


def test_exported_grids_import_back_unchanged(client: TestClient, admin: dict[str, str]) -> None:
    before = export(client, admin, district="520102")
    assert before["type"] == "FeatureCollection" and before["features"]
    imports = _imports(client, admin)
    response = client.post("/api/governance/grids/import", headers=admin, json=before)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["grids_created"] == 0
    assert report["grids_updated"] == len(before["features"])
    after = export(client, admin, district="520102")
    assert after == before
    assert _imports(client, admin) == imports + 1


def test_the_export_with_regions_carries_the_city_and_its_divisions(
    client: TestClient, admin: dict[str, str]
) -> None:
    collection = export(client, admin, regions="true")
    levels = {f["properties"]["level"] for f in collection["features"]}
    assert levels == {"city", "district", "street", "community", "grid"}
    districts = [f for f in collection["features"] if f["properties"]["level"] == "district"]
    assert len(districts) == 10
    street = export(client, admin, street="520102016")
    assert {f["properties"]["street_code"] for f in street["features"]} == {"520102016"}


def _one_grid(client: TestClient, admin: dict[str, str]) -> dict[str, Any]:
    feature: dict[str, Any] = export(client, admin, street="520102016")["features"][0]
    return feature


def _collection(*features: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def _bad_inputs(grid: dict[str, Any]) -> list[tuple[str, Any, str]]:
    bowtie = copy.deepcopy(grid)
    (lng, lat) = grid["properties"]["centroid"]
    bowtie["geometry"] = {
        "type": "Polygon",
        "coordinates": [[[lng, lat], [lng + 0.001, lat + 0.001], [lng + 0.001, lat],
                         [lng, lat + 0.001], [lng, lat]]],
    }  # fmt: skip
    beijing = copy.deepcopy(grid)
    beijing["geometry"] = {
        "type": "Polygon",
        "coordinates": [[[116.39, 39.90], [116.40, 39.90], [116.40, 39.91], [116.39, 39.90]]],
    }
    unknown = copy.deepcopy(grid)
    unknown["properties"]["code"] = "520102999999001"
    point = copy.deepcopy(grid)
    point["geometry"] = {"type": "Point", "coordinates": [lng, lat]}
    overlapping = copy.deepcopy(grid)
    overlapping["properties"]["code"] = grid["properties"]["code"][:12] + "901"
    stranger = copy.deepcopy(grid)
    stranger["properties"]["workers"] = ["admin"]
    swapped = copy.deepcopy(grid)
    swapped["geometry"]["coordinates"] = [
        [[p[1], p[0]] for p in ring] for ring in grid["geometry"]["coordinates"]
    ]
    off_globe = copy.deepcopy(grid)
    off_globe["geometry"]["coordinates"][0][1] = [190.0, 26.5]
    elsewhere = copy.deepcopy(grid)
    elsewhere["properties"]["code"] = "520181100200001"  # a community of 清镇市
    return [
        ("not a FeatureCollection", {"type": "Feature"}, "not-a-feature-collection"),
        ("no features", _collection(), "no-features"),
        ("a self-intersecting polygon", _collection(bowtie), "invalid-geometry"),
        ("a polygon in Beijing", _collection(beijing), "outside-city"),
        ("an unknown community", _collection(unknown), "unknown-code"),
        ("a point", _collection(point), "not-a-polygon"),
        ("a grid over a stored grid", _collection(overlapping), "grids-overlap"),
        ("a worker without the role", _collection(stranger), "unknown-worker"),
        ("latitude and longitude swapped", _collection(swapped), "invalid-coordinates"),
        ("a longitude off the globe", _collection(off_globe), "invalid-coordinates"),
        ("a grid outside its district", _collection(elsewhere), "outside-parent"),
        ("the same code twice", _collection(grid, grid), "duplicate-code"),
    ]


def test_bad_geojson_is_a_clear_422_and_changes_nothing(
    client: TestClient, admin: dict[str, str], db: Database
) -> None:
    grid = _one_grid(client, admin)
    before = export(client, admin, street="520102016")
    with db.session() as session:
        revision = service.current_revision(session)
    imports = _imports(client, admin)
    for label, body, code in _bad_inputs(grid):
        response = client.post("/api/governance/grids/import", headers=admin, json=body)
        assert response.status_code == 422, label
        problem = response.json()
        assert problem["code"] == "invalid-geojson", label
        assert problem["detail_zh"] and problem["detail"], label
        assert code in {e["type"] for e in problem["errors"]}, (label, problem["errors"])
    broken = client.post(
        "/api/governance/grids/import",
        headers={**admin, "content-type": "application/json"},
        content=b'{"type": "FeatureCollection", "features": [',
    )
    assert broken.status_code == 422 and broken.json()["code"] == "invalid-json"
    with db.session() as session:
        assert service.current_revision(session) == revision
    assert export(client, admin, street="520102016") == before
    assert _imports(client, admin) == imports


def test_grids_import_into_an_empty_platform_and_the_index_follows(
    client: TestClient, admin: dict[str, str], fresh_database: Database
) -> None:
    collection = export(client, admin, street="520102016")
    for feature in collection["features"]:
        feature["properties"].pop("workers")
    with fresh_database.session() as session:
        assert len(service.grid_index(session)) == 0
        report = service.import_features(session, SYSTEM, collection)
    assert report.grids_created == len(collection["features"])
    lng, lat = collection["features"][0]["properties"]["centroid"]
    with fresh_database.session() as session:
        index = service.grid_index(session)
        assert len(index) == report.grids_created and not index.city_outline_known
        grid = service.grid_of(session, lng, lat)
        assert grid is not None and grid.code == collection["features"][0]["properties"]["code"]
        assert service.grid_index(session) is index  # built once, kept while nothing changes


@pytest.mark.parametrize("district", ["52010", "5201020", "abc"])
def test_an_export_filter_that_is_not_a_district_code_is_a_422(
    client: TestClient, admin: dict[str, str], district: str
) -> None:
    response = client.get(
        "/api/governance/grids.geojson", headers=admin, params={"district": district}
    )
    assert response.status_code == 422
