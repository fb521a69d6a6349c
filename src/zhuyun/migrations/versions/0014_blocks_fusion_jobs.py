"""blocks: fusion jobs, runs and profiles (块数据)

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import zhuyun.core.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "blocks_fusion_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("owner_unit_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("definition", _JSON, nullable=False),
        sa.Column("definition_text", sa.Text(), nullable=False),
        sa.Column("created_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["accounts.id"], name=op.f("fk_blocks_fusion_jobs_created_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["owner_unit_id"],
            ["org_units.id"],
            name=op.f("fk_blocks_fusion_jobs_owner_unit_id_org_units"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocks_fusion_jobs")),
        sa.UniqueConstraint("created_by", "idempotency_key", name="uq_blocks_fusion_jobs_key"),
    )
    with op.batch_alter_table("blocks_fusion_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_blocks_fusion_jobs_entity"), ["entity"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_blocks_fusion_jobs_owner_unit_id"), ["owner_unit_id"], unique=False
        )

    op.create_table(
        "blocks_fusion_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("engine", sa.String(length=10), nullable=False),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("resumable", sa.Boolean(), nullable=False),
        sa.Column("started_by", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("base_run_id", sa.Integer(), nullable=True),
        sa.Column("progress", _JSON, nullable=False),
        sa.Column("output_rows", sa.Integer(), nullable=True),
        sa.Column("error_code", sa.String(length=60), nullable=True),
        sa.Column("error_en", sa.Text(), nullable=True),
        sa.Column("error_zh", sa.Text(), nullable=True),
        sa.Column("created_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("started_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("finished_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["blocks_fusion_jobs.id"],
            name=op.f("fk_blocks_fusion_runs_job_id_blocks_fusion_jobs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["started_by"], ["accounts.id"], name=op.f("fk_blocks_fusion_runs_started_by_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocks_fusion_runs")),
        sa.UniqueConstraint("started_by", "idempotency_key", name="uq_blocks_fusion_runs_key"),
    )
    with op.batch_alter_table("blocks_fusion_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_blocks_fusion_runs_job_id"), ["job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_blocks_fusion_runs_status"), ["status"], unique=False)

    op.create_table(
        "blocks_profile_tables",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("output", sa.String(length=60), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("completed_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["blocks_fusion_jobs.id"],
            name=op.f("fk_blocks_profile_tables_job_id_blocks_fusion_jobs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["blocks_fusion_runs.id"],
            name=op.f("fk_blocks_profile_tables_run_id_blocks_fusion_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocks_profile_tables")),
        sa.UniqueConstraint("job_id", "output", name="uq_blocks_profile_tables_output"),
    )
    with op.batch_alter_table("blocks_profile_tables", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_blocks_profile_tables_job_id"), ["job_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("blocks_profile_tables", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_blocks_profile_tables_job_id"))
    op.drop_table("blocks_profile_tables")
    with op.batch_alter_table("blocks_fusion_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_blocks_fusion_runs_status"))
        batch_op.drop_index(batch_op.f("ix_blocks_fusion_runs_job_id"))
    op.drop_table("blocks_fusion_runs")
    with op.batch_alter_table("blocks_fusion_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_blocks_fusion_jobs_owner_unit_id"))
        batch_op.drop_index(batch_op.f("ix_blocks_fusion_jobs_entity"))
    op.drop_table("blocks_fusion_jobs")
