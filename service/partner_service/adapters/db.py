"""Engines for the two supported databases: a SQLite file (default) and PostgreSQL."""

from __future__ import annotations

import select
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url


def default_sqlite_url(data_dir: str | Path) -> str:
    path = Path(data_dir).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path / 'partner.sqlite3'}"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not pysqlite, decide when transactions start (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: an acknowledged save survives a power cut, not only a crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # Take the write lock up front: two deferred transactions that both upgrade to
        # writers would otherwise fail with "database is locked" instead of waiting.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, *, pool_size: int = 5, echo: bool = False) -> Engine:
    """Build an engine; call it after gunicorn forks, never at import time."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, echo=echo, pool_pre_ping=True, hide_parameters=True,
                               connect_args={"check_same_thread": False, "timeout": 15})
        _configure_sqlite(engine)
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
