"""A demo city of the catalog tests' own, with the demo catalog published, on the backend
under test: these tests draft, publish and retire, so they leave the shared city alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import make_settings
from zhuyun.app import create_app
from zhuyun.catalog import service
from zhuyun.core.db import Database
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import DemoAccount, DemoResult, build_demo
from zhuyun.demo.catalog import publish_demo_catalog
from zhuyun.demo.scale import ScaleName
from zhuyun.identity.models import OrgUnit
from zhuyun.identity.permissions import Role

CATALOG_SEED = 11


@pytest.fixture(scope="session")
def catalog_settings(tmp_path_factory: pytest.TempPathFactory, database_urls: object) -> Settings:
    assert callable(database_urls)
    return make_settings(Path(tmp_path_factory.mktemp("catalog-city")), database_urls())


@pytest.fixture(scope="session")
def demo_city(catalog_settings: Settings) -> DemoResult:
    """The catalog tests' city: built, then its catalog published (unless the builder did)."""
    city = build_demo(catalog_settings, ScaleName.TEST, CATALOG_SEED)
    database = Database(catalog_settings.database_url)
    with database.session() as session:
        if service.list_resources(session, limit=1)[1] == 0:
            units = {unit.code: unit for unit in session.scalars(select(OrgUnit))}
            publish_demo_catalog(session, units)
    database.dispose()
    return city


@pytest.fixture(scope="session")
def app(catalog_settings: Settings, demo_city: DemoResult) -> Iterator[FastAPI]:
    application = create_app(catalog_settings)
    yield application
    application.state.db.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def data_admin(city: DemoResult, username: str) -> DemoAccount:
    """A demo data admin by username (`gongan.data`, `scjg.data`, `dsj.data`)."""
    return next(
        a for a in city.accounts if a.role == Role.DATA_ADMIN.value and a.username == username
    )


def unit_of(client: TestClient, headers: dict[str, str]) -> int:
    unit_id = client.get("/api/me", headers=headers).json()["unit_id"]
    assert isinstance(unit_id, int)
    return unit_id


def resource_body(unit_id: int, name: str = "测试资源", **overrides: object) -> dict[str, object]:
    """A complete, publishable resource of `unit_id` (有条件共享, two items)."""
    body: dict[str, object] = {
        "provider_unit_id": unit_id,
        "name": name,
        "summary": "用于测试的资源。",
        "share_type": "conditional",
        "share_conditions": "限履行职责需要。",
        "open_type": "closed",
        "update_cycle": "daily",
        "items": [
            {
                "field": "id_number",
                "name": "公民身份号码",
                "sensitivity": "sensitive",
                "mask_kind": "id_number",
            },
            {"field": "status", "name": "状态", "data_type": "string"},
        ],
    }
    body.update(overrides)
    return body
