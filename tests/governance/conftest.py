"""Fixtures of the grid tests: the demo city's grids as shapely polygons, admin headers."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from tests.helpers import api_token
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role


@pytest.fixture
def admin(client: TestClient, demo_city: DemoResult) -> dict[str, str]:
    return api_token(client, demo_city, Role.PLATFORM_ADMIN)


def export(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get("/api/governance/grids.geojson", headers=headers, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/geo+json")
    collection: dict[str, Any] = response.json()
    return collection


def polygons(collection: dict[str, Any]) -> dict[str, BaseGeometry]:
    return {f["properties"]["code"]: shape(f["geometry"]) for f in collection["features"]}
