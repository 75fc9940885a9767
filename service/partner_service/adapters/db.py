"""Engines for the two supported databases: a SQLite file (default) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
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
    # No pool_pre_ping: it costs a round trip per checkout (two per authenticated save). A
    # connection found dead fails its request with Server.Unavailable ("retry later") and
    # the disconnect invalidates the whole pool, so the next request connects afresh.
    # hide_parameters: a logged database error must not carry names or emails of people.
    return create_engine(url, echo=echo, pool_size=pool_size, hide_parameters=True,
                         max_overflow=pool_size, pool_timeout=10,
                         connect_args={"connect_timeout": 5})
