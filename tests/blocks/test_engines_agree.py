"""The same job definition gives the same profile table on DuckDB and on Spark (pyspark in
local mode, with Debian's JDBC drivers on its classpath), row for row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.blocks.conftest import demo_job, run
from zhuyun.blocks.models import FusionRun, ProfileTable
from zhuyun.blocks.service.engines import JDBC_JARS, SparkEngine
from zhuyun.core.db import Database
from zhuyun.core.settings import Settings

pytestmark = pytest.mark.spark


def _rows(path: str) -> list[tuple[str | None, ...]]:
    """A profile table's rows, every value as text, in key order."""
    table = ds.dataset(path, format="parquet").to_table()
    columns = [pc.cast(c, pa.string()) for c in table.columns]
    text = pa.table(columns, names=table.column_names).sort_by("entity_key")
    return [tuple(row.values()) for row in text.to_pylist()]


def _current(db: Database, job_id: int) -> ProfileTable:
    with db.session() as session:
        table = session.scalars(select(ProfileTable).where(ProfileTable.job_id == job_id)).one()
        session.expunge(table)
        return table


def test_duckdb_and_spark_fuse_each_demo_job_into_the_same_rows(
    client: TestClient, bureau: dict[str, str], db: Database
) -> None:
    for entity in ("person", "enterprise", "grid"):
        job = demo_job(db, entity)
        by_duckdb = run(client, bureau, job.id, engine="duckdb")
        assert by_duckdb["status"] == "completed", by_duckdb
        duckdb_table = _current(db, job.id)
        by_spark = run(client, bureau, job.id, engine="spark")
        assert by_spark["status"] == "completed", by_spark
        spark_table = _current(db, job.id)
        assert spark_table.run_id == by_spark["id"] != duckdb_table.run_id
        duckdb_rows, spark_rows = _rows(duckdb_table.path), _rows(spark_table.path)
        assert len(duckdb_rows) == by_duckdb["output_rows"] > 0
        assert spark_rows == duckdb_rows, entity
        with db.session() as session:
            assert session.get(FusionRun, by_spark["id"]).engine == "spark"


def test_spark_reads_a_department_sqlite_database_over_debians_jdbc_driver(
    demo_settings: Settings,
) -> None:
    assert all(jar.exists() for jar in JDBC_JARS)
    path: Path = demo_settings.sources_dir / "gongan.sqlite"
    engine = SparkEngine(demo_settings.blocks_spark_master)
    frame = engine.read_jdbc(f"jdbc:sqlite:{path}", "people", {"driver": "org.sqlite.JDBC"})
    with sqlite3.connect(path) as connection:
        expected = connection.execute("SELECT count(*) FROM people").fetchone()[0]
    assert frame.count() == expected > 0
