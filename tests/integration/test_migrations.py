"""The schema the migrations build is the schema the ORM maps (no drift either way)."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from partner_service.adapters import migrate
from partner_service.adapters.db import make_engine
from partner_service.adapters.orm import metadata
from partner_service.app import prepare_database
from sqlalchemy import inspect, text
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


def test_the_head_the_service_expects_is_alembics_one_head_and_an_older_schema_is_not_current(engine):
    """``migrate.is_current`` reads the version table without Alembic; its ``SCHEMA_HEAD`` must
    follow every new migration."""
    assert ScriptDirectory.from_config(migrate.alembic_config()).get_heads() == [migrate.SCHEMA_HEAD]
    for revision, current in (("0001", False), (migrate.SCHEMA_HEAD, True)):
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :to"), {"to": revision})
        assert migrate.is_current(engine) is current


def test_an_empty_database_is_not_current(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    try:
        assert not migrate.is_current(engine)
    finally:
        engine.dispose()


def test_an_app_on_a_current_database_loads_neither_alembic_nor_redis(database_url, engine, tmp_path):
    """Every worker builds the app: Alembic (12 MB) and the Redis client (6 MB) would stay in
    its memory for nothing (the issue's budget is 150 MB a worker)."""
    program = ("import sys; from partner_service.app import create_app; "
               "from partner_service.config import Settings; "
               f"create_app(Settings(data_dir={str(tmp_path)!r}, database_url={database_url!r})); "
               "print(sorted({m.split('.')[0] for m in sys.modules} & {'alembic', 'redis'}))")
    loaded = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]", loaded.stderr[-2000:]


def test_an_empty_sqlite_file_is_migrated_on_start_and_postgresql_is_refused_untouched(database_url):
    """The embedded default needs no setup; PostgreSQL is migrated by ``db upgrade`` only."""
    engine = make_engine(database_url)
    try:
        if engine.dialect.name == "sqlite":
            prepare_database(engine)
            assert migrate.is_current(engine)
        else:
            with pytest.raises(RuntimeError, match="db upgrade"):
                prepare_database(engine)
            assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
