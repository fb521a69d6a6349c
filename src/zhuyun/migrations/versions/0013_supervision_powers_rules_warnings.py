"""supervision: power list, rules, warnings (数据铁笼)

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import zhuyun.core.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def _big_id() -> sa.types.TypeEngine[Any]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _time(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, zhuyun.core.db.UTCDateTime(), nullable=nullable)


def _index(table: str, *columns: str, unique: bool = False) -> None:
    op.create_index(op.f(f"ix_{table}_{columns[0]}"), table, list(columns), unique=unique)


def upgrade() -> None:
    op.create_table(
        "supervision_powers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("power_type", sa.String(length=10), nullable=False),
        sa.Column("legal_basis", sa.String(length=2000), nullable=False),
        sa.Column("responsible", sa.String(length=100), nullable=False),
        sa.Column("time_limit_days", sa.Integer(), nullable=True),
        sa.Column("steps", _json(), nullable=False),
        sa.Column("discretion", _json(), nullable=False),
        sa.Column("risks", _json(), nullable=False),
        _time("updated_at"),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_supervision_powers_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_powers")),
        sa.UniqueConstraint("code", name=op.f("uq_supervision_powers_code")),
    )
    _index("supervision_powers", "power_type")
    _index("supervision_powers", "unit_id")
    op.create_table(
        "supervision_power_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("power_code", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_power_links")),
        sa.UniqueConstraint("kind", "code", name=op.f("uq_supervision_power_links_kind")),
    )
    _index("supervision_power_links", "power_code")
    op.create_table(
        "supervision_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("template", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("power_code", sa.String(length=64), nullable=True),
        sa.Column("params", _json(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("false_positives", sa.Integer(), nullable=False),
        _time("updated_at"),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_supervision_rules_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_rules")),
        sa.UniqueConstraint("code", name=op.f("uq_supervision_rules_code")),
    )
    _index("supervision_rules", "template")
    op.create_table(
        "supervision_watermarks",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("seq", _big_id(), nullable=False),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_supervision_watermarks")),
    )
    op.create_table(
        "supervision_power_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=128), nullable=False),
        sa.Column("public_token", sa.String(length=32), nullable=False),
        sa.Column("power_code", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        _time("started_at"),
        _time("last_at"),
        sa.Column("steps_done", _json(), nullable=False),
        _time("step_due_at", nullable=True),
        sa.Column("step_code", sa.String(length=64), nullable=True),
        sa.Column("due_level", sa.String(length=10), nullable=True),
        _time("ended_at", nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("article", sa.String(length=100), nullable=True),
        sa.Column("decider_id", sa.Integer(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_power_cases")),
        sa.UniqueConstraint("case_id", name=op.f("uq_supervision_power_cases_case_id")),
        sa.UniqueConstraint("public_token", name=op.f("uq_supervision_power_cases_public_token")),
    )
    for column in ("power_code", "unit_id", "step_due_at", "decider_id"):
        _index("supervision_power_cases", column)
    op.create_table(
        "supervision_warnings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=250), nullable=False),
        sa.Column("rule_code", sa.String(length=64), nullable=False),
        sa.Column("template", sa.String(length=40), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("escalation", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=128), nullable=True),
        sa.Column("power_code", sa.String(length=64), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("ledger_seq", _big_id(), nullable=True),
        sa.Column("message_zh", sa.String(length=500), nullable=False),
        sa.Column("message_en", sa.String(length=500), nullable=False),
        sa.Column("details", _json(), nullable=False),
        _time("raised_at"),
        _time("event_at", nullable=True),
        _time("explain_by", nullable=True),
        sa.Column("explanation", sa.String(length=2000), nullable=True),
        sa.Column("feedback", sa.String(length=2000), nullable=True),
        _time("closed_at", nullable=True),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_warnings")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_supervision_warnings_dedupe_key")),
    )
    for column in ("rule_code", "status", "case_id", "unit_id", "officer_id", "raised_at"):
        _index("supervision_warnings", column)
    op.create_table(
        "supervision_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("result", _json(), nullable=False),
        _time("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_submissions")),
        sa.UniqueConstraint(
            "account_id", "key", name=op.f("uq_supervision_submissions_account_id")
        ),
    )


def downgrade() -> None:
    for table in (
        "supervision_submissions",
        "supervision_warnings",
        "supervision_power_cases",
        "supervision_watermarks",
        "supervision_rules",
        "supervision_power_links",
        "supervision_powers",
    ):
        op.drop_table(table)
