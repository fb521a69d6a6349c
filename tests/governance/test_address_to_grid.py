"""Address-to-grid: the demo's addresses land in a grid of their own community."""

from __future__ import annotations

import sqlite3

import pytest
from fastapi.testclient import TestClient

from zhuyun.core.db import Database
from zhuyun.core.settings import Settings
from zhuyun.governance import service


def _demo_addresses(settings: Settings, n: int) -> list[tuple[str, str]]:
    with sqlite3.connect(settings.sources_dir / "gongan.sqlite") as connection:
        rows = connection.execute(
            "SELECT DISTINCT address, division_code FROM households ORDER BY household_id LIMIT ?",
            (n,),
        ).fetchall()
    return [(str(a), str(c)) for a, c in rows]


def test_demo_addresses_land_in_a_grid_of_their_community(
    demo_settings: Settings, db: Database
) -> None:
    addresses = _demo_addresses(demo_settings, 200)
    assert len(addresses) == 200
    with db.session() as session:
        for address, community_code in addresses:
            found = service.grid_of_address(session, address)
            assert found.address.community.code == community_code, address
            assert found.grid.community_code == community_code
            assert found.approximate
            assert service.grid_of_address(session, address).grid.code == found.grid.code


def test_the_api_reads_an_address_and_says_it_is_approximate(
    client: TestClient, admin: dict[str, str], demo_settings: Settings
) -> None:
    address, community_code = _demo_addresses(demo_settings, 1)[0]
    response = client.get(
        "/api/governance/grids/locate", headers=admin, params={"address": address}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["by"] == "address" and body["approximate"] is True
    assert body["address"]["community_code"] == community_code
    assert body["grid"]["community_code"] == community_code
    assert body["note_zh"]


def test_an_address_by_a_communitys_short_name_is_found(db: Database) -> None:
    with db.session() as session:
        grids = service.grids_of(session, "520102016001")
        found = service.grid_of_address(session, "南明区新华路街道纪念塔社区遵义路8号")
        assert found.grid.code in {g.code for g in grids}


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ("北京市朝阳区建国路88号", "address-outside-city"),
        ("贵阳市南明区某某路1号", "community-not-found"),
        ("  ", "address-empty"),
    ],
)
def test_an_address_that_cannot_be_placed_is_a_clear_422(
    client: TestClient, admin: dict[str, str], address: str, code: str
) -> None:
    response = client.get(
        "/api/governance/grids/locate", headers=admin, params={"address": address}
    )
    assert response.status_code == 422
    assert response.json()["code"] in (code, "validation-failed")
    assert response.json()["detail_zh"]


def test_a_community_name_found_in_several_streets_needs_the_street() -> None:
    # 103 community names of Guiyang occur in more than one street
    from collections import Counter

    from zhuyun.core.divisions import DivisionLevel, guiyang_divisions

    names = Counter(d.name for d in guiyang_divisions(DivisionLevel.COMMUNITY))
    repeated = next(name for name, count in sorted(names.items()) if count > 1)
    with pytest.raises(service.AddressProblem) as problem:
        service.parse_address(f"贵阳市{repeated}1号")
    assert problem.value.code == "address-ambiguous"
