"""The Alembic history builds exactly the tables the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from zhuyun.core.db import Database
from zhuyun.migrations import current_revision, head_revision, is_up_to_date
from zhuyun.tables import metadata


def test_migrations_leave_nothing_for_autogenerate_to_add(fresh_database: Database) -> None:
    with fresh_database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_a_migrated_database_is_at_head(fresh_database: Database) -> None:
    assert is_up_to_date(fresh_database)
    assert current_revision(fresh_database) == head_revision(fresh_database)
