"""Runs: rows read per source are reported, a source that goes down fails the run without
presenting a half-written profile, the run resumes without reading again what it staged,
and incremental runs re-fuse only what changed — to the same table a full run gives."""

from __future__ import annotations

import sqlite3

import pyarrow.dataset as ds
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.blocks.conftest import TableFactory, declare, run
from zhuyun.blocks.models import ProfileTable
from zhuyun.core.db import Database
from zhuyun.core.ledger import LedgerEntry
from zhuyun.core.settings import Settings
from zhuyun.exchange.service.connections import close_all

PEOPLE = [f"52010219900101{n:04d}" for n in range(40)]


def _tables(own_table: TableFactory):  # type: ignore[no-untyped-def]
    residents = own_table(
        "residents",
        ["id_number", "name", "street", "updated_at"],
        [(p, f"居民{i}", "新华路", f"2026-11-01T08:00:{i:02d}") for i, p in enumerate(PEOPLE)],
    )
    benefits = own_table(
        "benefits",
        ["benefit_no", "id_number", "kind"],
        [(f"B{i:04d}", p, "高龄津贴" if i % 2 else "低保") for i, p in enumerate(PEOPLE[:25])],
    )
    return residents, benefits


def _job(residents: int, benefits: int) -> dict:
    return {
        "name": "测试档案",
        "entity": "person",
        "sources": [
            {
                "alias": "residents",
                "resource_id": residents,
                "key": "id_number",
                "items": ["name", "street"],
                "updated_at": "updated_at",
            },
            {
                "alias": "benefits",
                "resource_id": benefits,
                "key": "id_number",
                "items": ["kind"],
                "row_key": ["benefit_no"],
            },
        ],
        "outputs": [{"name": "people"}],
    }


def _exports(db: Database, resource_id: int, after: int) -> int:
    with db.session() as session:
        return len(
            session.scalars(
                select(LedgerEntry.seq).where(
                    LedgerEntry.activity == "exchange.exported",
                    LedgerEntry.seq > after,
                    LedgerEntry.subject_id == str(resource_id),
                )
            ).all()
        )


def _last_seq(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(LedgerEntry.seq).order_by(LedgerEntry.seq.desc())) or 0


def _profile_rows(db: Database, job_id: int) -> list[dict]:
    with db.session() as session:
        table = session.scalars(select(ProfileTable).where(ProfileTable.job_id == job_id)).one()
        rows = ds.dataset(table.path, format="parquet").to_table().to_pylist()
    return sorted(rows, key=lambda r: r["entity_key"])


def test_a_run_reports_rows_read_per_source_and_ledgers_each_read_with_its_purpose(
    client: TestClient, bureau: dict[str, str], own_table: TableFactory, db: Database
) -> None:
    residents, benefits = _tables(own_table)
    job = declare(client, bureau, _job(residents.resource_id, benefits.resource_id))
    assert job.status_code == 201, job.text
    mark = _last_seq(db)
    done = run(client, bureau, job.json()["id"])
    assert done["status"] == "completed" and done["fraction_done"] == 1.0
    read = {s["alias"]: (s["rows"], s["total"]) for s in done["sources"]}
    assert read == {"residents": (40, 40), "benefits": (25, 25)}
    assert done["output_rows"] == 40
    with db.session() as session:
        entries = session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.activity == "exchange.exported", LedgerEntry.seq > mark
            )
        ).all()
        assert {e.subject_id for e in entries} == {
            str(residents.resource_id),
            str(benefits.resource_id),
        }
        assert all(e.attrs["purpose"].startswith("块数据融合") for e in entries)
    rows = _profile_rows(db, job.json()["id"])
    first = rows[0]
    assert first["residents__name"] == "居民0" and first["benefits__kind"] == "低保"
    assert first["benefits__rows"] == 1 and rows[-1]["benefits__rows"] is None


