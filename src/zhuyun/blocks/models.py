"""The blocks module's own tables: fusion jobs (declared as data), their runs, and which run's
output is the current, complete profile table of each job output.

The profile tables themselves are Parquet folders under the data dir, written by a run to a
folder of its own; a `ProfileTable` row points at the one that finished, so a half-written
output is never what readers see (the pointer moves in the run's completing transaction).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhuyun.core.db import Base, JSONType, UTCDateTime, utcnow


class FusionJob(Base):
    """A fusion job as its owner unit declared it (YAML or JSON); immutable once stored:
    a changed job is a new job, so every profile table says exactly how it was made."""

    __tablename__ = "blocks_fusion_jobs"
    __table_args__ = (
        UniqueConstraint("created_by", "idempotency_key", name="uq_blocks_fusion_jobs_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str] = mapped_column(String(20), index=True)  # person, enterprise, grid
    purpose: Mapped[str] = mapped_column(String(200))
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)  # the parsed, checked job
    definition_text: Mapped[str] = mapped_column(Text)  # as submitted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FusionRun(Base):
    """One run of a job on one engine: full or incremental, its progress per source, and —
    when it failed — whether it can resume from the sources it already staged."""

    __tablename__ = "blocks_fusion_runs"
    __table_args__ = (
        UniqueConstraint("started_by", "idempotency_key", name="uq_blocks_fusion_runs_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(
        ForeignKey("blocks_fusion_jobs.id", ondelete="CASCADE"), index=True
    )
    engine: Mapped[str] = mapped_column(String(10))  # duckdb, spark
    mode: Mapped[str] = mapped_column(String(12))  # full, incremental
    status: Mapped[str] = mapped_column(String(12), index=True)  # queued … completed, failed
    resumable: Mapped[bool] = mapped_column(Boolean, default=False)
    started_by: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    base_run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # incremental's base
    # per source alias: rows read, pages, done, watermark read up to, read time
    progress: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    output_rows: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(60), nullable=True)
    error_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_zh: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ProfileTable(Base):
    """The current complete profile table of a job output: the run that wrote it and where."""

    __tablename__ = "blocks_profile_tables"
    __table_args__ = (UniqueConstraint("job_id", "output", name="uq_blocks_profile_tables_output"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(
        ForeignKey("blocks_fusion_jobs.id", ondelete="CASCADE"), index=True
    )
    output: Mapped[str] = mapped_column(String(60))
    run_id: Mapped[int] = mapped_column(ForeignKey("blocks_fusion_runs.id"))
    path: Mapped[str] = mapped_column(String(500))
    rows: Mapped[int] = mapped_column(Integer)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
