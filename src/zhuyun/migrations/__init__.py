"""Schema migrations (Alembic): one history for every module, run by `zhuyun db upgrade`."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from zhuyun.core.db import Database


def alembic_config(database: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", "zhuyun:migrations")
    config.set_main_option(
        "sqlalchemy.url", database.engine.url.render_as_string(hide_password=False)
    )
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    config = alembic_config(database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(database: Database) -> str | None:
    return ScriptDirectory.from_config(alembic_config(database)).get_current_head()


def is_up_to_date(database: Database) -> bool:
    return current_revision(database) == head_revision(database)
