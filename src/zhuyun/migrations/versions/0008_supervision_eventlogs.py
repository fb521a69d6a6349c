"""supervision: imported event logs, their cases and events

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import zhuyun.core.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def _big_id() -> sa.types.TypeEngine[Any]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "supervision_event_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source_format", sa.String(length=10), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("imported_by", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("imported_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("activities", sa.Integer(), nullable=False),
        sa.Column("first_event_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("last_event_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("attrs", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_event_logs")),
        sa.UniqueConstraint(
            "imported_by",
            "idempotency_key",
            name=op.f("uq_supervision_event_logs_imported_by"),
        ),
    )
    with op.batch_alter_table("supervision_event_logs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supervision_event_logs_sha256"), ["sha256"], unique=False
        )

    op.create_table(
        "supervision_cases",
        sa.Column("id", _big_id(), nullable=False),
        sa.Column("log_id", sa.Integer(), nullable=False),
        sa.Column("case_index", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=200), nullable=False),
        sa.Column("attrs", _json(), nullable=True),
        sa.ForeignKeyConstraint(
            ["log_id"],
            ["supervision_event_logs.id"],
            name=op.f("fk_supervision_cases_log_id_supervision_event_logs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_cases")),
        sa.UniqueConstraint("log_id", "case_index", name=op.f("uq_supervision_cases_log_id")),
    )
    op.create_table(
        "supervision_events",
        sa.Column("id", _big_id(), nullable=False),
        sa.Column("log_id", sa.Integer(), nullable=False),
        sa.Column("case_index", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("activity", sa.String(length=200), nullable=False),
        sa.Column("occurred_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("resource", sa.String(length=200), nullable=True),
        sa.Column("attrs", _json(), nullable=True),
        sa.ForeignKeyConstraint(
            ["log_id"],
            ["supervision_event_logs.id"],
            name=op.f("fk_supervision_events_log_id_supervision_event_logs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_events")),
    )
    with op.batch_alter_table("supervision_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_supervision_events_log_case", ["log_id", "case_index", "position"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("supervision_events", schema=None) as batch_op:
        batch_op.drop_index("ix_supervision_events_log_case")
    op.drop_table("supervision_events")
    op.drop_table("supervision_cases")
    with op.batch_alter_table("supervision_event_logs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supervision_event_logs_sha256"))
    op.drop_table("supervision_event_logs")
