"""``partner-service db backup FILE``: a consistent copy of the SQLite database, safe while serving.

SQLite's online backup API (``sqlite3.Connection.backup``) copies every page in one step
inside one read transaction: in WAL mode (``db._configure_sqlite``) readers never block the
service's writer nor wait for it, so the copy is the database as of one commit, taken without
stopping anything; saves committed after that moment are not in it. The copy is written to a
temporary file beside FILE, checked (``PRAGMA integrity_check``), switched out of WAL mode so
it is one self-contained file, synced, and renamed onto FILE (mode 0600): FILE is either the
previous backup or the whole new one, never half of it.

PostgreSQL has its own tools for this (``pg_dump``/``pg_restore``, deploy/README.md); this
module does not wrap them.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path


class BackupError(RuntimeError):
    """The copy could not be made or failed its check; FILE is left as it was."""


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int
    schema: str | None


def backup_sqlite(database: Path, target: Path) -> Backup:
    """Copy the SQLite file ``database`` to ``target`` (see the module)."""
    if not database.is_file():
        raise BackupError(f"{database} does not exist.")
    target = target.resolve()
    if target == database.resolve():
        raise BackupError("the backup must not be the database file itself.")
    temporary = target.with_name(f".{target.name}.partial")
    temporary.unlink(missing_ok=True)
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        source = sqlite3.connect(database.resolve().as_uri() + "?mode=ro", uri=True, timeout=15)
        copy = sqlite3.connect(temporary)
        try:
            source.backup(copy)  # every page at once: one snapshot
            copy.execute("PRAGMA journal_mode=DELETE")
            (verdict,) = copy.execute("PRAGMA integrity_check").fetchone()
            if verdict != "ok":
                raise BackupError(f"the copy failed its integrity check: {verdict}")
            schema = _schema_version(copy)
        finally:
            copy.close()
            source.close()
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except sqlite3.Error as error:
        raise BackupError(f"SQLite could not copy {database}: {error}") from None
    except OSError as error:
        raise BackupError(f"could not write {target}: {error.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return Backup(target, target.stat().st_size, schema)


def _schema_version(connection: sqlite3.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    return row[0] if row else None
