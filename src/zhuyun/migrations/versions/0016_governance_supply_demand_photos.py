"""governance: supply-demand board (社群通) posts and matches, and work-order photos

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import zhuyun.core.db

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "governance_board_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=6), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("poster_type", sa.String(length=12), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("contact_name", sa.String(length=100), nullable=True),
        sa.Column("contact_phone", sa.String(length=30), nullable=True),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("grid_code", sa.String(length=15), nullable=True),
        sa.Column("district_code", sa.String(length=6), nullable=True),
        sa.Column("radius_m", sa.Integer(), nullable=False),
        sa.Column("starts_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("ends_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("matched_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("idempotency_scope", sa.String(length=40), nullable=True),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("created_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_governance_board_posts_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_governance_board_posts_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governance_board_posts")),
        sa.UniqueConstraint(
            "idempotency_scope", "idempotency_key", name="uq_governance_board_posts_idempotency"
        ),
    )
    with op.batch_alter_table("governance_board_posts", schema=None) as batch_op:
        for column in ("account_id", "created_at", "district_code", "unit_id"):
            batch_op.create_index(
                batch_op.f(f"ix_governance_board_posts_{column}"), [column], unique=False
            )
        batch_op.create_index(
            "ix_governance_board_posts_open", ["kind", "category", "status"], unique=False
        )

    op.create_table(
        "governance_board_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("proposed_by", sa.Integer(), nullable=True),
        sa.Column("need_confirmed_by", sa.Integer(), nullable=True),
        sa.Column("offer_confirmed_by", sa.Integer(), nullable=True),
        sa.Column("need_confirmed_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("offer_confirmed_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("closed_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["need_id"],
            ["governance_board_posts.id"],
            name=op.f("fk_governance_board_matches_need_id_governance_board_posts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["governance_board_posts.id"],
            name=op.f("fk_governance_board_matches_offer_id_governance_board_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governance_board_matches")),
        sa.UniqueConstraint("need_id", "offer_id", name="uq_governance_board_matches_pair"),
    )
    with op.batch_alter_table("governance_board_matches", schema=None) as batch_op:
        for column in ("need_id", "offer_id"):
            batch_op.create_index(
                batch_op.f(f"ix_governance_board_matches_{column}"), [column], unique=False
            )

    op.create_table(
        "governance_workorder_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=20), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.Column("created_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["governance_workorder_events.id"],
            name=op.f("fk_governance_workorder_photos_event_id_governance_workorder_events"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["governance_workorders.id"],
            name=op.f("fk_governance_workorder_photos_order_id_governance_workorders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governance_workorder_photos")),
    )
    with op.batch_alter_table("governance_workorder_photos", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_governance_workorder_photos_order_id"), ["order_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("governance_workorder_photos")
    op.drop_table("governance_board_matches")
    op.drop_table("governance_board_posts")
