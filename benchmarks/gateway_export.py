"""Bulk export of a million rows as CSV and Parquet through the gateway over HTTP, against
DuckDB reading the same PostgreSQL table directly and writing the same files.

The source is a department's PostgreSQL database with one table of `--rows` rows (id,
code, district, day, amount), published as 无条件共享 and bound to the demo city's police
bureau. The server's peak memory (VmHWM) is read from /proc before and after the exports:
it should not grow with the row count.

    .venv/bin/python benchmarks/gateway_export.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import duckdb
import duckdb_extension_postgres
import httpx
from sqlalchemy import create_engine, text

from zhuyun.catalog import service as catalog
from zhuyun.catalog.schemas import ResourceUpdate
from zhuyun.core.db import Database
from zhuyun.core.ledger import SYSTEM
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import build_demo
from zhuyun.demo.scale import ScaleName
from zhuyun.exchange.connectors import SourceKind
from zhuyun.exchange.service import sources
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import SYSTEM_PRINCIPAL

PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
ITEMS = ["id", "code", "district", "day", "amount"]


def _admin(sql: str) -> None:
    engine = create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(sql))
    engine.dispose()


def make_source(name: str, rows: int) -> str:
    _admin(f'CREATE DATABASE "{name}"')
    url = f"{PG}/{name}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE records AS SELECT i AS id, md5(i::text) AS code, "
                "'5201' || lpad((i % 100)::text, 2, '0') AS district, "
                "DATE '2026-01-01' - (i % 3650) AS day, (i * 1.25)::numeric(14, 2) AS amount "
                "FROM generate_series(1, :rows) AS i"
            ),
            {"rows": rows},
        )
        connection.execute(text("ALTER TABLE records ADD PRIMARY KEY (id)"))
        connection.execute(text("ANALYZE records"))
    engine.dispose()
    return url


def publish(settings: Settings, url: str) -> int:
    """Register the database for the police bureau and publish its table, shared freely."""
    database = Database(settings.database_url)
    key = settings.secret_key.get_secret_value()
    with database.session() as session:
        unit = identity.find_unit_by_code(session, "gongan")
        assert unit is not None
        source = sources.register_source(
            session, SYSTEM_PRINCIPAL, key, unit.id,
            sources.SourceDraft("业务明细库", SourceKind.POSTGRESQL, url.replace("+psycopg", "")),
        )  # fmt: skip
        resource_id, _ = sources.draft_resource(
            session, SYSTEM_PRINCIPAL, key,
            sources.BindingDraft(source.id, "records", "id"), "业务明细（基准）",
        )  # fmt: skip
        catalog.update_draft(
            session,
            SYSTEM,
            resource_id,
            ResourceUpdate(
                summary="基准测试数据。", share_type="unconditional", share_conditions=""
            ),
        )
        catalog.publish(session, SYSTEM, resource_id)
    database.dispose()
    return resource_id


def peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def export(base: str, headers: dict[str, str], resource_id: int, fmt: str, path: Path) -> float:
    start = time.perf_counter()
    with httpx.stream(
        "POST",
        f"{base}/api/exchange/query",
        headers=headers,
        json={"resource_id": resource_id, "items": ITEMS, "purpose": "基准测试导出",
              "format": fmt, "limit": 100_000_000},
        timeout=600,
    ) as response, path.open("wb") as out:  # fmt: skip
        assert response.status_code == 200, response.read()[:300]
        for chunk in response.iter_bytes():
            out.write(chunk)
    return time.perf_counter() - start


def duckdb_export(url: str, fmt: str, path: Path, extension_dir: Path) -> float:
    """The peer: DuckDB attaches the PostgreSQL database and copies the table to a file."""
    start = time.perf_counter()
    connection = duckdb.connect()
    connection.execute(f"LOAD '{extension_dir / 'postgres_scanner.duckdb_extension'}'")
    dsn = url.replace(f"{PG}/", "host=127.0.0.1 user=postgres dbname=")
    connection.execute(f"ATTACH '{dsn}' AS src (TYPE postgres, READ_ONLY)")
    options = "(FORMAT csv, HEADER)" if fmt == "csv" else "(FORMAT parquet, COMPRESSION zstd)"
    query = f"SELECT {', '.join(ITEMS)} FROM src.public.records ORDER BY id"
    connection.execute(f"COPY ({query}) TO '{path}' {options}")
    connection.close()
    return time.perf_counter() - start


def _scanner(workdir: Path) -> Path:
    """The postgres scanner wheel's file, under the name DuckDB loads it by."""
    shipped = Path(duckdb_extension_postgres.__file__).parent / "extensions"
    found = next(shipped.rglob("postgres.duckdb_extension"))
    target = workdir / "ext"
    target.mkdir()
    shutil.copy(found, target / "postgres_scanner.duckdb_extension")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    name = f"zhuyun_bench_export_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        settings = Settings(
            env="test", data_dir=workdir, database_url=f"sqlite:///{workdir / 'platform.sqlite'}"
        )
        city = build_demo(settings, ScaleName.TEST, 2026)
        url = make_source(name, args.rows)
        server = None
        try:
            resource_id = publish(settings, url)
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = int(sock.getsockname()[1])
            env = {**os.environ, "ZHUYUN_ENV": "test", "ZHUYUN_DATA_DIR": str(workdir),
                   "ZHUYUN_DATABASE_URL": settings.database_url}  # fmt: skip
            server = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "zhuyun.app:create_app", "--factory",
                 "--port", str(port), "--log-level", "warning", "--no-access-log"],
                env=env,
            )  # fmt: skip
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            handler = next(a for a in city.accounts if a.username == "rsj.handler")
            token = httpx.post(
                f"{base}/api/auth/token",
                json={"username": handler.username, "password": handler.password},
            ).json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            idle = peak_mib(server.pid)
            extension_dir = _scanner(workdir)
            print(f"bulk export of {args.rows:,} rows × {len(ITEMS)} columns from PostgreSQL")
            print(f"{'format':<9}{'gateway s':>10}{'DuckDB s':>10}{'ratio':>8}{'MiB':>8}")
            results = {}
            for fmt in ("csv", "parquet"):
                gateway_file = workdir / f"gateway.{fmt}"
                peer_file = workdir / f"duckdb.{fmt}"
                gateway_s = export(base, headers, resource_id, fmt, gateway_file)
                peer_s = duckdb_export(url, fmt, peer_file, extension_dir)
                size = gateway_file.stat().st_size / 2**20
                results[fmt] = (gateway_s, peer_s)
                print(f"{fmt:<9}{gateway_s:>10.1f}{peer_s:>10.1f}{gateway_s / peer_s:>7.1f}×"
                      f"{size:>8.0f}")  # fmt: skip
            print(
                f"server peak memory: {idle:.0f} MiB before the exports, "
                f"{peak_mib(server.pid):.0f} MiB after"
            )
            print(json.dumps({k: {"gateway_s": g, "duckdb_s": d} for k, (g, d) in results.items()}))
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
