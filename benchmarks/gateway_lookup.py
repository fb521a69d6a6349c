"""Point lookups by resident ID through the governed gateway over HTTP, against the same
lookup run directly on the source, at 1, 8 and 64 concurrent clients.

Through the gateway each lookup is: bearer-token sign-in check, permission, catalog view,
policy with a grant (items, purpose, row limits), the pushed-down lookup on the source,
masking, a sealed ledger entry, the "who read my data" index and the grant's daily count.
The peer is the bare lookup on the same table with psycopg (PostgreSQL) or sqlite3.

    .venv/bin/python benchmarks/gateway_lookup.py [--scale small] [--source postgresql|sqlite]
        [--platform postgresql|sqlite] [--requests 2000] [--workers 1]

One server worker by default: on this 2-core machine the clients need the other core, and
uvicorn's multi-process mode added ~40 ms to every request here (even a 401), which would
measure uvicorn rather than the gateway.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import create_engine, select, text

from harness import concurrently, free_port, percentile
from zhuyun.catalog import service as catalog
from zhuyun.core.calendar import china_today
from zhuyun.core.db import Database
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import build_demo
from zhuyun.demo.scale import ScaleName
from zhuyun.exchange.connectors import SourceKind
from zhuyun.exchange.models import Binding
from zhuyun.exchange.service import applications, sources
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import SYSTEM_PRINCIPAL

PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
PURPOSE = "社保参保身份核验"


def _create_pg_database(name: str) -> str:
    admin = create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{PG}/{name}"


def _drop_pg_database(name: str) -> None:
    admin = create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _copy_people_to_postgres(sqlite_path: Path, url: str) -> None:
    """The police register, moved to a PostgreSQL server of its own, indexed on id_number."""
    with sqlite3.connect(sqlite_path) as source:
        columns = [row[1] for row in source.execute("PRAGMA table_info(people)")]
        rows = source.execute(f"SELECT {', '.join(columns)} FROM people")
        with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as target:
            target.execute(
                "CREATE TABLE people ("
                + ", ".join(f"{c} text" + (" PRIMARY KEY" if c == "id_number" else "")
                            for c in columns)
                + ")"
            )  # fmt: skip
            with target.cursor().copy(f"COPY people ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            target.execute("ANALYZE people")


def prepare(args: argparse.Namespace, workdir: Path) -> tuple[Settings, str, list[str], str]:
    """Build the demo city, move the people source if asked, grant 大数据局 lookups.
    Returns settings, the direct source URL, sample ID numbers and the consumer's password."""
    platform_url = (
        _create_pg_database(f"zhuyun_bench_{uuid.uuid4().hex[:8]}")
        if args.platform == "postgresql"
        else f"sqlite:///{workdir / 'platform.sqlite'}"
    )
    settings = Settings(env="test", data_dir=workdir, database_url=platform_url)
    city = build_demo(settings, ScaleName(args.scale), 2026)
    people_file = settings.sources_dir / "gongan.sqlite"
    database = Database(platform_url)
    with database.session() as session:
        people = session.scalar(select(Binding).where(Binding.table_name == "people"))
        assert people is not None
        resource_id = people.resource_id
        direct = f"sqlite:///{people_file.resolve()}"
        if args.source == "postgresql":
            direct = _create_pg_database(f"zhuyun_bench_src_{uuid.uuid4().hex[:8]}")
            _copy_people_to_postgres(people_file, direct)
            view = catalog.published_view(session, resource_id)
            moved = sources.register_source(
                session,
                SYSTEM_PRINCIPAL,
                settings.secret_key.get_secret_value(),
                view.provider_unit_id,
                sources.SourceDraft("人口库（PostgreSQL）", SourceKind.POSTGRESQL, direct),
            )
            sources.bind_resource(
                session,
                SYSTEM_PRINCIPAL,
                settings.secret_key.get_secret_value(),
                resource_id,
                sources.BindingDraft(
                    moved.id, "people", "id_number", "id_number", "domicile_division_code"
                ),
            )
        consumer = next(a for a in city.accounts if a.username == "dsj.data")
        account = identity.find_account(session, consumer.username)
        assert account is not None
        principal = identity.principal_for(account)
        application, _ = applications.apply(
            session,
            principal,
            applications.ApplicationDraft(
                resource_id, ["id_number", "name", "sex", "birth_date"], PURPOSE, "基准测试",
                china_today() + timedelta(days=30), 10**7, "bench-application-1",
            ),
            china_today(),
            10,
        )  # fmt: skip
        applications.approve(
            session,
            SYSTEM_PRINCIPAL,
            application.id,
            applications.Approval(
                clear_items=["sex", "birth_date"], max_rows_per_query=10,
                max_rows_per_day=10**9,
            ),
        )  # fmt: skip
    database.dispose()
    with sqlite3.connect(people_file) as source:
        ids = [r[0] for r in source.execute("SELECT id_number FROM people")]
    random.Random(7).shuffle(ids)
    return settings, direct, ids, consumer.password


