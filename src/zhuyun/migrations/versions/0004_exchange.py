"""exchange: sources, bindings, applications, grants, objections, access subjects

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import zhuyun.core.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_access_subjects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "ledger_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_access_subjects")),
    )
    with op.batch_alter_table("exchange_access_subjects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_access_subjects_subject_hash"), ["subject_hash"], unique=False
        )

    op.create_table(
        "exchange_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("location", sa.String(length=500), nullable=False),
        sa.Column(
            "options",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("secret_sealed", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_message", sa.String(length=500), nullable=True),
        sa.Column("checked_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_exchange_sources_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_sources")),
        sa.UniqueConstraint("unit_id", "name", name="uq_exchange_sources_unit_name"),
    )
    with op.batch_alter_table("exchange_sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exchange_sources_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "exchange_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("provider_unit_id", sa.Integer(), nullable=False),
        sa.Column("consumer_unit_id", sa.Integer(), nullable=False),
        sa.Column("applicant_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column(
            "items",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("basis", sa.String(length=1000), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("expected_daily_rows", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("submitted_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("escalated_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("decided_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decision_reason", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["accounts.id"],
            name=op.f("fk_exchange_applications_applicant_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["consumer_unit_id"],
            ["org_units.id"],
            name=op.f("fk_exchange_applications_consumer_unit_id_org_units"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["accounts.id"],
            name=op.f("fk_exchange_applications_decided_by_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_unit_id"],
            ["org_units.id"],
            name=op.f("fk_exchange_applications_provider_unit_id_org_units"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_applications")),
        sa.UniqueConstraint("applicant_id", "idempotency_key", name="uq_exchange_applications_key"),
    )
    with op.batch_alter_table("exchange_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_applications_consumer_unit_id"),
            ["consumer_unit_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_exchange_applications_due_on"), ["due_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exchange_applications_provider_unit_id"),
            ["provider_unit_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_exchange_applications_resource_id"), ["resource_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exchange_applications_status"), ["status"], unique=False
        )

    op.create_table(
        "exchange_bindings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=200), nullable=False),
        sa.Column("key_field", sa.String(length=100), nullable=True),
        sa.Column("subject_field", sa.String(length=100), nullable=True),
        sa.Column("division_field", sa.String(length=100), nullable=True),
        sa.Column("created_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["exchange_sources.id"],
            name=op.f("fk_exchange_bindings_source_id_exchange_sources"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_bindings")),
        sa.UniqueConstraint("resource_id", name=op.f("uq_exchange_bindings_resource_id")),
    )
    with op.batch_alter_table("exchange_bindings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_bindings_source_id"), ["source_id"], unique=False
        )

    op.create_table(
        "exchange_objections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("provider_unit_id", sa.Integer(), nullable=False),
        sa.Column("consumer_unit_id", sa.Integer(), nullable=False),
        sa.Column("raised_by", sa.Integer(), nullable=False),
        sa.Column("record_key", sa.String(length=200), nullable=False),
        sa.Column("field", sa.String(length=100), nullable=True),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("raised_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("resolved_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["consumer_unit_id"],
            ["org_units.id"],
            name=op.f("fk_exchange_objections_consumer_unit_id_org_units"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_unit_id"],
            ["org_units.id"],
            name=op.f("fk_exchange_objections_provider_unit_id_org_units"),
        ),
        sa.ForeignKeyConstraint(
            ["raised_by"], ["accounts.id"], name=op.f("fk_exchange_objections_raised_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"],
            ["accounts.id"],
            name=op.f("fk_exchange_objections_resolved_by_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_objections")),
    )
    with op.batch_alter_table("exchange_objections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_objections_consumer_unit_id"),
            ["consumer_unit_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_exchange_objections_provider_unit_id"),
            ["provider_unit_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_exchange_objections_resource_id"), ["resource_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_exchange_objections_status"), ["status"], unique=False)

    op.create_table(
        "exchange_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("consumer_unit_id", sa.Integer(), nullable=False),
        sa.Column(
            "items",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "clear_items",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("max_rows_per_query", sa.Integer(), nullable=False),
        sa.Column("max_rows_per_day", sa.BigInteger(), nullable=False),
        sa.Column("city_wide", sa.Boolean(), nullable=False),
        sa.Column("granted_by", sa.Integer(), nullable=True),
        sa.Column("granted_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("revoked_by", sa.Integer(), nullable=True),
        sa.Column("revoke_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["exchange_applications.id"],
            name=op.f("fk_exchange_grants_application_id_exchange_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["consumer_unit_id"],
            ["org_units.id"],
            name=op.f("fk_exchange_grants_consumer_unit_id_org_units"),
        ),
        sa.ForeignKeyConstraint(
            ["granted_by"], ["accounts.id"], name=op.f("fk_exchange_grants_granted_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by"], ["accounts.id"], name=op.f("fk_exchange_grants_revoked_by_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_grants")),
    )
    with op.batch_alter_table("exchange_grants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_grants_consumer_unit_id"), ["consumer_unit_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exchange_grants_resource_id"), ["resource_id"], unique=False
        )

    op.create_table(
        "exchange_grant_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["exchange_grants.id"],
            name=op.f("fk_exchange_grant_usage_grant_id_exchange_grants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_grant_usage")),
        sa.UniqueConstraint("grant_id", "day", name="uq_exchange_grant_usage_day"),
    )
    with op.batch_alter_table("exchange_grant_usage", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_grant_usage_grant_id"), ["grant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("exchange_grant_usage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_grant_usage_grant_id"))

    op.drop_table("exchange_grant_usage")
    with op.batch_alter_table("exchange_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_grants_resource_id"))
        batch_op.drop_index(batch_op.f("ix_exchange_grants_consumer_unit_id"))

    op.drop_table("exchange_grants")
    with op.batch_alter_table("exchange_objections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_objections_status"))
        batch_op.drop_index(batch_op.f("ix_exchange_objections_resource_id"))
        batch_op.drop_index(batch_op.f("ix_exchange_objections_provider_unit_id"))
        batch_op.drop_index(batch_op.f("ix_exchange_objections_consumer_unit_id"))

    op.drop_table("exchange_objections")
    with op.batch_alter_table("exchange_bindings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_bindings_source_id"))

    op.drop_table("exchange_bindings")
    with op.batch_alter_table("exchange_applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_applications_status"))
        batch_op.drop_index(batch_op.f("ix_exchange_applications_resource_id"))
        batch_op.drop_index(batch_op.f("ix_exchange_applications_provider_unit_id"))
        batch_op.drop_index(batch_op.f("ix_exchange_applications_due_on"))
        batch_op.drop_index(batch_op.f("ix_exchange_applications_consumer_unit_id"))

    op.drop_table("exchange_applications")
    with op.batch_alter_table("exchange_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_sources_unit_id"))

    op.drop_table("exchange_sources")
    with op.batch_alter_table("exchange_access_subjects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_access_subjects_subject_hash"))

    op.drop_table("exchange_access_subjects")
