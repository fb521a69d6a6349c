"""Fixtures: a small demo city built once per run, on SQLite or on a real PostgreSQL server.

`ZHUYUN_TEST_DATABASE=postgresql` runs the whole suite against PostgreSQL: the run creates a
database of its own on the server at `ZHUYUN_TEST_PG_URL` (default: postgres on loopback)
and drops it at the end.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from zhuyun.app import create_app
from zhuyun.core.db import Database
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import DemoResult, build_demo
from zhuyun.demo.scale import ScaleName
from zhuyun.migrations import upgrade

BACKEND = os.environ.get("ZHUYUN_TEST_DATABASE", "sqlite")
PG_ADMIN_URL = os.environ.get(
    "ZHUYUN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DEMO_SEED = 7


class _PostgresDatabases:
    """Creates throwaway databases on the test server and drops them when the run ends."""

    def __init__(self) -> None:
        self.admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def new_url(self) -> str:
        name = f"zhuyun_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return re.sub(r"/[^/]*$", f"/{name}", PG_ADMIN_URL)

    def drop_all(self) -> None:
        with self.admin.connect() as connection:
            for name in self.created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A factory of empty platform databases of the backend under test."""
    if BACKEND == "postgresql":
        servers = _PostgresDatabases()
        yield servers.new_url
        servers.drop_all()
        return
    if BACKEND != "sqlite":
        raise pytest.UsageError(f"ZHUYUN_TEST_DATABASE must be sqlite or postgresql: {BACKEND}")
    root = tmp_path_factory.mktemp("platform-db")

    def new_url() -> str:
        return f"sqlite:///{root / uuid.uuid4().hex}.sqlite"

    yield new_url


def make_settings(data_dir: Path, database_url: str, **overrides: object) -> Settings:
    # Every test request comes from one loopback address: the anonymous open-data rate limit
    # is off unless a test sets it (tests/opendata/test_rate_limits.py does).
    overrides.setdefault("opendata_anonymous_rate", 0)
    return Settings(env="test", data_dir=data_dir, database_url=database_url, **overrides)


@pytest.fixture(scope="session")
def demo_settings(tmp_path_factory: pytest.TempPathFactory, database_urls) -> Settings:
    return make_settings(tmp_path_factory.mktemp("demo-city"), database_urls())


@pytest.fixture(scope="session")
def demo_city(demo_settings: Settings) -> DemoResult:
    """The test-scale demo city, built once for the whole run."""
    return build_demo(demo_settings, ScaleName.TEST, DEMO_SEED)


@pytest.fixture(scope="session")
def app(demo_settings: Settings, demo_city: DemoResult) -> Iterator[FastAPI]:
    application = create_app(demo_settings)
    yield application
    application.state.db.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def db(app: FastAPI) -> Database:
    database: Database = app.state.db
    return database


@pytest.fixture
def fresh_database(database_urls, tmp_path: Path) -> Iterator[Database]:
    """An empty, migrated platform database of the backend under test, for destructive tests."""
    database = Database(database_urls())
    upgrade(database)
    yield database
    database.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(app: FastAPI) -> Iterator[str]:
    """The session's app served by uvicorn on a free loopback port, as browsers reach it."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
