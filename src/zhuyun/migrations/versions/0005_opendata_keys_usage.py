"""opendata: developer keys

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import zhuyun.core.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "opendata_developer_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("rate_per_minute", sa.Integer(), nullable=False),
        sa.Column("created_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("last_used_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_opendata_developer_keys_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_developer_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_opendata_developer_keys_key_hash")),
        sa.UniqueConstraint("prefix", name=op.f("uq_opendata_developer_keys_prefix")),
    )
    with op.batch_alter_table("opendata_developer_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opendata_developer_keys_account_id"), ["account_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("opendata_developer_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opendata_developer_keys_account_id"))

    op.drop_table("opendata_developer_keys")
