"""Engines for the two supported databases: a SQLite file (default) and PostgreSQL."""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import sqlite3
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url

# Execution option of an engine whose transactions only read (``read_only_engine``).
READ_ONLY = "partner_read_only"


def default_sqlite_url(data_dir: str | Path) -> str:
    path = Path(data_dir).resolve()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return f"sqlite:///{path / 'partner.sqlite3'}"


def _create_private(database: str) -> None:
    """Make a new SQLite file 0600 before SQLite makes it with the umask's mode (often 0644):
    it holds people's personal data. SQLite gives its -wal and -shm files the file's mode."""
    # An existing file keeps its mode; a missing folder is SQLite's error to report.
    with contextlib.suppress(FileExistsError, FileNotFoundError):
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _configure_sqlite(engine: Engine, lock_path: str | None) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, record):
        # Let SQLAlchemy, not pysqlite, decide when transactions start (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        _use_wal(cursor)
        # FULL: an acknowledged save survives a power cut, not only a crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()
        if lock_path is not None:
            record.info["writer_lock"] = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get(READ_ONLY):
            # A reader needs a snapshot, not the writer: in WAL mode it reads beside a writer
            # instead of queueing behind a batch being written.
            connection.exec_driver_sql("BEGIN")
            return
        # Writers queue on a lock file first (every thread and worker process alike) and are
        # woken the moment it is free: SQLite's own busy handler sleeps between tries, up to
        # a tenth of a second, which made the p99 of concurrent saves many times their median.
        # SQLite's lock stays
        # the guarantee (the command line and other programs do not take the file lock).
        take_writer_lock(connection.info)
        # Take the write lock up front: two deferred transactions that both upgrade to
        # writers would otherwise fail with "database is locked" instead of waiting.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "checkin")
    def _transaction_over(_dbapi_connection, record):
        lock = record.info.get("writer_lock")
        if lock is not None:
            fcntl.flock(lock, fcntl.LOCK_UN)

    @event.listens_for(engine, "close")
    def _closed(_dbapi_connection, record):
        lock = record.info.pop("writer_lock", None)
        if lock is not None:
            os.close(lock)


def _use_wal(cursor, patience: float = 15.0) -> None:
    """Put the file in WAL mode (kept in the file: only its first user switches it). Switching
    needs the file to itself, and SQLite refuses a busy switch at once, without its busy
    handler: connections racing for a new file's first use (hosts or workers starting
    together) wait for whichever switches it instead of failing."""
    deadline = time.monotonic() + patience
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                return
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
        time.sleep(0.005)


def take_writer_lock(info: dict) -> None:
    """Queue for the SQLite file's writer lock (its pool record's ``info``); freed at check-in."""
    lock = info.get("writer_lock")
    if lock is not None:
        fcntl.flock(lock, fcntl.LOCK_EX)  # blocks without the GIL


def read_only_engine(engine: Engine) -> Engine:
    """The same engine and pool for transactions that only read: on SQLite they take no
    writer lock; on PostgreSQL they are ``READ ONLY`` transactions, so a write is refused."""
    options = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options["postgresql_readonly"] = True
    return engine.execution_options(**options)


def make_engine(url: str, *, pool_size: int = 5, echo: bool = False) -> Engine:
    """Build an engine; call it after gunicorn forks, never at import time."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # No pre-ping: a file does not go away between two uses of a connection.
        engine = create_engine(url, echo=echo, hide_parameters=True,
                               connect_args={"check_same_thread": False, "timeout": 15})
        database = parsed.database
        in_memory = not database or database == ":memory:" or database.startswith("file:")
        if not in_memory:
            _create_private(database)
        _configure_sqlite(engine, None if in_memory else f"{database}-writer.lock")
        return engine
    # hide_parameters: a logged database error must not carry names or emails of people.
    engine = create_engine(url, echo=echo, pool_size=pool_size, hide_parameters=True,
                           max_overflow=pool_size, pool_timeout=10,
                           connect_args={"connect_timeout": 5})
    _ping_when_idle(engine)
    return engine


# A connection back in use within this many seconds is not pinged first (as HikariCP's
# aliveBypassWindow): pool_pre_ping's round trip on every checkout was two of a save's ten.
IDLE_BEFORE_PING = 0.5


def _has_news(dbapi_connection) -> bool:
    """An idle connection's socket is readable only when the server closed it or is about to
    (a terminated backend, a cut link): a check without a round trip."""
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError, AttributeError):
        return True
    return bool(readable)


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use only when it has rested or its socket says the
    server has gone: after an outage or a quiet spell a dead one is replaced instead of
    failing a request; under load none is pinged."""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _rested_from(_dbapi_connection, record):
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_rested(dbapi_connection, record, _proxy):
        rested = time.monotonic() - record.info.get("checked_in", float("-inf"))
        if rested <= IDLE_BEFORE_PING and not _has_news(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out a fresh one (up to 3 times).
            raise exc.DisconnectionError("stale pooled connection") from error
