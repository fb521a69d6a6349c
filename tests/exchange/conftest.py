"""Connector fixtures: one small "people" table in every kind of source, on real servers.

PostgreSQL (127.0.0.1:5432, user postgres) and MariaDB (127.0.0.1:3306, root without a
password) each get a throwaway database for the session, dropped at the end; SQLite, CSV,
Parquet and XLSX files are written to a temporary folder; the HTTP JSON API is a real
`http.server` on loopback. `scripts/services` makes sure both servers run.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from sqlalchemy import (
    Column,
    Date,
    Engine,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    create_engine,
    text,
)

from zhuyun.exchange.connectors import Connector, SourceConfig, SourceKind, connect

PG_ADMIN_URL = os.environ.get(
    "ZHUYUN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
MYSQL_ADMIN_URL = os.environ.get("ZHUYUN_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/")
API_TOKEN = "api-t0ken-never-shown"
COLUMNS = ["id", "id_number", "name", "district", "born", "income"]
TRICKY_NAMES = [
    "100%_真实",
    "a_b",
    "a%b",
    "ab",
    "a\\b",
    "x' OR '1'='1",
    "Robert'); DROP TABLE people;--",
    '"; SELECT 1; --',
]
DISTRICTS = ["南明区", "云岩区", "花溪区", "乌当区", None]
SQL_KINDS = ["sqlite", "postgresql", "mysql"]
FILE_KINDS = ["csv", "parquet", "xlsx"]
ALL_KINDS = [*SQL_KINDS, *FILE_KINDS, "http_json"]


def _people() -> list[tuple[Any, ...]]:
    rows = []
    for i in range(1, 241):
        name = TRICKY_NAMES[i - 1] if i <= len(TRICKY_NAMES) else f"居民{i:03d}"
        check = "X" if i % 11 == 0 else str(i % 10)
        id_number = f"520102{1950 + i % 50}{(i % 12) + 1:02d}{(i % 28) + 1:02d}{i:03d}{check}"
        born = date(1950 + i % 50, (i % 12) + 1, (i % 28) + 1)
        income = Decimal(i * 137 % 10000) + Decimal("0.25") * (i % 4)
        rows.append((i, id_number, name, DISTRICTS[i % len(DISTRICTS)], born, income))
    return rows


PEOPLE = _people()


def run_connector_tests_once(config: pytest.Config) -> bool:
    """The connector tests do not touch the platform database: run them in one pass only."""
    return os.environ.get("ZHUYUN_TEST_DATABASE", "sqlite") != "postgresql"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if run_connector_tests_once(config):
        return
    skip = pytest.mark.skip(
        reason="connector tests ran in the SQLite pass; they use no platform db"
    )
    for item in items:
        if item.path.name.startswith("test_connectors_"):
            item.add_marker(skip)


# -- SQL servers -----------------------------------------------------------------------


def _people_table(metadata: MetaData, name: str = "people") -> Table:
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("id_number", String(18), nullable=False, unique=True),
        Column("name", String(64), nullable=False),
        Column("district", String(16), index=True),
        Column("born", Date),
        Column("income", Numeric(12, 2)),
    )


@dataclass
class SqlServer:
    """A throwaway database on one backend: its connector location and an admin engine."""

    kind: str
    location: str
    admin: Engine

    def config(self, **options: Any) -> SourceConfig:
        return SourceConfig(SourceKind(self.kind), self.location, options)

    def execute(self, *statements: str) -> None:
        with self.admin.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))


def _seed(server: SqlServer) -> None:
    metadata = MetaData()
    table = _people_table(metadata)
    metadata.create_all(server.admin)
    with server.admin.begin() as conn:
        conn.execute(table.insert(), [dict(zip(COLUMNS, row, strict=True)) for row in PEOPLE])
    slow_view = {
        "sqlite": "CREATE VIEW slow AS WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL "
        "SELECT x + 1 FROM r WHERE x < 2000000000) SELECT count(*) AS id FROM r",
        "postgresql": "CREATE VIEW slow AS SELECT 1 AS id FROM pg_sleep(5)",
        "mysql": "CREATE VIEW slow AS SELECT id + SLEEP(5) AS id FROM people WHERE id = 1",
    }[server.kind]
    server.execute(slow_view)


@pytest.fixture(scope="session")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlServer]:
    path = tmp_path_factory.mktemp("sqlite-source") / "department.sqlite"
    admin = create_engine(f"sqlite:///{path}")
    server = SqlServer("sqlite", f"sqlite:///{path}", admin)
    _seed(server)
    yield server
    admin.dispose()


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[SqlServer]:
    name = f"zhuyun_src_{uuid.uuid4().hex[:10]}"
    root = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with root.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    admin = create_engine(url)
    try:
        server = SqlServer("postgresql", url.replace("+psycopg", ""), admin)
        _seed(server)
        yield server
    finally:
        admin.dispose()
        with root.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        root.dispose()


@pytest.fixture(scope="session")
def mysql_server() -> Iterator[SqlServer]:
    name = f"zhuyun_src_{uuid.uuid4().hex[:10]}"
    root = create_engine(MYSQL_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with root.connect() as conn:
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    url = MYSQL_ADMIN_URL.rstrip("/") + f"/{name}?charset=utf8mb4"
    admin = create_engine(url)
    try:
        server = SqlServer("mysql", url, admin)
        _seed(server)
        yield server
    finally:
        admin.dispose()
        with root.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        root.dispose()


@pytest.fixture(params=SQL_KINDS)
def sql_server(request: pytest.FixtureRequest) -> SqlServer:
    """Each SQL backend in turn: the same behaviour is asked of all three."""
    server: SqlServer = request.getfixturevalue(f"{request.param}_server")
    return server


# -- files -------------------------------------------------------------------------------


def write_people_table(
    path: Path, kind: str, rows: list[tuple[Any, ...]] = PEOPLE, columns: list[str] = COLUMNS
) -> None:
    """Write rows as CSV, Parquet or XLSX (the XLSX header in row 1, one sheet "people")."""
    if kind == "xlsx":
        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet("people")
        sheet.append(columns)
        for row in rows:
            sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
        workbook.save(path)
        return
    data = {name: [row[i] for row in rows] for i, name in enumerate(columns)}
    if "income" in data:
        data["income"] = [float(v) if v is not None else None for v in data["income"]]
    table = pa.table(data)
    if kind == "csv":
        pa_csv.write_csv(table, path)
    else:
        pq.write_table(table, path)


@pytest.fixture(scope="session")
def file_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("file-sources")
    for kind in FILE_KINDS:
        write_people_table(folder / f"people.{kind}", kind)
    return folder


# -- HTTP JSON API -----------------------------------------------------------------------


def _json_record(row: tuple[Any, ...]) -> dict[str, Any]:
    record = dict(zip(COLUMNS, row, strict=True))
    record["born"] = row[4].isoformat()
    record["income"] = float(row[5])
    return record


class _ApiHandler(BaseHTTPRequestHandler):
    """A department's API: bearer token, page/size paging, eq filters as query params."""

    records: ClassVar[list[dict[str, Any]]] = [_json_record(row) for row in PEOPLE]

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, body: Any) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if self.headers.get("Authorization") != f"Bearer {API_TOKEN}":
            self._send(401, {"error": "unauthorized"})
            return
        if url.path == "/api/broken":
            self._send(500, {"error": "boom"})
            return
        if url.path == "/api/slow":
            time.sleep(1.5)
            self._send(200, {"data": {"items": [{"id": 1}]}})
            return
        if url.path != "/api/people":
            self._send(404, {"error": "not found"})
            return
        page, size = int(query.pop("page", 1)), int(query.pop("size", 50))
        matching = [r for r in self.records if all(str(r.get(k)) == v for k, v in query.items())]
        items = matching[(page - 1) * size : page * size]
        type(self).requests.append(dict(query, page=page))
        self._send(200, {"data": {"items": items, "total": len(matching)}})

    requests: ClassVar[list[dict[str, Any]]] = []


