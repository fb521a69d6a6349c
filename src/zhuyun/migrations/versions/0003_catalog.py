"""catalog: data resources, info items, versions

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import zhuyun.core.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _index(table: str, *columns: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "catalog_resources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("class_code", sa.String(length=1), nullable=False),
        sa.Column("item_code", sa.String(length=2), nullable=False),
        sa.Column("catalogue_code", sa.String(length=3), nullable=False),
        sa.Column("detail_code", sa.String(length=6), nullable=False),
        sa.Column("sequence_code", sa.String(length=9), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("provider_unit_id", sa.Integer(), nullable=False),
        sa.Column("provider_code", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("share_type", sa.String(length=20), nullable=False),
        sa.Column("share_conditions", sa.Text(), nullable=False),
        sa.Column("share_method", sa.String(length=20), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("open_type", sa.String(length=20), nullable=False),
        sa.Column("open_conditions", sa.Text(), nullable=False),
        sa.Column("update_cycle", sa.String(length=20), nullable=False),
        sa.Column("base_library", sa.String(length=20), nullable=True),
        sa.Column("themes", JSON, nullable=False),
        sa.Column("related_codes", JSON, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("has_unpublished_changes", sa.Boolean(), nullable=False),
        sa.Column("publish_date", sa.Date(), nullable=True),
        sa.Column("stale", sa.Boolean(), nullable=False),
        sa.Column("stale_reason", sa.Text(), nullable=False),
        sa.Column("stale_since", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("retired_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["provider_unit_id"],
            ["org_units.id"],
            name=op.f("fk_catalog_resources_provider_unit_id_org_units"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_resources")),
        sa.UniqueConstraint("code", name=op.f("uq_catalog_resources_code")),
    )
    _index("catalog_resources", "class_code", "name", "provider_unit_id", "stale", "status")

    op.create_table(
        "catalog_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("data_type", sa.String(length=10), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("share_type", sa.String(length=20), nullable=False),
        sa.Column("sensitivity", sa.String(length=10), nullable=False),
        sa.Column("mask_kind", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_catalog_items_resource_id_catalog_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_items")),
        sa.UniqueConstraint("resource_id", "field", name="uq_catalog_items_field"),
    )
    _index("catalog_items", "resource_id")

    op.create_table(
        "catalog_terms",
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_catalog_terms_resource_id_catalog_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("term", "resource_id", name=op.f("pk_catalog_terms")),
    )
    _index("catalog_terms", "resource_id")

    op.create_table(
        "catalog_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("provider_unit_id", sa.Integer(), nullable=False),
        sa.Column("provider_name", sa.String(length=200), nullable=False),
        sa.Column("class_code", sa.String(length=1), nullable=False),
        sa.Column("share_type", sa.String(length=20), nullable=False),
        sa.Column("open_type", sa.String(length=20), nullable=False),
        sa.Column("base_library", sa.String(length=20), nullable=True),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("published_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        sa.Column("snapshot", JSON, nullable=False),
        sa.Column("changes", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_catalog_versions_resource_id_catalog_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_versions")),
        sa.UniqueConstraint("resource_id", "version", name="uq_catalog_versions_version"),
    )
    _index(
        "catalog_versions",
        "base_library",
        "class_code",
        "is_current",
        "open_type",
        "provider_unit_id",
        "resource_id",
        "share_type",
    )


def downgrade() -> None:
    for table in ("catalog_versions", "catalog_terms", "catalog_items", "catalog_resources"):
        op.drop_table(table)
