"""The supervision API: the ledger as XES / OCEL 2.0, imports (all or nothing, once per
idempotency key), mining routes, and who may do what."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.helpers import api_token
from tests.supervision.conftest import WABO_XES
from tests.supervision.test_mining_against_pm4py import SEQUENCE_WITH_SKIP
from zhuyun.core.db import Database
from zhuyun.core.ledger import LedgerEntry
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role
from zhuyun.supervision.eventlog import read_xes
from zhuyun.supervision.models import ImportedEvent, ImportedLog


def _supervisor(client: TestClient, demo_city: DemoResult) -> dict[str, str]:
    return api_token(client, demo_city, Role.SUPERVISOR)


def test_a_citizen_cannot_export_the_ledger(client: TestClient, demo_city: DemoResult) -> None:
    citizen = api_token(client, demo_city, Role.CITIZEN)
    for path in ("/api/supervision/eventlog.xes", "/api/supervision/eventlog.ocel.json",
                 "/api/supervision/eventlog.ocel.sqlite", "/api/supervision/logs"):  # fmt: skip
        assert client.get(path, headers=citizen).status_code == 403
        assert client.get(path).status_code == 401


def test_a_supervisor_exports_the_ledger_as_xes_that_reads_back(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    response = client.get(
        "/api/supervision/eventlog.xes", params={"activity": "auth."},
        headers=_supervisor(client, demo_city),
    )  # fmt: skip
    assert response.status_code == 200, response.text
    log = read_xes(response.content)
    assert log.n_events > 0
    assert all(name.startswith("auth.") for name in log.activity_names)
    with db.session() as session:
        exported = session.scalars(
            select(LedgerEntry).where(LedgerEntry.activity == "supervision.ledger_exported")
        ).all()
    assert exported and exported[-1].attrs["format"] == "xes"


def test_the_ocel_json_export_has_the_shape_of_the_standard(
    client: TestClient, demo_city: DemoResult, pm4py_module: Any, tmp_path: Path
) -> None:
    response = client.get(
        "/api/supervision/eventlog.ocel.json", headers=_supervisor(client, demo_city)
    )
    assert response.status_code == 200, response.text
    data = response.json()
    assert set(data) == {"objectTypes", "eventTypes", "objects", "events"}
    object_ids = {o["id"] for o in data["objects"]}
    event_types = {t["name"]: t for t in data["eventTypes"]}
    for event in data["events"]:
        assert set(event) == {"id", "type", "time", "attributes", "relationships"}
        assert event["type"] in event_types
        declared = {a["name"] for a in event_types[event["type"]]["attributes"]}
        assert {a["name"] for a in event["attributes"]} <= declared
        for link in event["relationships"]:
            assert link["objectId"] in object_ids and link["qualifier"]
    for kind in (*data["objectTypes"], *data["eventTypes"]):
        assert all(
            a["type"] in {"string", "time", "integer", "float", "boolean"}
            for a in kind["attributes"]
        )
    target = tmp_path / "ledger.jsonocel"
    target.write_bytes(response.content)
    ocel = pm4py_module.read_ocel2_json(str(target))
    assert len(ocel.events) == len(data["events"])
    assert len(ocel.objects) == len(data["objects"])


def test_the_ocel_sqlite_export_has_the_tables_of_the_standard(
    client: TestClient, demo_city: DemoResult, pm4py_module: Any, tmp_path: Path
) -> None:
    response = client.get(
        "/api/supervision/eventlog.ocel.sqlite", headers=_supervisor(client, demo_city)
    )
    assert response.status_code == 200
    target = tmp_path / "ledger.sqlite"
    target.write_bytes(response.content)
    db = sqlite3.connect(target)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {
        "event",
        "object",
        "event_object",
        "object_object",
        "event_map_type",
        "object_map_type",
    } <= tables
    for kind, table in (("event", "event_map_type"), ("object", "object_map_type")):
        for type_name, suffix in db.execute(f"SELECT ocel_type, ocel_type_map FROM {table}"):
            assert f"{kind}_{suffix}" in tables
            columns = [r[1] for r in db.execute(f'PRAGMA table_info("{kind}_{suffix}")')]
            assert columns[:2] == ["ocel_id", "ocel_time"]
            count = db.execute(
                f"SELECT count(*) FROM {kind} WHERE ocel_type = ?", (type_name,)
            ).fetchone()[0]
            assert db.execute(f'SELECT count(*) FROM "{kind}_{suffix}"').fetchone()[0] == count
    assert (
        db.execute(
            "SELECT count(*) FROM event_object"
            " WHERE ocel_event_id NOT IN (SELECT ocel_id FROM event)"
            " OR ocel_object_id NOT IN (SELECT ocel_id FROM object)"
        ).fetchone()[0]
        == 0
    )
    events = db.execute("SELECT count(*) FROM event").fetchone()[0]
    db.close()
    ocel = pm4py_module.read_ocel2_sqlite(str(target))
    assert len(ocel.events) == events > 0


def _upload(client: TestClient, headers: dict[str, str], content: bytes, filename: str,
            key: str | None = None, **form: str) -> Any:  # fmt: skip
    extra = {"Idempotency-Key": key} if key else {}
    return client.post(
        "/api/supervision/logs", headers={**headers, **extra},
        files={"file": (filename, content, "application/octet-stream")}, data=form,
    )  # fmt: skip


def _counts(db: Database) -> tuple[int, int, int]:
    with db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(ImportedLog)) or 0,
            session.scalar(select(func.count()).select_from(ImportedEvent)) or 0,
            session.scalar(
                select(func.count()).select_from(LedgerEntry)
                .where(LedgerEntry.activity == "supervision.log_imported")
            ) or 0,
        )  # fmt: skip


def test_an_uploaded_log_is_imported_once_per_idempotency_key_and_ledgered(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    headers = _supervisor(client, demo_city)
    before = _counts(db)
    content = WABO_XES.read_bytes()
    first = _upload(client, headers, content, "wabo_receipt.xes.gz", key="wabo-1", name="WABO 受理")
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["cases"], body["events"], body["activities"]) == (1434, 8577, 27)
    again = _upload(client, headers, content, "wabo_receipt.xes.gz", key="wabo-1", name="WABO 受理")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    one_row = b"case:concept:name,concept:name,time:timestamp\nc,a,2025-01-01T00:00:00Z\n"
    other = _upload(client, headers, one_row, "other.csv", key="wabo-1")
    assert other.status_code == 409
    after = _counts(db)
    assert after == (before[0] + 1, before[1] + 8577, before[2] + 1)
    listed = client.get("/api/supervision/logs", headers=headers).json()
    assert listed["count"] >= 1 and listed["data"][0]["id"] == body["id"]

    log_id = body["id"]
    dfg = client.get(f"/api/supervision/logs/{log_id}/dfg", headers=headers).json()
    assert dfg["events"] == 8577 and sum(a["count"] for a in dfg["activities"]) == 8577
    variants = client.get(
        f"/api/supervision/logs/{log_id}/variants", params={"limit": 5}, headers=headers
    ).json()
    assert variants["count"] == 116 and len(variants["data"]) == 5
    assert variants["data"][0]["count"] >= variants["data"][1]["count"]


def test_malformed_uploads_are_refused_and_nothing_is_stored(
    client: TestClient, demo_city: DemoResult, db: Database
) -> None:
    headers = _supervisor(client, demo_city)
    before = _counts(db)
    # the bad row comes after a thousand good ones: nothing of them may be kept
    rows = "".join(f"c{i},a,2025-01-01T00:00:{i % 60:02d}Z\n" for i in range(1000))
    bad_csv = f"case:concept:name,concept:name,time:timestamp\n{rows},b,2025-01-02T00:00:00Z\n"
    refused = _upload(client, headers, bad_csv.encode(), "bad.csv")
    assert refused.status_code == 422
    assert refused.json()["detail"] == "CSV line 1002: the case id (case:concept:name) is empty"
    assert refused.json()["detail_zh"]
    bad_date = (
        b'<log><trace><string key="concept:name" value="c"/><event>'
        b'<string key="concept:name" value="a"/><date key="time:timestamp" value="31/12/2024"/>'
        b"</event></trace></log>"
    )
    refused = _upload(client, headers, bad_date, "bad.xes")
    assert refused.status_code == 422 and "is not a valid date" in refused.json()["detail"]
    assert _upload(client, headers, b"hello", "notes.docx").status_code == 422
    assert _counts(db) == before


def test_conformance_of_the_ledger_against_a_model(
    client: TestClient, demo_city: DemoResult
) -> None:
    headers = _supervisor(client, demo_city)
    response = client.post(
        "/api/supervision/logs/ledger/conformance", params={"activity": "auth."},
        json={"model": SEQUENCE_WITH_SKIP}, headers=headers,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert 0 <= body["log_fitness"] <= 1 and body["cases"] > 0
    assert "auth.login" in body["unknown_activities"]
    broken = client.post("/api/supervision/logs/ledger/conformance",
                         json={"model": {"places": ["p"]}}, headers=headers)  # fmt: skip
    assert broken.status_code == 422 and broken.json()["code"] == "invalid-model"
    assert client.get("/api/supervision/logs/999999/dfg", headers=headers).status_code == 404
    assert client.get("/api/supervision/logs/x1/dfg", headers=headers).status_code == 422


def test_model_json_round_trips() -> None:
    from zhuyun.supervision.mining import PetriNet

    model = PetriNet.from_json(json.loads(json.dumps(SEQUENCE_WITH_SKIP)))
    assert PetriNet.from_json(model.to_json()) == model
