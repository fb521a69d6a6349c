"""Who may see and import grids: staff read, only a platform admin imports."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.governance.conftest import export
from tests.helpers import api_token
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.GRID_WORKER, Role.DATA_ADMIN])
def test_only_a_platform_admin_imports_grids(
    client: TestClient, demo_city: DemoResult, admin: dict[str, str], role: Role
) -> None:
    collection = export(client, admin, street="520102016")
    response = client.post(
        "/api/governance/grids/import", headers=api_token(client, demo_city, role), json=collection
    )
    assert response.status_code == 403
    assert response.json()["detail_zh"]


def test_a_citizen_cannot_see_the_grids(client: TestClient, demo_city: DemoResult) -> None:
    headers = api_token(client, demo_city, Role.CITIZEN)
    for path in ("/api/governance/grids", "/api/governance/grids.geojson",
                 "/api/governance/grids/locate?lng=106.72&lat=26.57"):  # fmt: skip
        assert client.get(path, headers=headers).status_code == 403, path


def test_a_grid_worker_sees_the_grids_and_their_own(
    client: TestClient, demo_city: DemoResult
) -> None:
    headers = api_token(client, demo_city, Role.GRID_WORKER)
    listing = client.get("/api/governance/grids", headers=headers, params={"limit": 200})
    assert listing.status_code == 200
    own = [
        g for g in listing.json()["data"]
        if any(w["username"] == "grid.worker" for w in g["workers"])
    ]  # fmt: skip
    assert own
    one = client.get(f"/api/governance/grids/{own[0]['code']}", headers=headers)
    assert one.status_code == 200 and one.json()["code"] == own[0]["code"]
    assert client.get("/api/governance/grids/520102016999999", headers=headers).status_code == 404


def test_the_grids_page_lists_grids_for_staff_only(
    client: TestClient, demo_city: DemoResult
) -> None:
    headers = api_token(client, demo_city, Role.SUPERVISOR)
    page = client.get("/governance/grids", headers=headers, params={"district": "520102"})
    assert page.status_code == 200
    assert "520102016001001" in page.text and "grid-map-data" in page.text
    citizen = api_token(client, demo_city, Role.CITIZEN)
    assert client.get("/governance/grids", headers=citizen).status_code == 403
