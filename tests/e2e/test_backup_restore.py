"""Backup and restore drills, as an operator runs them while the Connector pushes.

A served database takes saves from three threads; meanwhile it is backed up the documented way
(SQLite: ``partner-service db backup FILE``; PostgreSQL: ``pg_dump --format=custom``), the copy
is restored into a new database (the file put in a new data folder; ``pg_restore`` into a new
database), and the service is started on it with the same server key. Every save acknowledged
before the backup began is there: sent again, each answers ``Unchanged`` with the Id it was
given, and the restored service takes new saves.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from partner_service.adapters.db import default_sqlite_url
from sqlalchemy.engine import make_url

from ..support import PG_ADMIN_URL, postgres_database
from ..support.service_process import PROJECT_COMMAND, Pushers, clean_environment, serve, turn_up
from ..support.wsse import fresh_key

BATCH = 200


def _run(*command: str, env: dict) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _libpq(url: str) -> str:
    """A SQLAlchemy URL as libpq (pg_dump, pg_restore) takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class SqliteDrill:
    """``partner-service db backup FILE``; restored by putting FILE in a new data folder."""

    @contextmanager
    def database(self, tmp: Path, name: str) -> Iterator[dict]:
        yield {"PARTNER_DATA_DIR": str(tmp / name)}

    def url(self, settings: dict) -> str:
        return default_sqlite_url(settings["PARTNER_DATA_DIR"])

    def backup(self, settings: dict, file: Path, env: dict) -> None:
        printed = _run(str(PROJECT_COMMAND), "db", "backup", str(file), env={**env, **settings})
        assert re.search(r"backed up sqlite:///.* \(\d+ bytes, schema \d+\)", printed), printed

    def restore(self, file: Path, settings: dict) -> None:
        folder = Path(settings["PARTNER_DATA_DIR"])
        folder.mkdir(exist_ok=True)
        shutil.copyfile(file, folder / "partner.sqlite3")


class PostgresDrill:
    """``pg_dump --format=custom``; ``pg_restore --no-owner`` into a new database."""

    @contextmanager
    def database(self, tmp: Path, name: str) -> Iterator[dict]:
        with postgres_database() as url:
            yield {"PARTNER_DATABASE_URL": url}

    def url(self, settings: dict) -> str:
        return settings["PARTNER_DATABASE_URL"]

    def backup(self, settings: dict, file: Path, env: dict) -> None:
        _run("pg_dump", "--format=custom", "--file", str(file), "--dbname",
             _libpq(settings["PARTNER_DATABASE_URL"]), env=env)

    def restore(self, file: Path, settings: dict) -> None:
        target = _libpq(settings["PARTNER_DATABASE_URL"])
        _run("pg_restore", "--exit-on-error", "--no-owner", "--dbname", target, str(file),
             env=clean_environment())


def test_pg_dump_is_as_new_as_the_server():
    """pg_dump refuses a newer server, and its archive needs a pg_restore as new as itself."""
    version = _run("pg_dump", "--version", env=clean_environment())
    client = int(re.search(r"(\d+)", version).group(1))
    with psycopg.connect(_libpq(PG_ADMIN_URL)) as conn:
        server = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000
    assert client >= server, f"pg_dump {client} cannot dump PostgreSQL {server} (postgresql-client-{server})."


@pytest.mark.parametrize("drill", [SqliteDrill(), PostgresDrill()], ids=["sqlite", "postgresql"])
def test_a_backup_taken_under_load_restores_every_acknowledged_save(drill, tmp_path):
    env = clean_environment(PARTNER_SECRET_KEY=fresh_key(), PARTNER_WORKERS="2", PARTNER_THREADS="2",
                            PARTNER_LOG_LEVEL="warning", PARTNER_AUTH_HASH_MEMORY_KIB="1024")
    file = tmp_path / "partner.backup"
    with drill.database(tmp_path, "origin") as origin, drill.database(tmp_path, "restored") as restored:
        sheet = turn_up(drill.url(origin), env["PARTNER_SECRET_KEY"])
        server = serve({**env, **origin}, tmp_path / "origin.log")
        try:
            with Pushers(lambda: server.client(sheet["username"], sheet["password"]), sheet["club_ids"][0],
                         "DRILL") as pushers:
                time.sleep(1.0)
                backup_started = time.monotonic()
                drill.backup(origin, file, env)
                backup_done = time.monotonic()
                time.sleep(0.5)
        finally:
            server.stop()
        assert pushers.failures == []
        before = [ack for ack in pushers.acks if ack.at < backup_started]
        during_or_after = [ack for ack in pushers.acks if ack.at >= backup_started]
        assert len(before) >= 10 and during_or_after, (len(before), len(during_or_after), backup_done)

        drill.restore(file, restored)
        restored_server = serve({**env, **restored}, tmp_path / "restored.log")
        try:
            client = restored_server.client(sheet["username"], sheet["password"])
            for start in range(0, len(before), BATCH):
                sent = before[start:start + BATCH]
                results = client.service.SaveProspects(ClubId=sheet["club_ids"][0],
                                                       Prospects={"Prospect": [ack.fields for ack in sent]})
                assert [(r.Action, r.Id) for r in results] == [("Unchanged", ack.id) for ack in sent]
            new = client.service.SaveProspect(ClubId=sheet["club_ids"][0], Prospect={
                "ExternalId": "AFTER-RESTORE", "FirstName": "Restored", "LastName": "Service"})
            assert new.Action == "Inserted"
        finally:
            assert restored_server.stop() == 0
