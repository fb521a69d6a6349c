"""The demo city's three fusion jobs run on DuckDB while it is built: each has a complete
profile table, and a profile shows its facts source by source with where they came from."""

from __future__ import annotations

import sqlite3

from fastapi.testclient import TestClient

from tests.helpers import token_for
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import DemoResult


def _jobs(client: TestClient, headers: dict[str, str]) -> dict[str, dict]:
    response = client.get("/api/blocks/jobs", headers=headers)
    assert response.status_code == 200, response.text
    return {job["entity"]: job for job in response.json()["data"]}


def test_the_demo_city_has_a_complete_profile_table_for_each_kind_of_block(
    client: TestClient, demo_city: DemoResult
) -> None:
    headers = token_for(client, demo_city, "dsj.data")
    jobs = _jobs(client, headers)
    assert set(jobs) >= {"person", "enterprise", "grid"}
    for job in jobs.values():
        tables = job["profile_tables"]
        assert len(tables) == 1 and tables[0]["rows"] > 0


def test_a_person_profile_fuses_the_departments_with_the_source_of_every_fact(
    client: TestClient, demo_city: DemoResult, demo_settings: Settings
) -> None:
    headers = token_for(client, demo_city, "dsj.data")
    job = _jobs(client, headers)["person"]
    with sqlite3.connect(demo_settings.sources_dir / "gongan.sqlite") as connection:
        id_number, name = connection.execute(
            "SELECT p.id_number, p.name FROM people p ORDER BY p.id_number LIMIT 1"
        ).fetchone()
    response = client.get(f"/api/blocks/jobs/{job['id']}/profiles/{id_number}", headers=headers)
    assert response.status_code == 200, response.text
    profile = response.json()
    by_alias = {s["alias"]: s for s in profile["sources"]}
    population = by_alias["population"]
    assert population["visible"] and population["resource_name"] == "人口基础信息"
    assert population["provider"] == "贵阳市公安局"
    assert population["updated_at"].startswith("2026-11-01")
    facts = {f["item"]: f["value"] for f in population["facts"]}
    assert facts["name"] == name
    assert set(by_alias) >= {
        "social_insurance",
        "medical_insurance",
        "licences",
        "property",
        "vehicles",
        "services",
    }
