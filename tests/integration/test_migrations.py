"""The schema the migrations build is the schema the ORM maps (no drift either way)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from partner_service.adapters import migrate
from partner_service.adapters.db import make_engine
from partner_service.adapters.orm import metadata
from sqlalchemy import inspect
from sqlalchemy.engine import make_url


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


def test_hosts_upgrading_at_once_migrate_once_and_all_succeed(database_url):
    """A rollout starts several hosts whose units run ``db upgrade`` together: one migrates,
    the others wait for it and then find the schema current (none fails on a half-built one)."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":  # hosts that blocked each other would fail, not hang
        url = url.update_query_dict({"options": "-c lock_timeout=20s"})
    engines = [make_engine(url.render_as_string(hide_password=False)) for _ in range(4)]
    barrier = threading.Barrier(len(engines))

    def upgrade(engine):
        barrier.wait()
        migrate.upgrade(engine)

    try:
        with ThreadPoolExecutor(len(engines)) as pool:
            list(pool.map(upgrade, engines))  # re-raises what any of them raised
        assert all(migrate.is_current(engine) for engine in engines)
        assert set(inspect(engines[0]).get_table_names()) >= set(metadata.tables)
    finally:
        for engine in engines:
            engine.dispose()
