"""exchange: subscriptions and the district-to-city hierarchy

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import zhuyun.core.db

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_change_tracking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("declared_by", sa.Integer(), nullable=True),
        sa.Column("declared_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["declared_by"],
            ["accounts.id"],
            name=op.f("fk_exchange_change_tracking_declared_by_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_change_tracking")),
        sa.UniqueConstraint("resource_id", name=op.f("uq_exchange_change_tracking_resource_id")),
    )
    op.create_table(
        "exchange_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("consumer_unit_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column(
            "items",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("webhook_url", sa.String(length=500), nullable=True),
        sa.Column("secret_sealed", sa.Text(), nullable=True),
        sa.Column("batch_rows", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column("watermark", sa.Text(), nullable=True),
        sa.Column("next_seq", sa.Integer(), nullable=False),
        sa.Column("checked_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("last_delivered_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_unit_id"],
            ["org_units.id"],
            name=op.f("fk_exchange_subscriptions_consumer_unit_id_org_units"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["accounts.id"],
            name=op.f("fk_exchange_subscriptions_created_by_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_subscriptions")),
        sa.UniqueConstraint("created_by", "idempotency_key", name="uq_exchange_subscriptions_key"),
    )
    with op.batch_alter_table("exchange_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_subscriptions_consumer_unit_id"),
            ["consumer_unit_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_exchange_subscriptions_resource_id"), ["resource_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exchange_subscriptions_status"), ["status"], unique=False
        )
    op.create_table(
        "exchange_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.String(length=36), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("payload_sealed", sa.Text(), nullable=True),
        sa.Column("watermark_before", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("query_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("delivered_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["exchange_subscriptions.id"],
            name=op.f("fk_exchange_deliveries_subscription_id_exchange_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_deliveries")),
        sa.UniqueConstraint("delivery_id", name=op.f("uq_exchange_deliveries_delivery_id")),
        sa.UniqueConstraint("subscription_id", "seq", name="uq_exchange_deliveries_seq"),
    )
    with op.batch_alter_table("exchange_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exchange_deliveries_status"), ["status"], unique=False)

    op.create_table(
        "exchange_upward_exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.Column("published_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["published_by"],
            ["accounts.id"],
            name=op.f("fk_exchange_upward_exports_published_by_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_upward_exports")),
        sa.UniqueConstraint("resource_id", name=op.f("uq_exchange_upward_exports_resource_id")),
    )
    op.create_table(
        "exchange_peer_resources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("remote_resource_id", sa.Integer(), nullable=False),
        sa.Column("remote_code", sa.String(length=100), nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.Column("imported_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_id"],
            ["exchange_nodes.id"],
            name=op.f("fk_exchange_peer_resources_node_id_exchange_nodes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_peer_resources")),
        sa.UniqueConstraint("resource_id", name=op.f("uq_exchange_peer_resources_resource_id")),
        sa.UniqueConstraint(
            "node_id", "remote_resource_id", name="uq_exchange_peer_resources_remote"
        ),
    )
    with op.batch_alter_table("exchange_peer_resources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_peer_resources_node_id"), ["node_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("exchange_peer_resources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_peer_resources_node_id"))
    op.drop_table("exchange_peer_resources")
    op.drop_table("exchange_upward_exports")
    with op.batch_alter_table("exchange_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_deliveries_status"))
    op.drop_table("exchange_deliveries")
    with op.batch_alter_table("exchange_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_subscriptions_status"))
        batch_op.drop_index(batch_op.f("ix_exchange_subscriptions_resource_id"))
        batch_op.drop_index(batch_op.f("ix_exchange_subscriptions_consumer_unit_id"))
    op.drop_table("exchange_subscriptions")
    op.drop_table("exchange_change_tracking")
