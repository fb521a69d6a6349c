"""opendata: quality reports and daily usage counts

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import zhuyun.core.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "opendata_quality_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("provider_unit_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("rows_checked", sa.Integer(), nullable=False),
        sa.Column("sample_limit", sa.Integer(), nullable=False),
        sa.Column("dimensions", _json(), nullable=False),
        sa.Column("fields", _json(), nullable=False),
        sa.Column("findings", _json(), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("checked_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_unit_id"],
            ["org_units.id"],
            name=op.f("fk_opendata_quality_reports_provider_unit_id_org_units"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_quality_reports")),
        sa.UniqueConstraint("resource_id", name=op.f("uq_opendata_quality_reports_resource_id")),
    )
    with op.batch_alter_table("opendata_quality_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opendata_quality_reports_provider_unit_id"),
            ["provider_unit_id"],
            unique=False,
        )

    op.create_table(
        "opendata_usage_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("views", sa.BigInteger(), nullable=False),
        sa.Column("downloads", sa.BigInteger(), nullable=False),
        sa.Column("api_calls", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_usage_days")),
        sa.UniqueConstraint("resource_id", "day", name="uq_opendata_usage_days_resource_day"),
    )
    with op.batch_alter_table("opendata_usage_days", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_opendata_usage_days_day"), ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("opendata_usage_days", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opendata_usage_days_day"))

    op.drop_table("opendata_usage_days")
    with op.batch_alter_table("opendata_quality_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opendata_quality_reports_provider_unit_id"))

    op.drop_table("opendata_quality_reports")
