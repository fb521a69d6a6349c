"""exchange: department nodes (前置机)

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import zhuyun.core.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_nodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("public_key", sa.String(length=100), nullable=False),
        sa.Column("key_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("registration_digest", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=True),
        sa.Column("health_ok", sa.Boolean(), nullable=True),
        sa.Column("health_message", sa.String(length=500), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("checked_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("approved_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_nodes")),
        sa.UniqueConstraint("name", name=op.f("uq_exchange_nodes_name")),
        sa.UniqueConstraint(
            "registration_digest", name=op.f("uq_exchange_nodes_registration_digest")
        ),
    )
    with op.batch_alter_table("exchange_nodes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exchange_nodes_key_id"), ["key_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("exchange_nodes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_nodes_key_id"))
    op.drop_table("exchange_nodes")
