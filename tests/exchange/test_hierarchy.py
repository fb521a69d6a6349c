"""Across levels (跨层级): a district platform publishes part of its catalog up to the city
platform and answers the queries the city routes to it. Two real platform processes on
loopback ports: the city (the tests' demo city) and a district (a demo city of its own,
built by `zhuyun demo`), the district registered with the city as a node with `zhuyun node
init`/`trust` on its peer node.toml."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.exchange.nodes_support import ZHUYUN, NodeProcess, free_port
from tests.exchange.subscriptions_support import PlatformProcess
from tests.helpers import api_token
from zhuyun.catalog import service as catalog
from zhuyun.core.db import Database
from zhuyun.core.ledger import SYSTEM, LedgerEntry
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import DemoResult
from zhuyun.exchange.models import Binding
from zhuyun.exchange.node.message_log import MessageLog
from zhuyun.exchange.service import upward
from zhuyun.exchange.service.policy import MASKED_SENSITIVITIES
from zhuyun.identity.models import OrgUnit
from zhuyun.identity.permissions import SYSTEM_PRINCIPAL, Role

ITEMS = ["credit_code", "name", "legal_rep_name"]
PURPOSE = "跨层级核验企业登记信息"


def _district_env(data_dir: Path, peer_config: Path, upper_unit: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHUYUN_")}
    env.update(
        ZHUYUN_ENV="test",
        ZHUYUN_DATA_DIR=str(data_dir),
        ZHUYUN_EXCHANGE_PEER_CONFIG=str(peer_config),
        ZHUYUN_EXCHANGE_UPPER_UNIT=upper_unit,
        ZHUYUN_EXCHANGE_DELIVERY_INTERVAL="0",
    )
    return env


def _serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [ZHUYUN, "serve", "--port", str(port)], env=env, stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1)
            return process
        except httpx.TransportError:
            assert process.poll() is None, log.read_text()
            time.sleep(0.1)
    raise RuntimeError("the district platform did not start")


def test_a_district_publishes_up_and_answers_the_citys_queries_under_its_own_policy(
    app: FastAPI, demo_city: DemoResult, demo_settings: Settings, tmp_path: Path
) -> None:
    # the district: a platform of its own, with its own departments and database
    district_dir = tmp_path / "district"
    built = subprocess.run(
        [ZHUYUN, "demo", "--scale", "test", "--seed", "11", "--no-serve",
         "--data-dir", str(district_dir)],
        env=_district_env(district_dir, Path("unused"), ""), capture_output=True, timeout=600,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    district_db = Database(f"sqlite:///{(district_dir / 'zhuyun.sqlite').as_posix()}")
    with district_db.session() as session:
        rid = session.scalar(select(Binding.resource_id).where(Binding.table_name == "enterprises"))
        assert rid is not None
        upward.publish_up(session, SYSTEM_PRINCIPAL, rid)
        view = catalog.published_view(session, rid)
        masked = sorted(f for f in ITEMS if view.items[f].sensitivity in MASKED_SENSITIVITIES)
        upper = session.scalar(select(OrgUnit).where(OrgUnit.name.contains("大数据")))
        assert upper is not None
        upper_code = upper.code
    port = free_port()
    peer_dir = district_dir / "peer"
    peer_dir.mkdir()
    peer_config = peer_dir / "node.toml"
    peer_config.write_text(
        f'[node]\nname = "huaxi-platform"\nunit = "花溪区人民政府"\nlisten = "127.0.0.1:{port}"\n'
        f'url = "http://127.0.0.1:{port}/api/exchange/peer"\ndata_dir = "data"\n',
        encoding="utf-8",
    )
    peer = NodeProcess("huaxi-platform", peer_config, port, peer_dir / "data")

    # the city approves the district like any node; the district trusts the city's key
    client = TestClient(app)
    admin = api_token(client, demo_city, Role.PLATFORM_ADMIN)
    handler = api_token(client, demo_city, Role.CASE_HANDLER)
    code = peer.run("init").strip().splitlines()[-1]
    approved = client.post("/api/exchange/nodes/approve", json={"code": code}, headers=admin)
    assert approved.status_code == 200, approved.text
    peer.run("trust", approved.json()["platform_public_key"])
    node_id = approved.json()["node"]["id"]
    with Database(demo_settings.database_url).session() as session:
        huaxi = session.scalar(select(OrgUnit.id).where(OrgUnit.name.startswith("花溪区")))
    assert huaxi is not None

    district = _serve(_district_env(district_dir, peer_config, upper_code), port,
                      tmp_path / "district.log")  # fmt: skip
    city = PlatformProcess(demo_settings, tmp_path, interval=0, retry=1)
    try:
        city.start()
        base = f"http://127.0.0.1:{city.port}"
        imported = httpx.post(f"{base}/api/exchange/nodes/{node_id}/import-catalog",
                              json={"unit_id": huaxi}, headers=admin, timeout=30)  # fmt: skip
        assert imported.status_code == 200, imported.text
        [peer_resource] = imported.json()
        assert peer_resource["remote_resource_id"] == rid
        assert peer_resource["origin"] == "花溪区人民政府（huaxi-platform）"
        city_rid = peer_resource["resource_id"]
        # the city's catalog shows it, marked with its origin
        shown = httpx.get(f"{base}/api/catalog/resources/{city_rid}", headers=handler, timeout=10)
        assert shown.status_code == 200, shown.text
        assert "来源：花溪区人民政府" in shown.json()["summary"]
        listed = httpx.get(f"{base}/api/exchange/peer-resources", headers=handler, timeout=10)
        assert city_rid in [r["resource_id"] for r in listed.json()["data"]]

        # a city consumer queries it: routed to the district, answered from its database
        def query(**body: Any) -> httpx.Response:
            return httpx.post(
                f"{base}/api/exchange/query", headers=handler, timeout=30,
                json={"resource_id": city_rid, "items": ITEMS, "purpose": PURPOSE, **body},
            )  # fmt: skip

        page = query(limit=50)
        assert page.status_code == 200, page.text
        with sqlite3.connect(district_dir / "sources" / "scjg.sqlite") as conn:
            codes = [r[0] for r in conn.execute(
                "SELECT credit_code FROM enterprises ORDER BY credit_code LIMIT 50")]  # fmt: skip
        assert [row[0] for row in page.json()["rows"]] == codes
        assert sorted(page.json()["masked"]) == masked  # as the district's catalog says
        second = query(limit=50, after=page.json()["next_cursor"])
        assert second.status_code == 200 and second.json()["rows"][0][0] > codes[-1]

        # the district ledgered the reads as its upper platform's, and logged the messages
        with district_db.session() as session:
            reads = session.scalars(
                select(LedgerEntry).where(LedgerEntry.activity == "exchange.exported")
            ).all()
        theirs = [e for e in reads if e.unit_id == upper.id]
        assert len(theirs) >= 2 and all(e.attrs["purpose"] == upward.PEER_PURPOSE for e in theirs)
        assert all(e.attrs["masked"] == masked for e in theirs)
        log = MessageLog(f"sqlite:///{(peer.data_dir / 'node.sqlite').as_posix()}", 60)
        assert any(e.attrs.get("table") == f"r{rid}" for e in log.entries("node.answered", 20))

        # an unsigned request to the district is refused and logged there
        unsigned = httpx.post(f"http://127.0.0.1:{port}/api/exchange/peer/v1/select",
                              json={"source": "catalog"}, timeout=10)  # fmt: skip
        assert unsigned.status_code == 401 and unsigned.json()["code"] == "node-unsigned"
        assert log.entries("node.refused", 5)

        # the district's own policy holds: once it retires the resource, the city's
        # consumer is refused with the district's reason
        with district_db.session() as session:
            catalog.retire(session, SYSTEM, rid, "区级资源停用")
        refused = query(limit=5)
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "policy-not-published"
        assert refused.json()["detail_zh"]
    finally:
        city.kill()
        district.kill()
        district.wait()
        district_db.dispose()
