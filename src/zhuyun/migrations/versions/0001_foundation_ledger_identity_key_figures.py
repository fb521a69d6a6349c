"""foundation: ledger, identity, key figures

Revision ID: 0001
Revises:
Create Date: 2026-11-25 00:26:30.960442
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import zhuyun.core.db

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "key_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("division_code", sa.String(length=12), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("as_of", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_figures")),
        sa.UniqueConstraint("name", "division_code", name="uq_key_figures"),
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("taken_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_checkpoints")),
    )
    op.create_table(
        "ledger_entries",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("occurred_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("case_id", sa.String(length=128), nullable=False),
        sa.Column("activity", sa.String(length=100), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=50), nullable=True),
        sa.Column("subject_type", sa.String(length=50), nullable=False),
        sa.Column("subject_id", sa.String(length=128), nullable=False),
        sa.Column(
            "attrs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("algorithm", sa.String(length=10), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("hash", name=op.f("uq_ledger_entries_hash")),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_entries_activity"), ["activity"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledger_entries_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledger_entries_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ledger_entries_occurred_at"), ["occurred_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ledger_entries_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "org_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("division_code", sa.String(length=12), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["org_units.id"], name=op.f("fk_org_units_parent_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_units")),
        sa.UniqueConstraint("code", name=op.f("uq_org_units_code")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_org_units_credit_code")),
    )
    with op.batch_alter_table("org_units", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_org_units_division_code"), ["division_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_org_units_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_org_units_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_org_units_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=True),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("last_login_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_accounts_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_accounts_credit_code")),
        sa.UniqueConstraint("id_number", name=op.f("uq_accounts_id_number")),
        sa.UniqueConstraint("username", name=op.f("uq_accounts_username")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_accounts_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("last_used_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_api_tokens_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_tokens_prefix")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_account_id"), ["account_id"], unique=False)

    op.create_table(
        "role_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("granted_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_role_grants_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_role_grants_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_grants")),
        sa.UniqueConstraint("account_id", "role", "unit_id", name="uq_role_grants"),
    )
    with op.batch_alter_table("role_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_role_grants_account_id"), ["account_id"], unique=False)

    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_web_sessions_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_web_sessions_account_id"), ["account_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_account_id"))

    op.drop_table("web_sessions")
    with op.batch_alter_table("role_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_role_grants_account_id"))

    op.drop_table("role_grants")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_account_id"))

    op.drop_table("api_tokens")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_unit_id"))
        batch_op.drop_index(batch_op.f("ix_accounts_kind"))

    op.drop_table("accounts")
    with op.batch_alter_table("org_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_units_parent_id"))
        batch_op.drop_index(batch_op.f("ix_org_units_name"))
        batch_op.drop_index(batch_op.f("ix_org_units_kind"))
        batch_op.drop_index(batch_op.f("ix_org_units_division_code"))

    op.drop_table("org_units")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_entries_unit_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_entries_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_ledger_entries_case_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_entries_actor_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_entries_activity"))

    op.drop_table("ledger_entries")
    op.drop_table("ledger_checkpoints")
    op.drop_table("key_figures")
