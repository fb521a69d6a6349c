"""The engines a fusion runs on: DuckDB on one machine (the default) and Apache Spark beyond
it. Both do one thing — run a SQL query over Parquet folders into a new Parquet folder — so
the same job gives the same profile table on either (tests compare them row for row).

Spark's master comes from the settings (`local[2]` in tests, `spark://host:7077` in
production); its classpath carries Debian's JDBC drivers, so jobs may also read PostgreSQL,
MariaDB and SQLite sources directly (`read_jdbc`).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import duckdb

JDBC_JARS = (
    Path("/usr/share/java/postgresql.jar"),
    Path("/usr/share/java/mariadb-java-client.jar"),
    Path("/usr/share/java/xerial-sqlite-jdbc.jar"),
)


class FusionEngine(Protocol):
    name: str

    def quote(self, name: str) -> str: ...

    def materialize(self, sql: str, inputs: Mapping[str, Path], out: Path) -> int:
        """Run `sql` over the Parquet folders `inputs` (view name → folder) and write the
        result to the folder `out` (replaced); returns the rows written."""
        ...


def parquet_glob(folder: Path) -> str:
    return str(folder / "*.parquet")


class DuckDBEngine:
    """DuckDB in process: one connection per step, memory bounded by its own limit."""

    name = "duckdb"

    def __init__(self, memory_limit: str = "2GB", threads: int = 2) -> None:
        self.memory_limit = memory_limit
        self.threads = threads

    def quote(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def materialize(self, sql: str, inputs: Mapping[str, Path], out: Path) -> int:
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        connection = duckdb.connect(
            config={"memory_limit": self.memory_limit, "threads": self.threads}
        )
        try:
            for view, folder in inputs.items():
                connection.execute(
                    f"CREATE VIEW {self.quote(view)} AS SELECT * FROM "
                    f"read_parquet('{_literal(parquet_glob(folder))}')"
                )
            target = _literal(str(out / "part-00000.parquet"))
            connection.execute(f"COPY ({sql}) TO '{target}' (FORMAT parquet)")
            found = connection.execute(f"SELECT count(*) FROM read_parquet('{target}')").fetchone()
            return int(found[0]) if found else 0
        finally:
            connection.close()


def _literal(text: str) -> str:
    return text.replace("'", "''")


_spark_lock = threading.Lock()
_spark_sessions: dict[str, Any] = {}


def spark_session(master: str) -> Any:
    """One SparkSession per master for the process (a JVM start costs seconds)."""
    with _spark_lock:
        session = _spark_sessions.get(master)
        if session is not None:
            return session
        from pyspark.sql import SparkSession

        jars = ",".join(str(jar) for jar in JDBC_JARS if jar.exists())
        builder = (
            SparkSession.builder.master(master)
            .appName("zhuyun-blocks")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.memory", "2g")
        )
        if jars:
            builder = builder.config("spark.jars", jars)
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        _spark_sessions[master] = session
        return session


class SparkEngine:
    """Spark SQL over the same Parquet folders; temporary views named per step."""

    name = "spark"

    def __init__(self, master: str = "local[2]") -> None:
        self.master = master

    def quote(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def materialize(self, sql: str, inputs: Mapping[str, Path], out: Path) -> int:
        spark = spark_session(self.master)
        with _spark_lock:  # temporary views are per session: one step at a time
            for view, folder in inputs.items():
                spark.read.parquet(str(folder)).createOrReplaceTempView(view)
            try:
                shutil.rmtree(out, ignore_errors=True)
                spark.sql(sql).write.mode("overwrite").parquet(str(out))
                return int(spark.read.parquet(str(out)).count())
            finally:
                for view in inputs:
                    spark.catalog.dropTempView(view)

    def read_jdbc(self, url: str, table: str, properties: Mapping[str, str]) -> Any:
        """A source table read directly over JDBC (PostgreSQL, MariaDB, SQLite drivers from
        Debian): for a unit's own sources, where no other unit's policy applies."""
        spark = spark_session(self.master)
        return spark.read.jdbc(url=url, table=table, properties=dict(properties))


def engine_named(name: str, spark_master: str) -> FusionEngine:
    if name == "spark":
        return SparkEngine(spark_master)
    return DuckDBEngine()
