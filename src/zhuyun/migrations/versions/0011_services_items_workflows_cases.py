"""services: service items, workflows, cases, materials, ratings (一网通办)

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import zhuyun.core.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "services_workflows",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "definition",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_services_workflows")),
    )
    op.create_table(
        "services_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("item_type", sa.String(length=20), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("joint", sa.Boolean(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("conditions", sa.Text(), nullable=False),
        sa.Column(
            "life_events",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("life_event_tags", sa.String(length=300), nullable=False),
        sa.Column(
            "applicant_kinds",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("statutory_days", sa.Integer(), nullable=False),
        sa.Column("promised_days", sa.Integer(), nullable=False),
        sa.Column("fee_fen", sa.Integer(), nullable=False),
        sa.Column("fee_basis", sa.String(length=300), nullable=True),
        sa.Column("online_depth", sa.String(length=20), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("immediate", sa.Boolean(), nullable=False),
        sa.Column("workflow_code", sa.String(length=40), nullable=False),
        sa.Column("power_code", sa.String(length=60), nullable=True),
        sa.Column("certificate_kind", sa.String(length=20), nullable=True),
        sa.Column(
            "form_fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("withdrawn_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_services_items_unit_id_org_units")
        ),
        sa.ForeignKeyConstraint(
            ["workflow_code"],
            ["services_workflows.code"],
            name=op.f("fk_services_items_workflow_code_services_workflows"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services_items")),
        sa.UniqueConstraint("code", name=op.f("uq_services_items_code")),
        sa.UniqueConstraint("created_by", "idempotency_key", name="uq_services_items_idempotency"),
    )
    with op.batch_alter_table("services_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_services_items_immediate"), ["immediate"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_services_items_item_type"), ["item_type"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_services_items_name"), ["name"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_services_items_power_code"), ["power_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_services_items_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "services_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("applicant_id", sa.Integer(), nullable=False),
        sa.Column("applicant_name", sa.String(length=200), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column(
            "form",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("result_text", sa.String(length=1000), nullable=True),
        sa.Column("certificate_ref", sa.String(length=100), nullable=True),
        sa.Column("consent_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("submitted_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("complete_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("paused_on", sa.Date(), nullable=True),
        sa.Column("paused_days", sa.Integer(), nullable=False),
        sa.Column("closed_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("closed_late", sa.Boolean(), nullable=True),
        sa.Column("fee_fen", sa.Integer(), nullable=False),
        sa.Column("paid_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("payment_ref", sa.String(length=40), nullable=True),
        sa.Column("materials_total", sa.Integer(), nullable=False),
        sa.Column("materials_spared", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["applicant_id"], ["accounts.id"], name=op.f("fk_services_cases_applicant_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["services_items.id"],
            name=op.f("fk_services_cases_item_id_services_items"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_services_cases_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services_cases")),
        sa.UniqueConstraint(
            "applicant_id", "idempotency_key", name="uq_services_cases_idempotency"
        ),
        sa.UniqueConstraint("number", name=op.f("uq_services_cases_number")),
    )
    with op.batch_alter_table("services_cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_services_cases_applicant_id"), ["applicant_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_services_cases_due_on"), ["due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_services_cases_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_services_cases_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_services_cases_submitted_at"), ["submitted_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_services_cases_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "services_item_materials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=True),
        sa.Column("key_field", sa.String(length=100), nullable=True),
        sa.Column("key_source", sa.String(length=100), nullable=True),
        sa.Column(
            "info_items",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "fixed_filters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["services_items.id"],
            name=op.f("fk_services_item_materials_item_id_services_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services_item_materials")),
    )
    with op.batch_alter_table("services_item_materials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_services_item_materials_item_id"), ["item_id"], unique=False
        )

    op.create_table(
        "services_case_materials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("material_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("query_seq", sa.Integer(), nullable=True),
        sa.Column("message", sa.String(length=300), nullable=True),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("content_type", sa.String(length=60), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("updated_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["services_cases.id"],
            name=op.f("fk_services_case_materials_case_id_services_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["material_id"],
            ["services_item_materials.id"],
            name=op.f("fk_services_case_materials_material_id_services_item_materials"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services_case_materials")),
        sa.UniqueConstraint("case_id", "material_id", name="uq_services_case_materials_material"),
    )
    with op.batch_alter_table("services_case_materials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_services_case_materials_case_id"), ["case_id"], unique=False
        )

    op.create_table(
        "services_case_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("branch", sa.String(length=40), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("opened_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("done_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=30), nullable=True),
        sa.Column("opinion", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["services_cases.id"],
            name=op.f("fk_services_case_tasks_case_id_services_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_services_case_tasks_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services_case_tasks")),
    )
    with op.batch_alter_table("services_case_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_services_case_tasks_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_services_case_tasks_due_on"), ["due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_services_case_tasks_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_services_case_tasks_unit_id"), ["unit_id"], unique=False
        )

    op.create_table(
        "services_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("created_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("read_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_services_notifications_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["services_cases.id"],
            name=op.f("fk_services_notifications_case_id_services_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_services_notifications_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services_notifications")),
    )
    with op.batch_alter_table("services_notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_services_notifications_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_services_notifications_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_services_notifications_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_services_notifications_unit_id"), ["unit_id"], unique=False
        )

    op.create_table(
        "services_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.Column("created_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["services_cases.id"],
            name=op.f("fk_services_ratings_case_id_services_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_services_ratings_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services_ratings")),
        sa.UniqueConstraint("case_id", name=op.f("uq_services_ratings_case_id")),
    )
    with op.batch_alter_table("services_ratings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_services_ratings_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "services_rectifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rating_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("measures", sa.String(length=1000), nullable=True),
        sa.Column("callback", sa.String(length=1000), nullable=True),
        sa.Column("created_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("done_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["services_cases.id"],
            name=op.f("fk_services_rectifications_case_id_services_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["rating_id"],
            ["services_ratings.id"],
            name=op.f("fk_services_rectifications_rating_id_services_ratings"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_services_rectifications_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services_rectifications")),
        sa.UniqueConstraint("rating_id", name=op.f("uq_services_rectifications_rating_id")),
    )
    with op.batch_alter_table("services_rectifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_services_rectifications_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_services_rectifications_status"), ["status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_services_rectifications_unit_id"), ["unit_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("services_rectifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_services_rectifications_unit_id"))
        batch_op.drop_index(batch_op.f("ix_services_rectifications_status"))
        batch_op.drop_index(batch_op.f("ix_services_rectifications_case_id"))

    op.drop_table("services_rectifications")
    with op.batch_alter_table("services_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_services_ratings_unit_id"))

    op.drop_table("services_ratings")
    with op.batch_alter_table("services_notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_services_notifications_unit_id"))
        batch_op.drop_index(batch_op.f("ix_services_notifications_created_at"))
        batch_op.drop_index(batch_op.f("ix_services_notifications_case_id"))
        batch_op.drop_index(batch_op.f("ix_services_notifications_account_id"))

    op.drop_table("services_notifications")
    with op.batch_alter_table("services_case_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_services_case_tasks_unit_id"))
        batch_op.drop_index(batch_op.f("ix_services_case_tasks_status"))
        batch_op.drop_index(batch_op.f("ix_services_case_tasks_due_on"))
        batch_op.drop_index(batch_op.f("ix_services_case_tasks_case_id"))

    op.drop_table("services_case_tasks")
    with op.batch_alter_table("services_case_materials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_services_case_materials_case_id"))

    op.drop_table("services_case_materials")
    with op.batch_alter_table("services_item_materials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_services_item_materials_item_id"))

    op.drop_table("services_item_materials")
    with op.batch_alter_table("services_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_services_cases_unit_id"))
        batch_op.drop_index(batch_op.f("ix_services_cases_submitted_at"))
        batch_op.drop_index(batch_op.f("ix_services_cases_status"))
        batch_op.drop_index(batch_op.f("ix_services_cases_item_id"))
        batch_op.drop_index(batch_op.f("ix_services_cases_due_on"))
        batch_op.drop_index(batch_op.f("ix_services_cases_applicant_id"))

    op.drop_table("services_cases")
    with op.batch_alter_table("services_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_services_items_unit_id"))
        batch_op.drop_index(batch_op.f("ix_services_items_power_code"))
        batch_op.drop_index(batch_op.f("ix_services_items_name"))
        batch_op.drop_index(batch_op.f("ix_services_items_item_type"))
        batch_op.drop_index(batch_op.f("ix_services_items_immediate"))

    op.drop_table("services_items")
    op.drop_table("services_workflows")
