"""A subscription survives restarts of both sides: the platform (`zhuyun serve`, delivering
from its in-process worker) and the consumer's webhook receiver run as processes of their
own and are each killed in the middle of the stream; meanwhile the resource moves from its
department's database to a department node. After dedup by delivery id the receiver holds
every change exactly once, in order."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.exchange.nodes_support import NodeProcess, write_config
from tests.exchange.subscriptions_support import (
    PlatformProcess,
    Receiver,
    changes_of,
    deduplicated,
    publish_permits,
    subscribe,
)
from tests.helpers import api_token, token_for
from zhuyun.core.db import Database
from zhuyun.core.ledger import LedgerEntry
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import DemoResult
from zhuyun.exchange.node.message_log import MessageLog
from zhuyun.identity.permissions import Role


def _wait(condition: Callable[[], bool], what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _move_to_node(
    client: TestClient, admin: dict[str, str], node: NodeProcess, unit_id: int, resource_id: int
) -> None:
    """The department starts a node beside its database; the resource is rebound to it."""
    code = node.run("init").strip().splitlines()[-1]
    approved = client.post("/api/exchange/nodes/approve", json={"code": code}, headers=admin)
    assert approved.status_code == 200, approved.text
    node.run("trust", approved.json()["platform_public_key"])
    node.start()
    source = client.post(
        "/api/exchange/sources",
        headers=admin,
        json={"name": f"前置机 {node.name}", "kind": "node", "unit_id": unit_id,
              "location": f"node://{node.name}/permits"},
    )  # fmt: skip
    assert source.status_code == 201, source.text
    rebound = client.put(
        f"/api/exchange/resources/{resource_id}/binding",
        headers=admin,
        json={"source_id": source.json()["id"], "table_name": "permits",
              "key_field": "permit_no", "subject_field": "id_number"},
    )  # fmt: skip
    assert rebound.status_code == 200, rebound.text


def test_no_change_is_lost_or_duplicated_across_restarts_of_platform_and_receiver(
    app: FastAPI, demo_city: DemoResult, demo_settings: Settings, tmp_path: Path
) -> None:
    client = TestClient(app)  # no lifespan: the only delivery worker is the platform process
    provider = token_for(client, demo_city, "gongan.data")
    consumer = api_token(client, demo_city, Role.CASE_HANDLER)
    admin = api_token(client, demo_city, Role.PLATFORM_ADMIN)
    permits, source_id, resource_id = publish_permits(client, provider, demo_settings.sources_dir)
    unit_id = client.get(f"/api/exchange/sources/{source_id}", headers=admin).json()["unit_id"]
    expected = [(n, "有效") for n, _ in permits.insert(1, 40)]
    # one second per delivery: eight batches make a stream the kill lands inside, even when
    # the platform answers fast (PostgreSQL on an idle machine)
    receiver = Receiver(tmp_path, "", delay_s=1.0)
    created = subscribe(client, consumer, resource_id, mode="webhook", webhook_url=receiver.url,
                        batch_rows=5)  # fmt: skip
    sid = created["id"]
    receiver.secret = created["webhook_secret"]
    platform = PlatformProcess(demo_settings, tmp_path, interval=0.2, retry=0.2)
    node = write_config(
        tmp_path / "node", "permits-node", {"permits": {"kind": "sqlite",
                                                        "location": f"sqlite:///{permits.path}"}}
    )  # fmt: skip
    database = Database(demo_settings.database_url)

    def received() -> list[tuple[int, str]]:
        return changes_of(deduplicated(receiver.received()))

    try:
        receiver.start()
        platform.start()
        _wait(lambda: len(receiver.received()) >= 2, "the first deliveries")
        platform.kill()  # the platform crashes in the middle of the stream
        assert len(received()) < len(expected), "the stream was not interrupted"
        receiver.kill()  # and the receiver goes down too
        expected += [(n, "吊销") for n, _ in permits.update([2, 5, 30], "吊销")]
        expected += [(n, "有效") for n, _ in permits.insert(41, 10)]
        platform.start()  # back without the receiver: attempts fail and back off

        def failed_since_restart() -> bool:
            with database.session() as session:
                return any(
                    e.attrs.get("attempt", 0) >= 1
                    for e in session.scalars(
                        select(LedgerEntry).where(
                            LedgerEntry.activity == "exchange.delivery_failed",
                            LedgerEntry.case_id == f"subscription:{sid}",
                        )
                    )
                )

        _wait(failed_since_restart, "a failed attempt while the receiver is down")
        receiver.start()
        # the department moves the resource behind its node while the stream runs
        _move_to_node(client, admin, node, unit_id, resource_id)
        expected += [(n, "有效") for n, _ in permits.insert(51, 5)]
        _wait(lambda: len(received()) >= len(expected), "every change")
        time.sleep(1.0)  # nothing more comes
        got = deduplicated(receiver.received())
        assert changes_of(got) == expected
        assert [d["seq"] for d in got] == list(range(1, len(got) + 1))
        assert len(receiver.received()) >= len(got)  # at least once: repeats share their id
    finally:
        platform.kill()
        receiver.kill()
        node.stop()
        client.post(f"/api/exchange/subscriptions/{sid}/cancel", headers=consumer)
        database.dispose()
    log = MessageLog(f"sqlite:///{(node.data_dir / 'node.sqlite').as_posix()}", 60)
    answered = log.entries("node.answered", limit=50)
    assert any(e.attrs.get("table") == "permits" for e in answered)  # the node served it
    with Database(demo_settings.database_url).session() as session:
        reads = [
            e.attrs for e in session.scalars(
                select(LedgerEntry).where(LedgerEntry.activity == "exchange.query"))
            if e.attrs.get("subscription_id") == sid
        ]  # fmt: skip
    assert sum(a["rows"] for a in reads) == len(expected)
    assert all(a["masked"] == ["id_number"] for a in reads)
