"""governance: work orders, their timeline, assist tasks, escalations, the duty matrix,
category corrections and Open311 api_keys

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import zhuyun.core.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "governance_duty_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("division_code", sa.String(length=12), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("assist_unit_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assist_unit_id"],
            ["org_units.id"],
            name=op.f("fk_governance_duty_rules_assist_unit_id_org_units"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_governance_duty_rules_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governance_duty_rules")),
        sa.UniqueConstraint("category", "division_code", name="uq_governance_duty_rules_cell"),
    )
    with op.batch_alter_table("governance_duty_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_governance_duty_rules_unit_id"), ["unit_id"], unique=False
        )

    op.create_table(
        "governance_open311_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_governance_open311_keys_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governance_open311_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_governance_open311_keys_key_hash")),
    )
    with op.batch_alter_table("governance_open311_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_governance_open311_keys_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "governance_workorders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("caller_name", sa.String(length=100), nullable=True),
        sa.Column("caller_phone", sa.String(length=30), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("category_source", sa.String(length=12), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("urgency", sa.String(length=10), nullable=False),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("grid_code", sa.String(length=15), nullable=True),
        sa.Column("street_code", sa.String(length=9), nullable=True),
        sa.Column("district_code", sa.String(length=6), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("merged_count", sa.Integer(), nullable=False),
        sa.Column("service_code", sa.String(length=30), nullable=True),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "photos",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("idempotency_scope", sa.String(length=40), nullable=True),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("created_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("registered_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("due_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("closed_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("return_count", sa.Integer(), nullable=False),
        sa.Column("rework_count", sa.Integer(), nullable=False),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("closed_late", sa.Boolean(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_comment", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["governance_workorders.id"],
            name=op.f("fk_governance_workorders_duplicate_of_id_governance_workorders"),
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["accounts.id"],
            name=op.f("fk_governance_workorders_reporter_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_governance_workorders_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governance_workorders")),
        sa.UniqueConstraint(
            "idempotency_scope", "idempotency_key", name="uq_governance_workorders_idempotency"
        ),
        sa.UniqueConstraint("number", name=op.f("uq_governance_workorders_number")),
        sa.UniqueConstraint("token", name=op.f("uq_governance_workorders_token")),
    )
    with op.batch_alter_table("governance_workorders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_governance_workorders_category"), ["category"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_governance_workorders_channel"), ["channel"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_governance_workorders_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            "ix_governance_workorders_dedupe", ["category", "grid_code", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_governance_workorders_district_code"), ["district_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_governance_workorders_due_at"), ["due_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_governance_workorders_duplicate_of_id"),
            ["duplicate_of_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_governance_workorders_grid_code"), ["grid_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_governance_workorders_reporter_id"), ["reporter_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_governance_workorders_status"), ["status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_governance_workorders_unit_id"), ["unit_id"], unique=False
        )

    op.create_table(
        "governance_assist_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("done_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["governance_workorders.id"],
            name=op.f("fk_governance_assist_tasks_order_id_governance_workorders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_governance_assist_tasks_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governance_assist_tasks")),
    )
    with op.batch_alter_table("governance_assist_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_governance_assist_tasks_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_governance_assist_tasks_unit_id"), ["unit_id"], unique=False
        )

    op.create_table(
        "governance_category_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("old_category", sa.String(length=30), nullable=False),
        sa.Column("new_category", sa.String(length=30), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["governance_workorders.id"],
            name=op.f("fk_governance_category_corrections_order_id_governance_workorders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governance_category_corrections")),
    )
    with op.batch_alter_table("governance_category_corrections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_governance_category_corrections_order_id"), ["order_id"], unique=False
        )

    op.create_table(
        "governance_escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("overdue_hours", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["governance_workorders.id"],
            name=op.f("fk_governance_escalations_order_id_governance_workorders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_governance_escalations_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governance_escalations")),
    )
    with op.batch_alter_table("governance_escalations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_governance_escalations_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_governance_escalations_unit_id"), ["unit_id"], unique=False
        )

    op.create_table(
        "governance_workorder_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("activity", sa.String(length=40), nullable=False),
        sa.Column("status_from", sa.String(length=12), nullable=True),
        sa.Column("status_to", sa.String(length=12), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["governance_workorders.id"],
            name=op.f("fk_governance_workorder_events_order_id_governance_workorders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governance_workorder_events")),
    )
    with op.batch_alter_table("governance_workorder_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_governance_workorder_events_order_id"), ["order_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("governance_workorder_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_governance_workorder_events_order_id"))

    op.drop_table("governance_workorder_events")
    with op.batch_alter_table("governance_escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_governance_escalations_unit_id"))
        batch_op.drop_index(batch_op.f("ix_governance_escalations_order_id"))

    op.drop_table("governance_escalations")
    with op.batch_alter_table("governance_category_corrections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_governance_category_corrections_order_id"))

    op.drop_table("governance_category_corrections")
    with op.batch_alter_table("governance_assist_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_governance_assist_tasks_unit_id"))
        batch_op.drop_index(batch_op.f("ix_governance_assist_tasks_order_id"))

    op.drop_table("governance_assist_tasks")
    with op.batch_alter_table("governance_workorders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_governance_workorders_unit_id"))
        batch_op.drop_index(batch_op.f("ix_governance_workorders_status"))
        batch_op.drop_index(batch_op.f("ix_governance_workorders_reporter_id"))
        batch_op.drop_index(batch_op.f("ix_governance_workorders_grid_code"))
        batch_op.drop_index(batch_op.f("ix_governance_workorders_duplicate_of_id"))
        batch_op.drop_index(batch_op.f("ix_governance_workorders_due_at"))
        batch_op.drop_index(batch_op.f("ix_governance_workorders_district_code"))
        batch_op.drop_index("ix_governance_workorders_dedupe")
        batch_op.drop_index(batch_op.f("ix_governance_workorders_created_at"))
        batch_op.drop_index(batch_op.f("ix_governance_workorders_channel"))
        batch_op.drop_index(batch_op.f("ix_governance_workorders_category"))

    op.drop_table("governance_workorders")
    with op.batch_alter_table("governance_open311_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_governance_open311_keys_account_id"))

    op.drop_table("governance_open311_keys")
    with op.batch_alter_table("governance_duty_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_governance_duty_rules_unit_id"))

    op.drop_table("governance_duty_rules")