def test_a_source_down_mid_run_fails_it_resumably_and_the_resumed_run_reads_only_the_rest(
    client: TestClient, bureau: dict[str, str], own_table: TableFactory, db: Database
) -> None:
    residents, benefits = _tables(own_table)
    job_id = declare(client, bureau, _job(residents.resource_id, benefits.resource_id)).json()["id"]
    aside = benefits.path.with_suffix(".away")
    benefits.path.rename(aside)  # the department's database goes down,
    close_all()  # and with it the connections the platform held to it
    try:
        failed = run(client, bureau, job_id)
    finally:
        aside.rename(benefits.path)
    assert failed["status"] == "failed" and failed["resumable"], failed
    assert failed["error_code"] and failed["error_zh"]
    staged = {s["alias"]: s["done"] for s in failed["sources"]}
    assert staged == {"residents": True, "benefits": False}
    # no profile table is presented: not a half-written one, not any
    missing = client.get(f"/api/blocks/jobs/{job_id}/profiles/{PEOPLE[0]}", headers=bureau)
    assert missing.status_code == 404 and missing.json()["code"] == "blocks-no-profile"

    mark = _last_seq(db)
    resumed = client.post(f"/api/blocks/runs/{failed['id']}/resume", headers=bureau)
    assert resumed.status_code == 202, resumed.text
    final = client.get(f"/api/blocks/runs/{failed['id']}", headers=bureau).json()
    assert final["status"] == "completed", final
    assert _exports(db, residents.resource_id, mark) == 0  # staged before: not read again
    assert _exports(db, benefits.resource_id, mark) == 1
    profile = client.get(f"/api/blocks/jobs/{job_id}/profiles/{PEOPLE[1]}", headers=bureau)
    assert profile.status_code == 200, profile.text
    again = client.post(f"/api/blocks/runs/{failed['id']}/resume", headers=bureau)
    assert again.status_code == 409


def test_an_incremental_run_refuses_only_changed_rows_and_equals_a_full_run(
    client: TestClient, bureau: dict[str, str], own_table: TableFactory, db: Database
) -> None:
    residents, benefits = _tables(own_table)
    job_id = declare(client, bureau, _job(residents.resource_id, benefits.resource_id)).json()["id"]
    assert run(client, bureau, job_id)["status"] == "completed"
    with sqlite3.connect(residents.path) as connection:
        connection.execute(
            "UPDATE residents SET street = '中华南路', "
            "updated_at = '2026-11-20T09:00:00' WHERE id_number = ?",
            (PEOPLE[3],),
        )
        connection.execute(
            "INSERT INTO residents VALUES (?, '新居民', '遵义路', '2026-11-21T09:00:00')",
            ("520102199001019999",),
        )
    with sqlite3.connect(benefits.path) as connection:
        connection.execute("UPDATE benefits SET kind = '残疾人两项补贴' WHERE benefit_no = 'B0007'")
    incremental = run(client, bureau, job_id, mode="incremental")
    assert incremental["status"] == "completed" and incremental["mode"] == "incremental"
    read = {s["alias"]: s for s in incremental["sources"]}
    # only the changed rows, and the row at the watermark itself (the range includes it, so
    # a row written in the watermark's own second is never lost)
    assert read["residents"]["delta"] and read["residents"]["rows"] == 3
    assert read["residents"]["watermark"] == "2026-11-21T09:00:00"
    assert not read["benefits"]["delta"]  # no update time: read whole, compared
    after_incremental = _profile_rows(db, job_id)
    assert incremental["output_rows"] == 41
    full = run(client, bureau, job_id, mode="full")
    assert full["status"] == "completed"
    assert _profile_rows(db, job_id) == after_incremental
    by_key = {r["entity_key"]: r for r in after_incremental}
    assert by_key[PEOPLE[3]]["residents__street"] == "中华南路"
    assert by_key[PEOPLE[7]]["benefits__kind"] == "残疾人两项补贴"
    assert by_key["520102199001019999"]["residents__name"] == "新居民"


def test_a_newer_complete_run_supersedes_an_older_failed_one_and_clears_old_folders(
    client: TestClient,
    bureau: dict[str, str],
    own_table: TableFactory,
    db: Database,
    demo_settings: Settings,
) -> None:
    residents, benefits = _tables(own_table)
    job_id = declare(client, bureau, _job(residents.resource_id, benefits.resource_id)).json()["id"]
    first = run(client, bureau, job_id)
    aside = benefits.path.with_suffix(".away")
    benefits.path.rename(aside)
    close_all()
    try:
        failed = run(client, bureau, job_id)
    finally:
        aside.rename(benefits.path)
    assert failed["resumable"]
    second = run(client, bureau, job_id)
    third = run(client, bureau, job_id)
    assert third["status"] == "completed"
    refused = client.post(f"/api/blocks/runs/{failed['id']}/resume", headers=bureau)
    assert refused.status_code == 409  # its staged reads are older than the newer profile
    folders = demo_settings.data_dir / "blocks" / f"job-{job_id}"
    kept = sorted(p.name for p in folders.iterdir())
    assert kept == [f"run-{second['id']}", f"run-{third['id']}"]  # current, and the one before
    assert first["id"] < failed["id"]
