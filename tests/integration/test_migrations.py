"""The schema the migrations build is the schema the ORM maps (no drift either way)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from partner_service.adapters import migrate
from partner_service.adapters.orm import metadata
from sqlalchemy import inspect


def test_migrated_schema_equals_the_orm_metadata(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "compare_server_default": True})
        assert compare_metadata(context, metadata) == []


def test_migrations_create_every_mapped_table_and_are_current(engine):
    assert set(inspect(engine).get_table_names()) >= set(metadata.tables)
    assert migrate.is_current(engine)


def test_upgrading_twice_changes_nothing(engine):
    migrate.upgrade(engine)
    assert migrate.is_current(engine)
