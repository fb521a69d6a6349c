"""services: electronic certificates and their revocations (电子证照)

The units' signing keys, the certificates, and the view `certificate_library` that the
exchange binds as the 电子证照库 resource: certificates neither revoked nor expired, signed
by a key that is not revoked.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import zhuyun.core.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

LIBRARY_VIEW = """
CREATE VIEW certificate_library AS
SELECT number, kind, kind_name, holder_id, holder_type, holder_name, issuer_name,
       CAST(fields AS TEXT) AS fields_json, valid_from, valid_until, issued_at
FROM certificates
WHERE revoked_at IS NULL AND (valid_until IS NULL OR valid_until >= CURRENT_DATE)
  AND key_id IN (SELECT id FROM certificate_keys WHERE revoked_at IS NULL)
"""


def upgrade() -> None:
    op.create_table(
        "certificate_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=40), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("algorithm", sa.String(length=10), nullable=False),
        sa.Column("public_key", sa.String(length=200), nullable=False),
        sa.Column("private_key_sealed", sa.Text(), nullable=False),
        sa.Column("created_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("revoke_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_certificate_keys_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_keys")),
        sa.UniqueConstraint("key_id", name=op.f("uq_certificate_keys_key_id")),
    )
    with op.batch_alter_table("certificate_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certificate_keys_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("kind_name", sa.String(length=50), nullable=False),
        sa.Column("holder_id", sa.String(length=18), nullable=False),
        sa.Column("holder_type", sa.String(length=10), nullable=False),
        sa.Column("holder_name", sa.String(length=200), nullable=False),
        sa.Column("issuer_unit_id", sa.Integer(), nullable=False),
        sa.Column("issuer_name", sa.String(length=200), nullable=False),
        sa.Column("case_ref", sa.String(length=100), nullable=False),
        sa.Column("fields", _JSON, nullable=False),
        sa.Column("issued_at", zhuyun.core.db.UTCDateTime(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("document", _JSON, nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.Column("revoked_at", zhuyun.core.db.UTCDateTime(), nullable=True),
        sa.Column("revoked_by", sa.Integer(), nullable=True),
        sa.Column("revoke_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["issuer_unit_id"],
            ["org_units.id"],
            name=op.f("fk_certificates_issuer_unit_id_org_units"),
        ),
        sa.ForeignKeyConstraint(
            ["key_id"],
            ["certificate_keys.id"],
            name=op.f("fk_certificates_key_id_certificate_keys"),
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by"], ["accounts.id"], name=op.f("fk_certificates_revoked_by_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("number", name=op.f("uq_certificates_number")),
        sa.UniqueConstraint("issuer_unit_id", "case_ref", "kind", name="uq_certificates_case_kind"),
    )
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_certificates_issuer_unit_id"), ["issuer_unit_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_certificates_key_id"), ["key_id"], unique=False)
        batch_op.create_index("ix_certificates_holder_kind", ["holder_id", "kind"], unique=False)
    op.execute(LIBRARY_VIEW)


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS certificate_library")
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_index("ix_certificates_holder_kind")
        batch_op.drop_index(batch_op.f("ix_certificates_key_id"))
        batch_op.drop_index(batch_op.f("ix_certificates_issuer_unit_id"))
    op.drop_table("certificates")
    with op.batch_alter_table("certificate_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificate_keys_unit_id"))
    op.drop_table("certificate_keys")
