"""Apply the Alembic migrations shipped inside the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


# PostgreSQL's two-key advisory locks, a space apart from the batches' one-key locks (their
# documentation: the two spaces do not overlap): this service's migrations.
_MIGRATIONS_LOCK = {"space": 0x70617274, "key": 1}  # "part"


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to ``revision``, one host at a time: several hosts of a rollout may run
    ``db upgrade`` together. On PostgreSQL a transaction-scoped advisory lock makes the others
    wait until the first has committed, then find nothing to do; SQLite's writers take turns
    already (``db._configure_sqlite``: the writer lock and BEGIN IMMEDIATE)."""
    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:space, :key)"), _MIGRATIONS_LOCK)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def is_current(engine: Engine) -> bool:
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads()) == heads