@pytest.fixture(scope="session")
def api_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ApiHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api"
    server.shutdown()
    server.server_close()


def api_config(api_url: str, **options: Any) -> SourceConfig:
    base = {
        "records_path": "data.items",
        "tables": ["people", "slow", "broken"],
        "paging": "page",
        "page_size": 50,
        "key": "id",
    }
    return SourceConfig(SourceKind.HTTP_JSON, api_url, {**base, **options}, API_TOKEN)


# -- every kind --------------------------------------------------------------------------


@pytest.fixture(params=ALL_KINDS)
def people_source(request: pytest.FixtureRequest) -> Iterator[Connector]:
    """A connector to the people table in each kind of source in turn."""
    kind = request.param
    config: SourceConfig
    if kind in SQL_KINDS:
        config = request.getfixturevalue(f"{kind}_server").config()
    elif kind == "http_json":
        config = api_config(request.getfixturevalue("api_url"))
    else:
        folder: Path = request.getfixturevalue("file_folder")
        options: dict[str, Any] = {"key": "id"}
        if kind == "csv":
            options["types"] = {"id_number": "string"}
        config = SourceConfig(SourceKind(kind), str(folder / f"people.{kind}"), options)
    connector = connect(config)
    yield connector
    connector.close()


def rss_mb() -> float:
    """The process's resident memory now (Linux), for flat-memory checks."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def normalise(value: Any) -> Any:
    """Compare values across sources: numbers as floats (CSV reads decimals as doubles)."""
    if isinstance(value, Decimal | float) and not isinstance(value, bool):
        return round(float(value), 2)
    return value


def rows_of(stream: Any) -> list[tuple[Any, ...]]:
    return [tuple(normalise(v) for v in row) for batch in stream for row in batch]


Expect = Callable[[tuple[Any, ...]], bool]
