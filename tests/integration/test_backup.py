"""``partner-service db backup``: SQLite's online backup holds what was committed when it ran,
never a writer's open transaction, and does not wait for that writer; FILE is replaced whole
or left as it was; PostgreSQL is pointed to pg_dump (the restore drill is
tests/e2e/test_backup_restore.py)."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner
from partner_service.adapters.backup import BackupError, backup_sqlite
from partner_service.entrypoints.cli import main

from ..support import PG_ADMIN_URL


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "partner.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE saved (name TEXT)")
        connection.execute("INSERT INTO saved VALUES ('committed')")
    return path


def _names(path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [row[0] for row in connection.execute("SELECT name FROM saved ORDER BY name")]


def test_the_copy_holds_what_was_committed_and_not_a_writers_open_transaction(database, tmp_path):
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # the service's writer, mid-save, holding the write lock
    writer.execute("INSERT INTO saved VALUES ('in flight')")
    try:
        done = backup_sqlite(database, tmp_path / "copy.sqlite3")
    finally:
        writer.execute("COMMIT")
        writer.close()
    assert _names(done.path) == ["committed"]
    assert _names(database) == ["committed", "in flight"]
    assert done.path.stat().st_mode & 0o777 == 0o600 and done.schema is None
    with sqlite3.connect(done.path) as copy:  # one self-contained file, no -wal needed
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_a_failed_backup_leaves_the_previous_one_and_no_partial_file(database, tmp_path):
    target = tmp_path / "copy.sqlite3"
    backup_sqlite(database, target)
    before = target.read_bytes()
    with pytest.raises(BackupError, match="does not exist"):
        backup_sqlite(tmp_path / "missing.sqlite3", target)
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_text("not a database, " * 512)
    with pytest.raises(BackupError, match="could not copy"):
        backup_sqlite(garbage, target)
    with pytest.raises(BackupError, match="could not write"):
        backup_sqlite(database, tmp_path / "no such folder" / "copy.sqlite3")
    with pytest.raises(BackupError, match="must not be the database"):
        backup_sqlite(database, database)
    assert target.read_bytes() == before
    assert not [p.name for p in tmp_path.iterdir() if "partial" in p.name]


def test_the_command_backs_up_sqlite_and_points_postgresql_to_pg_dump(tmp_path):
    runner = CliRunner()
    env = {"PARTNER_DATA_DIR": str(tmp_path / "var"), "PARTNER_DATABASE_URL": ""}
    assert runner.invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    done = runner.invoke(main, ["db", "backup", str(tmp_path / "copy.sqlite3")], env=env)
    assert done.exit_code == 0 and "schema 0" in done.output, done.output
    postgres = runner.invoke(main, ["db", "backup", str(tmp_path / "pg.copy")],
                             env={"PARTNER_DATABASE_URL": PG_ADMIN_URL})
    assert postgres.exit_code == 1 and "pg_dump" in postgres.output and not (tmp_path / "pg.copy").exists()