def run_clients(
    clients: int, total: int, one: Callable[[int, int], None]
) -> tuple[float, list[float]]:
    """`total` calls of `one(client, n)` spread over `clients` threads: throughput of the
    calls that succeeded, and their latencies; failures are counted and printed."""
    failures: list[str] = []
    per_client = total // clients

    def work(client: int) -> list[float]:
        mine = []
        for n in range(per_client):
            start = time.perf_counter()
            try:
                one(client, n)
            except Exception as exc:  # a timeout or an error answer: counted, not fatal
                failures.append(type(exc).__name__)
                continue
            mine.append((time.perf_counter() - start) * 1000)
        return mine

    rate, latencies = concurrently(clients, work)
    if failures:
        print(f"  {len(failures)} of {per_client * clients} calls failed: {sorted(set(failures))}")
    return rate, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small", choices=["test", "small", "city"])
    parser.add_argument("--source", default="postgresql", choices=["postgresql", "sqlite"])
    parser.add_argument("--platform", default="postgresql", choices=["postgresql", "sqlite"])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--clients", default="1,8,64", help="concurrency levels to run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        settings, direct, ids, password = prepare(args, workdir)
        port = free_port()
        env = {
            **os.environ,
            "ZHUYUN_ENV": "test",
            "ZHUYUN_DATA_DIR": str(workdir),
            "ZHUYUN_DATABASE_URL": settings.database_url,
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "zhuyun.app:create_app", "--factory",
             "--port", str(port), "--workers", str(args.workers), "--log-level", "warning",
             "--no-access-log"],
            env=env,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            token = httpx.post(
                f"{base}/api/auth/token", json={"username": "dsj.data", "password": password}
            ).json()["token"]
            with Database(settings.database_url).session() as session:
                resource_id = session.scalar(
                    select(Binding.resource_id).where(Binding.table_name == "people")
                )
            report(args, base, token, int(resource_id or 0), direct, ids)
        finally:
            server.terminate()
            server.wait(timeout=30)
            for url in (settings.database_url, direct):
                if url.startswith("postgresql"):
                    _drop_pg_database(url.rsplit("/", 1)[1])


def report(
    args: argparse.Namespace, base: str, token: str, resource_id: int, direct: str, ids: list[str]
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    print(
        f"point lookups by resident ID: platform on {args.platform}, source on {args.source}, "
        f"{len(ids):,} people, {args.requests:,} lookups per run, {args.workers} server workers"
    )
    print(f"{'clients':>8} {'':<9}{'lookups/s':>10}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}")
    for clients in (int(c) for c in args.clients.split(",")):
        governed, close = gateway_lookup(base, headers, resource_id, clients, ids)
        run_clients(clients, min(200, args.requests), governed)  # warm up
        gateway_rate, gateway_ms = run_clients(clients, args.requests, governed)
        close()
        peer = direct_lookup(direct, clients, ids)
        direct_rate, direct_ms = run_clients(clients, args.requests, peer)
        for label, rate, latencies in (
            ("gateway", gateway_rate, gateway_ms),
            ("direct", direct_rate, direct_ms),
        ):
            print(
                f"{clients:>8} {label:<9}{rate:>10.0f}{percentile(latencies, 0.5):>9.2f}"
                f"{percentile(latencies, 0.9):>9.2f}{percentile(latencies, 0.99):>9.2f}"
            )
        added = percentile(gateway_ms, 0.9) - percentile(direct_ms, 0.9)
        print(
            f"{'':>8} ratio    {direct_rate / gateway_rate:>9.1f}× slower; p90 added "
            f"{added:.2f} ms; median {statistics.median(gateway_ms):.2f} ms"
        )


def gateway_lookup(
    base: str, headers: dict[str, str], resource_id: int, clients: int, ids: list[str]
) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """A governed lookup over HTTP, one keep-alive connection per client."""
    sessions = [httpx.Client(base_url=base, headers=headers, timeout=30) for _ in range(clients)]

    def one(client: int, n: int) -> None:
        value = ids[(client * 7919 + n) % len(ids)]
        response = sessions[client].post(
            "/api/exchange/query",
            json={
                "resource_id": resource_id,
                "items": ["id_number", "name", "sex", "birth_date"],
                "purpose": PURPOSE,
                "filters": [{"field": "id_number", "op": "eq", "value": value}],
            },
        )
        assert response.status_code == 200, response.text[:300]
        assert len(response.json()["rows"]) == 1

    def close() -> None:
        for session in sessions:
            session.close()

    return one, close


def direct_lookup(url: str, clients: int, ids: list[str]) -> Callable[[int, int], None]:
    """The same lookup straight on the source, one connection per client."""
    sql = "SELECT id_number, name, sex, birth_date FROM people WHERE id_number = "
    connections: list[Any]
    if url.startswith("postgresql"):
        connections = [
            psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True)
            for _ in range(clients)
        ]
        statement = sql + "%s"
    else:
        path = url.removeprefix("sqlite:///")
        connections = [sqlite3.connect(path, check_same_thread=False) for _ in range(clients)]
        statement = sql + "?"

    def one(client: int, n: int) -> None:
        rows = (
            connections[client]
            .execute(statement, (ids[(client * 7919 + n) % len(ids)],))
            .fetchall()
        )
        assert len(rows) == 1

    return one


if __name__ == "__main__":
    main()
