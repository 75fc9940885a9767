"""``partner-service`` subcommands on a database that is new, behind, or not there: a SQLite
file is made current on first use; PostgreSQL, migrated only by ``db upgrade``, gets a
one-line error naming that command, as does a database that cannot be reached."""

from __future__ import annotations

from click.testing import CliRunner
from cryptography.fernet import Fernet
from partner_service.entrypoints.cli import main
from sqlalchemy import create_engine, inspect

from ..support import postgres_database


def _list_credentials(database_url: str, tmp_path):
    env = {"PARTNER_DATABASE_URL": database_url, "PARTNER_DATA_DIR": str(tmp_path),
           "PARTNER_SECRET_KEY": Fernet.generate_key().decode()}
    return CliRunner().invoke(main, ["credential", "list"], env=env)


def test_a_new_sqlite_file_is_made_current_by_the_first_command(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    result = _list_credentials(url, tmp_path)
    assert result.exit_code == 0, result.output
    engine = create_engine(url)
    try:
        assert inspect(engine).has_table("alembic_version") and inspect(engine).has_table("credentials")
    finally:
        engine.dispose()


def test_a_postgresql_database_behind_asks_for_db_upgrade_and_is_left_alone(tmp_path):
    with postgres_database() as url:
        result = _list_credentials(url, tmp_path)
        assert result.exit_code == 1
        assert "is not current: run `partner-service db upgrade`" in result.output
        assert "Traceback" not in result.output
        engine = create_engine(url)
        try:
            assert inspect(engine).get_table_names() == []
        finally:
            engine.dispose()


def test_a_database_that_cannot_be_reached_is_named_without_its_password(tmp_path):
    result = _list_credentials("postgresql+psycopg://partner:s3cret@127.0.0.1:1/partner", tmp_path)
    assert result.exit_code == 1
    assert "Cannot use the database postgresql+psycopg://partner:***@127.0.0.1:1/partner" in result.output
    assert "s3cret" not in result.output and "Traceback" not in result.output
