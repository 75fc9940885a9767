"""Apply the Alembic migrations shipped inside the package.

Alembic is imported only to migrate: its modules would add about 12 MB to every worker's
memory, where only ``is_current`` is needed, and that reads one table.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect, text

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest migration's revision (tests/integration/test_migrations.py checks that it is
# Alembic's one head, so a new migration cannot be forgotten here).
SCHEMA_HEAD = "0002"


def alembic_config():
    from alembic.config import Config

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
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:space, :key)"), _MIGRATIONS_LOCK)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def is_current(engine: Engine) -> bool:
    """Whether the database's schema is at ``SCHEMA_HEAD`` (Alembic's own version table)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return False
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        return set(versions) == {SCHEMA_HEAD}


def prepare(engine: Engine) -> bool:
    """Whether the schema is current, after migrating a SQLite file that was not (the embedded
    default needs no setup); PostgreSQL is migrated by ``db upgrade`` only, never on start."""
    if is_current(engine):
        return True
    if engine.dialect.name == "sqlite":
        upgrade(engine)
        return True
    return False
