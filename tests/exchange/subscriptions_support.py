"""A department table that changes, published for subscriptions, and a webhook receiver.

The table `permits` lives in a SQLite file of the department (in the platform's allowed
sources folder): a key, a resident ID (sensitive: masked for other units), a holder, a status
and an `updated_at` text column the department's application stamps on every write.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.exchange.nodes_support import ZHUYUN, free_port
from zhuyun.core.settings import Settings

RECEIVER = Path(__file__).with_name("webhook_receiver.py")
ITEMS = ["permit_no", "id_number", "holder", "status"]
PURPOSE = "核验许可证状态变化"


def stamp() -> str:
    """The department's modification time: ISO text with microseconds, UTC."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Permits:
    """The department's own table, written as its application would."""

    path: Path

    def create(self) -> None:
        with sqlite3.connect(self.path) as conn:
            conn.execute(
                "CREATE TABLE permits (permit_no INTEGER PRIMARY KEY, id_number TEXT NOT NULL, "
                "holder TEXT NOT NULL, status TEXT NOT NULL, updated_at TEXT NOT NULL)"
            )
            conn.execute("CREATE INDEX permits_updated ON permits (updated_at, permit_no)")

    def insert(self, first: int, count: int) -> list[tuple[int, str]]:
        """New permits first … first+count-1; returns the changes as (key, stamp)."""
        changes = []
        with sqlite3.connect(self.path) as conn:
            for number in range(first, first + count):
                at = stamp()
                conn.execute(
                    "INSERT INTO permits VALUES (?, ?, ?, ?, ?)",
                    (number, f"52010219900101{number:04d}", f"持证人{number}", "有效", at),
                )
                changes.append((number, at))
        return changes

    def update(self, numbers: list[int], status: str) -> list[tuple[int, str]]:
        changes = []
        with sqlite3.connect(self.path) as conn:
            for number in numbers:
                at = stamp()
                conn.execute(
                    "UPDATE permits SET status = ?, updated_at = ? WHERE permit_no = ?",
                    (status, at, number),
                )
                changes.append((number, at))
        return changes


def publish_permits(
    client: TestClient,
    provider: dict[str, str],
    sources_dir: Path,
    *,
    share_type: str = "unconditional",
) -> tuple[Permits, int, int]:
    """The provider's new permits table, registered, published and change-tracked.
    Returns the table, the source id and the resource id."""
    permits = Permits(sources_dir / f"permits-{uuid.uuid4().hex[:8]}.sqlite")
    permits.create()
    source = client.post(
        "/api/exchange/sources",
        headers=provider,
        json={"name": f"许可证库-{uuid.uuid4().hex[:6]}", "kind": "sqlite",
              "location": f"sqlite:///{permits.path}"},
    )  # fmt: skip
    assert source.status_code == 201, source.text
    source_id = source.json()["id"]
    drafted = client.post(
        f"/api/exchange/sources/{source_id}/drafts",
        headers=provider,
        json={"table_name": "permits", "name": f"许可证信息{uuid.uuid4().hex[:4]}",
              "key_field": "permit_no", "subject_field": "id_number"},
    )  # fmt: skip
    assert drafted.status_code == 201, drafted.text
    resource_id = drafted.json()["resource_id"]
    completed = client.patch(
        f"/api/catalog/resources/{resource_id}",
        headers=provider,
        json={"summary": "许可证及其状态。", "share_type": share_type,
              "share_conditions": "依职能申请" if share_type == "conditional" else "",
              "update_cycle": "realtime"},
    )  # fmt: skip
    assert completed.status_code == 200, completed.text
    published = client.post(f"/api/catalog/resources/{resource_id}/publish", headers=provider)
    assert published.status_code == 200, published.text
    tracked = client.put(
        f"/api/exchange/resources/{resource_id}/change-tracking",
        headers=provider,
        json={"field": "updated_at", "kind": "updated_at"},
    )
    assert tracked.status_code == 200, tracked.text
    return permits, source_id, resource_id


def subscribe(
    client: TestClient, consumer: dict[str, str], resource_id: int, **body: Any
) -> dict[str, Any]:
    body = {"resource_id": resource_id, "items": ITEMS, "purpose": PURPOSE, "mode": "pull",
            **body}  # fmt: skip
    response = client.post(
        "/api/exchange/subscriptions",
        headers={**consumer, "Idempotency-Key": uuid.uuid4().hex},
        json=body,
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


class Receiver:
    """The consumer's webhook receiver as a process of its own: it verifies each delivery
    with the Standard Webhooks library and appends what it accepted to a JSON-lines file."""

    def __init__(
        self, folder: Path, secret: str, fail_first: int = 0, delay_s: float = 0.0
    ) -> None:
        self.port = free_port()
        self.delay_s = delay_s
        self.file = folder / f"received-{self.port}.jsonl"
        self.secret = secret
        self.fail_first = fail_first
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(RECEIVER), str(self.port), str(self.file), self.secret,
             str(self.fail_first), str(self.delay_s)],
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("the webhook receiver did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def received(self) -> list[dict[str, Any]]:
        """Every accepted request, in arrival order (duplicates included)."""
        if not self.file.exists():
            return []
        lines = self.file.read_text("utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


def deduplicated(received: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The deliveries once each, by delivery id, as a receiver that remembers ids keeps them."""
    seen: dict[str, dict[str, Any]] = {}
    for delivery in received:
        seen.setdefault(delivery["delivery_id"], delivery)
    return sorted(seen.values(), key=lambda d: d["seq"])


def changes_of(deliveries: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """(key, status) of every row in the deliveries, in order."""
    return [(row[0], row[3]) for d in deliveries for row in d["rows"]]


class PlatformProcess:
    """The platform served by `zhuyun serve` as a process of its own, on the tests' platform
    database, with its in-process delivery worker passing every `interval` seconds."""

    def __init__(self, settings: Settings, folder: Path, interval: float, retry: float) -> None:
        self.port = free_port()
        self.folder = folder
        self.env = {
            **os.environ,
            "ZHUYUN_ENV": settings.env,
            "ZHUYUN_DATA_DIR": str(settings.data_dir),
            "ZHUYUN_DATABASE_URL": settings.database_url,
            "ZHUYUN_SECRET_KEY": settings.secret_key.get_secret_value(),
            "ZHUYUN_EXCHANGE_DELIVERY_INTERVAL": str(interval),
            "ZHUYUN_EXCHANGE_DELIVERY_RETRY": str(retry),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = self.folder / f"platform-{self.starts}.log"
        self.process = subprocess.Popen(
            [ZHUYUN, "serve", "--port", str(self.port)],
            env=self.env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/api/health", timeout=1)
                return
            except httpx.TransportError:
                assert self.process.poll() is None, log.read_text()
                time.sleep(0.1)
        raise RuntimeError(f"the platform did not start: {log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup — a crash."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None
