"""governance: region polygons, grids, grid workers and the grids' revision counter

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import zhuyun.core.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "governance_grids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=15), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("centroid_lng", sa.Float(), nullable=False),
        sa.Column("centroid_lat", sa.Float(), nullable=False),
        sa.Column("area_m2", sa.Float(), nullable=False),
        sa.Column("created_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governance_grids")),
        sa.UniqueConstraint("code", name=op.f("uq_governance_grids_code")),
    )
    with op.batch_alter_table("governance_grids", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_governance_grids_community_code"), ["community_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_governance_grids_district_code"), ["district_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_governance_grids_street_code"), ["street_code"], unique=False
        )

    op.create_table(
        "governance_grids_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("changed_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governance_grids_revision")),
    )
    op.create_table(
        "governance_regions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("parent_code", sa.String(length=12), nullable=False),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("centroid_lng", sa.Float(), nullable=False),
        sa.Column("centroid_lat", sa.Float(), nullable=False),
        sa.Column("area_m2", sa.Float(), nullable=False),
        sa.Column("updated_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governance_regions")),
        sa.UniqueConstraint("code", name=op.f("uq_governance_regions_code")),
    )
    with op.batch_alter_table("governance_regions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_governance_regions_level"), ["level"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_governance_regions_parent_code"), ["parent_code"], unique=False
        )

    op.create_table(
        "governance_grid_workers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_governance_grid_workers_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"],
            ["governance_grids.id"],
            name=op.f("fk_governance_grid_workers_grid_id_governance_grids"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governance_grid_workers")),
        sa.UniqueConstraint("grid_id", "account_id", name="uq_governance_grid_workers_assignment"),
    )
    with op.batch_alter_table("governance_grid_workers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_governance_grid_workers_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_governance_grid_workers_grid_id"), ["grid_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("governance_grid_workers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_governance_grid_workers_grid_id"))
        batch_op.drop_index(batch_op.f("ix_governance_grid_workers_account_id"))

    op.drop_table("governance_grid_workers")
    with op.batch_alter_table("governance_regions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_governance_regions_parent_code"))
        batch_op.drop_index(batch_op.f("ix_governance_regions_level"))

    op.drop_table("governance_regions")
    op.drop_table("governance_grids_revision")
    with op.batch_alter_table("governance_grids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_governance_grids_street_code"))
        batch_op.drop_index(batch_op.f("ix_governance_grids_district_code"))
        batch_op.drop_index(batch_op.f("ix_governance_grids_community_code"))

    op.drop_table("governance_grids")
